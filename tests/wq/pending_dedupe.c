/* SPDX-License-Identifier: MIT */
/*
 * Pending dedupe (include/uwq/workqueue.h "Pending dedupe"):
 * queueing an item that is already pending returns false and does nothing,
 * so many queueings before it runs give one run. PENDING is cleared just
 * before the function runs: a queueing during the run (from another thread,
 * or the item requeueing itself) succeeds and gives exactly one more run.
 * And no wakeup is lost (the kernel's memory-order rule for PENDING,
 * kernel/workqueue.c set_work_pool_and_clear_pending()): a run follows
 * every queue call, true or false, and sees what the caller stored before
 * it.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define RACERS		4
#define RACER_TRIES	2000

static struct uwq_workqueue *oq;	/* ordered: the blocker holds it */
static struct uwq_workqueue *wq;	/* bound */

static atomic_int gate;
static atomic_int blocker_started;
static atomic_int target_runs;
static atomic_int go;
static atomic_int racer_true;
static atomic_int racer_false;

static void wait_gate(atomic_int *g)
{
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(g), "gate never opened");
	uwq_blocking_end();
}

static void blocker_fn(struct uwq_work *w)
{
	(void)w;
	atomic_store(&blocker_started, 1);
	wait_gate(&gate);
}

static void target_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&target_runs, 1);
}

static struct uwq_work blocker, target;

static void *racer(void *arg)
{
	(void)arg;
	WAIT_UNTIL(atomic_load(&go), "never started");
	for (int i = 0; i < RACER_TRIES; i++) {
		if (uwq_queue_work(oq, &target))
			atomic_fetch_add(&racer_true, 1);
		else
			atomic_fetch_add(&racer_false, 1);
	}
	return NULL;
}

/* Many queueings (several threads at once) while the queue is held: one run. */
static void test_dedupe_while_pending(void)
{
	pthread_t t[RACERS];

	PHASE(__func__);
	uwq_work_init(&blocker, blocker_fn);
	uwq_work_init(&target, target_fn);

	CHECK(uwq_queue_work(oq, &blocker), "queueing the blocker failed");
	WAIT_UNTIL(atomic_load(&blocker_started), "blocker never ran");

	for (int i = 0; i < RACERS; i++)
		t[i] = start_thread(racer, NULL);
	atomic_store(&go, 1);
	for (int i = 0; i < RACERS; i++)
		join_thread(t[i]);

	CHECK(atomic_load(&racer_true) == 1,
	      "%d of %d concurrent queueings succeeded, want exactly 1",
	      atomic_load(&racer_true), RACERS * RACER_TRIES);
	CHECK(atomic_load(&racer_false) == RACERS * RACER_TRIES - 1, "lost calls");
	CHECK(uwq_work_pending(&target), "target not pending behind the blocker");
	for (int i = 0; i < 1000; i++)
		CHECK(!uwq_queue_work(oq, &target), "queueing a pending item returned true (i=%d)", i);
	/* Another queue, another CPU: still the same pending item. */
	CHECK(!uwq_queue_work(wq, &target), "pending item queued again on another workqueue");
	CHECK(!uwq_queue_work_on(0, wq, &target), "pending item queued again with queue_work_on");
	CHECK(atomic_load(&target_runs) == 0, "target ran while the ordered queue was held");

	atomic_store(&gate, 1);
	CHECK(uwq_flush_workqueue(oq) == 0, "flush_workqueue failed");
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&target_runs) == 1, "target ran %d times, want 1",
	      atomic_load(&target_runs));
	CHECK(uwq_work_busy(&target) == 0, "target not idle after flush: busy=%#x",
	      uwq_work_busy(&target));
}

/* A queueing from another thread while the function runs: exactly one more run. */
static atomic_int req_runs;
static atomic_int req_in_first_run;
static atomic_int req_release;
static struct uwq_work req;

static void req_fn(struct uwq_work *w)
{
	(void)w;
	if (atomic_fetch_add(&req_runs, 1) == 0) {
		atomic_store(&req_in_first_run, 1);
		wait_gate(&req_release);
	}
}

