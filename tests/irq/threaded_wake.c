/* SPDX-License-Identifier: MIT */
/*
 * UWQ_IRQ_WAKE_THREAD runs the action's thread handler in the action's own
 * thread (include/uwq/irq.h "UWQ_IRQ_WAKE_THREAD to run the slow part in
 * the action's own thread ("irq/<n>-<name>")"; docs/design.md §2: one
 * thread per threaded action, named irq/<irq number>-<name>, cut to 15
 * characters as the kernel's comm is; uwq_request_threaded_irq() @handler:
 * "NULL for the default one (wakes the thread; requires UWQ_IRQF_ONESHOT)",
 * as the kernel's request_threaded_irq() in kernel/irq/manage.c):
 *  - N raises (each waiting for the previous thread run) give N primary
 *    calls and N thread runs, with the right irq and dev_id;
 *  - every run is on one thread, named "irq/<n>-<name>" cut to 15
 *    characters (a long name is used, so the cut is tested), which is not
 *    the dispatcher; that thread exists from the request on;
 *  - a NULL primary with UWQ_IRQF_ONESHOT (the default primary) also wakes
 *    the thread, once per raise;
 *  - a primary that returns WAKE_THREAD without a thread handler gets one
 *    "uwq: " warning in all (as the kernel's one-time warning, flagged by
 *    IRQTF_WARNED), and its line keeps being delivered.
 */
#include "irqtest.h"

#define N	50

struct action {
	int		irq;
	char		want[IRQ_COMM_LEN];
	atomic_int	primary_calls;
	atomic_int	runs;
	atomic_int	bad_args;
	atomic_int	bad_name;
	atomic_int	thread_tid;
	atomic_int	other_tid;
	char		seen[IRQ_COMM_LEN];	/* written before runs is bumped */
};

static uwq_irqreturn_t wake_primary(int irq, void *dev_id)
{
	struct action *a = dev_id;

	if (irq != a->irq)
		atomic_fetch_add(&a->bad_args, 1);
	atomic_fetch_add(&a->primary_calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t counting_thread(int irq, void *dev_id)
{
	struct action *a = dev_id;
	char name[IRQ_COMM_LEN];
	int tid = (int)util_gettid();
	int expected = 0;

	if (irq != a->irq)
		atomic_fetch_add(&a->bad_args, 1);
	self_name(name);
	if (strcmp(name, a->want) != 0 && atomic_fetch_add(&a->bad_name, 1) == 0)
		memcpy(a->seen, name, sizeof(name));
	if (!atomic_compare_exchange_strong(&a->thread_tid, &expected, tid) && expected != tid)
		atomic_store(&a->other_tid, tid);
	atomic_fetch_add(&a->runs, 1);
	return UWQ_IRQ_HANDLED;
}

static void run(struct probe *p, struct action *a, uwq_irq_handler_t primary, unsigned long flags,
		const char *name)
{
	int raiser = (int)util_gettid();

	a->irq = new_eventfd_line();
	irq_thread_name(a->want, a->irq, name);
	CHECK_RC(uwq_request_threaded_irq(a->irq, primary, counting_thread, flags, name, a),
		 "request_threaded_irq");
	WAIT_UNTIL(count_tasks_named(a->want) == 1, "after the request: %d threads named \"%s\", want 1",
		   count_tasks_named(a->want), a->want);

	for (int i = 1; i <= N; i++) {
		CHECK_RC(uwq_irq_raise(a->irq), "raise");
		WAIT_UNTIL(atomic_load(&a->runs) >= i, "raise %d: %d thread runs, %d primary calls",
			   i, atomic_load(&a->runs), atomic_load(&a->primary_calls));
	}
	uwq_synchronize_irq(a->irq);
	probe_roundtrip(p, 3);
	CHECK(atomic_load(&a->runs) == N, "%s: %d raises gave %d thread runs", name, N,
	      atomic_load(&a->runs));
	if (primary)
		CHECK(atomic_load(&a->primary_calls) == N, "%s: %d raises gave %d primary calls",
		      name, N, atomic_load(&a->primary_calls));
	CHECK(atomic_load(&a->bad_args) == 0, "%s: %d calls with the wrong irq", name,
	      atomic_load(&a->bad_args));
	CHECK(atomic_load(&a->bad_name) == 0, "%s: thread handler ran on \"%s\", want \"%s\"",
	      name, a->seen, a->want);
	CHECK(atomic_load(&a->other_tid) == 0, "%s: thread handler ran on two threads", name);
	CHECK(atomic_load(&a->thread_tid) != raiser, "%s: thread handler ran on the raiser", name);

	CHECK(uwq_free_irq(a->irq, a) != NULL, "free_irq returned NULL");
	CHECK_RC(uwq_irq_destroy(a->irq), "destroy");
}

static atomic_int lonely_calls;

static uwq_irqreturn_t lonely_wake_primary(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&lonely_calls, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static void test_no_thread_fn(struct probe *p)
{
	static int dev;
	int irq = new_eventfd_line();
	char *err;
	int lines;

	CHECK_RC(uwq_request_irq(irq, lonely_wake_primary, 0, "lonely", &dev), "request_irq");
	capture_stderr_begin();
	for (int i = 1; i <= 5; i++) {
		CHECK_RC(uwq_irq_raise(irq), "raise");
		WAIT_UNTIL(atomic_load(&lonely_calls) >= i, "raise %d: primary called %d times", i,
			   atomic_load(&lonely_calls));
	}
	probe_roundtrip(p, 2);
	err = capture_stderr_end();
	lines = count_lines_starting(err, "uwq: ");
	CHECK(lines == 1, "WAKE_THREAD without a thread handler, 5 times: %d \"uwq: \" lines, "
	      "want one warning", lines);
	free(err);
	CHECK(atomic_load(&lonely_calls) == 5, "5 raises gave %d calls", atomic_load(&lonely_calls));
	CHECK(uwq_free_irq(irq, &dev) != NULL, "free_irq returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
}

int main(void)
{
	static struct action with_primary, default_primary;
	struct probe p;

	probe_init(&p);
	PHASE("primary returns WAKE_THREAD");
	run(&p, &with_primary, wake_primary, 0, "threaded_wake_long_name");
	PHASE("default primary");
	run(&p, &default_primary, NULL, UWQ_IRQF_ONESHOT, "dflt");
	PHASE("WAKE_THREAD without a thread handler");
	test_no_thread_fn(&p);
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
