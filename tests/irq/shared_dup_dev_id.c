/* SPDX-License-Identifier: MIT */
/*
 * A shared line refuses a second action with a dev_id it already has
 * (include/uwq/irq.h uwq_request_threaded_irq(): "two actions of one line
 * may not share it"; "-EBUSY (one report) if ... the line has an action
 * with this @dev_id already"):
 *  - the second request gets -EBUSY with exactly one "uwq: " line that
 *    names the dev_id and the action holding it; its handlers never run
 *    and it leaves no thread;
 *  - the same dev_id on another line, and another dev_id on this line, are
 *    accepted;
 *  - uwq_free_irq() of the dev_id frees the first action, and the line
 *    then has no action with it.
 * Before the fix the second request succeeded and could be neither woken
 * nor freed by its dev_id while the first one was there.
 */
#include "irqtest.h"

static atomic_int first_calls, dup_calls, other_calls;
static int dev, dev_other;
static const char name_first[] = "dup_first";
static const char name_dup[] = "dup_second";

static uwq_irqreturn_t first_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&first_calls, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t dup_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&dup_calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t dup_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&dup_calls, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t other_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&other_calls, 1);
	return UWQ_IRQ_HANDLED;
}

int main(void)
{
	char tname[IRQ_COMM_LEN], want[64], *err;
	int line = new_eventfd_line(), line2 = new_eventfd_line(), lines, rc;

	CHECK_RC(uwq_request_irq(line, first_primary, UWQ_IRQF_SHARED, name_first, &dev), "request(first)");

	PHASE("duplicate dev_id");
	capture_stderr_begin();
	rc = uwq_request_threaded_irq(line, dup_primary, dup_thread, UWQ_IRQF_SHARED, name_dup, &dev);
	err = capture_stderr_end();
	CHECK(rc == -EBUSY, "a second action with the same dev_id: %d (%s), want -EBUSY", rc,
	      rc < 0 ? strerror(-rc) : "accepted");
	lines = count_lines_starting(err, "uwq: ");
	CHECK(lines == 1, "%d \"uwq: \" lines, want one:\n%s", lines, err);
	snprintf(want, sizeof(want), "dev_id %p", (void *)&dev);
	CHECK(strstr(err, want) && strstr(err, name_first),
	      "the report does not name \"%s\" and the action holding it (%s):\n%s", want, name_first, err);
	free(err);
	irq_thread_name(tname, line, name_dup);
	CHECK(count_tasks_named(tname) == 0, "the refused request left a thread \"%s\"", tname);

	PHASE("other dev_id, other line");
	CHECK_RC(uwq_request_irq(line, other_primary, UWQ_IRQF_SHARED, "dup_other", &dev_other),
		 "another dev_id on the line");
	CHECK_RC(uwq_request_irq(line2, other_primary, UWQ_IRQF_SHARED, "dup_line2", &dev),
		 "the same dev_id on another line");

	CHECK_RC(uwq_irq_raise(line), "raise");
	WAIT_UNTIL(atomic_load(&first_calls) == 1 && atomic_load(&other_calls) == 1,
		   "the line's actions did not run (first %d, other %d)", atomic_load(&first_calls),
		   atomic_load(&other_calls));
	uwq_synchronize_irq(line);
	CHECK(atomic_load(&dup_calls) == 0, "the refused action's handlers ran %d times", atomic_load(&dup_calls));

	PHASE("free");
	CHECK(uwq_free_irq(line, &dev) == name_first, "free(dev) did not return the first action's name");
	errno = 0;
	CHECK(uwq_free_irq(line, &dev) == NULL && errno == ENOENT,
	      "a second free(dev) found an action: the duplicate was linked (errno %d)", errno);
	CHECK(uwq_free_irq(line, &dev_other) != NULL, "free(other)");
	CHECK(uwq_free_irq(line2, &dev) != NULL, "free(line2)");
	CHECK_RC(uwq_irq_destroy(line), "destroy");
	CHECK_RC(uwq_irq_destroy(line2), "destroy(line2)");
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
