/* SPDX-License-Identifier: MIT */
/*
 * UWQ_IRQF_COND_ONESHOT takes ONESHOT from a shared line's actions
 * (include/uwq/irq.h: "a request with UWQ_IRQF_COND_ONESHOT agrees with
 * ONESHOT actions by taking it; beside actions without it, or as the
 * line's first action, the flag does nothing"; the kernel's __setup_irq()
 * in kernel/irq/manage.c, since 6.9):
 *  - beside a SHARED | ONESHOT action, a plain SHARED request is -EBUSY
 *    (one report) and a SHARED | COND_ONESHOT one succeeds;
 *  - that action is then ONESHOT: while its thread handler is held, the
 *    line stays masked (its primary runs once, however often the line is
 *    raised, while the dispatcher is seen delivering another line); once
 *    the thread returns, the event kept meanwhile is delivered once;
 *  - a COND_ONESHOT request with the default primary (no handler) is
 *    accepted there, as it is ONESHOT; on a line without ONESHOT actions
 *    it is -EINVAL with one report;
 *  - beside a SHARED action without ONESHOT, SHARED | COND_ONESHOT
 *    succeeds and stays plain: while its thread is held, raises still run
 *    its primary, and a SHARED | ONESHOT request is still -EBUSY;
 *  - as the line's first action COND_ONESHOT does nothing: a plain
 *    SHARED request joins it, a SHARED | ONESHOT one is -EBUSY.
 */
#include "irqtest.h"

struct dev {
	atomic_int	asserted;	/* the device's interrupt status */
	atomic_int	calls;		/* primary calls */
	atomic_int	runs;		/* thread runs started */
	atomic_int	done;		/* thread runs finished */
	atomic_int	gate;		/* the first thread run waits for it */
};

static uwq_irqreturn_t dev_primary(int irq, void *dev_id)
{
	struct dev *d = dev_id;

	(void)irq;
	atomic_fetch_add(&d->calls, 1);
	return atomic_exchange(&d->asserted, 0) ? UWQ_IRQ_WAKE_THREAD : UWQ_IRQ_NONE;
}

