/* SPDX-License-Identifier: MIT */
/*
 * cancel_work_sync leaves the item idle (include/uwq/workqueue.h
 * uwq_cancel_work_sync(): "remove @w if pending and wait for a running
 * instance; on return @w is idle, even if it requeues itself";
 * uwq_cancel_work() and uwq_cancel_delayed_work(), which do not wait; as
 * the kernel's cancel_work_sync() and cancel_work() in kernel/workqueue.c):
 *  - a self-requeueing item on the system queue is idle after the cancel and
 *    never runs again (checked across two flushes of the queue), and can be
 *    queued again afterwards;
 *  - the return value is true exactly when a pending instance was removed;
 *  - a delayed item armed far in the future is cancelled before it runs, by
 *    uwq_cancel_delayed_work() and by uwq_cancel_delayed_work_sync().
 */
#include <uwq/workqueue.h>

#include "util.h"

#define ROUNDS	20

static void wait_gate(atomic_int *g)
{
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(g), "gate never opened");
	uwq_blocking_end();
}

/* --- self-requeueing item --------------------------------------------- */

static atomic_long loop_runs;
static atomic_int loop_running;
static atomic_int loop_overlap;

static void loop_fn(struct uwq_work *w)
{
	if (atomic_fetch_add(&loop_running, 1) != 0)
		atomic_fetch_add(&loop_overlap, 1);
	atomic_fetch_add(&loop_runs, 1);
	uwq_queue_work(uwq_system_wq, w);
	burn_us(1);
	atomic_fetch_sub(&loop_running, 1);
}

static void test_self_requeue(void)
{
	struct uwq_work w;
	int removed = 0;

	PHASE(__func__);
	uwq_work_init(&w, loop_fn);
	for (int round = 0; round < ROUNDS; round++) {
		long start = atomic_load(&loop_runs), after;

		CHECK(uwq_queue_work(uwq_system_wq, &w),
		      "round %d: queueing the idle item failed (busy=%#x)", round,
		      uwq_work_busy(&w));
		WAIT_UNTIL(atomic_load(&loop_runs) >= start + 50 + round * 10,
			   "round %d: item stopped requeueing itself: runs %ld -> %ld",
			   round, start, atomic_load(&loop_runs));

		if (uwq_cancel_work_sync(&w))
			removed++;
		CHECK(uwq_work_busy(&w) == 0, "round %d: busy=%#x after cancel_work_sync",
		      round, uwq_work_busy(&w));
		CHECK(!uwq_work_pending(&w), "round %d: pending after cancel_work_sync", round);
		CHECK(atomic_load(&loop_running) == 0, "round %d: still running after cancel", round);
		after = atomic_load(&loop_runs);

		CHECK(uwq_flush_workqueue(uwq_system_wq) == 0, "flush_workqueue failed");
		CHECK(uwq_flush_workqueue(uwq_system_wq) == 0, "flush_workqueue failed");
		CHECK(atomic_load(&loop_runs) == after,
		      "round %d: item ran %ld more times after cancel_work_sync returned",
		      round, atomic_load(&loop_runs) - after);
		CHECK(uwq_work_busy(&w) == 0, "round %d: busy=%#x after flushing", round,
		      uwq_work_busy(&w));
		CHECK(!uwq_cancel_work_sync(&w), "round %d: cancel of an idle item returned true",
		      round);
	}
	CHECK(atomic_load(&loop_overlap) == 0, "self-requeueing item overlapped itself");
	NOTE("%d of %d cancels removed a pending instance", removed, ROUNDS);
}

/* --- true iff a pending instance was removed ---------------------------- */

static atomic_int blk_gate, blk_started, victim_runs;

static void blocker_fn(struct uwq_work *w)
{
	(void)w;
	atomic_store(&blk_started, 1);
	wait_gate(&blk_gate);
}

static void victim_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&victim_runs, 1);
}

