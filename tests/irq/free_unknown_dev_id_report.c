/* SPDX-License-Identifier: MIT */
/*
 * uwq_free_irq() of a dev_id the line does not have reports what happened,
 * correctly for the case (include/uwq/irq.h uwq_free_irq(): "ENOENT when
 * the line has no action with @dev_id (never requested, or freed
 * already)"; "one report"):
 *  - a dev_id never requested on a line with actions: one "uwq: " line
 *    naming uwq_free_irq, the line, and "no action with dev_id <ptr>",
 *    never "already-free" (it never was requested);
 *  - a line with no actions at all: one line saying the line has none;
 *  - a line that does not exist: one line saying so;
 *  - every case returns NULL with its errno (ENOENT, ENOENT, EINVAL).
 * Before the fix the first two said "trying to free an already-free
 * action" and errno was not set.
 */
#include "irqtest.h"

static int dev, never_requested;

static uwq_irqreturn_t quiet_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return UWQ_IRQ_HANDLED;
}

/* uwq_free_irq(@irq, @dev_id) must return NULL with @want_errno and print one line holding @want. */
static void expect_free_report(const char *what, int irq, void *dev_id, int want_errno, const char *want)
{
	const char *ret;
	char call[64], *err;
	int e, lines;

	capture_stderr_begin();
	errno = 0;
	ret = uwq_free_irq(irq, dev_id);
	e = errno;
	err = capture_stderr_end();
	CHECK(ret == NULL, "%s: returned %p, want NULL", what, (const void *)ret);
	CHECK(e == want_errno, "%s: errno %d (%s), want %d (%s)", what, e, strerror(e), want_errno,
	      strerror(want_errno));
	lines = count_lines_starting(err, "uwq: ");
	CHECK(lines == 1, "%s: %d \"uwq: \" lines, want one:\n%s", what, lines, err);
	snprintf(call, sizeof(call), "uwq_free_irq(%d, %p)", irq, dev_id);
	CHECK(strstr(err, call), "%s: the report does not name the call \"%s\":\n%s", what, call, err);
	CHECK(strstr(err, want), "%s: the report lacks \"%s\":\n%s", what, want, err);
	CHECK(!strstr(err, "already-free"), "%s: the report says \"already-free\":\n%s", what, err);
	free(err);
}

int main(void)
{
	int line = new_eventfd_line(), empty = new_eventfd_line();
	char want[64];

	CHECK_RC(uwq_request_irq(line, quiet_primary, 0, "fu", &dev), "request");

	PHASE("dev_id never requested");
	snprintf(want, sizeof(want), "no action with dev_id %p", (void *)&never_requested);
	expect_free_report("a dev_id never requested", line, &never_requested, ENOENT, want);

	PHASE("a line without actions");
	expect_free_report("a line without actions", empty, &dev, ENOENT, "has no actions");

	PHASE("no such line");
	expect_free_report("an unknown line", 200, &dev, EINVAL, "there is no line 200");

	CHECK(uwq_free_irq(line, &dev) != NULL, "free");
	CHECK_RC(uwq_irq_destroy(line), "destroy");
	CHECK_RC(uwq_irq_destroy(empty), "destroy(empty)");
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
