/* SPDX-License-Identifier: MIT */
/*
 * disable/enable nest by depth, disable_irq waits for running handlers,
 * enable replays an event that arrived while disabled (include/uwq/irq.h
 * uwq_disable_irq_nosync(), uwq_disable_irq(), uwq_enable_irq(); as the
 * kernel's disable_irq()/enable_irq() in kernel/irq/manage.c, with the
 * PENDING/REPLAY resend of kernel/irq/resend.c check_irq_resend()):
 *  - disable twice, enable once: a raise is not delivered; enable again:
 *    delivered exactly once;
 *  - uwq_disable_irq() called while the thread handler is held on a gate
 *    does not return until the handler returned (the handler's "done" flag
 *    is set when the call returns); the line is then disabled;
 *  - uwq_disable_irq_nosync() returns while the thread handler still runs;
 *  - an unbalanced enable (depth 0) writes exactly one "uwq: " warning, a
 *    second one none ("warns once per line"), and does not break the line:
 *    depth stays 0 (a raise is delivered, one disable stops delivery, one
 *    enable replays the event once).
 */
#include "irqtest.h"

static int dev;

/* --- a counting primary ----------------------------------------------- */

static atomic_int calls;

static uwq_irqreturn_t count_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&calls, 1);
	return UWQ_IRQ_HANDLED;
}

/* Raise @irq and expect no delivery, while the dispatcher is seen working. */
static void expect_not_delivered(struct probe *p, int irq, const char *what)
{
	int before = atomic_load(&calls);

	CHECK_RC(uwq_irq_raise(irq), "raise");
	probe_roundtrip(p, 3);
	CHECK(atomic_load(&calls) == before, "%s: raise was delivered (%d calls)", what,
	      atomic_load(&calls) - before);
}

/* Enable @irq and expect exactly one delivery of the event kept while disabled. */
static void expect_replayed_once(struct probe *p, int irq, const char *what)
{
	int before = atomic_load(&calls);

	uwq_enable_irq(irq);
	WAIT_UNTIL(atomic_load(&calls) >= before + 1,
		   "%s: enable did not deliver the event that arrived while disabled", what);
	probe_roundtrip(p, 3);
	CHECK(atomic_load(&calls) == before + 1, "%s: the kept event was delivered %d times", what,
	      atomic_load(&calls) - before);
}

static void expect_delivered(struct probe *p, int irq, const char *what)
{
	int before = atomic_load(&calls);

	CHECK_RC(uwq_irq_raise(irq), "raise");
	WAIT_UNTIL(atomic_load(&calls) >= before + 1, "%s: raise not delivered", what);
	probe_roundtrip(p, 2);
	CHECK(atomic_load(&calls) == before + 1, "%s: one raise gave %d calls", what,
	      atomic_load(&calls) - before);
}

static void test_nesting(struct probe *p)
{
	int irq = new_eventfd_line();

	PHASE(__func__);
	CHECK_RC(uwq_request_irq(irq, count_primary, 0, "nest", &dev), "request_irq");
	expect_delivered(p, irq, "enabled line");

	uwq_disable_irq(irq);
	uwq_disable_irq(irq);
	expect_not_delivered(p, irq, "depth 2");
	uwq_enable_irq(irq);
	expect_not_delivered(p, irq, "depth 1 after disable, disable, enable");
	expect_replayed_once(p, irq, "depth 2 -> 0");
	expect_delivered(p, irq, "after the replay");

	/* nosync nests with the sync kind */
	uwq_disable_irq_nosync(irq);
	uwq_disable_irq(irq);
	uwq_enable_irq(irq);
	expect_not_delivered(p, irq, "nosync + disable, one enable");
	expect_replayed_once(p, irq, "nosync + disable, two enables");

	CHECK(uwq_free_irq(irq, &dev) != NULL, "free returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
}

/* --- a thread handler held on a gate ------------------------------------ */

static atomic_int t_started, t_done, t_gate, t_primary;

static uwq_irqreturn_t wake_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&t_primary, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t held_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&t_started, 1);
	GATE_WAIT(atomic_load(&t_gate), "gate never opened");
	atomic_fetch_add(&t_done, 1);
	return UWQ_IRQ_HANDLED;
}

