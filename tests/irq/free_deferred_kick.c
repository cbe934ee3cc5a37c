/* SPDX-License-Identifier: MIT */
/*
 * uwq_free_irq() while the dispatcher still holds a deferred wake-up of the
 * action's thread (src/irq/dispatch.c: thread wake-ups are sent at the end
 * of the dispatcher's batch; include/uwq/irq.h uwq_free_irq(): "waits for
 * its handlers to finish and stops its thread"; as the kernel's free_irq()
 * in kernel/irq/manage.c, it waits for the handlers in flight, the thread's
 * pending run included, since synchronize_irq() waits for threads_active):
 *  - the dispatcher is held in line C's primary while A and B are raised,
 *    so A's and B's events come in one batch; A's primary asks for its
 *    thread (deferred), then B's primary holds the batch open;
 *  - meanwhile uwq_free_irq(A's action) is called in a helper: it must not
 *    return while B's primary holds the batch (the wake-up is still due);
 *  - when it returns: the result is the name given at request, A's thread
 *    ran exactly once (the wake-up was delivered, before the thread
 *    stopped), and no thread of A's action is left;
 *  - under ASan, the wake-up never touches the freed action.
 * If the batch came in the other order (B before A), the round is
 * repeated; the order is recorded, not assumed.
 */
#include "irqtest.h"

static atomic_int c_hold, c_in, a_primaries, a_runs, b_in, b_saw_a, b_release;
static const char name_a[] = "kick_a";

static uwq_irqreturn_t c_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_store(&c_in, 1);
	GATE_WAIT(!atomic_load(&c_hold), "C's gate never opened");
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t a_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&a_primaries, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t a_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&a_runs, 1);
	return UWQ_IRQ_HANDLED;
}

/* Holds the batch open until the free is seen waiting (or told to go). */
static uwq_irqreturn_t b_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_store(&b_saw_a, atomic_load(&a_primaries));
	atomic_store(&b_in, 1);
	if (atomic_load(&b_saw_a))
		GATE_WAIT(atomic_load(&b_release), "B was never released");
	return UWQ_IRQ_HANDLED;
}

int main(void)
{
	char tname[IRQ_COMM_LEN];
	int round;

	for (round = 0; round < 20; round++) {
		int a = new_eventfd_line(), b = new_eventfd_line(), c = new_eventfd_line();
		struct caller fr;

		atomic_store(&c_hold, 1);
		atomic_store(&c_in, 0);
		atomic_store(&a_primaries, 0);
		atomic_store(&a_runs, 0);
		atomic_store(&b_in, 0);
		atomic_store(&b_release, 0);
		CHECK_RC(uwq_request_threaded_irq(a, a_primary, a_thread, 0, name_a, NULL), "request A");
		CHECK_RC(uwq_request_irq(b, b_primary, 0, "kick_b", NULL), "request B");
		CHECK_RC(uwq_request_irq(c, c_primary, 0, "kick_c", NULL), "request C");
		irq_thread_name(tname, a, name_a);

		PHASE("hold the dispatcher in C's primary; raise A, then B");
		CHECK_RC(uwq_irq_raise(c), "raise C");
		WAIT_UNTIL(atomic_load(&c_in), "C's primary never ran");
		CHECK_RC(uwq_irq_raise(a), "raise A");
		CHECK_RC(uwq_irq_raise(b), "raise B");
		atomic_store(&c_hold, 0);
		WAIT_UNTIL(atomic_load(&b_in), "B's primary never ran");

		if (!atomic_load(&b_saw_a)) {
			NOTE("round %d: B's event came before A's in the batch; again", round);
			WAIT_UNTIL(atomic_load(&a_runs) == 1, "A's thread never ran");
			CHECK(uwq_free_irq(a, NULL) == name_a, "free A");
		} else {
			PHASE("free A's action while its thread's wake-up is still due");
			/* Not asserted: A's thread may already have run. RUNTHREAD is
			 * marked at once (as the kernel does); a thread still starting
			 * or awake sees it without the wake-up. The wake-up is due
			 * all the same, and free must wait for it. */
			caller_start(&fr, CALL_FREE, a, NULL, &a_runs);
			caller_expect_waiting(&fr, "uwq_free_irq");
			atomic_store(&b_release, 1);
			caller_finish(&fr, "uwq_free_irq");
			CHECK(atomic_load(&fr.name) == name_a, "uwq_free_irq returned %p, not the name given (%p)",
			      (const void *)atomic_load(&fr.name), (const void *)name_a);
			CHECK(atomic_load(&fr.watch_at_return) == 1,
			      "A's thread ran %d times by the time free returned, want 1 (the due wake-up)",
			      atomic_load(&fr.watch_at_return));
			/* Joined; /proc may show an exited thread a moment longer. */
			WAIT_UNTIL(count_tasks_named(tname) == 0, "a thread named %s is left after free", tname);
		}
		CHECK(uwq_free_irq(b, NULL) && uwq_free_irq(c, NULL), "free B and C");
		CHECK_RC(uwq_irq_destroy(a), "destroy A");
		CHECK_RC(uwq_irq_destroy(b), "destroy B");
		CHECK_RC(uwq_irq_destroy(c), "destroy C");
		if (atomic_load(&b_saw_a))
			break;
	}
	CHECK(round < 20, "A's event never came before B's in 20 rounds");
	CHECK(atomic_load(&a_runs) == 1, "A's thread ran %d times after free, want 1", atomic_load(&a_runs));
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}
