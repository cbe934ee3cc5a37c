/* SPDX-License-Identifier: MIT */
/*
 * Bad input gets the documented error, never a crash (STYLE.md "Errors";
 * the Return: lines of include/uwq/workqueue.h; the kernel's
 * wq_clamp_max_active() in kernel/workqueue.c for the clamping of
 * max_active):
 *  - constructors: NULL name, unknown flag bits, negative max_active give
 *    NULL with errno EINVAL; max_active above UWQ_MAX_ACTIVE is clamped with
 *    one warning and the queue works;
 *  - bool calls on NULL return false; int calls return -EINVAL;
 *    destructors accept NULL.
 */
#include <uwq/workqueue.h>

#include "util.h"

static atomic_int runs;

static void fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&runs, 1);
}

#define EXPECT_EINVAL(expr) do {						\
	errno = 0;								\
	struct uwq_workqueue *wq_ = (expr);					\
	int e_ = errno;								\
	CHECK(wq_ == NULL, "%s succeeded", #expr);				\
	CHECK(e_ == EINVAL, "%s: errno %d (%s), want EINVAL", #expr, e_, strerror(e_)); \
} while (0)

static void test_constructors(void)
{
	static const unsigned good[] = {
		0, UWQ_UNBOUND, UWQ_FREEZABLE, UWQ_MEM_RECLAIM, UWQ_HIGHPRI, UWQ_CPU_INTENSIVE,
		UWQ_UNBOUND | UWQ_HIGHPRI, UWQ_HIGHPRI | UWQ_CPU_INTENSIVE | UWQ_MEM_RECLAIM,
	};

	PHASE(__func__);
	EXPECT_EINVAL(uwq_alloc_workqueue(NULL, 0, 0));
	EXPECT_EINVAL(uwq_alloc_workqueue("bad", 1u << 30, 0));
	EXPECT_EINVAL(uwq_alloc_workqueue("bad", 1u << 0, 0));		/* kernel's WQ_BH bit */
	EXPECT_EINVAL(uwq_alloc_workqueue("bad", 1u << 17, 0));	/* an internal bit */
	EXPECT_EINVAL(uwq_alloc_workqueue("bad", ~0u, 0));
	EXPECT_EINVAL(uwq_alloc_workqueue("bad", 0, -1));
	EXPECT_EINVAL(uwq_alloc_workqueue("bad", UWQ_UNBOUND, -1000));
	EXPECT_EINVAL(uwq_alloc_ordered_workqueue(NULL, 0));
	EXPECT_EINVAL(uwq_alloc_ordered_workqueue("bad", 1u << 30));

	/* Every public flag is accepted, alone and in combination. */
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct uwq_workqueue *wq = uwq_alloc_workqueue("good", good[i], 0);
		struct uwq_work w;
		int before = atomic_load(&runs);

		CHECK(wq, "flags %#x refused: %s", good[i], strerror(errno));
		uwq_work_init(&w, fn);
		CHECK(uwq_queue_work(wq, &w), "flags %#x: queueing failed", good[i]);
		uwq_flush_work(&w);
		CHECK(atomic_load(&runs) == before + 1, "flags %#x: item did not run", good[i]);
		uwq_destroy_workqueue(wq);
	}
}

static void test_clamp(void)
{
	struct uwq_workqueue *wq;
	struct uwq_work w;
	char *err;
	int lines, before;
	const char *longname = "a-workqueue-name-much-longer-than-thirty-one-characters";

	PHASE(__func__);
	capture_stderr_begin();
	wq = uwq_alloc_workqueue("clamped", 0, UWQ_MAX_ACTIVE + 1);
	err = capture_stderr_end();
	CHECK(wq, "max_active above UWQ_MAX_ACTIVE refused: %s", strerror(errno));
	lines = count_lines_starting(err, "uwq: ");
	CHECK(lines == 1, "clamping max_active gave %d \"uwq: \" lines, want one warning", lines);
	free(err);

	before = atomic_load(&runs);
	uwq_work_init(&w, fn);
	CHECK(uwq_queue_work(wq, &w), "clamped queue: queueing failed");
	uwq_flush_work(&w);
	CHECK(atomic_load(&runs) == before + 1, "clamped queue: item did not run");

	CHECK(uwq_workqueue_set_max_active(wq, UWQ_MAX_ACTIVE * 4) == 0,
	      "set_max_active above the maximum not accepted (clamped)");
	CHECK(uwq_workqueue_set_max_active(wq, 1) == 0, "set_max_active(1) failed");
	CHECK(uwq_workqueue_set_max_active(wq, 0) == 0, "set_max_active(0) (default) failed");
	CHECK(uwq_workqueue_set_max_active(wq, -1) == -EINVAL, "set_max_active(-1) accepted");
	uwq_destroy_workqueue(wq);

	wq = uwq_alloc_workqueue("unbound_clamped", UWQ_UNBOUND, 1 << 30);
	CHECK(wq, "max_active 1<<30 refused: %s", strerror(errno));
	uwq_destroy_workqueue(wq);

	wq = uwq_alloc_workqueue(longname, 0, 0);
	CHECK(wq, "a long name was refused: %s", strerror(errno));
	uwq_destroy_workqueue(wq);
	wq = uwq_alloc_workqueue("", 0, 0);
	CHECK(wq, "an empty name was refused: %s", strerror(errno));
	uwq_destroy_workqueue(wq);
}

