/* SPDX-License-Identifier: MIT */
/*
 * Delayed work (uwq/workqueue.h uwq_queue_delayed_work() and
 * uwq_mod_delayed_work(); the kernel's queue_delayed_work() and
 * mod_delayed_work_on(), pending dedupe included):
 *  - delay 0 queues at once: the item is on the queue when the call returns,
 *    so uwq_flush_work() (which ignores armed timers) waits for it;
 *  - a delay d runs the item once, never before d has elapsed since the call
 *    (CLOCK_MONOTONIC; a guarantee, not luck);
 *  - queueing an armed item returns false (pending dedupe): it runs once;
 *  - uwq_mod_delayed_work() on an armed item re-arms it (true); on an idle
 *    one it arms it (false); with delay 0 it runs now;
 *  - uwq_flush_delayed_work() on an armed item runs it now and returns true,
 *    on an idle one returns false.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define LONG_DELAY	(10 * NSEC_PER_SEC)
#define NSHORT		12

struct ditem {
	struct uwq_delayed_work	dw;
	atomic_int		runs;
	_Atomic uint64_t	ran_at;		/* now_ns() at the start of the last run */
};

static void ditem_fn(struct uwq_work *w)
{
	struct ditem *d = container_of(uwq_to_delayed_work(w), struct ditem, dw);

	atomic_store(&d->ran_at, now_ns());
	atomic_fetch_add(&d->runs, 1);
}

static void ditem_init(struct ditem *d)
{
	uwq_delayed_work_init(&d->dw, ditem_fn);
	atomic_store(&d->runs, 0);
	atomic_store(&d->ran_at, 0);
}

static void test_zero_delay(struct uwq_workqueue *wq)
{
	struct ditem d;

	PHASE(__func__);
	for (int i = 0; i < 50; i++) {
		ditem_init(&d);
		CHECK(uwq_queue_delayed_work(wq, &d.dw, 0), "delay 0: queueing failed");
		uwq_flush_work(&d.dw.work);
		CHECK(atomic_load(&d.runs) == 1,
		      "delay 0 did not queue at once: flush_work returned with %d runs",
		      atomic_load(&d.runs));
	}
	ditem_init(&d);
	CHECK(uwq_queue_delayed_work(wq, &d.dw, 0), "delay 0: queueing failed");
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&d.runs) == 1, "delay 0: flush_workqueue returned with %d runs",
	      atomic_load(&d.runs));
}

static void test_short_delays(struct uwq_workqueue *wq)
{
	static const uint64_t delays_ms[] = { 1, 2, 5, 10, 20, 30 };
	struct ditem d[NSHORT];
	uint64_t queued_at[NSHORT], delay[NSHORT];

	PHASE(__func__);
	for (int i = 0; i < NSHORT; i++) {
		ditem_init(&d[i]);
		delay[i] = delays_ms[i % ARRAY_SIZE(delays_ms)] * NSEC_PER_MSEC;
		queued_at[i] = now_ns();
		CHECK(uwq_queue_delayed_work(wq, &d[i].dw, delay[i]), "arming %d failed", i);
	}
	for (int i = 0; i < NSHORT; i++) {
		WAIT_UNTIL(atomic_load(&d[i].runs) >= 1, "item %d (delay %llu ms) never ran", i,
			   (unsigned long long)(delay[i] / NSEC_PER_MSEC));
		uwq_flush_work(&d[i].dw.work);
	}
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	for (int i = 0; i < NSHORT; i++) {
		uint64_t ran = atomic_load(&d[i].ran_at);

		CHECK(atomic_load(&d[i].runs) == 1, "item %d ran %d times", i,
		      atomic_load(&d[i].runs));
		CHECK(ran >= queued_at[i] + delay[i],
		      "item %d ran %lld us after queueing, before its %llu us delay", i,
		      (long long)(ran - queued_at[i]) / 1000,
		      (unsigned long long)delay[i] / 1000);
		CHECK(uwq_work_busy(&d[i].dw.work) == 0, "item %d not idle", i);
	}
}

