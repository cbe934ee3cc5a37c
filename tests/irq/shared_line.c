/* SPDX-License-Identifier: MIT */
/*
 * A shared line calls every action's primary and ORs the results
 * (include/uwq/irq.h "on a shared line every primary runs and the results
 * are OR-ed"; every action's primary handler is called, flags must agree
 * and dev_id is required, as in the kernel's __handle_irq_event_percpu()
 * and __setup_irq()):
 *  - two SHARED actions with different dev_ids: every raise calls both
 *    primaries, each with its own dev_id;
 *  - one answers NONE and the other HANDLED: no spurious report;
 *  - the first answers WAKE_THREAD and the second HANDLED: only the first
 *    action's thread runs, on its own "irq/<n>-<name>" thread;
 *  - freeing one action returns its name and leaves the other working (the
 *    freed one is never called again);
 *  - requesting and freeing a second action while the line is live (a
 *    helper thread raises it all the time) works: each new action gets
 *    called, the first one never stops (and, under TSan, no data race
 *    between the request and the dispatcher's accounting);
 *  - flags mismatch (one ONESHOT, one not, either order) → -EBUSY.
 */
#include "irqtest.h"

#define N	50

struct action {
	const char	*name;
	char		want[IRQ_COMM_LEN];
	atomic_int	ret;		/* what the primary answers */
	atomic_int	primary_calls;
	atomic_int	runs;
	atomic_int	bad_name;
};

static atomic_int bad_dev;
static atomic_int slow_primaries;

static uwq_irqreturn_t shared_primary(int irq, void *dev_id)
{
	struct action *a = dev_id;

	(void)irq;
	if (!a || !a->name)
		atomic_fetch_add(&bad_dev, 1);
	atomic_fetch_add(&a->primary_calls, 1);
	if (atomic_load(&slow_primaries))
		burn_us(20);	/* widen the window in which a request races with events */
	return (uwq_irqreturn_t)atomic_load(&a->ret);
}

static uwq_irqreturn_t shared_thread(int irq, void *dev_id)
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

static atomic_int never_calls;

static uwq_irqreturn_t never_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&never_calls, 1);
	return UWQ_IRQ_HANDLED;
}

static void reset(struct action *a, uwq_irqreturn_t ret)
{
	atomic_store(&a->ret, ret);
	atomic_store(&a->primary_calls, 0);
	atomic_store(&a->runs, 0);
}

static struct action a = { .name = "shared_a" };
static struct action b = { .name = "shared_b" };

/* N raises, each waiting until both primaries ran (and a's thread if it was woken). */
static void raise_n(struct probe *p, int irq, bool a_thread)
{
	for (int i = 1; i <= N; i++) {
		CHECK_RC(uwq_irq_raise(irq), "raise");
		WAIT_UNTIL(atomic_load(&a.primary_calls) >= i && atomic_load(&b.primary_calls) >= i &&
			   (!a_thread || atomic_load(&a.runs) >= i),
			   "raise %d: a primary %d thread %d, b primary %d thread %d", i,
			   atomic_load(&a.primary_calls), atomic_load(&a.runs),
			   atomic_load(&b.primary_calls), atomic_load(&b.runs));
	}
	uwq_synchronize_irq(irq);
	probe_roundtrip(p, 3);
	CHECK(atomic_load(&a.primary_calls) == N && atomic_load(&b.primary_calls) == N,
	      "%d raises: a's primary called %d times, b's %d", N, atomic_load(&a.primary_calls),
	      atomic_load(&b.primary_calls));
}

