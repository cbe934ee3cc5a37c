// SPDX-License-Identifier: MIT
/*
 * Reproducer (found by models/irq_oneshot.pml -DWITH_DISABLE): uwq_enable_irq()
 * unmasks a ONESHOT line while its primary handlers run, before they wake
 * the thread handler; the next event then runs the primary again while the
 * thread handler is still running.
 *
 * Contract (include/uwq/irq.h; docs/design.md §4): "UWQ_IRQF_ONESHOT keeps
 * the line masked until every woken thread handler has returned."
 *
 * The window (src/irq): handle_event() masks the oneshot line, sets
 * inprogress and runs the primaries without desc->lock; threads_oneshot is
 * still 0 until a primary returns WAKE_THREAD. uwq_enable_irq() at depth
 * 1 -> 0 unmasks when `desc->actions && !desc->threads_oneshot`, without
 * looking at inprogress (finalize_oneshot() waits for it; enable does not).
 *
 * Steps: one eventfd line, ONESHOT, primary P (holds the dispatcher until
 * released, then returns WAKE_THREAD) and thread handler T (held by a
 * gate). Raise; while P runs: uwq_disable_irq_nosync() + uwq_enable_irq();
 * release P; once T runs, raise again and give the dispatcher a moment
 * (200 ms, not asserted) before opening T's gate. Correct: the second
 * primary runs only after T returned (the kept event is delivered at the
 * unmask). Bug: it runs while T is still inside. Exit 1 if seen, else 0.
 */
#include <uwq/irq.h>
#include <uwq/workqueue.h>

#include "util.h"

static atomic_int primaries, primary_in, primary_release;
static atomic_int thread_in, thread_gate, thread_runs;
static atomic_int overlap;

static uwq_irqreturn_t primary(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	if (atomic_fetch_add(&primaries, 1) == 0) {
		atomic_store(&primary_in, 1);
		GATE_WAIT(atomic_load(&primary_release), "primary never released");
	}
	if (atomic_load(&thread_in))
		atomic_store(&overlap, 1);	/* the line was not masked */
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t thread_fn(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_store(&thread_in, 1);
	if (atomic_load(&thread_runs) == 0)
		GATE_WAIT(atomic_load(&thread_gate), "thread gate never opened");
	atomic_store(&thread_in, 0);
	atomic_fetch_add(&thread_runs, 1);
	return UWQ_IRQ_HANDLED;
}

int main(void)
{
	static int dev;
	int irq = uwq_irq_create_eventfd();
	uint64_t until;

	CHECK(irq > 0, "uwq_irq_create_eventfd: %d", irq);
	CHECK(uwq_request_threaded_irq(irq, primary, thread_fn, UWQ_IRQF_ONESHOT, "repro", &dev) == 0,
	      "request failed");

	PHASE("first event: hold the primary");
	CHECK(uwq_irq_raise(irq) == 0, "raise");
	WAIT_UNTIL(atomic_load(&primary_in), "primary never ran");
	uwq_disable_irq_nosync(irq);
	uwq_enable_irq(irq);		/* depth 1 -> 0 while the primary runs */
	atomic_store(&primary_release, 1);
	WAIT_UNTIL(atomic_load(&thread_in), "thread handler never ran");

	PHASE("second event while the thread handler runs");
	CHECK(uwq_irq_raise(irq) == 0, "raise");
	until = now_ns() + 200 * NSEC_PER_MSEC;	/* a chance for the bug, not a verdict */
	while (now_ns() < until && !atomic_load(&overlap)) {
		struct timespec ts = { 0, 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	atomic_store(&thread_gate, 1);
	WAIT_UNTIL(atomic_load(&primaries) >= 2, "the second event was never delivered");
	WAIT_UNTIL(atomic_load(&thread_runs) >= 2, "thread ran %d times", atomic_load(&thread_runs));
	if (atomic_load(&overlap))
		FAIL("BUG: a primary ran while the oneshot thread handler was running: "
		     "uwq_enable_irq() unmasked the line while its primaries were in progress");
	CHECK(uwq_free_irq(irq, &dev) != NULL, "free_irq");
	CHECK(uwq_irq_destroy(irq) == 0, "destroy");
	NOTE("the line stayed masked until the thread handler returned");
	return TEST_PASS;
}
