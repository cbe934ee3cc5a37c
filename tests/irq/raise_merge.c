/* SPDX-License-Identifier: MIT */
/*
 * Raises the dispatcher has not read yet merge into one event (include/
 * uwq/irq.h uwq_irq_raise(): "Raises the dispatcher has not read yet merge
 * into one event, as an eventfd counter does"; docs/design.md §4;
 * uwq_enable_irq(): "at depth 0 an event that arrived while disabled is
 * delivered"):
 *  - with the line disabled (uwq_disable_irq), 5 raises, then enable:
 *    exactly one primary call, and no more after the dispatcher has been
 *    seen handling another line several times;
 *  - one more raise afterwards gives exactly one more call;
 *  - the same again with a burst of 1000 raises.
 */
#include "irqtest.h"

static atomic_int calls;
static int dev;

static uwq_irqreturn_t merge_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&calls, 1);
	return UWQ_IRQ_HANDLED;
}

static void burst_while_disabled(struct probe *p, int irq, int raises)
{
	int base = atomic_load(&calls);

	uwq_disable_irq(irq);
	for (int i = 0; i < raises; i++)
		CHECK_RC(uwq_irq_raise(irq), "raise while disabled");
	probe_roundtrip(p, 3);
	CHECK(atomic_load(&calls) == base, "%d raises on a disabled line: primary called %d times",
	      raises, atomic_load(&calls) - base);

	uwq_enable_irq(irq);
	WAIT_UNTIL(atomic_load(&calls) >= base + 1, "enable did not deliver the merged event");
	probe_roundtrip(p, 3);
	uwq_synchronize_irq(irq);
	probe_roundtrip(p, 2);
	CHECK(atomic_load(&calls) == base + 1,
	      "%d raises while disabled gave %d primary calls after enable, want 1 (merged)",
	      raises, atomic_load(&calls) - base);

	CHECK_RC(uwq_irq_raise(irq), "raise after enable");
	WAIT_UNTIL(atomic_load(&calls) >= base + 2, "raise after enable was not delivered");
	probe_roundtrip(p, 3);
	CHECK(atomic_load(&calls) == base + 2, "one raise after enable gave %d calls, want 1",
	      atomic_load(&calls) - base - 1);
}

int main(void)
{
	struct probe p;
	int irq;

	probe_init(&p);
	irq = new_eventfd_line();
	CHECK_RC(uwq_request_irq(irq, merge_primary, 0, "merge", &dev), "request_irq");

	/* The line works before the test proper. */
	CHECK_RC(uwq_irq_raise(irq), "raise");
	WAIT_UNTIL(atomic_load(&calls) == 1, "first raise not delivered");

	PHASE("5 raises while disabled");
	burst_while_disabled(&p, irq, 5);
	PHASE("1000 raises while disabled");
	burst_while_disabled(&p, irq, 1000);

	PHASE("teardown");
	CHECK(uwq_free_irq(irq, &dev) != NULL, "free_irq returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