static void test_null(void)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue("null_tests", 0, 0);
	struct uwq_workqueue *oq = uwq_alloc_ordered_workqueue("null_tests_ordered", 0);
	struct uwq_work w;
	struct uwq_delayed_work dw;

	PHASE(__func__);
	CHECK(wq && oq, "alloc failed: %s", strerror(errno));
	uwq_work_init(&w, fn);
	uwq_delayed_work_init(&dw, fn);

	CHECK(!uwq_queue_work(NULL, &w), "queue_work(NULL, w) returned true");
	CHECK(!uwq_queue_work(wq, NULL), "queue_work(wq, NULL) returned true");
	CHECK(!uwq_queue_work(NULL, NULL), "queue_work(NULL, NULL) returned true");
	CHECK(!uwq_queue_work_on(0, NULL, &w), "queue_work_on(0, NULL, w) returned true");
	CHECK(!uwq_queue_work_on(0, wq, NULL), "queue_work_on(0, wq, NULL) returned true");
	CHECK(!uwq_queue_delayed_work(NULL, &dw, 0), "queue_delayed_work(NULL, ...) returned true");
	CHECK(!uwq_queue_delayed_work(wq, NULL, 0), "queue_delayed_work(wq, NULL) returned true");
	CHECK(!uwq_mod_delayed_work(NULL, &dw, 0), "mod_delayed_work(NULL, ...) returned true");
	CHECK(!uwq_mod_delayed_work(wq, NULL, 0), "mod_delayed_work(wq, NULL) returned true");
	CHECK(!uwq_schedule_work(NULL), "schedule_work(NULL) returned true");
	CHECK(!uwq_work_pending(&w) && !uwq_work_pending(&dw.work),
	      "an item refused for bad input is pending");
	CHECK(uwq_work_busy(&w) == 0, "an item refused for bad input is busy");

	CHECK(uwq_flush_workqueue(NULL) == -EINVAL, "flush_workqueue(NULL) != -EINVAL");
	CHECK(uwq_drain_workqueue(NULL) == -EINVAL, "drain_workqueue(NULL) != -EINVAL");
	CHECK(uwq_workqueue_set_max_active(NULL, 1) == -EINVAL, "set_max_active(NULL) != -EINVAL");
	CHECK(uwq_workqueue_set_max_active(wq, -1) == -EINVAL, "set_max_active(-1) != -EINVAL");
	CHECK(uwq_workqueue_set_max_active(oq, 2) == -EINVAL,
	      "set_max_active on an ordered queue != -EINVAL");

	CHECK(!uwq_flush_work(NULL), "flush_work(NULL) returned true");
	CHECK(!uwq_flush_delayed_work(NULL), "flush_delayed_work(NULL) returned true");
	CHECK(!uwq_cancel_work(NULL), "cancel_work(NULL) returned true");
	CHECK(!uwq_cancel_work_sync(NULL), "cancel_work_sync(NULL) returned true");
	CHECK(!uwq_cancel_delayed_work(NULL), "cancel_delayed_work(NULL) returned true");
	CHECK(!uwq_cancel_delayed_work_sync(NULL), "cancel_delayed_work_sync(NULL) returned true");
	CHECK(!uwq_work_pending(NULL), "work_pending(NULL) returned true");
	CHECK(uwq_current_work() == NULL, "current_work() outside a worker is not NULL");

	/* Outside a worker the blocking hints are no-ops (and nest). */
	uwq_blocking_begin();
	uwq_blocking_begin();
	uwq_blocking_end();
	uwq_blocking_end();

	uwq_destroy_workqueue(NULL);

	/* The queues are unharmed: a real item still runs. */
	int before = atomic_load(&runs);

	CHECK(uwq_queue_work(wq, &w), "queueing after bad input failed");
	uwq_flush_work(&w);
	CHECK(atomic_load(&runs) == before + 1, "item did not run");
	uwq_destroy_workqueue(wq);
	uwq_destroy_workqueue(oq);
}

int main(void)
{
	test_constructors();
	test_clamp();
	test_null();
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
