/* SPDX-License-Identifier: MIT */
/*
 * A cap lowered while a worker is being made stops that worker, and the
 * pool's stats count a worker being made (docs/design.md §3 "Concurrency
 * management": growth is capped per pool; header: uwq_set_pool_limits()
 * "change the pool limits now", struct uwq_pool_stats). Regression: with
 * workers made by the creator thread, a standby claimed under the old cap
 * was made after uwq_set_pool_limits() had lowered it, and no stats showed
 * the creation in flight, so a test could not wait for it.
 * A bound pool is grown by items that block (hinted) on a gate. Then the
 * "create_hold" test hook holds the next creation between the decision to
 * create and the worker being counted, the window in which the cap was
 * re-checked too early:
 *  - while held, uwq_pool_stats() counts the worker being made (workers is
 *    one more than the threads and than created - reaped);
 *  - the cap is lowered below the pool's count, the hold released: no
 *    worker is made (created unchanged, threads sampled throughout never
 *    above the count), the stats settle at the threads' count, the item
 *    that wanted the worker waits, and every item runs once the gate
 *    opens.
 * Skips (77) when the library was built without fault injection (Release).
 */
#include <uwq/stats.h>
#include <uwq/workqueue.h>

#include "util.h"

/* Test hook exported by uwq, not in the public headers (src/internal/fault.h). */
int uwq__fault_inject(const char *site, int err, int count);

#define NFIRST	3
#define NMAX	16

static struct uwq_work items[NMAX];
static atomic_int gate, started, blocked, done;
static int the_cpu;

static atomic_int sampling, sampled_max;

static void blocker_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&started, 1);
	uwq_blocking_begin();
	atomic_fetch_add(&blocked, 1);
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	uwq_blocking_end();
	atomic_fetch_add(&done, 1);
}

static int threads(void)
{
	return bound_pool_threads(the_cpu);
}

static struct uwq_pool_stats pool_st(void)
{
	struct uwq_pool_stats st = { 0 };

	for (int i = 0; uwq_pool_stats(i, &st) == 0; i++)
		if (st.cpu == the_cpu && st.nice == 0)
			return st;
	FAIL("no pool for CPU %d in uwq_pool_stats()", the_cpu);
}

static void *sampler_main(void *arg)
{
	unsigned spins = 0;

	(void)arg;
	while (atomic_load(&sampling)) {
		int n = threads();

		if (n > atomic_load(&sampled_max))
			atomic_store(&sampled_max, n);
		util_pause(&spins);
	}
	return NULL;
}

/* No worker being made, every worker's thread named and counted. */
static bool settled(struct uwq_pool_stats *st)
{
	*st = pool_st();
	return st->workers == threads() && (uint64_t)st->workers == st->created - st->reaped;
}

int main(void)
{
	struct uwq_pool_limits limits = { 0, 2, 0 };	/* default cap, no reaping */
	struct uwq_workqueue *wq;
	struct uwq_pool_stats st = { 0 };
	pthread_t sampler;
	int err, n0, nitems;
	uint64_t created0;

	unsetenv("UWQ_MAX_WORKERS");
	unsetenv("UWQ_IDLE_RESERVE");
	unsetenv("UWQ_IDLE_TIMEOUT_MS");
	affinity_cpus(&the_cpu, 1);
	err = uwq__fault_inject("create_hold", 0, 0);
	if (err == -ENOSYS)
		SKIP("uwq built without fault injection (Release build)");
	CHECK(err == 0, "uwq__fault_inject(create_hold) returned %d", err);
	CHECK((err = uwq_set_pool_limits(&limits)) == 0, "uwq_set_pool_limits returned %d", err);
	wq = uwq_alloc_workqueue("cap_lowered", 0, 0);
	CHECK(wq, "uwq_alloc_workqueue: %s", strerror(errno));
	for (int i = 0; i < NMAX; i++)
		uwq_work_init(&items[i], blocker_fn);

	PHASE("grow");
	for (int i = 0; i < NFIRST; i++)
		CHECK(uwq_queue_work_on(the_cpu, wq, &items[i]), "queueing item %d failed", i);
	WAIT_UNTIL(atomic_load(&blocked) == NFIRST && settled(&st),
		   "%d of %d items blocked; %d workers (%d threads), %llu created, %llu reaped",
		   atomic_load(&blocked), NFIRST, st.workers, threads(), (unsigned long long)st.created,
		   (unsigned long long)st.reaped);
	n0 = st.workers;
	created0 = st.created;
	CHECK(n0 >= NFIRST, "%d items block at once on %d workers", NFIRST, n0);
	nitems = n0 + 1;	/* one more than the workers: the last one wants a worker */
	CHECK(nitems <= NMAX, "%d items block on %d workers", NFIRST, n0);

	PHASE("a creation held");
	CHECK(uwq__fault_inject("create_hold", EBUSY, -1) == 0, "cannot arm create_hold");
	atomic_store(&sampled_max, threads());
	atomic_store(&sampling, 1);
	sampler = start_thread(sampler_main, NULL);
	capture_stderr_begin();	/* uwq's "at the cap" report */
	/* An item per idle worker, and one more: the worker that takes the
	 * last but one (or the monitor, if none is idle) wants a worker. */
	for (int i = NFIRST; i < nitems; i++)
		CHECK(uwq_queue_work_on(the_cpu, wq, &items[i]), "queueing item %d failed", i);
	WAIT_UNTIL((st = pool_st(), st.workers == n0 + 1),
		   "no worker being made shows in the stats: %d workers (%d threads), %llu created, %d pending",
		   st.workers, threads(), (unsigned long long)st.created, st.pending);
	CHECK(st.created == created0 && threads() <= n0,
	      "held before being counted, a worker was made: %llu created (%llu before), %d threads (%d before)",
	      (unsigned long long)st.created, (unsigned long long)created0, threads(), n0);

	PHASE("cap lowered, hold released");
	limits.max_workers = 2;
	CHECK((err = uwq_set_pool_limits(&limits)) == 0, "uwq_set_pool_limits returned %d", err);
	CHECK(uwq__fault_inject("create_hold", 0, 0) == 0, "cannot disarm create_hold");
	WAIT_UNTIL(settled(&st) && st.workers == n0 && atomic_load(&started) == n0 && st.pending == 1,
		   "after the cap was lowered to 2: %d workers (%d threads, %d before), %llu created (%llu before), "
		   "%d items started, %d pending", st.workers, threads(), n0, (unsigned long long)st.created,
		   (unsigned long long)created0, atomic_load(&started), st.pending);
	CHECK(st.created == created0, "a worker was made past the lowered cap: %llu created, %llu before",
	      (unsigned long long)st.created, (unsigned long long)created0);

	PHASE("release");
	atomic_store(&gate, 1);
	WAIT_UNTIL(atomic_load(&done) == nitems, "%d of %d items finished (%d started, %d threads)",
		   atomic_load(&done), nitems, atomic_load(&started), threads());
	CHECK(uwq_flush_workqueue(wq) == 0, "flush failed");
	atomic_store(&sampling, 0);
	join_thread(sampler);
	free(capture_stderr_end());
	CHECK(atomic_load(&sampled_max) <= n0, "the pool had %d threads with the cap lowered under %d",
	      atomic_load(&sampled_max), n0);
	st = pool_st();
	CHECK(st.created == created0, "a worker was made with the cap at 2: %llu created, %llu before",
	      (unsigned long long)st.created, (unsigned long long)created0);
	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
