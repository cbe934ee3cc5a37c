/* SPDX-License-Identifier: MIT */
/*
 * Ordered workqueue (include/uwq/workqueue.h uwq_alloc_ordered_workqueue():
 * "a queue that runs one item at a time, in queueing order"; as the
 * kernel's alloc_ordered_workqueue()):
 *  - 4 threads each submit 2000 items with increasing sequence numbers; the
 *    items record (thread, seq) in execution order: each thread's order is
 *    preserved and no two items ever run at once;
 *  - 1000 distinct items queued by one thread run in exactly that order.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define THREADS		4
#define PER_THREAD	2000
#define SINGLE		1000
#define TOTAL		(THREADS * PER_THREAD)

struct item {
	struct uwq_work	w;
	int		thread;
	int		seq;
};

static struct uwq_workqueue *oq;
static struct item items[TOTAL];
static atomic_int log_[TOTAL];		/* thread << 16 | seq, in execution order */
static atomic_int log_pos;
static atomic_int running, max_running;
static atomic_int go;

static void item_fn(struct uwq_work *w)
{
	struct item *it = container_of(w, struct item, w);
	int now = atomic_fetch_add(&running, 1) + 1;
	int pos, max = atomic_load(&max_running);

	while (now > max && !atomic_compare_exchange_weak(&max_running, &max, now))
		;
	pos = atomic_fetch_add(&log_pos, 1);
	if (pos < TOTAL)
		atomic_store_explicit(&log_[pos], it->thread << 16 | it->seq,
				      memory_order_relaxed);
	if ((it->seq & 15) == 0)
		burn_us(2);		/* widen the window for an overlap */
	atomic_fetch_sub(&running, 1);
}

static void *submitter(void *arg)
{
	int t = (int)(intptr_t)arg;

	WAIT_UNTIL(atomic_load(&go), "never started");
	for (int s = 0; s < PER_THREAD; s++) {
		struct item *it = &items[t * PER_THREAD + s];

		CHECK(uwq_queue_work(oq, &it->w), "thread %d: queueing seq %d failed", t, s);
		if ((s & 127) == 0)
			sched_yield();
	}
	return NULL;
}

static void reset(void)
{
	atomic_store(&log_pos, 0);
	atomic_store(&running, 0);
	atomic_store(&max_running, 0);
}

static void test_many_submitters(void)
{
	int next[THREADS] = { 0 };
	pthread_t t[THREADS];

	PHASE(__func__);
	reset();
	for (int i = 0; i < TOTAL; i++) {
		items[i].thread = i / PER_THREAD;
		items[i].seq = i % PER_THREAD;
		uwq_work_init(&items[i].w, item_fn);
	}
	for (int i = 0; i < THREADS; i++)
		t[i] = start_thread(submitter, (void *)(intptr_t)i);
	atomic_store(&go, 1);
	for (int i = 0; i < THREADS; i++)
		join_thread(t[i]);
	CHECK(uwq_flush_workqueue(oq) == 0, "flush_workqueue failed");

	CHECK(atomic_load(&log_pos) == TOTAL, "%d of %d items ran", atomic_load(&log_pos), TOTAL);
	CHECK(atomic_load(&max_running) == 1, "%d items of an ordered queue ran at once",
	      atomic_load(&max_running));
	for (int i = 0; i < TOTAL; i++) {
		int v = atomic_load_explicit(&log_[i], memory_order_relaxed);
		int th = v >> 16, seq = v & 0xffff;

		CHECK(th >= 0 && th < THREADS, "bad log entry %#x at %d", v, i);
		CHECK(seq == next[th], "position %d: thread %d's seq %d ran, expected seq %d",
		      i, th, seq, next[th]);
		next[th]++;
	}
}

static void test_single_submitter(void)
{
	PHASE(__func__);
	reset();
	for (int i = 0; i < SINGLE; i++) {
		items[i].thread = 0;
		items[i].seq = i;
		uwq_work_init(&items[i].w, item_fn);
	}
	for (int i = 0; i < SINGLE; i++)
		CHECK(uwq_queue_work(oq, &items[i].w), "queueing item %d failed", i);
	CHECK(uwq_flush_workqueue(oq) == 0, "flush_workqueue failed");

	CHECK(atomic_load(&log_pos) == SINGLE, "%d of %d items ran", atomic_load(&log_pos), SINGLE);
	CHECK(atomic_load(&max_running) == 1, "%d items ran at once", atomic_load(&max_running));
	for (int i = 0; i < SINGLE; i++) {
		int v = atomic_load_explicit(&log_[i], memory_order_relaxed);

		CHECK(v == i, "position %d ran item %d", i, v);
	}
}

int main(void)
{
	oq = uwq_alloc_ordered_workqueue("ordered", 0);
	CHECK(oq, "alloc failed: %s", strerror(errno));

	test_many_submitters();
	test_single_submitter();
	CHECK(uwq_workqueue_set_max_active(oq, 4) == -EINVAL,
	      "set_max_active on an ordered queue did not return -EINVAL");
	test_single_submitter();	/* still ordered */

	uwq_destroy_workqueue(oq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
