/* SPDX-License-Identifier: MIT */
/*
 * Preemption is never taken for blocking (docs/design.md §3 "Concurrency
 * management": preemption never counts as blocking, so CPU-bound items
 * never make threads: about one runnable worker per CPU plus one per
 * blocked item, never one thread per item; in the kernel, schedule() calls
 * wq_worker_sleeping() only for a voluntary sleep, never for preemption):
 * with CPU-intensive detection off (cpu_intensive_ns = 0, so only blocking
 * detection acts), two CPU-bound items per CPU on a bound queue, while a
 * plain pthread pinned to each of those CPUs burns CPU and preempts them:
 *  - the items were preempted (involuntary context switches seen; else skip);
 *  - on each CPU the second item starts only after the first has ended
 *    (the monitor never let a preempted worker's backlog go to another);
 *  - each bound pool used has at most 2 worker threads ("uwq/<cpu>:"; one
 *    running, one standby) during and after, and all uwq/ workers are at
 *    most 2 per pool used.
 */
#include <sys/resource.h>
#include <uwq/workqueue.h>

#include "util.h"

#define MAX_USED	8		/* CPUs used at most */
#define BURN_NS		(250 * NSEC_PER_MSEC)

struct item {
	struct uwq_work		w;
	int			cpu;
	_Atomic uint64_t	start, end;
	atomic_int		runs;
	atomic_int		ran_on;
};

static int cpus[MAX_USED];
static int nused;
static struct item items[MAX_USED][2];
static atomic_int done, stop_hogs;
static atomic_long nivcsw;

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static long my_nivcsw(void)
{
	struct rusage ru;

	CHECK(getrusage(RUSAGE_THREAD, &ru) == 0, "getrusage: %s", strerror(errno));
	return ru.ru_nivcsw;
}

static void item_fn(struct uwq_work *w)
{
	struct item *it = container_of(w, struct item, w);
	long csw0 = my_nivcsw();
	uint64_t end;

	atomic_store(&it->start, now_ns());
	atomic_store(&it->ran_on, sched_getcpu());
	atomic_fetch_add(&it->runs, 1);
	end = thread_cpu_ns() + BURN_NS;
	while (thread_cpu_ns() < end)
		__asm__ __volatile__("" ::: "memory");
	atomic_fetch_add(&nivcsw, my_nivcsw() - csw0);
	atomic_store(&it->end, now_ns());
	atomic_fetch_add(&done, 1);
}

static void *hog_thread(void *arg)
{
	int cpu = (int)(intptr_t)arg;
	cpu_set_t one;
	int err;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	err = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	CHECK(err == 0, "pinning a hog to CPU %d: %s", cpu, strerror(err));
	pthread_setname_np(pthread_self(), "cm-hog");
	while (!atomic_load(&stop_hogs))
		__asm__ __volatile__("" ::: "memory");
	return NULL;
}

static void sample(int *max_pool, int *max_pool_cpu, int *max_total)
{
	int total = count_tasks_named("uwq/");

	for (int i = 0; i < nused; i++) {
		int n = bound_pool_threads(cpus[i]);

		if (n > *max_pool) {
			*max_pool = n;
			*max_pool_cpu = cpus[i];
		}
	}
	if (total > *max_total)
		*max_total = total;
}

int main(void)
{
	struct uwq_workqueue *wq;
	struct uwq_config cfg;
	pthread_t hogs[MAX_USED];
	int max_pool = 0, max_pool_cpu = -1, max_total = 0, err;
	uint64_t deadline;
	unsigned spins = 0;

	nused = affinity_cpus(cpus, MAX_USED);
	uwq_config_defaults(&cfg);
	cfg.cpu_intensive_ns = 0;		/* only blocking detection acts */
	cfg.monitor_tick_ns = NSEC_PER_MSEC;
	CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure: %d", err);
	wq = uwq_alloc_workqueue("cm_preempt", 0, 0);
	CHECK(wq, "alloc failed: %s", strerror(errno));

	PHASE("CPU-bound items under preemption");
	for (int i = 0; i < nused; i++)
		hogs[i] = start_thread(hog_thread, (void *)(intptr_t)cpus[i]);
	for (int i = 0; i < nused; i++) {
		for (int k = 0; k < 2; k++) {
			struct item *it = &items[i][k];

			uwq_work_init(&it->w, item_fn);
			it->cpu = cpus[i];
			atomic_store(&it->ran_on, -1);
			CHECK(uwq_queue_work_on(cpus[i], wq, &it->w), "queueing failed");
		}
	}

	/* Watch the thread counts until every item is done. */
	deadline = now_ns() + UTIL_WAIT_NS;
	while (atomic_load(&done) < 2 * nused) {
		sample(&max_pool, &max_pool_cpu, &max_total);
		CHECK(now_ns() < deadline, "%d of %d items done; pool threads max %d (CPU %d)",
		      atomic_load(&done), 2 * nused, max_pool, max_pool_cpu);
		util_pause(&spins);
	}
	atomic_store(&stop_hogs, 1);
	for (int i = 0; i < nused; i++)
		join_thread(hogs[i]);
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	sample(&max_pool, &max_pool_cpu, &max_total);

	NOTE("%d CPUs: %ld involuntary switches in the items; at most %d threads per pool, %d uwq/ in all",
	     nused, atomic_load(&nivcsw), max_pool, max_total);
	for (int i = 0; i < nused; i++) {
		struct item *a = &items[i][0], *b = &items[i][1];

		for (int k = 0; k < 2; k++) {
			CHECK(atomic_load(&items[i][k].runs) == 1, "item %d for CPU %d ran %d times", k,
			      cpus[i], atomic_load(&items[i][k].runs));
			CHECK(atomic_load(&items[i][k].ran_on) == cpus[i], "item for CPU %d ran on CPU %d",
			      cpus[i], atomic_load(&items[i][k].ran_on));
		}
		/* FIFO on one pool: whichever started second must start after the other ended. */
		if (atomic_load(&b->start) < atomic_load(&a->start)) {
			struct item *t = a;

			a = b;
			b = t;
		}
		CHECK(atomic_load(&b->start) > atomic_load(&a->end),
		      "CPU %d: the second item started %.1f ms before the first ended: a preempted "
		      "worker was taken for a blocked one", cpus[i],
		      (double)(atomic_load(&a->end) - atomic_load(&b->start)) / 1e6);
	}
	CHECK(max_pool <= 2, "bound pool %d had %d worker threads (at most 2: one running, one standby)",
	      max_pool_cpu, max_pool);
	CHECK(max_total <= 2 * nused, "%d uwq/ worker threads for %d pools used", max_total, nused);
	if (atomic_load(&nivcsw) == 0)
		SKIP("the items were never preempted (no involuntary context switch), so this run proves nothing");

	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
