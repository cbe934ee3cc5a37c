/* SPDX-License-Identifier: MIT */
/*
 * uwq_free_irq() waits for the action's running handlers and stops its
 * thread (include/uwq/irq.h uwq_free_irq(): "waits for its handlers to
 * finish and stops its thread. Return: the name given at request";
 * free_irq waits, stops the action's thread and returns its name, as the
 * kernel's free_irq() in kernel/irq/manage.c does, its thread leaving
 * through the normal exit path):
 *  - with the thread handler held on a gate, uwq_free_irq() in a helper
 *    thread does not return while the gate is closed; when it returns the
 *    handler has returned, and the result is the very name pointer given
 *    at request;
 *  - when it returns, no thread named "irq/<n>-..." is left (scanning
 *    /proc/self/task/x/comm), and the line can be destroyed;
 *  - freeing an idle threaded action also removes its thread at once, and
 *    a shared line's other action keeps its own thread and keeps working;
 *  - uwq_shutdown() leaves no "irq/" or "uwq-irqd" thread.
 */
#include "irqtest.h"

static atomic_int started, done, gate, runs_b;
static int dev, dev_b;
static const char name_held[] = "free_held";
static const char name_idle[] = "free_idle";
static const char name_b[] = "free_b";

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
	atomic_fetch_add(&started, 1);
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	atomic_fetch_add(&done, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t b_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&runs_b, 1);
	return UWQ_IRQ_HANDLED;
}

int main(void)
{
	char prefix[32], tname[IRQ_COMM_LEN], bname[IRQ_COMM_LEN];
	struct caller c;
	int irq, n;

	irq = new_eventfd_line();
	snprintf(prefix, sizeof(prefix), "irq/%d-", irq);
	irq_thread_name(tname, irq, name_held);
	CHECK_RC(uwq_request_threaded_irq(irq, wake_primary, held_thread, 0, name_held, &dev),
		 "request_threaded_irq");
	WAIT_UNTIL(count_tasks_named(tname) == 1, "no thread named \"%s\" after the request (%d)",
		   tname, count_tasks_named(tname));

	PHASE("free while the thread handler runs");
	CHECK_RC(uwq_irq_raise(irq), "raise");
	WAIT_UNTIL(atomic_load(&started) == 1, "thread handler did not start");
	caller_start(&c, CALL_FREE, irq, &dev, &done);
	caller_expect_waiting(&c, "uwq_free_irq");
	CHECK(atomic_load(&done) == 0, "thread handler returned with its gate closed");
	atomic_store(&gate, 1);
	caller_finish(&c, "uwq_free_irq");
	CHECK(atomic_load(&c.watch_at_return) == 1,
	      "uwq_free_irq returned before the running thread handler returned");
	CHECK(atomic_load(&c.name) == name_held,
	      "uwq_free_irq returned %p, not the name pointer given at request (%p)",
	      (const void *)atomic_load(&c.name), (const void *)name_held);
	WAIT_UNTIL((n = count_tasks_named(prefix)) == 0, "%d threads named \"%s...\" left after uwq_free_irq returned",
		   n, prefix);
	CHECK_RC(uwq_irq_destroy(irq), "destroy");

	PHASE("free an idle threaded action on a shared line");
	irq = new_eventfd_line();
	snprintf(prefix, sizeof(prefix), "irq/%d-", irq);
	irq_thread_name(tname, irq, name_idle);
	irq_thread_name(bname, irq, name_b);
	CHECK_RC(uwq_request_threaded_irq(irq, wake_primary, b_thread, UWQ_IRQF_SHARED, name_idle,
					  &dev), "request(idle)");
	CHECK_RC(uwq_request_threaded_irq(irq, wake_primary, b_thread, UWQ_IRQF_SHARED, name_b,
					  &dev_b), "request(b)");
	WAIT_UNTIL(count_tasks_named(tname) == 1 && count_tasks_named(bname) == 1,
		   "threads after the requests: %d \"%s\", %d \"%s\"", count_tasks_named(tname),
		   tname, count_tasks_named(bname), bname);
	CHECK(uwq_free_irq(irq, &dev) == name_idle, "free(idle) did not return its name pointer");
	/* Joined by uwq_free_irq(); the kernel may list an exited thread
	 * in /proc for a moment after the join returns. */
	WAIT_UNTIL(count_tasks_named(tname) == 0, "thread \"%s\" still there after uwq_free_irq", tname);
	CHECK(count_tasks_named(bname) == 1, "the other action's thread \"%s\" is gone", bname);
	CHECK_RC(uwq_irq_raise(irq), "raise");
	WAIT_UNTIL(atomic_load(&runs_b) >= 1, "remaining action's thread did not run");
	CHECK(uwq_free_irq(irq, &dev_b) == name_b, "free(b) did not return its name pointer");
	WAIT_UNTIL((n = count_tasks_named(prefix)) == 0, "%d threads named \"%s...\" left after both frees", n, prefix);
	CHECK_RC(uwq_irq_destroy(irq), "destroy");

	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	WAIT_UNTIL(count_tasks_named("irq/") == 0, "irq threads left after uwq_shutdown");
	WAIT_UNTIL(count_tasks_named("uwq-irqd") == 0, "uwq-irqd still there after uwq_shutdown");	/* joined; /proc may lag */
	return TEST_PASS;
}
