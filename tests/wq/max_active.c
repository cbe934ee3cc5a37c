/* SPDX-License-Identifier: MIT */
/*
 * max_active bounds a queue's concurrency (header: uwq_alloc_workqueue()
 * @max_active, "in total" for unbound queues with one pod; as the kernel's
 * max_active in kernel/workqueue.c):
 * an unbound queue with max_active 2 and 20 items that block (with
 * uwq_blocking_begin/end, so the pool itself would run more) never runs more
 * than 2 at once, and does run 2; finishing one activates the next;
 * uwq_workqueue_set_max_active() raising it to 4 lets 4 run, and lowering it
 * to 1 on an idle queue gives 1.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define NITEMS	20
#define EXTRA	5

struct item {
	struct uwq_work	w;
	atomic_int	started;
	atomic_int	release;
};

static struct uwq_workqueue *wq;
static struct item items[NITEMS + EXTRA];
static atomic_int limit = 2;		/* what the test allows right now */
static atomic_int running, max_running, done;
static atomic_int violations, worst_running, worst_limit;

static void item_fn(struct uwq_work *w)
{
	struct item *it = container_of(w, struct item, w);
	int now = atomic_fetch_add(&running, 1) + 1;
	int allowed = atomic_load(&limit);
	int max = atomic_load(&max_running);

	if (now > allowed) {
		atomic_fetch_add(&violations, 1);
		atomic_store(&worst_running, now);
		atomic_store(&worst_limit, allowed);
	}
	while (now > max && !atomic_compare_exchange_weak(&max_running, &max, now))
		;
	atomic_store(&it->started, 1);
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(&it->release), "item %d never released", (int)(it - items));
	uwq_blocking_end();
	atomic_fetch_sub(&running, 1);
	atomic_fetch_add(&done, 1);
}

static void check_no_violation(const char *when)
{
	CHECK(atomic_load(&violations) == 0,
	      "%s: %d items ran at once with max_active %d (%d violations)", when,
	      atomic_load(&worst_running), atomic_load(&worst_limit), atomic_load(&violations));
}

/* The first item below upto that has started and is still held, or -1. */
static int held_item(int upto)
{
	for (int i = 0; i < upto; i++)
		if (atomic_load(&items[i].started) && !atomic_load(&items[i].release))
			return i;
	return -1;
}

/*
 * Release one item that has started and is still held. An item counts itself
 * in running before it marks itself started, so the count the caller waited
 * for can be ahead of the mark: wait for the mark.
 */
static void release_one(int upto)
{
	int i;

	WAIT_UNTIL((i = held_item(upto)) >= 0, "no started item to release (running=%d)",
		   atomic_load(&running));
	atomic_store(&items[i].release, 1);
}

int main(void)
{
	wq = uwq_alloc_workqueue("max_active", UWQ_UNBOUND, 2);
	CHECK(wq, "alloc failed: %s", strerror(errno));

	for (int i = 0; i < NITEMS + EXTRA; i++)
		uwq_work_init(&items[i].w, item_fn);
	for (int i = 0; i < NITEMS; i++)
		CHECK(uwq_queue_work(wq, &items[i].w), "queueing item %d failed", i);

	/* Phase 1: max_active 2; completing one item lets exactly one more in. */
	PHASE("max_active 2");
	WAIT_UNTIL(atomic_load(&running) == 2 || atomic_load(&violations),
		   "running=%d, done=%d with max_active 2", atomic_load(&running),
		   atomic_load(&done));
	check_no_violation("max_active 2");
	for (int k = 1; k <= 6; k++) {
		release_one(NITEMS);
		WAIT_UNTIL((atomic_load(&done) == k && atomic_load(&running) == 2) ||
			   atomic_load(&violations),
			   "after releasing %d: running=%d done=%d", k,
			   atomic_load(&running), atomic_load(&done));
		check_no_violation("max_active 2");
	}
	CHECK(atomic_load(&max_running) == 2, "max concurrency %d with max_active 2",
	      atomic_load(&max_running));

	/* Phase 2: raise to 4 (allow it in the test first, then in uwq). */
	PHASE("max_active raised to 4");
	atomic_store(&limit, 4);
	CHECK(uwq_workqueue_set_max_active(wq, 4) == 0, "set_max_active(4) failed");
	WAIT_UNTIL(atomic_load(&running) == 4 || atomic_load(&violations),
		   "running=%d after raising max_active to 4", atomic_load(&running));
	check_no_violation("max_active 4");
	for (int k = 1; k <= 4; k++) {
		release_one(NITEMS);
		WAIT_UNTIL((atomic_load(&done) == 6 + k && atomic_load(&running) == 4) ||
			   atomic_load(&violations),
			   "max_active 4, after releasing %d more: running=%d done=%d", k,
			   atomic_load(&running), atomic_load(&done));
		check_no_violation("max_active 4");
	}

	for (int i = 0; i < NITEMS; i++)
		atomic_store(&items[i].release, 1);
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	CHECK(atomic_load(&done) == NITEMS, "%d of %d items ran", atomic_load(&done), NITEMS);
	check_no_violation("max_active 4");
	CHECK(atomic_load(&max_running) == 4, "max concurrency %d with max_active 4",
	      atomic_load(&max_running));

	/* Phase 3: lower to 1 on the idle queue. */
	PHASE("max_active lowered to 1");
	atomic_store(&limit, 1);
	CHECK(uwq_workqueue_set_max_active(wq, 1) == 0, "set_max_active(1) failed");
	for (int i = NITEMS; i < NITEMS + EXTRA; i++)
		CHECK(uwq_queue_work(wq, &items[i].w), "queueing item %d failed", i);
	for (int k = 1; k <= EXTRA; k++) {
		WAIT_UNTIL(atomic_load(&running) == 1 || atomic_load(&violations),
			   "max_active 1: running=%d done=%d", atomic_load(&running),
			   atomic_load(&done));
		check_no_violation("max_active 1");
		release_one(NITEMS + EXTRA);
		WAIT_UNTIL(atomic_load(&done) == NITEMS + k, "max_active 1: done=%d",
			   atomic_load(&done));
	}
	CHECK(uwq_flush_workqueue(wq) == 0, "flush_workqueue failed");
	check_no_violation("max_active 1");

	CHECK(uwq_workqueue_set_max_active(wq, 0) == 0, "set_max_active(0) (default) failed");
	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
