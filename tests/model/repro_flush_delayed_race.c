// SPDX-License-Identifier: MIT
/*
 * Reproducer (found by tests/model/wq_diff, seed 1): uwq_flush_delayed_work()
 * returns before the armed instance ran when another thread fires the same
 * timer at the same moment (a second flush_delayed_work()).
 *
 * Contract (include/uwq/workqueue.h): uwq_flush_delayed_work() fires the
 * timer if armed, "then flush it": wait for the last queueing to finish
 * running (uwq_flush_work(), as the kernel's flush_work() in
 * kernel/workqueue.c).
 *
 * The race (src/wq/flush.c uwq_flush_delayed_work):
 *   A: uwq__timer_steal(dw) -> true (takes tm.lock, clears WORK_TIMER,
 *      drops tm.lock)
 *   B: uwq__timer_steal(dw) -> false (the timer is gone)
 *   B: uwq_flush_work(): WORK_QUEUED clear (A has not queued yet), not in
 *      the busy table -> returns false at once
 *   A: uwq__queue_work(); the item runs later, after B returned.
 * In flight between A's steal and A's queueing, the instance is neither
 * armed nor queued nor running, so B finds nothing to wait for. The timer
 * thread closes the same window by queueing under tm.lock (commit df8cc6d:
 * "Fire delayed work under the timer lock"); flush_delayed_work's own
 * steal-then-queue does not.
 *
 * Each round arms the item with a long delay, lets two threads call
 * uwq_flush_delayed_work() together, and checks that each saw the run
 * finish. Exit 1 at the first round where one returned early (it usually
 * takes a few hundred rounds on 2 CPUs); 0 if ROUNDS rounds pass
 * (argument: another number of rounds). Now a regression test: fixed by
 * firing and queueing under the timer lock (uwq__timer_flush()).
 */
#include <uwq/workqueue.h>

#include "util.h"

#define ROUNDS	20000	/* a few seconds; the bug showed within a few hundred */

static struct uwq_delayed_work dw;
static struct uwq_workqueue *wq;
static atomic_long runs;
static atomic_int round_no;		/* the round both flushers are to run */
static atomic_int arrived;		/* flushers that started the round */
static atomic_int finished;		/* flushers that finished the round */
static atomic_long early;		/* flush_delayed_work returned before the run */
static atomic_int stop;

static void item_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&runs, 1);
}

static void *flusher(void *arg)
{
	int seen = 0;

	(void)arg;
	for (;;) {
		long r0;

		WAIT_UNTIL(atomic_load(&round_no) != seen || atomic_load(&stop), "no next round");
		if (atomic_load(&stop))
			return NULL;
		seen = atomic_load(&round_no);
		r0 = atomic_load(&runs);
		atomic_fetch_add(&arrived, 1);
		while (atomic_load(&arrived) < 2)
			;	/* start together: the race needs both inside at once */
		uwq_flush_delayed_work(&dw);
		if (atomic_load(&runs) == r0)
			atomic_fetch_add(&early, 1);
		atomic_fetch_add(&finished, 1);
	}
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : ROUNDS;
	pthread_t t[2];
	int round;

	wq = uwq_alloc_workqueue("repro_fdw", UWQ_UNBOUND, 0);
	CHECK(wq, "alloc: %s", strerror(errno));
	uwq_delayed_work_init(&dw, item_fn);
	for (int i = 0; i < 2; i++)
		t[i] = start_thread(flusher, NULL);
	/* Bounded effort (sanitizers and load make rounds slow): up to
	 * `rounds` rounds or 10 s of them, whichever ends first. */
	uint64_t stop_at = now_ns() + 10 * NSEC_PER_SEC;

	for (round = 1; round <= rounds && !atomic_load(&early) && now_ns() < stop_at; round++) {
		long r0 = atomic_load(&runs);

		PHASE("arm");
		CHECK(uwq_queue_delayed_work(wq, &dw, 10 * NSEC_PER_SEC), "round %d: arming failed", round);
		atomic_store(&arrived, 0);
		atomic_store(&finished, 0);
		atomic_store(&round_no, round);
		PHASE("two flushers");
		WAIT_UNTIL(atomic_load(&finished) == 2, "round %d: flushers did not finish", round);
		/* the run happens in any case; wait for it before re-arming */
		WAIT_UNTIL(atomic_load(&runs) == r0 + 1, "round %d: the armed instance never ran", round);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		join_thread(t[i]);
	if (atomic_load(&early))
		FAIL("BUG: round %d: uwq_flush_delayed_work() returned before the armed instance "
		     "ran (a concurrent flush_delayed_work had stolen the timer and not yet queued it)",
		     round - 1);
	NOTE("%d rounds: every flush_delayed_work waited for the run", round - 1);
	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
