/* SPDX-License-Identifier: MIT */
/*
 * uwq_irq_wake_thread() runs an action's thread handler as a WAKE_THREAD
 * return would, without any event (include/uwq/irq.h uwq_irq_wake_thread();
 * docs/design.md §4; the kernel's irq_wake_thread() in kernel/irq/manage.c,
 * which wakes it exactly as a WAKE_THREAD return would):
 *  - each call runs the thread handler once, in the action's
 *    "irq/<n>-<name>" thread, and never calls the primary;
 *  - on a shared line it wakes only the action with that dev_id;
 *  - an unknown dev_id, an action without a thread handler, or an unknown
 *    line does nothing (no run, no crash);
 *  - on a ONESHOT line the woken run masks the line like a WAKE_THREAD
 *    return does, and the line works normally afterwards.
 */
#include "irqtest.h"

#define N	20

struct action {
	const char	*name;
	char		want[IRQ_COMM_LEN];
	atomic_int	primary_calls;
	atomic_int	runs;
	atomic_int	bad_name;
};

static uwq_irqreturn_t count_primary(int irq, void *dev_id)
{
	struct action *a = dev_id;

	(void)irq;
	atomic_fetch_add(&a->primary_calls, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t count_thread(int irq, void *dev_id)
{
	struct action *a = dev_id;
	char name[IRQ_COMM_LEN];

	(void)irq;
	self_name(name);
	if (strcmp(name, a->want) != 0)
		atomic_fetch_add(&a->bad_name, 1);
	atomic_fetch_add(&a->runs, 1);
	return UWQ_IRQ_HANDLED;
}

static struct action a = { .name = "wake_a" };
static struct action b = { .name = "wake_b" };
static struct action nothr = { .name = "wake_nothr" };
static int unknown_dev;

int main(void)
{
	struct probe p;
	int irq, plain;

	probe_init(&p);
	irq = new_eventfd_line();
	irq_thread_name(a.want, irq, a.name);
	irq_thread_name(b.want, irq, b.name);
	CHECK_RC(uwq_request_threaded_irq(irq, count_primary, count_thread, UWQ_IRQF_SHARED, a.name,
					  &a), "request(a)");
	CHECK_RC(uwq_request_threaded_irq(irq, count_primary, count_thread, UWQ_IRQF_SHARED, b.name,
					  &b), "request(b)");
	plain = new_eventfd_line();
	CHECK_RC(uwq_request_irq(plain, count_primary, 0, nothr.name, &nothr), "request(nothr)");

	PHASE("wake a");
	for (int i = 1; i <= N; i++) {
		uwq_irq_wake_thread(irq, &a);
		WAIT_UNTIL(atomic_load(&a.runs) >= i, "wake %d: a's thread ran %d times", i,
			   atomic_load(&a.runs));
	}
	uwq_synchronize_irq(irq);
	probe_roundtrip(&p, 3);
	CHECK(atomic_load(&a.runs) == N, "%d wakes gave %d runs", N, atomic_load(&a.runs));
	CHECK(atomic_load(&b.runs) == 0, "waking a ran b's thread %d times", atomic_load(&b.runs));
	CHECK(atomic_load(&a.primary_calls) == 0 && atomic_load(&b.primary_calls) == 0,
	      "uwq_irq_wake_thread called primaries (a %d, b %d)", atomic_load(&a.primary_calls),
	      atomic_load(&b.primary_calls));
	CHECK(atomic_load(&a.bad_name) == 0, "a's thread handler ran outside \"%s\"", a.want);

	PHASE("wake b");
	uwq_irq_wake_thread(irq, &b);
	WAIT_UNTIL(atomic_load(&b.runs) == 1, "b's thread did not run");
	CHECK(atomic_load(&b.bad_name) == 0, "b's thread handler ran outside \"%s\"", b.want);

	PHASE("nothing to wake");
	uwq_irq_wake_thread(irq, &unknown_dev);
	uwq_irq_wake_thread(irq, NULL);
	uwq_irq_wake_thread(plain, &nothr);		/* no thread handler */
	uwq_irq_wake_thread(plain, &unknown_dev);
	uwq_irq_wake_thread(9999, &a);
	uwq_irq_wake_thread(0, &a);
	uwq_synchronize_irq(irq);
	uwq_synchronize_irq(plain);
	probe_roundtrip(&p, 3);
	CHECK(atomic_load(&a.runs) == N && atomic_load(&b.runs) == 1,
	      "wakes of unknown actions ran a thread (a %d, b %d)", atomic_load(&a.runs),
	      atomic_load(&b.runs));
	CHECK(atomic_load(&nothr.primary_calls) == 0, "waking an action without a thread called its "
	      "primary");
	/* the lines still work */
	CHECK_RC(uwq_irq_raise(plain), "raise");
	WAIT_UNTIL(atomic_load(&nothr.primary_calls) == 1, "plain line broken after the wakes");
	CHECK_RC(uwq_irq_raise(irq), "raise");
	WAIT_UNTIL(atomic_load(&a.primary_calls) == 1 && atomic_load(&b.primary_calls) == 1,
		   "shared line broken after the wakes");

	CHECK(uwq_free_irq(irq, &a) != NULL, "free returned NULL");
	CHECK(uwq_free_irq(irq, &b) != NULL, "free returned NULL");
	CHECK(uwq_free_irq(plain, &nothr) != NULL, "free returned NULL");
	CHECK_RC(uwq_irq_destroy(plain), "destroy");

	PHASE("oneshot line");
	{
		static struct action o = { .name = "wake_os" };

		irq_thread_name(o.want, irq, o.name);
		CHECK_RC(uwq_request_threaded_irq(irq, count_primary, count_thread, UWQ_IRQF_ONESHOT,
						  o.name, &o), "request(oneshot)");
		for (int i = 1; i <= N; i++) {
			uwq_irq_wake_thread(irq, &o);
			WAIT_UNTIL(atomic_load(&o.runs) >= i, "oneshot wake %d: %d runs", i,
				   atomic_load(&o.runs));
			uwq_synchronize_irq(irq);
		}
		CHECK(atomic_load(&o.primary_calls) == 0, "wake called the oneshot primary");
		/* the line was unmasked again after each run */
		CHECK_RC(uwq_irq_raise(irq), "raise");
		WAIT_UNTIL(atomic_load(&o.primary_calls) == 1,
			   "oneshot line stayed masked after woken runs");
		CHECK(atomic_load(&o.bad_name) == 0, "oneshot thread ran outside \"%s\"", o.want);
		CHECK(uwq_free_irq(irq, &o) != NULL, "free returned NULL");
	}
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
