/* SPDX-License-Identifier: MIT */
/*
 * A work function may free its own work item (work items are caller-owned:
 * include/uwq/workqueue.h; as in the kernel's process_one_work(), the pool
 * copies everything it needs first and afterwards uses only the address
 * for comparisons).
 * Thousands of malloc'd items, and delayed items, each freed by its own
 * function, on bound, unbound, high-priority and ordered queues. Under ASan
 * any later touch of the item by uwq is a heap-use-after-free report; the
 * allocator also reuses the addresses at once, which exercises the
 * (address, function) identity of non-reentrancy.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define NWORK		4000
#define NDELAYED	400
#define MAGIC		0x5eedf00du

struct obj {
	struct uwq_work	w;
	unsigned	magic;
	int		id;
};

struct dobj {
	struct uwq_delayed_work	dw;
	unsigned		magic;
};

static atomic_int freed, dfreed, bad;

static void obj_fn(struct uwq_work *w)
{
	struct obj *o = container_of(w, struct obj, w);

	if (o->magic != MAGIC)
		atomic_fetch_add(&bad, 1);
	o->magic = 0;
	free(o);
	atomic_fetch_add(&freed, 1);
}

static void dobj_fn(struct uwq_work *w)
{
	struct dobj *o = container_of(uwq_to_delayed_work(w), struct dobj, dw);

	if (o->magic != MAGIC)
		atomic_fetch_add(&bad, 1);
	o->magic = 0;
	free(o);
	atomic_fetch_add(&dfreed, 1);
}

/* Frees itself after requeueing itself once: the second run does the free. */
static atomic_int requeue_freed;

static void requeue_then_free_fn(struct uwq_work *w)
{
	struct obj *o = container_of(w, struct obj, w);

	if (o->id == 0) {
		o->id = 1;
		if (!uwq_queue_work(uwq_system_wq, w))
			atomic_fetch_add(&bad, 1);
		return;
	}
	free(o);
	atomic_fetch_add(&requeue_freed, 1);
}

int main(void)
{
	struct uwq_workqueue *wqs[5];
	int queued_requeue = 0;

	wqs[0] = uwq_alloc_workqueue("free_bound", 0, 0);
	wqs[1] = uwq_alloc_workqueue("free_unbound", UWQ_UNBOUND, 0);
	wqs[2] = uwq_alloc_workqueue("free_highpri", UWQ_HIGHPRI, 0);
	wqs[3] = uwq_alloc_ordered_workqueue("free_ordered", 0);
	wqs[4] = uwq_system_wq;
	for (int i = 0; i < 4; i++)
		CHECK(wqs[i], "alloc failed: %s", strerror(errno));

	for (int i = 0; i < NWORK; i++) {
		struct obj *o = malloc(sizeof(*o));

		CHECK(o, "out of memory");
		o->magic = MAGIC;
		o->id = i;
		uwq_work_init(&o->w, obj_fn);
		CHECK(uwq_queue_work(wqs[i % 5], &o->w), "queueing item %d failed", i);
		if ((i & 255) == 0) {
			o = malloc(sizeof(*o));
			CHECK(o, "out of memory");
			o->magic = MAGIC;
			o->id = 0;
			uwq_work_init(&o->w, requeue_then_free_fn);
			CHECK(uwq_queue_work(uwq_system_wq, &o->w), "queueing failed");
			queued_requeue++;
		}
	}
	for (int i = 0; i < NDELAYED; i++) {
		struct dobj *o = malloc(sizeof(*o));
		uint64_t delay = (uint64_t)(i % 4) * NSEC_PER_MSEC;	/* 0 queues at once */

		CHECK(o, "out of memory");
		o->magic = MAGIC;
		uwq_delayed_work_init(&o->dw, dobj_fn);
		CHECK(uwq_queue_delayed_work(wqs[i % 5], &o->dw, delay),
		      "queueing delayed item %d failed", i);
	}

	PHASE("waiting for the items");
	WAIT_UNTIL(atomic_load(&freed) == NWORK && atomic_load(&dfreed) == NDELAYED &&
		   atomic_load(&requeue_freed) == queued_requeue,
		   "freed %d/%d items, %d/%d delayed, %d/%d requeued",
		   atomic_load(&freed), NWORK, atomic_load(&dfreed), NDELAYED,
		   atomic_load(&requeue_freed), queued_requeue);
	PHASE("flushing");
	for (int i = 0; i < 5; i++)
		CHECK(uwq_flush_workqueue(wqs[i]) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&bad) == 0, "%d items were corrupt when their function ran",
	      atomic_load(&bad));

	for (int i = 0; i < 4; i++)
		uwq_destroy_workqueue(wqs[i]);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
