/* SPDX-License-Identifier: MIT */
/*
 * flush_workqueue waits for what was queued before the call, not after
 * (include/uwq/workqueue.h uwq_flush_workqueue(): "wait for every item
 * queued on @wq before the call"; as the kernel's flush_workqueue() in
 * kernel/workqueue.c, which waits for inactive items too):
 * N items wait on gate 1 (with max_active 2, most of them are still inactive
 * when the flush starts). A thread starts the flush; once it sleeps inside
 * the flush, M more items are queued, gated by gate 2 which opens only after
 * the flush returns. Opening gate 1 must let the flush return while the
 * second batch is still blocked, with every first-batch item complete.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define N	8
#define M	6

struct item {
	struct uwq_work	w;
	atomic_int	*gate;
	atomic_int	*done;
};

static atomic_int gate1, gate2, done1, done2;
static atomic_int started2;

static struct uwq_workqueue *wq;

static void item_fn(struct uwq_work *w)
{
	struct item *it = container_of(w, struct item, w);

	if (it->gate == &gate2)
		atomic_fetch_add(&started2, 1);
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(it->gate), "gate never opened");
	uwq_blocking_end();
	atomic_fetch_add(it->done, 1);
}

static atomic_int flush_started, flush_returned;
static atomic_int flush_ret = 1;
static atomic_int done1_at_return = -1, done2_at_return = -1;
static atomic_int flusher_tid;

static void *flusher(void *arg)
{
	int ret;

	(void)arg;
	atomic_store(&flusher_tid, util_gettid());
	atomic_store(&flush_started, 1);
	ret = uwq_flush_workqueue(wq);
	atomic_store(&done1_at_return, atomic_load(&done1));
	atomic_store(&done2_at_return, atomic_load(&done2));
	atomic_store(&flush_ret, ret);
	atomic_store(&flush_returned, 1);
	return NULL;
}

int main(void)
{
	static struct item batch1[N], batch2[M];
	pthread_t t;

	wq = uwq_alloc_workqueue("flush_wq", 0, 2);
	CHECK(wq, "alloc failed: %s", strerror(errno));
	CHECK(uwq_flush_workqueue(wq) == 0, "flush of an empty queue failed");

	for (int i = 0; i < N; i++) {
		batch1[i].gate = &gate1;
		batch1[i].done = &done1;
		uwq_work_init(&batch1[i].w, item_fn);
		CHECK(uwq_queue_work(wq, &batch1[i].w), "queueing batch 1 item %d failed", i);
	}

	PHASE("flush with batch 1 blocked");
	t = start_thread(flusher, NULL);
	WAIT_UNTIL(atomic_load(&flush_started), "flusher never started");
	wait_task_blocked((pid_t)atomic_load(&flusher_tid), 2 * NSEC_PER_SEC);
	CHECK(!atomic_load(&flush_returned), "flush returned while batch 1 was blocked");

	for (int i = 0; i < M; i++) {
		batch2[i].gate = &gate2;
		batch2[i].done = &done2;
		uwq_work_init(&batch2[i].w, item_fn);
		CHECK(uwq_queue_work(wq, &batch2[i].w), "queueing batch 2 item %d failed", i);
	}
	CHECK(!atomic_load(&flush_returned), "flush returned while batch 1 was blocked");

	atomic_store(&gate1, 1);
	WAIT_UNTIL(atomic_load(&flush_returned),
		   "flush_workqueue waits for items queued after it: batch 1 done %d/%d, "
		   "batch 2 started %d/%d", atomic_load(&done1), N, atomic_load(&started2), M);
	join_thread(t);

	CHECK(atomic_load(&flush_ret) == 0, "flush_workqueue returned %d", atomic_load(&flush_ret));
	CHECK(atomic_load(&done1_at_return) == N,
	      "flush returned with only %d of %d earlier items complete",
	      atomic_load(&done1_at_return), N);
	CHECK(atomic_load(&done2_at_return) == 0, "batch 2 finished while its gate was shut");

	PHASE("second flush");
	atomic_store(&gate2, 1);
	CHECK(uwq_flush_workqueue(wq) == 0, "second flush failed");
	CHECK(atomic_load(&done2) == M, "second flush returned with %d of %d items complete",
	      atomic_load(&done2), M);
	for (int i = 0; i < M; i++)
		CHECK(uwq_work_busy(&batch2[i].w) == 0, "batch 2 item %d busy after flush", i);

	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
