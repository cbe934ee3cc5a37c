/* SPDX-License-Identifier: MIT */
/*
 * uwq_free_irq() from a handler of its own line is refused, the same way
 * from the primary and from the thread handler (include/uwq/irq.h
 * uwq_free_irq(): "Not a handler of @irq ... that is refused"; "NULL ...
 * errno EDEADLK"):
 *  - from the action's own primary, from a sibling's primary on a shared
 *    line, from the action's own thread handler and from a sibling's
 *    thread handler: NULL, errno EDEADLK
 *    (read in the handler's thread), exactly one "uwq: " line, which names
 *    uwq_free_irq and says to free from another thread;
 *  - the action stays: the next event runs it again, and a free from the
 *    main thread then returns the name pointer given at request;
 *  - "no such action" stays distinguishable: NULL with errno ENOENT, and
 *    an unknown line NULL with errno EINVAL;
 *  - a primary handler of another line may still free (it returns the
 *    name), as the header allows.
 * Before the fix the primary's free succeeded while the dispatcher still
 * held the action, and the thread's refusal left errno unset.
 */
#include "irqtest.h"

enum op { OP_NONE, OP_FREE_SELF, OP_FREE_SIBLING, OP_FREE_OTHER_LINE };

static _Atomic enum op prim_op;		/* what a's primary does at its next call */
static atomic_int thread_frees;		/* a's thread frees at its next run: 1 a, 2 b */
static atomic_int done, prim_calls, thread_runs;
static atomic_int got_errno;
static const char *_Atomic got_ret;
static int line, other_line;
static int dev_a, dev_b, dev_o;
static const char name_a[] = "ownfree_a";
static const char name_b[] = "ownfree_b";
static const char name_o[] = "ownfree_o";

static void record(const char *ret)
{
	int e = errno;	/* errno is per thread: read it here */

	atomic_store(&got_ret, ret);
	atomic_store(&got_errno, e);
	atomic_store(&done, 1);
}