static void test_requeue_while_running(void)
{
	PHASE(__func__);
	uwq_work_init(&req, req_fn);
	CHECK(uwq_queue_work(wq, &req), "first queueing failed");
	WAIT_UNTIL(atomic_load(&req_in_first_run), "item never started, runs=%d",
		   atomic_load(&req_runs));

	CHECK(uwq_queue_work(wq, &req),
	      "queueing a running (not pending) item returned false");
	CHECK(!uwq_queue_work(wq, &req), "second queueing during the run returned true");
	CHECK(!uwq_queue_work(wq, &req), "third queueing during the run returned true");
	CHECK(atomic_load(&req_runs) == 1, "requeued item ran while still running");

	atomic_store(&req_release, 1);
	uwq_flush_work(&req);
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&req_runs) == 2, "item ran %d times, want 2",
	      atomic_load(&req_runs));
	CHECK(uwq_work_busy(&req) == 0, "item not idle: busy=%#x", uwq_work_busy(&req));
}

/* Self-requeue from inside the function: legal, exactly one more run. */
static atomic_int self_runs;
static atomic_int self_first_ret = -1;
static atomic_int self_second_ret = -1;
static struct uwq_work selfw;

static void self_fn(struct uwq_work *w)
{
	if (atomic_fetch_add(&self_runs, 1) == 0) {
		atomic_store(&self_first_ret, uwq_queue_work(wq, w));
		atomic_store(&self_second_ret, uwq_queue_work(wq, w));
	}
}

static void test_self_requeue(void)
{
	PHASE(__func__);
	uwq_work_init(&selfw, self_fn);
	CHECK(uwq_queue_work(wq, &selfw), "first queueing failed");
	WAIT_UNTIL(atomic_load(&self_runs) >= 2, "self-requeued item did not run again, runs=%d",
		   atomic_load(&self_runs));
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&self_first_ret) == 1, "self-requeue from inside returned false");
	CHECK(atomic_load(&self_second_ret) == 0, "second self-requeue returned true");
	CHECK(atomic_load(&self_runs) == 2, "self-requeued item ran %d times, want 2",
	      atomic_load(&self_runs));
	CHECK(uwq_work_busy(&selfw) == 0, "item not idle: busy=%#x", uwq_work_busy(&selfw));
}

/* Producers store, then queue; the last run must see the last store. */
#define PRODUCERS	4
#define PRODUCTS	20000

static atomic_long produced, consumed;
static atomic_int prod_go;
static struct uwq_work consumer;

static void consumer_fn(struct uwq_work *w)
{
	(void)w;
	atomic_store(&consumed, atomic_load(&produced));
}

static void *producer(void *arg)
{
	(void)arg;
	WAIT_UNTIL(atomic_load(&prod_go), "never started");
	for (int i = 0; i < PRODUCTS; i++) {
		atomic_fetch_add(&produced, 1);
		uwq_queue_work(wq, &consumer);
		if ((i & 255) == 0)
			sched_yield();
	}
	return NULL;
}

static void test_no_lost_wakeup(void)
{
	pthread_t t[PRODUCERS];

	PHASE(__func__);
	uwq_work_init(&consumer, consumer_fn);
	for (int i = 0; i < PRODUCERS; i++)
		t[i] = start_thread(producer, NULL);
	atomic_store(&prod_go, 1);
	for (int i = 0; i < PRODUCERS; i++)
		join_thread(t[i]);
	uwq_flush_work(&consumer);
	CHECK(atomic_load(&consumed) == (long)PRODUCERS * PRODUCTS,
	      "lost wakeup: the last run saw %ld of %ld stores made before queue calls",
	      atomic_load(&consumed), (long)PRODUCERS * PRODUCTS);
	CHECK(uwq_work_busy(&consumer) == 0, "consumer not idle: busy=%#x",
	      uwq_work_busy(&consumer));
}

int main(void)
{
	oq = uwq_alloc_ordered_workqueue("dedupe_ordered", 0);
	wq = uwq_alloc_workqueue("dedupe", 0, 0);
	CHECK(oq && wq, "alloc failed: %s", strerror(errno));

	test_dedupe_while_pending();
	test_requeue_while_running();
	test_self_requeue();
	test_no_lost_wakeup();

	uwq_destroy_workqueue(oq);
	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
