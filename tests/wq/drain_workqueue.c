/* SPDX-License-Identifier: MIT */
/*
 * drain_workqueue (include/uwq/workqueue.h uwq_drain_workqueue(): "flush
 * @wq until it stays empty. Meanwhile only @wq's own items may queue on it
 * (chained queueing); other queueings return false and are reported once";
 * as the kernel's drain_workqueue() in kernel/workqueue.c):
 *  - it returns only when chains have ended: an item requeueing itself K
 *    times, and two items queueing each other K times, all ran;
 *  - while it drains, the queue's own items may still queue on it, but a
 *    queueing from any other thread returns false and is reported with
 *    exactly one "uwq: " line per drain;
 *  - after it returns, queueing works again.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define K	200

static struct uwq_workqueue *wq;

/* --- chains ------------------------------------------------------------- */

static atomic_int c_runs, a_runs, b_runs, chain_fail;
static struct uwq_work c_item, a_item, b_item;

static void chain_self_fn(struct uwq_work *w)
{
	if (atomic_fetch_add(&c_runs, 1) + 1 < K && !uwq_queue_work(wq, w))
		atomic_fetch_add(&chain_fail, 1);
	burn_us(10);
}

static void chain_a_fn(struct uwq_work *w)
{
	(void)w;
	if (atomic_fetch_add(&a_runs, 1) + 1 < K && !uwq_queue_work(wq, &b_item))
		atomic_fetch_add(&chain_fail, 1);
	burn_us(10);
}

static void chain_b_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&b_runs, 1);
	if (!uwq_queue_work(wq, &a_item))
		atomic_fetch_add(&chain_fail, 1);
}

static void test_chains(void)
{
	PHASE(__func__);
	uwq_work_init(&c_item, chain_self_fn);
	uwq_work_init(&a_item, chain_a_fn);
	uwq_work_init(&b_item, chain_b_fn);

	CHECK(uwq_queue_work(wq, &c_item), "queueing failed");
	CHECK(uwq_queue_work(wq, &a_item), "queueing failed");
	CHECK(uwq_drain_workqueue(wq) == 0, "drain_workqueue failed");

	CHECK(atomic_load(&chain_fail) == 0, "%d chained queueings were refused during drain",
	      atomic_load(&chain_fail));
	CHECK(atomic_load(&c_runs) == K, "drain returned after %d of %d self-requeued runs",
	      atomic_load(&c_runs), K);
	CHECK(atomic_load(&a_runs) == K && atomic_load(&b_runs) == K - 1,
	      "drain returned after a=%d b=%d runs, want %d and %d",
	      atomic_load(&a_runs), atomic_load(&b_runs), K, K - 1);
	CHECK(uwq_work_busy(&c_item) == 0 && uwq_work_busy(&a_item) == 0 &&
	      uwq_work_busy(&b_item) == 0, "items not idle after drain");
}

/* --- outside queueing is refused while draining -------------------------- */

static atomic_int gate, g_started, g_runs, g_chained_ret = -1;
static atomic_int outsider_runs, fresh_runs;
static struct uwq_work g_item, fresh;
static struct uwq_work outsiders[2][2];	/* [round][i]: fresh ones, see NOTE below */

void outsider_fn(struct uwq_work *w);	/* exported: reports may name it */

static void gated_fn(struct uwq_work *w)
{
	if (atomic_fetch_add(&g_runs, 1) == 0) {
		atomic_store(&g_started, 1);
		uwq_blocking_begin();
		GATE_WAIT(atomic_load(&gate), "gate never opened");
		uwq_blocking_end();
		/* Chained: one of the queue's own items queueing on it. */
		atomic_store(&g_chained_ret, uwq_queue_work(wq, w));
	}
}

void outsider_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&outsider_runs, 1);
}

static void fresh_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&fresh_runs, 1);
}

static atomic_int drain_started, drained, drainer_tid;
static atomic_int drain_ret = 1;

static void *drainer(void *arg)
{
	(void)arg;
	atomic_store(&drainer_tid, util_gettid());
	atomic_store(&drain_started, 1);
	atomic_store(&drain_ret, uwq_drain_workqueue(wq));
	atomic_store(&drained, 1);
	return NULL;
}