static uwq_irqreturn_t a_primary(int irq, void *dev_id)
{
	enum op op = atomic_exchange(&prim_op, OP_NONE);

	(void)dev_id;
	atomic_fetch_add(&prim_calls, 1);
	errno = 0;
	if (op == OP_FREE_SELF)
		record(uwq_free_irq(irq, &dev_a));
	else if (op == OP_FREE_SIBLING)
		record(uwq_free_irq(irq, &dev_b));
	else if (op == OP_FREE_OTHER_LINE)
		record(uwq_free_irq(other_line, &dev_o));
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t a_thread(int irq, void *dev_id)
{
	(void)dev_id;
	atomic_fetch_add(&thread_runs, 1);
	switch (atomic_exchange(&thread_frees, 0)) {
	case 1:
		errno = 0;
		record(uwq_free_irq(irq, &dev_a));
		break;
	case 2:
		errno = 0;
		record(uwq_free_irq(irq, &dev_b));
		break;
	}
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t quiet_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return UWQ_IRQ_NONE;
}

/* Raise the line, let the handler make its call, and check the refusal. */
static void expect_refused(const char *what)
{
	char *err;
	int lines;

	atomic_store(&done, 0);
	atomic_store(&got_ret, (const char *)"unset");
	atomic_store(&got_errno, -1);
	capture_stderr_begin();
	CHECK_RC(uwq_irq_raise(line), "raise");
	WAIT_UNTIL(atomic_load(&done), "%s: the handler's uwq_free_irq() never returned", what);
	uwq_synchronize_irq(line);
	err = capture_stderr_end();
	CHECK(atomic_load(&got_ret) == NULL, "%s: uwq_free_irq() returned %p (\"%s\"), want NULL", what,
	      (const void *)atomic_load(&got_ret), atomic_load(&got_ret));
	CHECK(atomic_load(&got_errno) == EDEADLK, "%s: errno %d (%s), want EDEADLK", what, atomic_load(&got_errno),
	      strerror(atomic_load(&got_errno)));
	lines = count_lines_starting(err, "uwq: ");
	CHECK(lines == 1, "%s: %d \"uwq: \" lines, want one:\n%s", what, lines, err);
	CHECK(strstr(err, "uwq_free_irq(") && strstr(err, "another thread"),
	      "%s: the report does not name uwq_free_irq() or say to free from another thread:\n%s", what, err);
	free(err);
}

/* The action is still there: one more event runs its primary and thread. */
static void expect_still_requested(const char *what)
{
	int p = atomic_load(&prim_calls), t = atomic_load(&thread_runs);

	CHECK_RC(uwq_irq_raise(line), "raise");
	WAIT_UNTIL(atomic_load(&prim_calls) > p && atomic_load(&thread_runs) > t,
		   "%s: the action no longer runs (primary %d -> %d, thread %d -> %d)", what, p,
		   atomic_load(&prim_calls), t, atomic_load(&thread_runs));
	uwq_synchronize_irq(line);
}

int main(void)
{
	const char *ret;

	line = new_eventfd_line();
	other_line = new_eventfd_line();
	CHECK_RC(uwq_request_threaded_irq(line, a_primary, a_thread, UWQ_IRQF_SHARED, name_a, &dev_a), "request a");
	CHECK_RC(uwq_request_irq(line, quiet_primary, UWQ_IRQF_SHARED, name_b, &dev_b), "request b");
	CHECK_RC(uwq_request_irq(other_line, quiet_primary, 0, name_o, &dev_o), "request o");

	/* Once a's thread has run, it is past its start-up report (normal
	 * priority without SCHED_FIFO), which could land in a capture. */
	expect_still_requested("before the first free");

	PHASE("from its own primary");
	atomic_store(&prim_op, OP_FREE_SELF);
	expect_refused("free from its own primary");
	expect_still_requested("after the refusal from its primary");

	PHASE("from a sibling's primary");
	atomic_store(&prim_op, OP_FREE_SIBLING);
	expect_refused("free of b from a's primary on the same line");

	PHASE("from its own thread handler");
	atomic_store(&thread_frees, 1);
	expect_refused("free from its own thread handler");
	expect_still_requested("after the refusal from its thread");

	PHASE("from a sibling's thread handler");
	atomic_store(&thread_frees, 2);
	expect_refused("free of b from a's thread handler");

	PHASE("no such action");
	errno = 0;
	ret = uwq_free_irq(line, &dev_o);
	CHECK(ret == NULL && errno == ENOENT, "free of an unknown dev_id: %p, errno %d (%s), want NULL, ENOENT",
	      (const void *)ret, errno, strerror(errno));
	errno = 0;
	ret = uwq_free_irq(9999, &dev_a);
	CHECK(ret == NULL && errno == EINVAL, "free on an unknown line: %p, errno %d (%s), want NULL, EINVAL",
	      (const void *)ret, errno, strerror(errno));

	PHASE("from a primary of another line");
	atomic_store(&done, 0);
	atomic_store(&prim_op, OP_FREE_OTHER_LINE);
	CHECK_RC(uwq_irq_raise(line), "raise");
	WAIT_UNTIL(atomic_load(&done), "the free of another line's action never returned");
	uwq_synchronize_irq(line);
	CHECK(atomic_load(&got_ret) == name_o, "free of another line's action from a primary returned %p, want %p",
	      (const void *)atomic_load(&got_ret), (const void *)name_o);

	PHASE("free from the main thread");
	CHECK(uwq_free_irq(line, &dev_b) == name_b, "free(b) did not return its name pointer");
	CHECK(uwq_free_irq(line, &dev_a) == name_a, "free(a) did not return its name pointer");
	CHECK_RC(uwq_irq_destroy(line), "destroy");
	CHECK_RC(uwq_irq_destroy(other_line), "destroy(other)");
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
