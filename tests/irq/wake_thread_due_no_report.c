/* SPDX-License-Identifier: MIT */
/*
 * A primary that returns UWQ_IRQ_WAKE_THREAD while its thread is already
 * due folds into the thread's next run, silently (include/uwq/irq.h:
 * "waking a thread that is already due to run coalesces into one run");
 * only an action with no thread function gets the report:
 *  - a non-oneshot line whose thread handler is held on a gate: the
 *    second event marks the thread again, the third finds it marked; no
 *    "uwq: " line is printed, and the thread runs once more after the gate
 *    opens (two runs in all);
 *  - an action with no thread function whose primary returns
 *    UWQ_IRQ_WAKE_THREAD: exactly one report over several events, saying
 *    it has no thread function and what to return instead.
 * Before the fix the third event printed "has no thread function" for an
 * action that has one.
 */
#include "irqtest.h"

static atomic_int prim_calls, started, gate, runs, lone_calls;
static int dev, lone_dev;

static uwq_irqreturn_t wake_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&prim_calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t held_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&started, 1);
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	atomic_fetch_add(&runs, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t lone_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&lone_calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static void raise_and_wait(int irq, atomic_int *calls)
{
	int before = atomic_load(calls);

	CHECK_RC(uwq_irq_raise(irq), "raise");
	WAIT_UNTIL(atomic_load(calls) > before, "line %d: the primary did not run (%d calls)", irq,
		   atomic_load(calls));
}

int main(void)
{
	int irq, lone, lines;
	char *err;

	if (getenv("UWQ_THREADIRQS") && getenv("UWQ_THREADIRQS")[0] == '1')
		SKIP("UWQ_THREADIRQS=1 makes every action oneshot and threaded: neither case can arise");
	irq = new_eventfd_line();
	lone = new_eventfd_line();
	PHASE("thread already due");
	CHECK_RC(uwq_request_threaded_irq(irq, wake_primary, held_thread, 0, "due", &dev), "request");
	raise_and_wait(irq, &prim_calls);
	WAIT_UNTIL(atomic_load(&started) == 1, "the thread handler did not start");
	capture_stderr_begin();
	raise_and_wait(irq, &prim_calls);	/* marks the running thread again */
	raise_and_wait(irq, &prim_calls);	/* finds it marked */
	err = capture_stderr_end();
	lines = count_lines_starting(err, "uwq: ");
	CHECK(lines == 0, "waking a thread already due printed %d \"uwq: \" lines:\n%s", lines, err);
	free(err);
	atomic_store(&gate, 1);
	WAIT_UNTIL(atomic_load(&runs) == 2, "thread runs %d, want 2 (one, and one for the folded wakes)",
		   atomic_load(&runs));
	uwq_synchronize_irq(irq);
	CHECK(atomic_load(&runs) == 2, "thread runs %d after the line went quiet, want 2", atomic_load(&runs));

	PHASE("no thread function");
	CHECK_RC(uwq_request_irq(lone, lone_primary, 0, "lone", &lone_dev), "request(lone)");
	capture_stderr_begin();
	for (int i = 0; i < 3; i++)
		raise_and_wait(lone, &lone_calls);
	uwq_synchronize_irq(lone);
	err = capture_stderr_end();
	lines = count_lines_starting(err, "uwq: ");
	CHECK(lines == 1, "%d \"uwq: \" lines for a WAKE_THREAD without a thread function, want one:\n%s", lines,
	      err);
	CHECK(strstr(err, "\"lone\"") && strstr(err, "no thread function") && strstr(err, "UWQ_IRQ_HANDLED"),
	      "the report does not name the action, the cause and the fix:\n%s", err);
	free(err);

	CHECK(uwq_free_irq(irq, &dev) != NULL, "free");
	CHECK(uwq_free_irq(lone, &lone_dev) != NULL, "free(lone)");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
	CHECK_RC(uwq_irq_destroy(lone), "destroy(lone)");
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