static void hold_thread(int irq)
{
	int started = atomic_load(&t_started);

	atomic_store(&t_gate, 0);
	CHECK_RC(uwq_irq_raise(irq), "raise");
	WAIT_UNTIL(atomic_load(&t_started) == started + 1, "thread handler did not start");
}

static void test_disable_waits(struct probe *p)
{
	int irq = new_eventfd_line();
	struct caller c;
	int done, primary;

	PHASE(__func__);
	CHECK_RC(uwq_request_threaded_irq(irq, wake_primary, held_thread, 0, "dis_wait", &dev),
		 "request_threaded_irq");

	/* disable_irq waits for the thread handler. */
	hold_thread(irq);
	done = atomic_load(&t_done);
	caller_start(&c, CALL_DISABLE, irq, NULL, &t_done);
	caller_expect_waiting(&c, "uwq_disable_irq");
	probe_roundtrip(p, 3);
	CHECK(!atomic_load(&c.returned),
	      "uwq_disable_irq returned while the thread handler was still running");
	atomic_store(&t_gate, 1);
	caller_finish(&c, "uwq_disable_irq");
	CHECK(atomic_load(&c.watch_at_return) == done + 1,
	      "uwq_disable_irq returned before the thread handler had returned");

	/* The line is now disabled: a raise is kept, enable delivers it. */
	primary = atomic_load(&t_primary);
	CHECK_RC(uwq_irq_raise(irq), "raise while disabled");
	probe_roundtrip(p, 3);
	CHECK(atomic_load(&t_primary) == primary, "raise after uwq_disable_irq was delivered");
	atomic_store(&t_gate, 1);	/* the replayed run need not be held */
	uwq_enable_irq(irq);
	WAIT_UNTIL(atomic_load(&t_primary) == primary + 1 && atomic_load(&t_done) == done + 2,
		   "enable after disable_irq did not deliver the kept event (primary %d, done %d)",
		   atomic_load(&t_primary) - primary, atomic_load(&t_done) - done);

	/* disable_irq_nosync does not wait. */
	PHASE("disable_irq_nosync");
	hold_thread(irq);
	done = atomic_load(&t_done);
	caller_start(&c, CALL_DISABLE_NOSYNC, irq, NULL, &t_done);
	caller_finish(&c, "uwq_disable_irq_nosync (it must not wait for the thread handler)");
	CHECK(atomic_load(&c.watch_at_return) == done,
	      "thread handler finished before disable_irq_nosync returned? (gate was closed)");
	CHECK(atomic_load(&t_done) == done, "thread handler returned with its gate closed");
	atomic_store(&t_gate, 1);
	WAIT_UNTIL(atomic_load(&t_done) == done + 1, "thread handler did not finish");
	uwq_synchronize_irq(irq);
	uwq_enable_irq(irq);

	CHECK(uwq_free_irq(irq, &dev) != NULL, "free returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
}

/* --- unbalanced enable --------------------------------------------------- */

static void test_unbalanced(struct probe *p)
{
	int irq = new_eventfd_line();
	char *err;
	int lines;

	PHASE(__func__);
	CHECK_RC(uwq_request_irq(irq, count_primary, 0, "unbal", &dev), "request_irq");

	capture_stderr_begin();
	uwq_enable_irq(irq);
	err = capture_stderr_end();
	lines = count_lines_starting(err, "uwq: ");
	CHECK(lines == 1, "unbalanced enable: %d \"uwq: \" lines, want exactly one warning", lines);
	free(err);

	capture_stderr_begin();
	uwq_enable_irq(irq);
	err = capture_stderr_end();
	lines = count_lines_starting(err, "uwq: ");
	CHECK(lines == 0, "second unbalanced enable on the line: %d \"uwq: \" lines, want none "
	      "(irq.h: \"warns once per line\")", lines);
	free(err);

	/* Depth stayed 0: one disable masks, one enable unmasks. */
	expect_delivered(p, irq, "after unbalanced enables");
	uwq_disable_irq(irq);
	expect_not_delivered(p, irq, "one disable after unbalanced enables (depth went negative?)");
	expect_replayed_once(p, irq, "enable after unbalanced enables");
	expect_delivered(p, irq, "after the replay");

	CHECK(uwq_free_irq(irq, &dev) != NULL, "free returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
}

int main(void)
{
	struct probe p;

	probe_init(&p);
	test_nesting(&p);
	test_disable_waits(&p);
	test_unbalanced(&p);
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
