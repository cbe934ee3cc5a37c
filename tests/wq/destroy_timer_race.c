/* SPDX-License-Identifier: MIT */
/*
 * A timer firing while its queue is destroyed (include/uwq/workqueue.h,
 * uwq_destroy_workqueue()): in each of ROUNDS rounds a fresh queue gets
 * two delayed items armed with delays of 0 to ~2 ms, spread so that some
 * fire before the destroy, some during it and some would fire after, and
 * is destroyed at once. Every round, whichever way the race went: each item
 * ran exactly once, none is pending, and at most one report line was
 * printed. (Before the fix, items whose timer had not fired were still
 * pending, and their timers fired into freed memory.)
 */
#include <uwq/workqueue.h>

#include "util.h"

#define ROUNDS		300
#define ADVICE		"cancel or flush delayed items before destroying the queue"

struct ditem {
	struct uwq_delayed_work	dw;
	atomic_int		runs;
};

static void ditem_fn(struct uwq_work *w)
{
	struct ditem *d = container_of(uwq_to_delayed_work(w), struct ditem, dw);

	atomic_fetch_add(&d->runs, 1);
}

/* The stderr captured since *off (as one string; the caller frees it). */
static char *captured_since(off_t *off)
{
	char *buf = malloc(65536);
	ssize_t n;

	CHECK(buf, "out of memory");
	n = pread(atomic_load(&util_capture_fd), buf, 65535, *off);
	buf[n > 0 ? n : 0] = '\0';
	*off += n > 0 ? n : 0;
	return buf;
}

int main(void)
{
	static struct ditem d[2];
	int reported = 0;
	off_t off = 0;
	char *err;

	capture_stderr_begin();

	for (int r = 0; r < ROUNDS; r++) {
		struct uwq_workqueue *wq = uwq_alloc_workqueue("destroy_race", r % 2 ? UWQ_UNBOUND : 0, 0);
		uint64_t spread = (uint64_t)(r % 40) * 50 * NSEC_PER_USEC;
		int lines;

		CHECK(wq, "alloc failed: %s", strerror(errno));
		for (int i = 0; i < 2; i++) {
			uwq_delayed_work_init(&d[i].dw, ditem_fn);
			atomic_store(&d[i].runs, 0);
		}
		CHECK(uwq_queue_delayed_work(wq, &d[0].dw, spread + 1), "arming failed");
		CHECK(uwq_queue_delayed_work(wq, &d[1].dw, 2 * spread + 1), "arming failed");
		burn_us((unsigned)(r % 7) * 100);

		uwq_destroy_workqueue(wq);
		err = captured_since(&off);

		for (int i = 0; i < 2; i++) {
			CHECK(atomic_load(&d[i].runs) == 1, "round %d: item %d ran %d times", r, i,
			      atomic_load(&d[i].runs));
			CHECK(!uwq_work_pending(&d[i].dw.work), "round %d: item %d still pending", r, i);
		}
		lines = count_lines_starting(err, "uwq: ");
		CHECK(lines <= 1 && count_lines_containing(err, ADVICE) == lines,
		      "round %d: want at most one report line:\n%s", r, err);
		reported += lines;
		free(err);
	}
	free(capture_stderr_end());
	NOTE("%d of %d destroys found armed items", reported, ROUNDS);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
