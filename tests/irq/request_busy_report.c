/* SPDX-License-Identifier: MIT */
/*
 * A request refused with -EBUSY prints one report that says which sharing
 * rule it broke and what to do, correctly for the case (include/uwq/irq.h:
 * "A refused request or free prints one "uwq: " line on stderr naming the
 * call, what was wrong and what to do"):
 *  - a second request on a non-shared line, with the same name and flags:
 *    the line is taken by a non-shared action, and every action must pass
 *    UWQ_IRQF_SHARED; no "flags mismatch" (the flags are equal);
 *  - a non-shared request on a shared line: pass UWQ_IRQF_SHARED to join;
 *  - a ONESHOT mismatch on a shared line: says which side passes it;
 *  - the report names the call made (uwq_request_irq or
 *    uwq_request_threaded_irq) and the line.
 * Before the fix every case printed "flags mismatch: eth0 (0x2000) vs eth0
 * (0x2000)"-style lines.
 */
#include "irqtest.h"

static uwq_irqreturn_t wake_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return UWQ_IRQ_WAKE_THREAD;
}

static atomic_int thread_runs;

static uwq_irqreturn_t quiet_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&thread_runs, 1);
	return UWQ_IRQ_HANDLED;
}

static int dev_a, dev_b;

/* @err must be one "uwq: " line holding every string of @want (NULL-ended) and none of @bad. */
static void expect_report(const char *what, const char *err, const char *const *want, const char *bad)
{
	int lines = count_lines_starting(err, "uwq: ");

	CHECK(lines == 1, "%s: %d \"uwq: \" lines, want one:\n%s", what, lines, err);
	for (; *want; want++)
		CHECK(strstr(err, *want), "%s: the report lacks \"%s\":\n%s", what, *want, err);
	CHECK(!strstr(err, bad), "%s: the report says \"%s\":\n%s", what, bad, err);
}

int main(void)
{
	int solo = new_eventfd_line(), shared = new_eventfd_line();
	char call[64], *err;

	PHASE("second request on a non-shared line");
	CHECK_RC(uwq_request_threaded_irq(solo, NULL, quiet_thread, UWQ_IRQF_ONESHOT, "eth0", &dev_a), "request");
	/* Once a thread has run, it is past the one start-up report of the
	 * process (normal priority without SCHED_FIFO): none can land in a
	 * capture below. */
	CHECK_RC(uwq_irq_raise(solo), "raise");
	WAIT_UNTIL(atomic_load(&thread_runs) == 1, "the thread handler did not run");
	capture_stderr_begin();
	CHECK_ERR(uwq_request_threaded_irq(solo, NULL, quiet_thread, UWQ_IRQF_ONESHOT, "eth0", &dev_b), EBUSY);
	err = capture_stderr_end();
	snprintf(call, sizeof(call), "uwq_request_threaded_irq(%d, \"eth0\")", solo);
	{
		const char *const want[] = { call, "taken by \"eth0\"", "did not pass UWQ_IRQF_SHARED",
					     "every action", NULL };

		expect_report("same flags, non-shared line", err, want, "mismatch");
	}
	free(err);
	capture_stderr_begin();
	CHECK_ERR(uwq_request_irq(solo, wake_primary, UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT, "eth1", &dev_b), EBUSY);
	err = capture_stderr_end();
	snprintf(call, sizeof(call), "uwq_request_irq(%d, \"eth1\")", solo);
	{
		const char *const want[] = { call, "taken by \"eth0\"", "did not pass UWQ_IRQF_SHARED", NULL };

		expect_report("shared newcomer, non-shared line", err, want, "mismatch");
	}
	free(err);

	PHASE("non-shared request on a shared line");
	CHECK_RC(uwq_request_threaded_irq(shared, wake_primary, quiet_thread, UWQ_IRQF_SHARED, "nic", &dev_a),
		 "request(shared)");
	capture_stderr_begin();
	CHECK_ERR(uwq_request_threaded_irq(shared, wake_primary, quiet_thread, 0, "disk", &dev_b), EBUSY);
	err = capture_stderr_end();
	{
		const char *const want[] = { "\"disk\"", "shared (by \"nic\")", "pass it to join", NULL };

		expect_report("non-shared newcomer", err, want, "mismatch");
	}
	free(err);

	PHASE("ONESHOT mismatch");
	if (getenv("UWQ_THREADIRQS") && getenv("UWQ_THREADIRQS")[0] == '1') {
		NOTE("note: UWQ_THREADIRQS=1 makes both actions ONESHOT; mismatch case not run");
		goto out;
	}
	capture_stderr_begin();
	CHECK_ERR(uwq_request_threaded_irq(shared, wake_primary, quiet_thread, UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT,
					   "disk", &dev_b), EBUSY);
	err = capture_stderr_end();
	{
		const char *const want[] = { "this request passes UWQ_IRQF_ONESHOT",
					     "\"nic\", already on the line, does not;", "must agree", NULL };

		expect_report("ONESHOT mismatch", err, want, "flags mismatch");
	}
	free(err);
out:
	CHECK(uwq_free_irq(solo, &dev_a) != NULL, "free(solo)");
	CHECK(uwq_free_irq(shared, &dev_a) != NULL, "free(shared)");
	CHECK_RC(uwq_irq_destroy(solo), "destroy(solo)");
	CHECK_RC(uwq_irq_destroy(shared), "destroy(shared)");
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