static void test_refuse_outside(int round)
{
	struct uwq_work *outsider = &outsiders[round - 1][0];
	struct uwq_work *outsider2 = &outsiders[round - 1][1];
	pthread_t t;
	char *err;
	int lines;

	PHASE(__func__);
	atomic_store(&gate, 0);
	atomic_store(&g_started, 0);
	atomic_store(&g_runs, 0);
	atomic_store(&g_chained_ret, -1);
	atomic_store(&drain_started, 0);
	atomic_store(&drained, 0);
	atomic_store(&drain_ret, 1);
	atomic_store(&fresh_runs, 0);
	atomic_store(&outsider_runs, 0);
	uwq_work_init(&g_item, gated_fn);
	uwq_work_init(outsider, outsider_fn);
	uwq_work_init(outsider2, outsider_fn);
	uwq_work_init(&fresh, fresh_fn);

	CHECK(uwq_queue_work(wq, &g_item), "queueing failed");
	WAIT_UNTIL(atomic_load(&g_started), "gated item never started");
	t = start_thread(drainer, NULL);
	WAIT_UNTIL(atomic_load(&drain_started), "drainer never started");
	wait_task_blocked((pid_t)atomic_load(&drainer_tid), 2 * NSEC_PER_SEC);
	CHECK(!atomic_load(&drained), "drain returned while an item was blocked");

	capture_stderr_begin();
	bool r1 = uwq_queue_work(wq, outsider);
	bool r2 = uwq_queue_work(wq, outsider);
	bool r3 = uwq_queue_work_on(0, wq, outsider2);
	bool r4 = uwq_queue_work(wq, outsider2);
	err = capture_stderr_end();

	CHECK(!r1 && !r2 && !r3 && !r4,
	      "round %d: outside queueing during drain returned true (%d %d %d %d)",
	      round, r1, r2, r3, r4);
	lines = count_lines_starting(err, "uwq: ");
	CHECK(lines == 1, "round %d: %d \"uwq: \" report lines for refused queueings, want 1",
	      round, lines);
	if (count_lines_containing(err, "outsider_fn") == 0)
		NOTE("round %d: the refusal report does not name the work function", round);
	free(err);

	atomic_store(&gate, 1);
	WAIT_UNTIL(atomic_load(&drained), "drain never returned; gated item ran %d times",
		   atomic_load(&g_runs));
	join_thread(t);
	CHECK(atomic_load(&drain_ret) == 0, "drain returned %d", atomic_load(&drain_ret));
	CHECK(atomic_load(&g_chained_ret) == 1,
	      "round %d: chained queueing from the queue's own item during drain was refused",
	      round);
	CHECK(atomic_load(&g_runs) == 2, "round %d: drain returned before the chained run (%d runs)",
	      round, atomic_load(&g_runs));
	CHECK(atomic_load(&outsider_runs) == 0, "a refused item ran");

	/* Queueing works again. */
	CHECK(uwq_queue_work(wq, &fresh), "round %d: queueing after drain returned false", round);
	uwq_flush_work(&fresh);
	CHECK(atomic_load(&fresh_runs) == 1, "item queued after drain ran %d times",
	      atomic_load(&fresh_runs));
	/*
	 * Whether a refused item stays pending is not documented (the kernel
	 * leaves PENDING set, a caller bug anyway): say, do not assert. Each
	 * round uses fresh items so this cannot matter.
	 */
	if (uwq_work_pending(outsider) || uwq_work_pending(outsider2)) {
		NOTE("round %d: a refused item was left pending (as the kernel does)", round);
	} else {
		CHECK(uwq_queue_work(wq, outsider), "round %d: requeueing a refused item failed",
		      round);
		uwq_flush_work(outsider);
		CHECK(atomic_load(&outsider_runs) == 1, "a refused item queued again ran %d times",
		      atomic_load(&outsider_runs));
	}
}

int main(void)
{
	wq = uwq_alloc_workqueue("drain", 0, 0);
	CHECK(wq, "alloc failed: %s", strerror(errno));
	CHECK(uwq_drain_workqueue(wq) == 0, "drain of an empty queue failed");

	test_chains();
	test_refuse_outside(1);
	test_refuse_outside(2);	/* "reported once per drain": once again */

	/* Drain is over: the chains may run again. */
	atomic_store(&c_runs, K - 1);
	CHECK(uwq_queue_work(wq, &c_item), "queueing after drain failed");
	uwq_flush_work(&c_item);
	CHECK(atomic_load(&c_runs) == K, "item did not run after drain");

	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
