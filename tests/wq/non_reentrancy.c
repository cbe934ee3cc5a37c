/* SPDX-License-Identifier: MIT */
/*
 * Non-reentrancy (include/uwq/workqueue.h; the kernel's rule, from
 * kernel/workqueue.c find_worker_executing_work(), which uwq extends to
 * requeueing on another workqueue, as its header says): an item never runs
 * on two workers at once, even when it is requeued on another CPU or
 * another workqueue while it runs. And (pending dedupe) every successful
 * queueing gives exactly one run, so once everything is flushed the number
 * of runs equals the number of queue calls that returned true.
 *
 * Several threads hammer uwq_queue_work_on() with every CPU of the affinity
 * mask and three workqueues (bound, unbound, high priority) plus the system
 * queue; the work function checks on entry that nobody else runs it. Most
 * attempts find the item pending (a cheap false); the threads go on until
 * both ~200k attempts were made and the item ran MIN_RUNS times, so that
 * many runs met a requeue racing with them (on a loaded machine they stop
 * trying after a couple of seconds: that bounds the work, it is not asserted).
 */
#include <uwq/workqueue.h>

#include "util.h"

#define THREADS		4
#define ATTEMPTS	(200000 / THREADS)
#define MIN_RUNS	1500	/* and then until the item ran this often, */
#define MAX_EXTRA_NS	(2 * NSEC_PER_SEC)	/* or for this long at most */
#define MAX_CPUS	1024

static struct uwq_workqueue *wqs[4];
static int cpus[MAX_CPUS];
static int ncpus;

static struct uwq_work item;
static atomic_int running;
static atomic_int overlaps;
static atomic_long runs;
static atomic_long successes;
static atomic_long attempts;
static atomic_int go;

static void item_fn(struct uwq_work *w)
{
	int was = atomic_fetch_add(&running, 1);

	if (was != 0 || w != &item)
		atomic_fetch_add(&overlaps, 1);
	atomic_fetch_add(&runs, 1);
	burn_us(3);
	atomic_fetch_sub(&running, 1);
}

static void *hammer(void *arg)
{
	int t = (int)(intptr_t)arg;
	uint64_t extra_until = 0;
	long mine = 0, i;

	WAIT_UNTIL(atomic_load(&go), "never started");
	for (i = 0; i < ATTEMPTS || atomic_load(&runs) < MIN_RUNS; i++) {
		int cpu = cpus[(i + t) % ncpus];
		struct uwq_workqueue *wq = wqs[(i / 7 + t) % (long)ARRAY_SIZE(wqs)];

		if (uwq_queue_work_on(cpu, wq, &item))
			mine++;
		/* Rarely: under load each yield can cost a whole time slice. */
		if ((i & 1023) == 0)
			sched_yield();
		if (i >= ATTEMPTS && (i & 63) == 0) {
			if (!extra_until)
				extra_until = now_ns() + MAX_EXTRA_NS;
			else if (now_ns() > extra_until)
				break;
		}
	}
	atomic_fetch_add(&successes, mine);
	atomic_fetch_add(&attempts, i);
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	long r, s;

	ncpus = affinity_cpus(cpus, MAX_CPUS);
	wqs[0] = uwq_alloc_workqueue("nr_bound", 0, 0);
	wqs[1] = uwq_alloc_workqueue("nr_unbound", UWQ_UNBOUND, 0);
	wqs[2] = uwq_alloc_workqueue("nr_highpri", UWQ_HIGHPRI, 0);
	wqs[3] = uwq_system_wq;
	for (int i = 0; i < 3; i++)
		CHECK(wqs[i], "alloc failed: %s", strerror(errno));

	PHASE("hammering");
	uwq_work_init(&item, item_fn);
	for (int i = 0; i < THREADS; i++)
		t[i] = start_thread(hammer, (void *)(intptr_t)i);
	atomic_store(&go, 1);
	for (int i = 0; i < THREADS; i++)
		join_thread(t[i]);

	/* The item may still be pending on any of the queues: flush them all. */
	PHASE("final flushes");
	uwq_flush_work(&item);
	for (size_t i = 0; i < ARRAY_SIZE(wqs); i++)
		CHECK(uwq_flush_workqueue(wqs[i]) == 0, "flush_workqueue failed");
	uwq_flush_work(&item);

	r = atomic_load(&runs);
	s = atomic_load(&successes);
	NOTE("%d CPUs, %ld attempts: %ld successful queueings, %ld runs",
	     ncpus, atomic_load(&attempts), s, r);
	CHECK(atomic_load(&overlaps) == 0, "item ran on two workers at once %d times",
	      atomic_load(&overlaps));
	CHECK(s >= 1 && r >= 1, "nothing ran (successes=%ld runs=%ld)", s, r);
	CHECK(r <= s, "more runs (%ld) than successful queueings (%ld)", r, s);
	CHECK(r == s, "a successful queueing was not followed by a run: %ld runs for %ld queueings",
	      r, s);
	CHECK(uwq_work_busy(&item) == 0, "item not idle after flushing: busy=%#x",
	      uwq_work_busy(&item));

	for (int i = 0; i < 3; i++)
		uwq_destroy_workqueue(wqs[i]);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