static void test_mod(struct uwq_workqueue *wq)
{
	const uint64_t short_delay = 20 * NSEC_PER_MSEC;
	struct ditem d;
	uint64_t t0;

	PHASE(__func__);
	/* Armed far away, re-armed short: true, runs once after the new delay. */
	ditem_init(&d);
	CHECK(uwq_queue_delayed_work(wq, &d.dw, LONG_DELAY), "arming failed");
	t0 = now_ns();
	CHECK(uwq_mod_delayed_work(wq, &d.dw, short_delay),
	      "mod_delayed_work of an armed item returned false");
	WAIT_UNTIL(atomic_load(&d.runs) == 1, "re-armed item never ran");
	uwq_flush_work(&d.dw.work);
	CHECK(atomic_load(&d.ran_at) >= t0 + short_delay,
	      "re-armed item ran %lld us after mod, before its delay",
	      (long long)(atomic_load(&d.ran_at) - t0) / 1000);
	CHECK(atomic_load(&d.runs) == 1, "re-armed item ran %d times", atomic_load(&d.runs));
	CHECK(!uwq_work_pending(&d.dw.work), "the long timer is still armed after mod");

	/* Idle: false, and it is armed. */
	ditem_init(&d);
	t0 = now_ns();
	CHECK(!uwq_mod_delayed_work(wq, &d.dw, short_delay),
	      "mod_delayed_work of an idle item returned true");
	WAIT_UNTIL(atomic_load(&d.runs) == 1, "item armed by mod never ran");
	uwq_flush_work(&d.dw.work);
	CHECK(atomic_load(&d.ran_at) >= t0 + short_delay, "item armed by mod ran early");
	CHECK(atomic_load(&d.runs) == 1, "item armed by mod ran %d times", atomic_load(&d.runs));

	/* Armed far away, mod with delay 0: runs now. */
	ditem_init(&d);
	CHECK(uwq_queue_delayed_work(wq, &d.dw, LONG_DELAY), "arming failed");
	CHECK(uwq_mod_delayed_work(wq, &d.dw, 0), "mod_delayed_work(0) of an armed item returned false");
	uwq_flush_work(&d.dw.work);
	CHECK(atomic_load(&d.runs) == 1, "mod to 0 did not queue at once (%d runs after flush_work)",
	      atomic_load(&d.runs));
	CHECK(!uwq_work_pending(&d.dw.work), "pending after mod to 0 ran");

	/* Moved to another queue by mod. */
	ditem_init(&d);
	CHECK(uwq_queue_delayed_work(wq, &d.dw, LONG_DELAY), "arming failed");
	CHECK(uwq_mod_delayed_work(uwq_system_wq, &d.dw, 0), "mod to another queue returned false");
	CHECK(uwq_flush_workqueue(uwq_system_wq) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&d.runs) == 1, "item moved by mod ran %d times", atomic_load(&d.runs));
}

/* An armed item is pending: every queueing is refused, and it runs once. */
static void test_armed_dedupe(struct uwq_workqueue *wq)
{
	struct ditem d;

	PHASE(__func__);
	ditem_init(&d);
	CHECK(uwq_queue_delayed_work(wq, &d.dw, LONG_DELAY), "arming failed");
	CHECK(uwq_work_pending(&d.dw.work), "armed item not pending");
	CHECK(!uwq_queue_delayed_work(wq, &d.dw, LONG_DELAY), "queueing an armed item returned true");
	CHECK(!uwq_queue_delayed_work(wq, &d.dw, 0), "queueing an armed item with delay 0 returned true");
	CHECK(!uwq_queue_delayed_work(uwq_system_wq, &d.dw, 1),
	      "queueing an armed item on another queue returned true");
	CHECK(!uwq_queue_work(wq, &d.dw.work), "queue_work of an armed delayed item returned true");
	CHECK(uwq_flush_delayed_work(&d.dw),
	      "flush_delayed_work of an armed item returned false (runs=%d)", atomic_load(&d.runs));
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	CHECK(uwq_flush_workqueue(uwq_system_wq) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&d.runs) == 1, "armed item queued 5 times ran %d times, want 1",
	      atomic_load(&d.runs));
}

static void test_flush_delayed(struct uwq_workqueue *wq)
{
	struct ditem d;

	PHASE(__func__);
	ditem_init(&d);
	CHECK(!uwq_flush_delayed_work(&d.dw), "flush_delayed_work of an idle item returned true");
	CHECK(uwq_queue_delayed_work(wq, &d.dw, LONG_DELAY), "arming failed");
	/*
	 * The item was armed, not idle, at the call: true. (An implementation
	 * that fires the timer and then asks uwq_flush_work() may see the item
	 * already done and say false - the header's "false if idle" says no.)
	 */
	CHECK(uwq_flush_delayed_work(&d.dw),
	      "flush_delayed_work of an armed item returned false (runs=%d)", atomic_load(&d.runs));
	CHECK(atomic_load(&d.runs) == 1, "flush_delayed_work returned with %d runs",
	      atomic_load(&d.runs));
	CHECK(!uwq_work_pending(&d.dw.work), "still pending after flush_delayed_work");
	CHECK(!uwq_flush_delayed_work(&d.dw), "flush_delayed_work of a done item returned true");
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&d.runs) == 1, "item ran %d times", atomic_load(&d.runs));
}

int main(void)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue("delayed", 0, 0);
	struct uwq_workqueue *uq = uwq_alloc_workqueue("delayed_unbound", UWQ_UNBOUND, 0);

	CHECK(wq && uq, "alloc failed: %s", strerror(errno));

	test_zero_delay(wq);
	test_zero_delay(uq);
	test_short_delays(wq);
	test_short_delays(uq);
	test_armed_dedupe(wq);
	test_mod(wq);
	test_flush_delayed(wq);
	test_flush_delayed(uq);

	uwq_destroy_workqueue(wq);
	uwq_destroy_workqueue(uq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
