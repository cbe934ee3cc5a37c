/* SPDX-License-Identifier: MIT */
/*
 * A worker blocked in read() without a hint does not hold up its CPU's pool
 * (docs/design.md §3 "Concurrency management": blocking in ordinary calls
 * (read, sleep, mutexes) is detected without any hint by the monitor, which
 * inspects the running workers of a pool that has queued work and no
 * runnable worker to take it; as with the kernel's wq_worker_sleeping() and
 * kick_pool() in kernel/workqueue.c, the CPU never idles while work is
 * queued):
 * an item blocked in read() on an empty pipe, on CPU c's pool of a bound
 * queue, and 10 later items queued for CPU c: all 10 run, on CPU c's
 * workers, while the reader is still blocked; then a write releases the
 * reader and everything flushes, each item having run once. Two orders:
 *  1. the later items are queued once the reader is seen asleep in read();
 *  2. the reader and the later items are queued back to back, from another
 *     CPU when there is one, on the pool once all its workers are asleep:
 *     the woken worker takes the reader, which blocks with the others
 *     already queued (none of the later queueings found a running worker).
 */
#include <uwq/workqueue.h>

#include "util.h"

#define NLATER	10

struct later {
	struct uwq_work	w;
	atomic_int	runs;
	atomic_int	wrong_pool;	/* ran on a worker not of CPU c's pool */
};

static int pfd[2];
static int the_cpu;
static char pool_prefix[32];		/* "uwq/<c>:" */
static struct uwq_work reader;
static atomic_int reader_runs, reader_tid, reader_returned;
static struct later later[NLATER];
static atomic_int later_done, later_during_read;

static void reader_fn(struct uwq_work *w)
{
	char c;
	ssize_t n;

	(void)w;
	atomic_store(&reader_tid, (int)util_gettid());
	atomic_fetch_add(&reader_runs, 1);
	n = read(pfd[0], &c, 1);	/* blocks: no hint */
	CHECK(n == 1, "read: %zd (%s)", n, n < 0 ? strerror(errno) : "EOF");
	atomic_store(&reader_returned, 1);
}

static void later_fn(struct uwq_work *w)
{
	struct later *l = container_of(w, struct later, w);
	char comm[32];

	if (!task_comm(util_gettid(), comm, sizeof(comm)) ||
	    strncmp(comm, pool_prefix, strlen(pool_prefix)) != 0 || sched_getcpu() != the_cpu)
		atomic_store(&l->wrong_pool, 1);
	if (!atomic_load(&reader_returned))
		atomic_fetch_add(&later_during_read, 1);
	atomic_fetch_add(&l->runs, 1);
	atomic_fetch_add(&later_done, 1);
}

static void reset(void)
{
	uwq_work_init(&reader, reader_fn);
	atomic_store(&reader_runs, 0);
	atomic_store(&reader_tid, 0);
	atomic_store(&reader_returned, 0);
	atomic_store(&later_done, 0);
	atomic_store(&later_during_read, 0);
	for (int i = 0; i < NLATER; i++) {
		uwq_work_init(&later[i].w, later_fn);
		atomic_store(&later[i].runs, 0);
		atomic_store(&later[i].wrong_pool, 0);
	}
}

static void queue_later(struct uwq_workqueue *wq, const char *what)
{
	for (int i = 0; i < NLATER; i++)
		CHECK(uwq_queue_work_on(the_cpu, wq, &later[i].w), "%s: queueing item %d failed",
		      what, i);
}

/* Are all of the_cpu's pool workers asleep (idle in their futex wait)? */
static bool pool_asleep(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	char comm[64];
	int n = 0, asleep = 0;

	CHECK(d, "opendir /proc/self/task: %s", strerror(errno));
	while ((de = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || !task_comm(tid, comm, sizeof(comm)) ||
		    strncmp(comm, pool_prefix, strlen(pool_prefix)) != 0)
			continue;
		n++;
		if (task_state(tid) == 'S')
			asleep++;
	}
	closedir(d);
	return n > 0 && asleep == n;
}

static void finish(struct uwq_workqueue *wq, const char *what)
{
	WAIT_UNTIL(atomic_load(&later_done) == NLATER,
		   "%s: %d of %d later items ran while the reader (tid %d, state %c) is in read()",
		   what, atomic_load(&later_done), NLATER, atomic_load(&reader_tid),
		   task_state((pid_t)atomic_load(&reader_tid)));
	CHECK(!atomic_load(&reader_returned), "%s: read() returned with nothing written", what);
	CHECK(atomic_load(&later_during_read) == NLATER,
	      "%s: only %d later items ran before the reader returned", what,
	      atomic_load(&later_during_read));

	CHECK(write(pfd[1], "x", 1) == 1, "write: %s", strerror(errno));
	WAIT_UNTIL(atomic_load(&reader_returned), "%s: reader not released by the write", what);
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");

	CHECK(atomic_load(&reader_runs) == 1, "%s: reader ran %d times", what,
	      atomic_load(&reader_runs));
	for (int i = 0; i < NLATER; i++) {
		CHECK(atomic_load(&later[i].runs) == 1, "%s: item %d ran %d times", what, i,
		      atomic_load(&later[i].runs));
		CHECK(!atomic_load(&later[i].wrong_pool),
		      "%s: item %d ran outside CPU %d's pool (%s*)", what, i, the_cpu, pool_prefix);
	}
}

int main(void)
{
	struct uwq_workqueue *wq;
	int cpus[2], ncpus;
	cpu_set_t saved;

	ncpus = affinity_cpus(cpus, 2);
	the_cpu = cpus[0];
	snprintf(pool_prefix, sizeof(pool_prefix), "uwq/%d:", the_cpu);
	CHECK(pipe(pfd) == 0, "pipe: %s", strerror(errno));
	wq = uwq_alloc_workqueue("cm_blocked_read", 0, 0);
	CHECK(wq, "alloc failed: %s", strerror(errno));

	PHASE("later items queued once the reader sleeps");
	reset();
	CHECK(uwq_queue_work_on(the_cpu, wq, &reader), "queueing the reader failed");
	WAIT_UNTIL(atomic_load(&reader_tid) != 0, "the reader never started");
	CHECK(wait_task_blocked((pid_t)atomic_load(&reader_tid), UTIL_WAIT_NS),
	      "the reader never slept in read()");
	queue_later(wq, "queued after");
	finish(wq, "queued after");

	PHASE("reader and later items queued together");
	reset();
	WAIT_UNTIL(pool_asleep(), "CPU %d's idle workers never all slept", the_cpu);
	if (ncpus > 1) {
		cpu_set_t other;

		CPU_ZERO(&other);
		CPU_SET(cpus[1], &other);
		CHECK(sched_getaffinity(0, sizeof(saved), &saved) == 0, "sched_getaffinity: %s",
		      strerror(errno));
		CHECK(sched_setaffinity(0, sizeof(other), &other) == 0, "sched_setaffinity: %s",
		      strerror(errno));
	}
	CHECK(uwq_queue_work_on(the_cpu, wq, &reader), "queueing the reader failed");
	queue_later(wq, "queued together");
	if (ncpus > 1)
		CHECK(sched_setaffinity(0, sizeof(saved), &saved) == 0, "sched_setaffinity: %s",
		      strerror(errno));
	finish(wq, "queued together");

	uwq_destroy_workqueue(wq);
	close(pfd[0]);
	close(pfd[1]);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
