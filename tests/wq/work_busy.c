/* SPDX-License-Identifier: MIT */
/*
 * Introspection (header: uwq_work_busy(), uwq_work_pending(),
 * uwq_current_work(); the kernel's work_busy() and current_work()):
 *  - an idle item is 0 / not pending;
 *  - an item queued behind a blocked one is PENDING (not RUNNING);
 *  - a running item, seen from another thread, is RUNNING; requeued while it
 *    runs it is PENDING|RUNNING; a delayed item with its timer armed is
 *    PENDING;
 *  - uwq_current_work() is the item inside its function, NULL outside.
 */
#include <uwq/workqueue.h>

#include "util.h"

static struct uwq_workqueue *oq;
static struct uwq_work blocker, behind, plain;
static atomic_int gate, blocker_started, blocker_runs, behind_runs;
static atomic_int cur_ok_blocker = -1, cur_ok_behind = -1, cur_ok_plain = -1;

static void blocker_fn(struct uwq_work *w)
{
	atomic_store(&cur_ok_blocker, uwq_current_work() == w && w == &blocker);
	if (atomic_fetch_add(&blocker_runs, 1) == 0) {
		atomic_store(&blocker_started, 1);
		uwq_blocking_begin();
		GATE_WAIT(atomic_load(&gate), "gate never opened");
		uwq_blocking_end();
	}
	if (uwq_current_work() != w)
		atomic_store(&cur_ok_blocker, 0);
}

static void behind_fn(struct uwq_work *w)
{
	atomic_store(&cur_ok_behind, uwq_current_work() == w && w == &behind);
	atomic_fetch_add(&behind_runs, 1);
}

static void plain_fn(struct uwq_work *w)
{
	atomic_store(&cur_ok_plain, uwq_current_work() == w);
}

static void *outsider(void *arg)
{
	(void)arg;
	return uwq_current_work();
}

int main(void)
{
	struct uwq_delayed_work dw;
	unsigned b;

	oq = uwq_alloc_ordered_workqueue("busy", 0);
	CHECK(oq, "alloc failed: %s", strerror(errno));

	uwq_work_init(&blocker, blocker_fn);
	uwq_work_init(&behind, behind_fn);
	uwq_work_init(&plain, plain_fn);
	CHECK(uwq_work_busy(&blocker) == 0, "never-queued item busy=%#x", uwq_work_busy(&blocker));
	CHECK(!uwq_work_pending(&blocker), "never-queued item pending");
	CHECK(uwq_current_work() == NULL, "current_work() in main is not NULL");
	CHECK(join_thread(start_thread(outsider, NULL)) == NULL,
	      "current_work() in a non-uwq thread is not NULL");

	PHASE("blocked ordered queue");
	CHECK(uwq_queue_work(oq, &blocker), "queueing failed");
	WAIT_UNTIL(atomic_load(&blocker_started), "blocker never ran");
	CHECK(uwq_queue_work(oq, &behind), "queueing failed");

	b = uwq_work_busy(&behind);
	CHECK(b == UWQ_WORK_BUSY_PENDING, "queued item behind a blocked one: busy=%#x, want PENDING",
	      b);
	CHECK(uwq_work_pending(&behind), "queued item not pending");

	b = uwq_work_busy(&blocker);
	CHECK(b == UWQ_WORK_BUSY_RUNNING, "running item: busy=%#x, want RUNNING", b);
	CHECK(!uwq_work_pending(&blocker), "running item reported pending");

	CHECK(uwq_queue_work(oq, &blocker), "requeueing the running item failed");
	b = uwq_work_busy(&blocker);
	CHECK(b == (UWQ_WORK_BUSY_PENDING | UWQ_WORK_BUSY_RUNNING),
	      "running and requeued item: busy=%#x, want PENDING|RUNNING", b);
	CHECK(uwq_work_pending(&blocker), "requeued running item not pending");
	CHECK(uwq_current_work() == NULL, "current_work() in main is not NULL");

	atomic_store(&gate, 1);
	CHECK(uwq_flush_workqueue(oq) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&blocker_runs) == 2 && atomic_load(&behind_runs) == 1,
	      "runs: blocker %d (want 2), behind %d (want 1)",
	      atomic_load(&blocker_runs), atomic_load(&behind_runs));
	CHECK(uwq_work_busy(&blocker) == 0 && uwq_work_busy(&behind) == 0,
	      "items busy after flush: %#x %#x", uwq_work_busy(&blocker), uwq_work_busy(&behind));
	CHECK(!uwq_work_pending(&blocker) && !uwq_work_pending(&behind), "pending after flush");
	CHECK(atomic_load(&cur_ok_blocker) == 1, "current_work() inside blocker_fn was wrong");
	CHECK(atomic_load(&cur_ok_behind) == 1, "current_work() inside behind_fn was wrong");

	/* On the other kinds of queue too. */
	PHASE("current_work on system queues");
	CHECK(uwq_schedule_work(&plain), "schedule_work failed");
	uwq_flush_work(&plain);
	CHECK(atomic_load(&cur_ok_plain) == 1, "current_work() on system_wq was wrong");
	atomic_store(&cur_ok_plain, -1);
	CHECK(uwq_queue_work(uwq_system_unbound_wq, &plain), "queueing failed");
	uwq_flush_work(&plain);
	CHECK(atomic_load(&cur_ok_plain) == 1, "current_work() on an unbound queue was wrong");
	CHECK(uwq_current_work() == NULL, "current_work() in main is not NULL");

	/* A delayed item with its timer armed is pending, not running. */
	PHASE("armed delayed item");
	uwq_delayed_work_init(&dw, plain_fn);
	CHECK(uwq_work_busy(&dw.work) == 0, "idle delayed item busy");
	CHECK(uwq_queue_delayed_work(oq, &dw, 10 * NSEC_PER_SEC), "arming failed");
	CHECK(uwq_work_busy(&dw.work) == UWQ_WORK_BUSY_PENDING, "armed delayed item: busy=%#x",
	      uwq_work_busy(&dw.work));
	CHECK(uwq_work_pending(&dw.work), "armed delayed item not pending");
	CHECK(uwq_cancel_delayed_work_sync(&dw), "cancel failed");
	CHECK(uwq_work_busy(&dw.work) == 0, "cancelled delayed item busy=%#x",
	      uwq_work_busy(&dw.work));

	uwq_destroy_workqueue(oq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
