/* SPDX-License-Identifier: MIT */
/*
 * The reports for waiting calls made from handlers, and for an unbalanced
 * enable, say what happened and what to do, correctly for the case
 * (include/uwq/irq.h uwq_disable_irq(): "From the line's own handler, or
 * any primary handler, it reports one line and does not wait: handlers
 * use uwq_disable_irq_nosync()"):
 *  - uwq_disable_irq() from the line's own primary: "from a handler of the
 *    line would wait for itself", pointing to uwq_disable_irq_nosync();
 *  - uwq_synchronize_irq() of another line from a primary: "would block
 *    the dispatcher", not "the line's own handler" (it is not);
 *  - uwq_irq_destroy() of another line from a primary: -EDEADLK, and the
 *    report says to destroy from another thread;
 *  - an unbalanced uwq_enable_irq(): names the call and says the line is
 *    not disabled.
 * Each is exactly one "uwq: " line. Before the fix the second said "from
 * the line's own handler", and none said what to do.
 */
#include "irqtest.h"

enum op { OP_NONE, OP_DISABLE_OWN, OP_SYNC_OTHER, OP_DESTROY_OTHER };

static _Atomic enum op op;
static atomic_int done, rc;
static int line, other;
static int dev;

static uwq_irqreturn_t primary(int irq, void *dev_id)
{
	(void)dev_id;
	switch (atomic_exchange(&op, OP_NONE)) {
	case OP_DISABLE_OWN:
		uwq_disable_irq(irq);
		break;
	case OP_SYNC_OTHER:
		uwq_synchronize_irq(other);
		break;
	case OP_DESTROY_OTHER:
		atomic_store(&rc, uwq_irq_destroy(other));
		break;
	default:
		return UWQ_IRQ_HANDLED;
	}
	atomic_store(&done, 1);
	return UWQ_IRQ_HANDLED;
}

/* Run @o in the primary; its report must hold each string of @want (NULL-ended) and not @bad. */
static void expect_report(enum op o, const char *what, const char *const *want, const char *bad)
{
	char *err;
	int lines;

	atomic_store(&done, 0);
	atomic_store(&op, o);
	capture_stderr_begin();
	CHECK_RC(uwq_irq_raise(line), "raise");
	WAIT_UNTIL(atomic_load(&done), "%s: the primary never finished", what);
	uwq_synchronize_irq(line);
	err = capture_stderr_end();
	lines = count_lines_starting(err, "uwq: ");
	CHECK(lines == 1, "%s: %d \"uwq: \" lines, want one:\n%s", what, lines, err);
	for (; *want; want++)
		CHECK(strstr(err, *want), "%s: the report lacks \"%s\":\n%s", what, *want, err);
	CHECK(!bad || !strstr(err, bad), "%s: the report says \"%s\":\n%s", what, bad, err);
	free(err);
}

int main(void)
{
	char call[48], *err;
	int lines;

	line = new_eventfd_line();
	other = new_eventfd_line();
	CHECK_RC(uwq_request_irq(line, primary, 0, "misuse", &dev), "request");

	PHASE("disable_irq from its own primary");
	snprintf(call, sizeof(call), "uwq_disable_irq(%d)", line);
	{
		const char *const want[] = { call, "from a handler of the line", "uwq_disable_irq_nosync()", NULL };

		expect_report(OP_DISABLE_OWN, "disable from its own primary", want, NULL);
	}
	uwq_enable_irq(line);	/* it did disable (depth 1) */

	PHASE("synchronize_irq of another line from a primary");
	snprintf(call, sizeof(call), "uwq_synchronize_irq(%d)", other);
	{
		const char *const want[] = { call, "would block the dispatcher", "another thread", NULL };

		expect_report(OP_SYNC_OTHER, "synchronize of another line", want, "handler of the line");
	}

	PHASE("irq_destroy of another line from a primary");
	snprintf(call, sizeof(call), "uwq_irq_destroy(%d)", other);
	{
		const char *const want[] = { call, "-EDEADLK", "another thread", NULL };

		expect_report(OP_DESTROY_OTHER, "destroy from a primary", want, NULL);
	}
	CHECK(atomic_load(&rc) == -EDEADLK, "uwq_irq_destroy() from a primary returned %d, want -EDEADLK",
	      atomic_load(&rc));

	PHASE("unbalanced enable");
	capture_stderr_begin();
	uwq_enable_irq(other);
	err = capture_stderr_end();
	lines = count_lines_starting(err, "uwq: ");
	snprintf(call, sizeof(call), "uwq_enable_irq(%d)", other);
	CHECK(lines == 1 && strstr(err, call) && strstr(err, "not disabled"),
	      "unbalanced enable: %d lines, want one naming \"%s\" and saying the line is not disabled:\n%s", lines,
	      call, err);
	free(err);

	CHECK(uwq_free_irq(line, &dev) != NULL, "free");
	CHECK_RC(uwq_irq_destroy(line), "destroy");
	CHECK_RC(uwq_irq_destroy(other), "destroy(other)");
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