static void test_mismatch(struct probe *p)
{
	static int d1, d2;
	int irq = new_eventfd_line();

	PHASE(__func__);
	CHECK_RC(uwq_request_threaded_irq(irq, shared_primary, shared_thread,
					  UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT, "mm1", &a),
		 "request(oneshot)");
	CHECK_ERR(uwq_request_threaded_irq(irq, never_handler, never_handler, UWQ_IRQF_SHARED,
					   "mm2", &d2), EBUSY);
	CHECK(uwq_free_irq(irq, &a) != NULL, "free returned NULL");
	CHECK_RC(uwq_request_threaded_irq(irq, shared_primary, shared_thread, UWQ_IRQF_SHARED,
					  "mm1", &a), "request(not oneshot)");
	CHECK_ERR(uwq_request_threaded_irq(irq, never_handler, never_handler,
					   UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT, "mm2", &d1), EBUSY);
	/* Same flags: accepted. */
	CHECK_RC(uwq_request_irq(irq, shared_primary, UWQ_IRQF_SHARED, "mm3", &b),
		 "request(same flags)");
	reset(&a, UWQ_IRQ_HANDLED);
	reset(&b, UWQ_IRQ_HANDLED);
	raise_n(p, irq, false);
	CHECK(atomic_load(&never_calls) == 0, "handlers of a refused request ran %d times",
	      atomic_load(&never_calls));
	CHECK(uwq_free_irq(irq, &b) != NULL, "free returned NULL");
	CHECK(uwq_free_irq(irq, &a) != NULL, "free returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
}

static atomic_int raiser_stop;

static void *raiser_main(void *arg)
{
	int irq = *(int *)arg;

	pthread_setname_np(pthread_self(), "test-raiser");
	while (!atomic_load(&raiser_stop)) {
		if (uwq_irq_raise(irq) != 0)
			FAIL("raise from the helper failed");
		sched_yield();
	}
	return NULL;
}

/* Request and free b repeatedly while a helper keeps raising the line. */
static void test_live_request(struct probe *p)
{
	static int live_irq;
	pthread_t t;

	PHASE(__func__);
	live_irq = new_eventfd_line();
	reset(&a, UWQ_IRQ_HANDLED);
	reset(&b, UWQ_IRQ_HANDLED);
	CHECK_RC(uwq_request_irq(live_irq, shared_primary, UWQ_IRQF_SHARED, a.name, &a),
		 "request(a)");
	atomic_store(&raiser_stop, 0);
	atomic_store(&slow_primaries, 1);
	t = start_thread(raiser_main, &live_irq);
	WAIT_UNTIL(atomic_load(&a.primary_calls) >= 10, "live line: a called %d times",
		   atomic_load(&a.primary_calls));
	for (int round = 0; round < 20; round++) {
		int ca = atomic_load(&a.primary_calls);
		int cb = atomic_load(&b.primary_calls);

		CHECK_RC(uwq_request_irq(live_irq, shared_primary, UWQ_IRQF_SHARED, b.name, &b),
			 "request(b) on a live line");
		WAIT_UNTIL(atomic_load(&b.primary_calls) > cb, "round %d: b requested on a live "
			   "line was never called", round);
		CHECK(uwq_free_irq(live_irq, &b) == b.name, "round %d: free(b)", round);
		WAIT_UNTIL(atomic_load(&a.primary_calls) > ca + 1, "round %d: a stopped being called "
			   "(%d calls)", round, atomic_load(&a.primary_calls) - ca);
	}
	atomic_store(&raiser_stop, 1);
	join_thread(t);
	atomic_store(&slow_primaries, 0);
	probe_roundtrip(p, 2);
	CHECK(uwq_free_irq(live_irq, &a) == a.name, "free(a)");
	CHECK_RC(uwq_irq_destroy(live_irq), "destroy");
}

int main(void)
{
	struct probe p;
	char *err;
	int irq, nobody;

	probe_init(&p);
	irq = new_eventfd_line();
	irq_thread_name(a.want, irq, a.name);
	irq_thread_name(b.want, irq, b.name);
	CHECK_RC(uwq_request_threaded_irq(irq, shared_primary, shared_thread, UWQ_IRQF_SHARED,
					  a.name, &a), "request(a)");
	CHECK_RC(uwq_request_threaded_irq(irq, shared_primary, shared_thread, UWQ_IRQF_SHARED,
					  b.name, &b), "request(b)");

	PHASE("NONE | HANDLED");
	capture_stderr_begin();
	reset(&a, UWQ_IRQ_NONE);
	reset(&b, UWQ_IRQ_HANDLED);
	raise_n(&p, irq, false);
	reset(&a, UWQ_IRQ_HANDLED);
	reset(&b, UWQ_IRQ_NONE);
	raise_n(&p, irq, false);
	err = capture_stderr_end();
	nobody = count_lines_containing(err, "nobody cared");
	CHECK(nobody == 0, "NONE|HANDLED on a shared line gave %d spurious reports", nobody);
	free(err);
	CHECK(atomic_load(&a.runs) == 0 && atomic_load(&b.runs) == 0,
	      "HANDLED/NONE woke a thread (a %d, b %d runs)", atomic_load(&a.runs),
	      atomic_load(&b.runs));

	PHASE("WAKE_THREAD | HANDLED");
	reset(&a, UWQ_IRQ_WAKE_THREAD);
	reset(&b, UWQ_IRQ_HANDLED);
	raise_n(&p, irq, true);
	CHECK(atomic_load(&a.runs) == N, "a's primary woke its thread %d times, %d runs", N,
	      atomic_load(&a.runs));
	CHECK(atomic_load(&b.runs) == 0, "b answered HANDLED but its thread ran %d times",
	      atomic_load(&b.runs));
	CHECK(atomic_load(&a.bad_name) == 0, "a's thread handler ran outside \"%s\"", a.want);

	PHASE("HANDLED | WAKE_THREAD");
	reset(&a, UWQ_IRQ_HANDLED);
	reset(&b, UWQ_IRQ_WAKE_THREAD);
	for (int i = 1; i <= N; i++) {
		CHECK_RC(uwq_irq_raise(irq), "raise");
		WAIT_UNTIL(atomic_load(&b.runs) >= i, "raise %d: b's thread ran %d times", i,
			   atomic_load(&b.runs));
	}
	uwq_synchronize_irq(irq);
	probe_roundtrip(&p, 3);
	CHECK(atomic_load(&a.runs) == 0, "a answered HANDLED but its thread ran %d times",
	      atomic_load(&a.runs));
	CHECK(atomic_load(&b.runs) == N, "b's thread ran %d times, want %d", atomic_load(&b.runs), N);
	CHECK(atomic_load(&b.bad_name) == 0, "b's thread handler ran outside \"%s\"", b.want);

	PHASE("free one");
	CHECK(uwq_free_irq(irq, &a) == a.name, "free(a) did not return a's name");
	reset(&a, UWQ_IRQ_HANDLED);
	reset(&b, UWQ_IRQ_HANDLED);
	for (int i = 1; i <= N; i++) {
		CHECK_RC(uwq_irq_raise(irq), "raise");
		WAIT_UNTIL(atomic_load(&b.primary_calls) >= i, "after freeing a: raise %d: b called "
			   "%d times", i, atomic_load(&b.primary_calls));
	}
	probe_roundtrip(&p, 3);
	CHECK(atomic_load(&a.primary_calls) == 0, "freed action a was called %d times",
	      atomic_load(&a.primary_calls));
	CHECK(atomic_load(&b.primary_calls) == N, "b called %d times, want %d",
	      atomic_load(&b.primary_calls), N);
	CHECK(atomic_load(&bad_dev) == 0, "a primary got a foreign dev_id");
	CHECK(uwq_free_irq(irq, &b) == b.name, "free(b) did not return b's name");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");

	test_mismatch(&p);
	test_live_request(&p);

	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
