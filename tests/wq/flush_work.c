/* SPDX-License-Identifier: MIT */
/*
 * flush_work waits for the last queueing (include/uwq/workqueue.h
 * uwq_flush_work(): "wait for the last queueing of @w to finish running";
 * as the kernel's flush_work() in kernel/workqueue.c):
 *  - after uwq_flush_work() returns, the run caused by the last queueing
 *    made before the call has completed (each run records the newest
 *    queueing sequence it could see);
 *  - it returns false for an idle item (never queued, or already done);
 *  - it returns true when it had to wait, for a running item and for a
 *    pending one.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define MAX_CPUS	1024
#define ROUNDS		1200

static struct uwq_workqueue *wq;	/* bound */
static struct uwq_workqueue *oq;	/* ordered */
static pid_t main_tid;

static void wait_gate(atomic_int *g)
{
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(g), "gate never opened");
	uwq_blocking_end();
}

/*
 * The helper opens @gate once the main thread, having announced it is
 * about to flush, sleeps: normally inside that flush, so the item is still
 * busy when the flush looks at it. But "asleep" may also be a wait for a
 * pool lock before the flush has looked (a loaded machine, valgrind); then
 * the item may finish first and the flush rightly returns false. Such a
 * round proves nothing: the tests below repeat it (ATTEMPTS) and need one
 * round where the flush waited, and every round must be consistent.
 */
#define ATTEMPTS	20

static atomic_int flushing;

static void *opener(void *arg)
{
	atomic_int *gate = arg;

	WAIT_UNTIL(atomic_load(&flushing), "main never flushed");
	wait_task_blocked(main_tid, 2 * NSEC_PER_SEC);
	atomic_store(gate, 1);
	return NULL;
}

/* --- idle items ------------------------------------------------------- */

static atomic_int plain_runs;

static void plain_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&plain_runs, 1);
}

static void test_idle(void)
{
	struct uwq_work w;

	PHASE(__func__);
	uwq_work_init(&w, plain_fn);
	CHECK(!uwq_flush_work(&w), "flush_work of a never-queued item returned true");
	CHECK(uwq_queue_work(wq, &w), "queueing failed");
	WAIT_UNTIL(atomic_load(&plain_runs) == 1, "item never ran");
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	CHECK(!uwq_flush_work(&w), "flush_work of a completed item returned true");
	CHECK(!uwq_flush_work(&w), "second flush_work of a completed item returned true");
}

/* --- had to wait: running --------------------------------------------- */

static atomic_int run_gate, run_started, run_done;

static void running_fn(struct uwq_work *w)
{
	(void)w;
	atomic_store(&run_started, 1);
	wait_gate(&run_gate);
	atomic_store(&run_done, 1);
}

static void test_wait_running(void)
{
	struct uwq_work w;
	int waited = 0;

	PHASE(__func__);
	for (int i = 0; i < ATTEMPTS && !waited; i++) {
		pthread_t t;
		bool ret;

		atomic_store(&run_gate, 0);
		atomic_store(&run_started, 0);
		atomic_store(&run_done, 0);
		uwq_work_init(&w, running_fn);
		CHECK(uwq_queue_work(wq, &w), "queueing failed");
		WAIT_UNTIL(atomic_load(&run_started), "item never started");

		t = start_thread(opener, &run_gate);
		atomic_store(&flushing, 1);
		ret = uwq_flush_work(&w);
		/* True or false, the run is over once the flush returns. */
		CHECK(atomic_load(&run_done), "flush_work returned %d before the run finished", ret);
		join_thread(t);
		atomic_store(&flushing, 0);
		waited += ret;
		CHECK(!uwq_flush_work(&w), "flush_work after completion returned true");
	}
	CHECK(waited, "flush_work of a running item never returned true in %d rounds", ATTEMPTS);
}

/* --- had to wait: pending behind a blocker ----------------------------- */

static atomic_int blk_gate, blk_started, pend_runs;

