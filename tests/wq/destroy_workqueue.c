/* SPDX-License-Identifier: MIT */
/*
 * destroy_workqueue drains first (uwq/workqueue.h uwq_destroy_workqueue();
 * the kernel's destroy_workqueue() and drain_workqueue()): every item queued before the
 * destroy, chained requeueings included, has run when it returns, for bound,
 * unbound and ordered queues; uwq_destroy_workqueue(NULL) is a no-op; and
 * once every user queue is destroyed, uwq_shutdown() succeeds (while one
 * exists it returns -EBUSY).
 */
#include <uwq/workqueue.h>

#include "util.h"

#define PLAIN	50
#define CHAIN	100

struct ctx {
	struct uwq_workqueue	*wq;
	struct uwq_work		plain[PLAIN];
	struct uwq_work		chain;
	struct uwq_work		gated;
	atomic_int		plain_runs;
	atomic_int		chain_runs;
	atomic_int		chain_fail;
	atomic_int		gated_started;
	atomic_int		gated_done;
	atomic_int		gate;
};

/* Items find their context through a lookup: uwq_work is all they get. */
static struct ctx ctxs[3];

static struct ctx *ctx_of(struct uwq_work *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(ctxs); i++) {
		char *lo = (char *)&ctxs[i], *hi = lo + sizeof(ctxs[i]);

		if ((char *)w >= lo && (char *)w < hi)
			return &ctxs[i];
	}
	FAIL("unknown work item %p", (void *)w);
}

static void plain_fn(struct uwq_work *w)
{
	struct ctx *c = ctx_of(w);

	burn_us(20);
	atomic_fetch_add(&c->plain_runs, 1);
}

static void chain_fn(struct uwq_work *w)
{
	struct ctx *c = ctx_of(w);

	burn_us(5);
	if (atomic_fetch_add(&c->chain_runs, 1) + 1 < CHAIN && !uwq_queue_work(c->wq, w))
		atomic_fetch_add(&c->chain_fail, 1);
}

static void gated_fn(struct uwq_work *w)
{
	struct ctx *c = ctx_of(w);

	atomic_store(&c->gated_started, 1);
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(&c->gate), "gate never opened");
	uwq_blocking_end();
	atomic_store(&c->gated_done, 1);
}

/*
 * Opens the gate once the destroying thread sleeps in the destroy, so the
 * destroy really has to wait. (If it opened early the assertions would still
 * hold; this only makes the test exercise the waiting path.)
 */
static atomic_int destroying;
static pid_t main_tid;

static void *opener(void *arg)
{
	struct ctx *c = arg;

	WAIT_UNTIL(atomic_load(&destroying), "destroy never started");
	wait_task_blocked(main_tid, 2 * NSEC_PER_SEC);
	atomic_store(&c->gate, 1);
	return NULL;
}

static void run(struct ctx *c, const char *what)
{
	pthread_t t;

	PHASE(what);
	for (int i = 0; i < PLAIN; i++)
		uwq_work_init(&c->plain[i], plain_fn);
	uwq_work_init(&c->chain, chain_fn);
	uwq_work_init(&c->gated, gated_fn);

	CHECK(uwq_queue_work(c->wq, &c->gated), "%s: queueing failed", what);
	CHECK(uwq_queue_work(c->wq, &c->chain), "%s: queueing failed", what);
	for (int i = 0; i < PLAIN; i++)
		CHECK(uwq_queue_work(c->wq, &c->plain[i]), "%s: queueing failed", what);
	WAIT_UNTIL(atomic_load(&c->gated_started), "%s: gated item never started", what);

	t = start_thread(opener, c);
	atomic_store(&destroying, 1);
	uwq_destroy_workqueue(c->wq);
	atomic_store(&destroying, 0);
	join_thread(t);

	CHECK(atomic_load(&c->gated_done), "%s: destroy returned before a running item finished",
	      what);
	CHECK(atomic_load(&c->plain_runs) == PLAIN, "%s: destroy returned after %d of %d items",
	      what, atomic_load(&c->plain_runs), PLAIN);
	CHECK(atomic_load(&c->chain_runs) == CHAIN,
	      "%s: destroy returned after %d of %d chained runs", what,
	      atomic_load(&c->chain_runs), CHAIN);
	CHECK(atomic_load(&c->chain_fail) == 0, "%s: %d chained queueings were refused", what,
	      atomic_load(&c->chain_fail));
}

int main(void)
{
	main_tid = util_gettid();

	uwq_destroy_workqueue(NULL);

	ctxs[0].wq = uwq_alloc_workqueue("destroy_bound", 0, 0);
	ctxs[1].wq = uwq_alloc_workqueue("destroy_unbound", UWQ_UNBOUND, 4);
	ctxs[2].wq = uwq_alloc_ordered_workqueue("destroy_ordered", 0);
	for (int i = 0; i < 3; i++)
		CHECK(ctxs[i].wq, "alloc %d failed: %s", i, strerror(errno));

	CHECK(uwq_shutdown() == -EBUSY, "uwq_shutdown with live workqueues did not return -EBUSY");

	run(&ctxs[0], "bound");
	CHECK(uwq_shutdown() == -EBUSY, "uwq_shutdown with live workqueues did not return -EBUSY");
	run(&ctxs[1], "unbound");
	run(&ctxs[2], "ordered");

	uwq_destroy_workqueue(NULL);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown after destroying every queue failed");
	return TEST_PASS;
}
