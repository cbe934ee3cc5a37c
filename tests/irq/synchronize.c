/* SPDX-License-Identifier: MIT */
/*
 * uwq_synchronize_irq() waits until no handler of the line runs, primary
 * and thread handlers both (include/uwq/irq.h "wait until no handler of
 * @irq runs, threads included"; as the kernel's synchronize_irq() in
 * kernel/irq/manage.c, which waits for both handler kinds):
 *  - on an idle line (no handler running, with and without a thread
 *    handler) it returns;
 *  - while a primary is stalled on a gate (a test may stall a primary
 *    briefly), it does not return; when it returns the primary has
 *    returned;
 *  - while a thread handler is held on a gate, likewise; when it returns
 *    the thread handler has returned.
 */
#include "irqtest.h"

static int dev_p, dev_thr;

static atomic_int p_started, p_done, p_gate;

static uwq_irqreturn_t stalled_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&p_started, 1);
	GATE_WAIT(atomic_load(&p_gate), "primary gate never opened");
	atomic_fetch_add(&p_done, 1);
	return UWQ_IRQ_HANDLED;
}

static atomic_int t_started, t_done, t_gate;

static uwq_irqreturn_t wake_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t held_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&t_started, 1);
	GATE_WAIT(atomic_load(&t_gate), "thread gate never opened");
	atomic_fetch_add(&t_done, 1);
	return UWQ_IRQ_HANDLED;
}

static void sync_idle(int irq, const char *what)
{
	struct caller c;

	caller_start(&c, CALL_SYNCHRONIZE, irq, NULL, NULL);
	caller_finish(&c, what);
}

int main(void)
{
	struct probe p;
	struct caller c;
	int pl, tl;

	probe_init(&p);
	pl = new_eventfd_line();
	tl = new_eventfd_line();
	CHECK_RC(uwq_request_irq(pl, stalled_primary, 0, "sync_p", &dev_p), "request_irq");
	CHECK_RC(uwq_request_threaded_irq(tl, wake_primary, held_thread, 0, "sync_t", &dev_thr),
		 "request_threaded_irq");

	PHASE("idle lines");
	sync_idle(pl, "uwq_synchronize_irq on an idle line");
	sync_idle(tl, "uwq_synchronize_irq on an idle threaded line");
	sync_idle(p.irq, "uwq_synchronize_irq on the probe line");
	{
		int empty = new_eventfd_line();

		sync_idle(empty, "uwq_synchronize_irq on a line without actions");
		CHECK_RC(uwq_irq_destroy(empty), "destroy");
	}

	PHASE("stalled primary");
	CHECK_RC(uwq_irq_raise(pl), "raise");
	WAIT_UNTIL(atomic_load(&p_started) == 1, "primary did not start");
	caller_start(&c, CALL_SYNCHRONIZE, pl, NULL, &p_done);
	caller_expect_waiting(&c, "uwq_synchronize_irq (primary running)");
	atomic_store(&p_gate, 1);
	caller_finish(&c, "uwq_synchronize_irq (primary running)");
	CHECK(atomic_load(&c.watch_at_return) == 1,
	      "uwq_synchronize_irq returned before the running primary returned");
	probe_roundtrip(&p, 2);		/* the dispatcher runs again */

	PHASE("held thread handler");
	CHECK_RC(uwq_irq_raise(tl), "raise");
	WAIT_UNTIL(atomic_load(&t_started) == 1, "thread handler did not start");
	caller_start(&c, CALL_SYNCHRONIZE, tl, NULL, &t_done);
	caller_expect_waiting(&c, "uwq_synchronize_irq (thread handler running)");
	probe_roundtrip(&p, 3);
	CHECK(!atomic_load(&c.returned),
	      "uwq_synchronize_irq returned while the thread handler was running");
	atomic_store(&t_gate, 1);
	caller_finish(&c, "uwq_synchronize_irq (thread handler running)");
	CHECK(atomic_load(&c.watch_at_return) == 1,
	      "uwq_synchronize_irq returned before the thread handler returned");

	PHASE("idle again");
	sync_idle(tl, "uwq_synchronize_irq after the handler returned");
	uwq_synchronize_irq(pl);

	PHASE("teardown");
	CHECK(uwq_free_irq(pl, &dev_p) != NULL, "free returned NULL");
	CHECK(uwq_free_irq(tl, &dev_thr) != NULL, "free returned NULL");
	CHECK_RC(uwq_irq_destroy(pl), "destroy");
	CHECK_RC(uwq_irq_destroy(tl), "destroy");
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
