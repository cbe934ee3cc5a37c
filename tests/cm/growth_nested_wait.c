/* SPDX-License-Identifier: MIT */
/*
 * A pool held to what its items need still grows when its workers all
 * block waiting for later items (docs/design.md §3 "Concurrency
 * management": a deadlock when all workers block is a bug). On 2 CPUs with
 * a cap of 64 workers:
 *  - 600 items of 2 ms hinted sleep + 0.5 ms CPU teach the unbound pool
 *    what its items need; it ends with at most half its cap of workers;
 *  - then NPARENTS (40) parent items, more than the pool has, each wait
 *    with a hint for its own child item, and the test queues the children
 *    only after every parent is queued, so they are behind all of them.
 *    Every parent and child runs, once, and the pool has grown to at least
 *    NPARENTS + 1 workers: past its limit, since no blocked worker comes
 *    back until the children run.
 */
#include <semaphore.h>

#include "growth.h"

#define NMIX		600
#define NPARENTS	40

struct parent {
	struct uwq_work	w;
	struct uwq_work	child;
	sem_t		done;
	atomic_int	runs, child_runs;
};

static struct mix_item items[NMIX];
static struct parent parents[NPARENTS];
static atomic_int parents_started, parents_done;

static void child_fn(struct uwq_work *w)
{
	struct parent *p = container_of(w, struct parent, child);

	atomic_fetch_add(&p->child_runs, 1);
	CHECK(sem_post(&p->done) == 0, "sem_post: %s", strerror(errno));
}

static void parent_fn(struct uwq_work *w)
{
	struct parent *p = container_of(w, struct parent, w);

	atomic_fetch_add(&p->runs, 1);
	atomic_fetch_add(&parents_started, 1);
	uwq_blocking_begin();
	while (sem_wait(&p->done) != 0)
		CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
	uwq_blocking_end();
	atomic_fetch_add(&parents_done, 1);
}

static int children_run(void)
{
	int n = 0;

	for (int i = 0; i < NPARENTS; i++)
		n += atomic_load(&parents[i].child_runs);
	return n;
}

int main(void)
{
	uint64_t reaped;
	int before, after;

	growth_setup();
	PHASE("the mix");
	before = run_mix(items, NMIX);
	NOTE("after the mix: %d unbound workers (cap %d)", before, CAP);
	CHECK(before <= CAP / 2, "the pool made %d workers for a mix that keeps 2 CPUs busy with about 10 (cap %d)",
	      before, CAP);
	CHECK(before < NPARENTS, "%d workers: the parents would not need the pool to grow", before);

	PHASE("parents waiting for children queued behind them");
	for (int i = 0; i < NPARENTS; i++) {
		uwq_work_init(&parents[i].w, parent_fn);
		uwq_work_init(&parents[i].child, child_fn);
		CHECK(sem_init(&parents[i].done, 0, 0) == 0, "sem_init: %s", strerror(errno));
	}
	for (int i = 0; i < NPARENTS; i++)
		CHECK(uwq_queue_work(uwq_system_unbound_wq, &parents[i].w), "queueing parent %d failed", i);
	for (int i = 0; i < NPARENTS; i++)
		CHECK(uwq_queue_work(uwq_system_unbound_wq, &parents[i].child), "queueing child %d failed", i);
	WAIT_UNTIL(atomic_load(&parents_done) == NPARENTS,
		   "%d parents started, %d children run, %d parents done; %d unbound workers (%d after the mix)",
		   atomic_load(&parents_started), children_run(), atomic_load(&parents_done),
		   unbound_workers(&reaped), before);
	CHECK(uwq_flush_workqueue(uwq_system_unbound_wq) == 0, "flush_workqueue failed");
	for (int i = 0; i < NPARENTS; i++) {
		CHECK(atomic_load(&parents[i].runs) == 1, "parent %d ran %d times", i, atomic_load(&parents[i].runs));
		CHECK(atomic_load(&parents[i].child_runs) == 1, "child %d ran %d times", i,
		      atomic_load(&parents[i].child_runs));
		sem_destroy(&parents[i].done);
	}
	after = unbound_workers(&reaped);
	NOTE("after the parents: %d unbound workers", after);
	CHECK(after >= NPARENTS + 1, "%d workers ran %d parents that all waited at once, and their children", after,
	      NPARENTS);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