static uwq_irqreturn_t dev_thread(int irq, void *dev_id)
{
	struct dev *d = dev_id;

	(void)irq;
	if (atomic_fetch_add(&d->runs, 1) == 0)
		GATE_WAIT(atomic_load(&d->gate), "gate never opened");
	atomic_fetch_add(&d->done, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t plain_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return UWQ_IRQ_HANDLED;
}

/* @expr must fail with -@err and exactly one "uwq: " report. */
#define CHECK_REFUSED(expr, err) do {						\
	char *out_;								\
	int rc_, lines_;							\
										\
	capture_stderr_begin();							\
	rc_ = (expr);								\
	out_ = capture_stderr_end();						\
	lines_ = count_lines_starting(out_, "uwq: ");				\
	free(out_);								\
	CHECK(rc_ == -(err), "%s returned %d, want -%s", #expr, rc_, #err);	\
	CHECK(lines_ == 1, "%s: %d \"uwq: \" lines, want 1", #expr, lines_);	\
} while (0)

/*
 * Assert @d's device, raise @irq, and hold @d's thread: then raise the line
 * 5 more times (asserting again each time). Returns @d's primary calls
 * seen while the thread is held, once the probe line has been delivered
 * after every raise.
 */
static int calls_while_held(struct probe *p, int irq, struct dev *d)
{
	atomic_store(&d->asserted, 1);
	CHECK_RC(uwq_irq_raise(irq), "raise");
	WAIT_UNTIL(atomic_load(&d->runs) == 1, "the thread handler did not start");
	for (int i = 0; i < 5; i++) {
		atomic_store(&d->asserted, 1);
		CHECK_RC(uwq_irq_raise(irq), "raise while the thread is held");
		probe_roundtrip(p, 1);
	}
	probe_roundtrip(p, 3);
	return atomic_load(&d->calls);
}

static void test_beside_oneshot(struct probe *p)
{
	static struct dev a, b;
	static int dflt;
	int irq = new_eventfd_line(), calls;

	PHASE(__func__);
	CHECK_RC(uwq_request_threaded_irq(irq, dev_primary, dev_thread, UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT, "a",
					  &a), "request(a, SHARED | ONESHOT)");
	CHECK_REFUSED(uwq_request_threaded_irq(irq, dev_primary, dev_thread, UWQ_IRQF_SHARED, "b", &b), EBUSY);
	CHECK_RC(uwq_request_threaded_irq(irq, dev_primary, dev_thread, UWQ_IRQF_SHARED | UWQ_IRQF_COND_ONESHOT,
					  "b", &b), "request(b, SHARED | COND_ONESHOT) beside a ONESHOT action");
	CHECK_RC(uwq_request_threaded_irq(irq, NULL, plain_thread, UWQ_IRQF_SHARED | UWQ_IRQF_COND_ONESHOT,
					  "dflt", &dflt), "request(default primary, SHARED | COND_ONESHOT)");
	CHECK(uwq_free_irq(irq, &dflt) != NULL, "free_irq(dflt) returned NULL");

	/* b's device interrupts, a's does not: only b's oneshot bit holds the line. */
	calls = calls_while_held(p, irq, &b);
	CHECK(calls == 1, "b's primary ran %d times while b's thread was held, want 1: the line was not "
	      "kept masked (b is not ONESHOT)", calls);
	CHECK(atomic_load(&b.runs) == 1, "b's thread ran again while held (%d runs)", atomic_load(&b.runs));

	atomic_store(&b.gate, 1);
	WAIT_UNTIL(atomic_load(&b.calls) >= 2 && atomic_load(&b.done) >= 2,
		   "the event kept while masked was not delivered after b's thread returned (%d calls, %d done)",
		   atomic_load(&b.calls), atomic_load(&b.done));
	uwq_synchronize_irq(irq);
	probe_roundtrip(p, 3);
	uwq_synchronize_irq(irq);
	CHECK(atomic_load(&b.calls) == 2 && atomic_load(&b.runs) == 2,
	      "the merged raises gave %d primary calls and %d thread runs, want 2 and 2",
	      atomic_load(&b.calls), atomic_load(&b.runs));
	CHECK(atomic_load(&a.runs) == 0, "a's thread ran although its device never interrupted");

	CHECK(uwq_free_irq(irq, &b) != NULL, "free_irq(b) returned NULL");
	CHECK(uwq_free_irq(irq, &a) != NULL, "free_irq(a) returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
}

static void test_beside_plain(struct probe *p)
{
	static struct dev a, b, c;
	int irq = new_eventfd_line();

	PHASE(__func__);
	CHECK_RC(uwq_request_threaded_irq(irq, dev_primary, dev_thread, UWQ_IRQF_SHARED, "a", &a),
		 "request(a, SHARED)");
	CHECK_RC(uwq_request_threaded_irq(irq, dev_primary, dev_thread, UWQ_IRQF_SHARED | UWQ_IRQF_COND_ONESHOT,
					  "b", &b), "request(b, SHARED | COND_ONESHOT) beside a plain action");
	CHECK_REFUSED(uwq_request_threaded_irq(irq, dev_primary, dev_thread, UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT,
					       "c", &c), EBUSY);
	CHECK_REFUSED(uwq_request_threaded_irq(irq, NULL, plain_thread, UWQ_IRQF_SHARED | UWQ_IRQF_COND_ONESHOT,
					       "c", &c), EINVAL);

	calls_while_held(p, irq, &b);
	WAIT_UNTIL(atomic_load(&b.calls) >= 2, "b's primary ran %d times for 6 raises while its thread was "
		   "held, want more than once: the line was kept masked (b became ONESHOT)", atomic_load(&b.calls));
	atomic_store(&b.gate, 1);
	WAIT_UNTIL(atomic_load(&b.done) >= 2, "b's thread did not run again after the gate opened (%d done)",
		   atomic_load(&b.done));
	uwq_synchronize_irq(irq);

	CHECK(uwq_free_irq(irq, &b) != NULL, "free_irq(b) returned NULL");
	CHECK(uwq_free_irq(irq, &a) != NULL, "free_irq(a) returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
}

static void test_first(void)
{
	static struct dev a, b, c;
	int irq = new_eventfd_line();

	PHASE(__func__);
	CHECK_RC(uwq_request_threaded_irq(irq, dev_primary, dev_thread, UWQ_IRQF_SHARED | UWQ_IRQF_COND_ONESHOT,
					  "a", &a), "request(a, SHARED | COND_ONESHOT) first");
	CHECK_REFUSED(uwq_request_threaded_irq(irq, dev_primary, dev_thread, UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT,
					       "b", &b), EBUSY);
	CHECK_RC(uwq_request_threaded_irq(irq, dev_primary, dev_thread, UWQ_IRQF_SHARED, "c", &c),
		 "request(c, SHARED) after a first COND_ONESHOT action");
	CHECK(uwq_free_irq(irq, &c) != NULL, "free_irq(c) returned NULL");
	CHECK(uwq_free_irq(irq, &a) != NULL, "free_irq(a) returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
}

int main(void)
{
	struct probe p;

	probe_init(&p);
	test_beside_oneshot(&p);
	test_beside_plain(&p);
	test_first();
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