static void test_return_value(struct uwq_workqueue *oq)
{
	struct uwq_work b, v;

	PHASE(__func__);
	uwq_work_init(&b, blocker_fn);
	uwq_work_init(&v, victim_fn);
	CHECK(!uwq_cancel_work_sync(&v), "cancel_work_sync of a never-queued item returned true");

	CHECK(uwq_queue_work(oq, &b), "queueing the blocker failed");
	WAIT_UNTIL(atomic_load(&blk_started), "blocker never started");
	CHECK(uwq_queue_work(oq, &v), "queueing the victim failed");
	CHECK(uwq_work_pending(&v), "victim not pending behind the blocker");

	CHECK(uwq_cancel_work_sync(&v), "cancel_work_sync of a pending item returned false");
	CHECK(uwq_work_busy(&v) == 0, "victim busy=%#x after cancel", uwq_work_busy(&v));
	CHECK(!uwq_cancel_work_sync(&v), "second cancel_work_sync returned true");

	/* Non-sync cancel of a pending item: true, and it does not run either. */
	CHECK(uwq_queue_work(oq, &v), "requeueing the cancelled victim failed");
	CHECK(uwq_cancel_work(&v), "cancel_work of a pending item returned false");
	CHECK(!uwq_cancel_work(&v), "cancel_work of an idle item returned true");

	atomic_store(&blk_gate, 1);
	CHECK(uwq_flush_workqueue(oq) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&victim_runs) == 0, "cancelled victim ran %d times",
	      atomic_load(&victim_runs));

	/* Cancelled items are reusable. */
	CHECK(uwq_queue_work(oq, &v), "queueing after cancel failed");
	uwq_flush_work(&v);
	CHECK(atomic_load(&victim_runs) == 1, "victim ran %d times, want 1",
	      atomic_load(&victim_runs));
}

/* --- delayed items armed far in the future -------------------------- */

static atomic_int delayed_runs;

static void delayed_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&delayed_runs, 1);
}

static void test_delayed(struct uwq_workqueue *wq)
{
	const uint64_t ten_s = 10 * NSEC_PER_SEC;
	struct uwq_delayed_work dw;

	PHASE(__func__);
	atomic_store(&delayed_runs, 0);
	uwq_delayed_work_init(&dw, delayed_fn);
	CHECK(!uwq_cancel_delayed_work(&dw), "cancel of an idle delayed item returned true");
	CHECK(!uwq_cancel_delayed_work_sync(&dw), "cancel_sync of an idle delayed item returned true");

	CHECK(uwq_queue_delayed_work(wq, &dw, ten_s), "arming failed");
	CHECK(uwq_work_pending(&dw.work), "armed item not pending");
	CHECK(uwq_cancel_delayed_work(&dw), "cancel_delayed_work of an armed item returned false");
	CHECK(!uwq_work_pending(&dw.work), "pending after cancel_delayed_work");
	CHECK(!uwq_cancel_delayed_work(&dw), "second cancel_delayed_work returned true");
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&delayed_runs) == 0, "cancelled delayed item ran");

	CHECK(uwq_queue_delayed_work(wq, &dw, ten_s), "re-arming failed");
	CHECK(uwq_cancel_delayed_work_sync(&dw),
	      "cancel_delayed_work_sync of an armed item returned false");
	CHECK(uwq_work_busy(&dw.work) == 0, "busy=%#x after cancel_delayed_work_sync",
	      uwq_work_busy(&dw.work));
	CHECK(!uwq_cancel_delayed_work_sync(&dw), "second cancel_delayed_work_sync returned true");
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&delayed_runs) == 0, "cancelled delayed item ran");

	/* The item is still usable: a short delay runs it. */
	CHECK(uwq_queue_delayed_work(wq, &dw, 1 * NSEC_PER_MSEC), "arming failed");
	WAIT_UNTIL(atomic_load(&delayed_runs) == 1, "re-armed delayed item never ran");
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
}

int main(void)
{
	struct uwq_workqueue *oq = uwq_alloc_ordered_workqueue("cancel_ordered", 0);
	struct uwq_workqueue *wq = uwq_alloc_workqueue("cancel", 0, 0);

	CHECK(oq && wq, "alloc failed: %s", strerror(errno));
	CHECK(!uwq_cancel_work_sync(NULL), "cancel_work_sync(NULL) returned true");

	test_self_requeue();
	test_return_value(oq);
	test_delayed(wq);
	test_delayed(uwq_system_wq);

	uwq_destroy_workqueue(oq);
	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
