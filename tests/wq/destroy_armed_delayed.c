/* SPDX-License-Identifier: MIT */
/*
 * Destroying a queue with delayed items still armed runs them now
 * (include/uwq/workqueue.h, uwq_destroy_workqueue()). A regression test: the
 * destroy used to return at once with the items still pending, and their
 * timers later fired into the freed queue (SIGSEGV in the timer thread).
 *  - three items armed with uwq_queue_delayed_work() (10 s, 20 s, 1 h) each
 *    run exactly once before the destroy returns, each before its expiry,
 *    and none is pending afterwards;
 *  - one of them re-arms itself (10 s) from its function during the destroy:
 *    refused (false), the item is left idle; another queues an item of the
 *    queue with delay 0 from its function: that one runs too (chained
 *    queueing, as the drain allows);
 *  - exactly one report line, naming the earliest item's function and
 *    saying "cancel or flush delayed items before destroying the queue";
 *  - a destroy called from one of the queue's own items is refused (one
 *    report) and leaves the armed items armed;
 *  - on an ordered queue the armed items run in expiry order;
 *  - items armed for another queue are untouched: the short ones fire
 *    later, once each, not before their expiry; the long one stays pending.
 */
#include <uwq/workqueue.h>

#include "util.h"

#define DELAY		(10 * NSEC_PER_SEC)
#define ADVICE		"cancel or flush delayed items before destroying the queue"

struct ditem {
	struct uwq_delayed_work	dw;
	atomic_int		runs;
	_Atomic uint64_t	armed_at;
	_Atomic uint64_t	delay;
	_Atomic uint64_t	ran_at;
	atomic_int		seq;		/* order of the run among all runs */
};

static struct uwq_workqueue *q;
static atomic_int seq_next;
static atomic_int rearm_result = -1;	/* uwq_queue_delayed_work() of itself, from itself */

static void record(struct uwq_work *w)
{
	struct ditem *d = container_of(uwq_to_delayed_work(w), struct ditem, dw);

	atomic_store(&d->ran_at, now_ns());
	atomic_store(&d->seq, atomic_fetch_add(&seq_next, 1));
	atomic_fetch_add(&d->runs, 1);
}

static struct ditem chained;

/* Exported (not static): the report names it by symbol. */
void armed_first_fn(struct uwq_work *w);
void armed_first_fn(struct uwq_work *w)
{
	record(w);
	/* Delay 0 is plain queueing: chained from its own queue, it runs. */
	CHECK(uwq_queue_delayed_work(q, &chained.dw, 0), "chained delay-0 queueing refused");
}

static void armed_rearm_fn(struct uwq_work *w)
{
	record(w);
	atomic_store(&rearm_result, uwq_queue_delayed_work(q, uwq_to_delayed_work(w), DELAY));
}

static void plain_fn(struct uwq_work *w)
{
	record(w);
}

static atomic_int self_destroyed;

static void self_destroy_fn(struct uwq_work *w)
{
	(void)w;
	uwq_destroy_workqueue(q);	/* refused: it would wait for itself */
	atomic_store(&self_destroyed, 1);
}

static void arm(struct uwq_workqueue *wq, struct ditem *d, uwq_work_fn fn, uint64_t delay)
{
	uwq_delayed_work_init(&d->dw, fn);
	atomic_store(&d->runs, 0);
	atomic_store(&d->ran_at, 0);
	atomic_store(&d->seq, -1);
	atomic_store(&d->delay, delay);
	atomic_store(&d->armed_at, now_ns());
	CHECK(uwq_queue_delayed_work(wq, &d->dw, delay), "arming failed");
}

static void check_ran_early(struct ditem *d, const char *what)
{
	CHECK(atomic_load(&d->runs) == 1, "%s ran %d times, want 1", what, atomic_load(&d->runs));
	CHECK(!uwq_work_pending(&d->dw.work), "%s still pending after the destroy", what);
	CHECK(atomic_load(&d->ran_at) < atomic_load(&d->armed_at) + atomic_load(&d->delay),
	      "%s ran only at its expiry: the destroy waited for the timer", what);
}