static void blocker_fn(struct uwq_work *w)
{
	(void)w;
	atomic_store(&blk_started, 1);
	wait_gate(&blk_gate);
}

static void pending_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&pend_runs, 1);
}

static void test_wait_pending(void)
{
	struct uwq_work b, p;
	int waited = 0;

	PHASE(__func__);
	for (int i = 0; i < ATTEMPTS && !waited; i++) {
		pthread_t t;
		bool ret;

		atomic_store(&blk_gate, 0);
		atomic_store(&blk_started, 0);
		atomic_store(&pend_runs, 0);
		uwq_work_init(&b, blocker_fn);
		uwq_work_init(&p, pending_fn);
		CHECK(uwq_queue_work(oq, &b), "queueing the blocker failed");
		WAIT_UNTIL(atomic_load(&blk_started), "blocker never started");
		CHECK(uwq_queue_work(oq, &p), "queueing failed");

		t = start_thread(opener, &blk_gate);
		atomic_store(&flushing, 1);
		ret = uwq_flush_work(&p);
		CHECK(atomic_load(&pend_runs) == 1, "flush_work returned %d but the item ran %d times", ret,
		      atomic_load(&pend_runs));
		join_thread(t);
		atomic_store(&flushing, 0);
		waited += ret;
		CHECK(!uwq_work_pending(&p), "item still pending after flush_work");
		CHECK(uwq_flush_workqueue(oq) == 0, "flush_workqueue failed");
	}
	CHECK(waited, "flush_work of a pending item never returned true in %d rounds", ATTEMPTS);
}

/* --- waits for the last queueing --------------------------------------- */

static atomic_long seq;		/* sequence of the newest queueing (written before the call) */
static atomic_long completed;	/* newest sequence a finished run had seen at its start */
static atomic_int seq_running;
static atomic_int seq_overlap;

static void seq_fn(struct uwq_work *w)
{
	long s = atomic_load(&seq);

	(void)w;
	if (atomic_fetch_add(&seq_running, 1) != 0)
		atomic_fetch_add(&seq_overlap, 1);
	burn_us(5);
	atomic_fetch_sub(&seq_running, 1);
	/* Runs never overlap (non-reentrancy), so a plain store keeps
	 * `completed` monotonic. */
	atomic_store(&completed, s);
}

static void test_last_queueing(void)
{
	static int cpus[MAX_CPUS];
	int ncpus = affinity_cpus(cpus, MAX_CPUS);
	struct uwq_work w;
	int waited = 0, idle = 0;

	PHASE(__func__);
	uwq_work_init(&w, seq_fn);
	for (long i = 1; i <= ROUNDS; i++) {
		atomic_store(&seq, i);
		uwq_queue_work_on(cpus[i % ncpus], wq, &w);
		if (i % 3 == 0) {
			if (uwq_flush_work(&w))
				waited++;
			else
				idle++;
			CHECK(atomic_load(&completed) >= i,
			      "flush_work returned before the run of queueing #%ld finished "
			      "(newest finished run saw #%ld)", i, atomic_load(&completed));
		}
	}
	CHECK(atomic_load(&seq_overlap) == 0, "runs overlapped");
	CHECK(uwq_work_busy(&w) == 0, "item not idle at the end: busy=%#x", uwq_work_busy(&w));
	NOTE("%d flushes waited, %d found the item idle", waited, idle);
}

int main(void)
{
	main_tid = util_gettid();
	wq = uwq_alloc_workqueue("flush_work", 0, 0);
	oq = uwq_alloc_ordered_workqueue("flush_work_ordered", 0);
	CHECK(wq && oq, "alloc failed: %s", strerror(errno));

	CHECK(!uwq_flush_work(NULL), "flush_work(NULL) returned true");
	test_idle();
	test_wait_running();
	test_wait_pending();
	test_last_queueing();

	uwq_destroy_workqueue(wq);
	uwq_destroy_workqueue(oq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
