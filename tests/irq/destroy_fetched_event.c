/* SPDX-License-Identifier: MIT */
/*
 * Regression: destroying a line whose event the dispatcher has already
 * fetched (irq.h uwq_irq_destroy: "waits until the dispatcher holds no
 * event of the line"). Lines S and X are raised while the dispatcher is
 * held in T's primary, so that their events come back from one epoll_wait;
 * S's primary then holds the dispatcher again with X's event still in its
 * batch. Freeing X and destroying it from another thread must wait until
 * the batch is done (before the fix, destroy freed the line and the
 * dispatcher then locked and wrote freed memory: ASan/TSan report it); the
 * dispatcher stays alive and X's handler is never called after its free.
 */
#include "irqtest.h"

static atomic_int t_started, t_gate, s_started, s_gate, x_calls, destroyed;
static int tdev, sdev, xdev, X;

static uwq_irqreturn_t stall_t(int irq, void *d)
{
	(void)irq;
	(void)d;
	if (atomic_fetch_add(&t_started, 1) == 0)
		GATE_WAIT(atomic_load(&t_gate), "gate t");
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t stall_s(int irq, void *d)
{
	(void)irq;
	(void)d;
	if (atomic_fetch_add(&s_started, 1) == 0)
		GATE_WAIT(atomic_load(&s_gate), "gate s");
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t count_x(int irq, void *d)
{
	(void)irq;
	(void)d;
	atomic_fetch_add(&x_calls, 1);
	return UWQ_IRQ_HANDLED;
}

static atomic_int dtid;

static void *destroyer(void *a)
{
	(void)a;
	atomic_store(&dtid, (int)util_gettid());
	atomic_store(&destroyed, uwq_irq_destroy(X) == 0 ? 1 : -1);
	return NULL;
}

int main(void)
{
	struct probe p;
	pthread_t t;
	int T, S, x_before;

	probe_init(&p);
	T = new_eventfd_line();
	S = new_eventfd_line();
	X = new_eventfd_line();
	CHECK_RC(uwq_request_irq(T, stall_t, 0, "t", &tdev), "request t");
	CHECK_RC(uwq_request_irq(S, stall_s, 0, "s", &sdev), "request s");
	CHECK_RC(uwq_request_irq(X, count_x, 0, "x", &xdev), "request x");
	CHECK_RC(uwq_irq_raise(T), "raise t");
	WAIT_UNTIL(atomic_load(&t_started) == 1, "t's primary not called");
	CHECK_RC(uwq_irq_raise(S), "raise s");
	CHECK_RC(uwq_irq_raise(X), "raise x");
	atomic_store(&t_gate, 1);	/* the next epoll_wait may return S and X together */
	WAIT_UNTIL(atomic_load(&s_started) == 1, "s's primary not called");
	x_before = atomic_load(&x_calls);
	CHECK(uwq_free_irq(X, &xdev) != NULL, "free x");
	t = start_thread(destroyer, NULL);
	WAIT_UNTIL(atomic_load(&dtid), "destroyer never started");
	/* If X's event is in the held batch, destroy must wait for it. */
	wait_task_blocked(atomic_load(&dtid), NSEC_PER_SEC / 2);
	atomic_store(&s_gate, 1);
	WAIT_UNTIL(atomic_load(&destroyed) != 0, "uwq_irq_destroy(X) never returned");
	CHECK(atomic_load(&destroyed) == 1, "uwq_irq_destroy(X) failed");
	join_thread(t);
	CHECK(atomic_load(&x_calls) == x_before, "x's handler called after its free");
	probe_roundtrip(&p, 5);	/* the dispatcher is alive */
	CHECK(uwq_free_irq(T, &tdev) && uwq_free_irq(S, &sdev), "free t, s");
	CHECK_RC(uwq_irq_destroy(T), "destroy t");
	CHECK_RC(uwq_irq_destroy(S), "destroy s");
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}