static void test_bound(void)
{
	struct ditem a, b, c;
	char *err;

	PHASE(__func__);
	q = uwq_alloc_workqueue("destroy_armed", 0, 0);
	CHECK(q, "alloc failed: %s", strerror(errno));
	uwq_delayed_work_init(&chained.dw, plain_fn);
	arm(q, &b, armed_rearm_fn, 2 * DELAY);
	arm(q, &a, armed_first_fn, DELAY);
	arm(q, &c, plain_fn, 3600 * NSEC_PER_SEC);

	/* A destroy refused from the queue's own item touches no timer. */
	{
		struct uwq_work self;

		uwq_work_init(&self, self_destroy_fn);
		capture_stderr_begin();
		CHECK(uwq_queue_work(q, &self), "queueing failed");
		WAIT_UNTIL(atomic_load(&self_destroyed), "the self-destroying item never returned");
		uwq_flush_work(&self);
		err = capture_stderr_end();
		CHECK(count_lines_starting(err, "uwq: ") == 1 &&
		      count_lines_containing(err, "uwq_destroy_workqueue(destroy_armed) from its own work function") == 1,
		      "want one report for the self-destroy:\n%s", err);
		free(err);
		CHECK(uwq_work_pending(&a.dw.work) && uwq_work_pending(&b.dw.work) &&
		      uwq_work_pending(&c.dw.work) && atomic_load(&a.runs) + atomic_load(&b.runs) +
		      atomic_load(&c.runs) == 0, "a refused self-destroy touched the armed items");
	}

	capture_stderr_begin();
	uwq_destroy_workqueue(q);
	err = capture_stderr_end();

	check_ran_early(&a, "the 10 s item");
	check_ran_early(&b, "the 20 s item");
	check_ran_early(&c, "the 1 h item");
	CHECK(atomic_load(&chained.runs) == 1, "the chained item ran %d times",
	      atomic_load(&chained.runs));
	CHECK(!uwq_work_pending(&chained.dw.work), "the chained item is still pending");
	CHECK(atomic_load(&rearm_result) == 0, "re-arming during the destroy returned %d, want false",
	      atomic_load(&rearm_result));
	CHECK(count_lines_starting(err, "uwq: ") == 1, "%d report lines, want 1:\n%s",
	      count_lines_starting(err, "uwq: "), err);
	CHECK(count_lines_containing(err, ADVICE) == 1, "no advice in the report:\n%s", err);
	CHECK(count_lines_containing(err, "uwq_destroy_workqueue(destroy_armed)") == 1 &&
	      count_lines_containing(err, "armed_first_fn") == 1,
	      "the report does not name the queue and the earliest item's function:\n%s", err);
	free(err);
}

static void test_ordered(void)
{
	static const uint64_t secs[] = { 30, 10, 50, 20, 40 };
	struct ditem d[ARRAY_SIZE(secs)];
	struct uwq_workqueue *o;
	char *err;

	PHASE(__func__);
	o = uwq_alloc_ordered_workqueue("destroy_armed_ord", 0);
	CHECK(o, "alloc failed: %s", strerror(errno));
	for (size_t i = 0; i < ARRAY_SIZE(secs); i++)
		arm(o, &d[i], plain_fn, secs[i] * NSEC_PER_SEC);
	atomic_store(&seq_next, 0);
	capture_stderr_begin();
	uwq_destroy_workqueue(o);
	err = capture_stderr_end();
	for (size_t i = 0; i < ARRAY_SIZE(secs); i++) {
		check_ran_early(&d[i], "an ordered queue's item");
		CHECK(atomic_load(&d[i].seq) == (int)(secs[i] / 10 - 1),
		      "the %llu s item ran as number %d of an ordered queue, want %d (expiry order)",
		      (unsigned long long)secs[i], atomic_load(&d[i].seq), (int)(secs[i] / 10 - 1));
	}
	CHECK(count_lines_starting(err, "uwq: ") == 1 && count_lines_containing(err, ADVICE) == 1,
	      "want one report line for 5 armed items:\n%s", err);
	free(err);
}

int main(void)
{
	/* Another queue's timers, around and among the destroyed queue's. */
	static struct ditem k[8];
	struct uwq_workqueue *other = uwq_alloc_workqueue("destroy_armed_keep", UWQ_UNBOUND, 0);

	CHECK(other, "alloc failed: %s", strerror(errno));
	for (int i = 0; i < 7; i++)
		arm(other, &k[i], plain_fn, (uint64_t)(7 - i) * 30 * NSEC_PER_MSEC + 300 * NSEC_PER_MSEC);
	arm(other, &k[7], plain_fn, 3600 * NSEC_PER_SEC);

	test_bound();
	test_ordered();

	PHASE("other queue's timers");
	for (int i = 0; i < 7; i++) {
		WAIT_UNTIL(atomic_load(&k[i].runs) == 1, "the other queue's item %d ran %d times", i,
			   atomic_load(&k[i].runs));
		CHECK(atomic_load(&k[i].ran_at) >= atomic_load(&k[i].armed_at) + atomic_load(&k[i].delay),
		      "the other queue's item %d ran before its expiry", i);
	}
	CHECK(uwq_work_pending(&k[7].dw.work), "the other queue's 1 h item is no longer armed");
	CHECK(atomic_load(&k[7].runs) == 0, "the other queue's 1 h item ran");
	CHECK(uwq_cancel_delayed_work_sync(&k[7].dw), "cancelling the other queue's 1 h item failed");
	uwq_destroy_workqueue(other);
	for (int i = 0; i < 8; i++)
		CHECK(atomic_load(&k[i].runs) == (i < 7), "the other queue's item %d ran %d times", i,
		      atomic_load(&k[i].runs));
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
