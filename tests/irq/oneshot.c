/* SPDX-License-Identifier: MIT */
/*
 * UWQ_IRQF_ONESHOT keeps the line masked until the woken thread handler has
 * returned (include/uwq/irq.h "UWQ_IRQF_ONESHOT keeps the line masked until
 * every woken thread handler has returned"; docs/design.md §4; as in the
 * kernel's kernel/irq/chip.c cond_unmask_irq() and kernel/irq/manage.c
 * irq_finalize_oneshot(), the line stays masked from the hard interrupt until
 * the last woken thread of the line has returned):
 *  - while the thread handler is held on a gate, raises do not reach the
 *    primary: its count stays 1 although the dispatcher is seen delivering
 *    another line several times;
 *  - once the gate opens and the thread returns, the event that arrived
 *    while masked is delivered: the primary runs a second time (once: the
 *    raises merged), and its wake gives a second thread run;
 *  - the same with the default primary (NULL handler): the thread does not
 *    run again while held, and the masked event gives one more run after.
 */
#include "irqtest.h"

#define RAISES	5

struct oneshot {
	int		irq;
	atomic_int	primary_calls;
	atomic_int	runs;
	atomic_int	gate;
	atomic_int	done;	/* runs finished */
};

static uwq_irqreturn_t oneshot_primary(int irq, void *dev_id)
{
	struct oneshot *o = dev_id;

	(void)irq;
	atomic_fetch_add(&o->primary_calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t oneshot_thread(int irq, void *dev_id)
{
	struct oneshot *o = dev_id;

	(void)irq;
	if (atomic_fetch_add(&o->runs, 1) == 0)
		GATE_WAIT(atomic_load(&o->gate), "gate never opened");
	atomic_fetch_add(&o->done, 1);
	return UWQ_IRQ_HANDLED;
}

static void run(struct probe *p, struct oneshot *o, uwq_irq_handler_t primary, const char *name)
{
	o->irq = new_eventfd_line();
	CHECK_RC(uwq_request_threaded_irq(o->irq, primary, oneshot_thread, UWQ_IRQF_ONESHOT, name,
					  o), "request_threaded_irq");

	CHECK_RC(uwq_irq_raise(o->irq), "raise");
	WAIT_UNTIL(atomic_load(&o->runs) == 1, "%s: thread handler did not start", name);

	for (int i = 0; i < RAISES; i++) {
		CHECK_RC(uwq_irq_raise(o->irq), "raise while masked");
		probe_roundtrip(p, 1);
	}
	probe_roundtrip(p, 3);
	if (primary)
		CHECK(atomic_load(&o->primary_calls) == 1,
		      "%s: primary called %d times while the oneshot thread ran, want 1 (masked)",
		      name, atomic_load(&o->primary_calls));
	CHECK(atomic_load(&o->runs) == 1, "%s: thread ran again while held (%d runs)", name,
	      atomic_load(&o->runs));

	atomic_store(&o->gate, 1);
	if (primary)
		WAIT_UNTIL(atomic_load(&o->primary_calls) >= 2,
			   "%s: the event that arrived while masked was not delivered after the "
			   "thread returned (primary %d)", name, atomic_load(&o->primary_calls));
	WAIT_UNTIL(atomic_load(&o->runs) >= 2 && atomic_load(&o->done) >= 2,
		   "%s: no second thread run after unmask (%d runs, %d done)", name,
		   atomic_load(&o->runs), atomic_load(&o->done));
	uwq_synchronize_irq(o->irq);
	probe_roundtrip(p, 3);
	uwq_synchronize_irq(o->irq);
	if (primary)
		CHECK(atomic_load(&o->primary_calls) == 2,
		      "%s: %d merged raises while masked gave %d primary calls, want 1", name,
		      RAISES, atomic_load(&o->primary_calls) - 1);
	CHECK(atomic_load(&o->runs) == 2, "%s: %d thread runs, want 2", name,
	      atomic_load(&o->runs));

	/* The line is unmasked again: a raise gets through. */
	CHECK_RC(uwq_irq_raise(o->irq), "raise after unmask");
	WAIT_UNTIL(atomic_load(&o->done) >= 3, "%s: line stayed masked after the thread returned",
		   name);

	CHECK(uwq_free_irq(o->irq, o) != NULL, "free_irq returned NULL");
	CHECK_RC(uwq_irq_destroy(o->irq), "destroy");
}

int main(void)
{
	static struct oneshot with_primary, default_primary;
	struct probe p;

	probe_init(&p);
	PHASE("oneshot with a primary");
	run(&p, &with_primary, oneshot_primary, "oneshot");
	PHASE("oneshot with the default primary");
	run(&p, &default_primary, NULL, "oneshot_dflt");
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
