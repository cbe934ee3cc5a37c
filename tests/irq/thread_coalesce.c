/* SPDX-License-Identifier: MIT */
/*
 * Wakes of a thread that is already due to run coalesce into one run
 * (include/uwq/irq.h "waking a thread that is already due to run coalesces
 * into one run: a thread handler must handle everything outstanding";
 * docs/design.md §4: wakes coalesce into one more run, as in the kernel's
 * __irq_wake_thread() in kernel/irq/handle.c, which test-and-sets RUNTHREAD
 * and returns if it was already set):
 *  - on a non-oneshot line, the thread handler blocks on a gate in its
 *    first run; meanwhile K raises are each delivered (the primary count
 *    reaches K+1, each returning WAKE_THREAD);
 *  - when the gate opens, the thread runs exactly once more: 2 runs in all,
 *    checked after uwq_synchronize_irq() and dispatcher round trips;
 *  - a raise after that gives exactly one more run.
 */
#include "irqtest.h"

#define K	10

static atomic_int primary_calls;
static atomic_int runs;
static atomic_int running;
static atomic_int overlap;
static atomic_int gate;
static int dev;

static uwq_irqreturn_t coalesce_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&primary_calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t coalesce_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	if (atomic_fetch_add(&running, 1) != 0)
		atomic_fetch_add(&overlap, 1);
	if (atomic_fetch_add(&runs, 1) == 0)
		GATE_WAIT(atomic_load(&gate), "gate never opened");
	atomic_fetch_sub(&running, 1);
	return UWQ_IRQ_HANDLED;
}

int main(void)
{
	struct probe p;
	int irq;

	probe_init(&p);
	irq = new_eventfd_line();
	CHECK_RC(uwq_request_threaded_irq(irq, coalesce_primary, coalesce_thread, 0, "coalesce",
					  &dev), "request_threaded_irq");

	PHASE("first run, held");
	CHECK_RC(uwq_irq_raise(irq), "raise");
	WAIT_UNTIL(atomic_load(&runs) == 1, "thread handler did not start (primary %d)",
		   atomic_load(&primary_calls));

	PHASE("raising while the thread is held");
	for (int i = 1; i <= K; i++) {
		CHECK_RC(uwq_irq_raise(irq), "raise");
		WAIT_UNTIL(atomic_load(&primary_calls) >= 1 + i,
			   "raise %d while the thread runs: primary called %d times (non-oneshot "
			   "line must stay unmasked)", i, atomic_load(&primary_calls));
	}
	probe_roundtrip(&p, 2);
	CHECK(atomic_load(&primary_calls) == K + 1, "primary called %d times, want %d",
	      atomic_load(&primary_calls), K + 1);
	CHECK(atomic_load(&runs) == 1, "thread ran again while its first run was held (%d runs)",
	      atomic_load(&runs));

	PHASE("gate open");
	atomic_store(&gate, 1);
	WAIT_UNTIL(atomic_load(&runs) >= 2, "the %d wakes during the first run gave no second run",
		   K);
	uwq_synchronize_irq(irq);
	probe_roundtrip(&p, 3);
	uwq_synchronize_irq(irq);
	CHECK(atomic_load(&runs) == 2, "%d wakes during one run gave %d more runs, want 1 "
	      "(RUNTHREAD coalescing)", K, atomic_load(&runs) - 1);

	PHASE("one more raise");
	CHECK_RC(uwq_irq_raise(irq), "raise");
	WAIT_UNTIL(atomic_load(&runs) >= 3, "raise after coalescing did not run the thread");
	uwq_synchronize_irq(irq);
	probe_roundtrip(&p, 2);
	CHECK(atomic_load(&runs) == 3, "one raise gave %d runs", atomic_load(&runs) - 2);
	CHECK(atomic_load(&overlap) == 0, "the thread handler ran concurrently with itself");

	PHASE("teardown");
	CHECK(uwq_free_irq(irq, &dev) != NULL, "free_irq returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
