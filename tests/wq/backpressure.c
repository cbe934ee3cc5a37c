/* SPDX-License-Identifier: MIT */
/*
 * Backpressure (uwq/workqueue.h uwq_workqueue_set_max_pending() and
 * uwq_try_queue_work() -> 0, -EALREADY, -EAGAIN, -ESHUTDOWN: never silent
 * unbounded queueing). On an ordered queue held by a gated item:
 *  - with max_pending 4, four try_queue calls succeed and the fifth gets
 *    -EAGAIN; a pending item gets -EALREADY; uwq_queue_work() is never
 *    refused (kernel semantics) but its item counts toward the bound;
 *  - a slot comes back when an item starts or is cancelled;
 *  - 4 threads racing try_queue on 200 items while the queue is held get
 *    exactly the bound accepted, never more;
 *  - while the queue drains, outside callers get -ESHUTDOWN;
 *  - bad input gets -EINVAL; bound 0 removes the limit.
 */
#include <uwq/workqueue.h>

#include "util.h"

static atomic_int gate, runs;

static void gate_fn(struct uwq_work *w)
{
	(void)w;
	GATE_WAIT(atomic_load(&gate), "gate never opened");
}

static void plain_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&runs, 1);
}

static struct uwq_workqueue *wq;

static void *drainer(void *arg)
{
	(void)arg;
	CHECK(uwq_drain_workqueue(wq) == 0, "drain");
	return NULL;
}
static struct uwq_work items[200];
static atomic_int accepted;

static void *racer(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (int i = t; i < 200; i += 4) {
		int r = uwq_try_queue_work(wq, &items[i]);

		CHECK(r == 0 || r == -EAGAIN, "try_queue: %d", r);
		if (r == 0)
			atomic_fetch_add(&accepted, 1);
	}
	return NULL;
}

int main(void)
{
	struct uwq_work g, w[8];
	pthread_t th[4];

	wq = uwq_alloc_ordered_workqueue("bp", 0);
	CHECK(wq, "alloc");
	CHECK(uwq_workqueue_set_max_pending(NULL, 1) == -EINVAL, "NULL wq accepted");
	CHECK(uwq_workqueue_set_max_pending(wq, -1) == -EINVAL, "negative bound accepted");
	CHECK(uwq_try_queue_work(NULL, &w[0]) == -EINVAL && uwq_try_queue_work(wq, NULL) == -EINVAL, "NULL");
	CHECK(uwq_workqueue_set_max_pending(wq, 4) == 0, "set bound");

	uwq_work_init(&g, gate_fn);
	CHECK(uwq_try_queue_work(wq, &g) == 0, "gate item refused");
	WAIT_UNTIL(uwq_work_busy(&g) & UWQ_WORK_BUSY_RUNNING, "gate item not running");
	for (int i = 0; i < 8; i++)
		uwq_work_init(&w[i], plain_fn);
	for (int i = 0; i < 4; i++)
		CHECK(uwq_try_queue_work(wq, &w[i]) == 0, "item %d refused below the bound", i);
	CHECK(uwq_try_queue_work(wq, &w[4]) == -EAGAIN, "fifth item accepted over the bound");
	CHECK(uwq_try_queue_work(wq, &w[0]) == -EALREADY, "pending item not -EALREADY");
	CHECK(uwq_queue_work(wq, &w[5]), "uwq_queue_work refused: it must keep kernel semantics");
	CHECK(uwq_cancel_work(&w[0]), "cancel");
	CHECK(uwq_try_queue_work(wq, &w[6]) == -EAGAIN, "w[5] (queue_work) did not count toward the bound");
	CHECK(uwq_cancel_work(&w[1]), "cancel");
	CHECK(uwq_try_queue_work(wq, &w[6]) == 0, "a cancelled item did not give its slot back");

	atomic_store(&gate, 1);
	CHECK(uwq_flush_workqueue(wq) == 0, "flush");
	CHECK(atomic_load(&runs) == 4, "%d runs, want 4 (w2, w3, w5, w6)", atomic_load(&runs));
	for (int i = 0; i < 4; i++)
		CHECK(uwq_try_queue_work(wq, &w[i]) == 0, "slots not returned when items started (%d)", i);
	CHECK(uwq_flush_workqueue(wq) == 0, "flush");

	PHASE("racing callers never exceed the bound");
	atomic_store(&gate, 0);
	uwq_work_init(&g, gate_fn);
	CHECK(uwq_queue_work(wq, &g), "gate");
	WAIT_UNTIL(uwq_work_busy(&g) & UWQ_WORK_BUSY_RUNNING, "gate item not running");
	for (int i = 0; i < 200; i++)
		uwq_work_init(&items[i], plain_fn);
	for (int t = 0; t < 4; t++)
		th[t] = start_thread(racer, (void *)(intptr_t)t);
	for (int t = 0; t < 4; t++)
		join_thread(th[t]);
	CHECK(atomic_load(&accepted) == 4, "%d accepted while the queue was held, bound 4", atomic_load(&accepted));

	PHASE("draining refuses outside callers");
	{
		struct uwq_work late;
		int r;

		uwq_work_init(&late, plain_fn);
		CHECK(uwq_workqueue_set_max_pending(wq, 0) == 0, "remove bound");
		capture_stderr_begin();
		{
			pthread_t d;

			d = start_thread(drainer, NULL);
			WAIT_UNTIL((r = uwq_try_queue_work(wq, &late)) == -ESHUTDOWN, "try_queue during drain: %d", r);
			atomic_store(&gate, 1);
			join_thread(d);
		}
		free(capture_stderr_end());
		CHECK(uwq_try_queue_work(wq, &late) == 0, "refused after the drain");
		CHECK(uwq_flush_workqueue(wq) == 0, "flush");
	}
	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}
