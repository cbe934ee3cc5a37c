// SPDX-License-Identifier: MIT
/*
 * Reproducer (found while building the reference model of tests/model):
 * uwq_cancel_work() waits for a running instance when the item is claimed
 * by a colliding worker of another pool.
 *
 * Contract (include/uwq/workqueue.h; the kernel's cancel_work() in
 * kernel/workqueue.c): uwq_cancel_work() "removes @w if pending. Does not
 * wait for a running instance. Context: any thread." uwq_mod_delayed_work()
 * likewise never waits for a run (kernel: callable from IRQ context).
 *
 * Steps:
 *  1. item X runs on an unbound queue A and blocks on a gate (the test holds
 *     the gate closed);
 *  2. X is queued on a *bound* queue B (another workqueue, so it is not
 *     redirected to A's pool: src/wq/workqueue.c queue_work_counted());
 *     B's worker takes it and, seeing X run in another pool, claims it and
 *     waits for that run (src/wq/worker.c collide_run()): X now has
 *     PENDING set, QUEUED clear and COLLIDE set until the first run ends;
 *  3. another thread calls uwq_cancel_work(&X) (or uwq_mod_delayed_work()).
 * Expected: it returns at once (true or false: either is a valid reading of
 * the state; the kernel would remove the queued instance and return true).
 * Seen: uwq__try_grab_pending() answers -EAGAIN for "PENDING without
 * QUEUED" and uwq__grab_pending() retries until the first run ends, i.e.
 * it waits for the running instance. If the running function waits for the
 * canceller (a lock the canceller holds around cancel_work, as drivers do
 * with spin_lock + cancel_work, or X cancelling itself), this never ends.
 *
 * Fixed (worker.c uwq__steal_claimed()): the cancel takes the claimed
 * instance back. Exit 0 if cancel_work returns true while the first run is
 * held, the claimant has left the busy table at once (uwq_dump shows one
 * in-flight run), the claimed instance never runs (one run in all once
 * everything is flushed), and the item queues and runs again afterwards
 * (no stale claim in its way); and that the steal ends the claimant's wait
 * too: 30 more claim-and-cancel cycles while the first run is still held
 * add at most a few worker threads (parked claimants would add one per
 * cycle, and at the pool's cap starve every item of that CPU's pool) and
 * an unrelated item queued on the claimants' pool runs meanwhile; 1
 * otherwise (after the deadline if the cancel waits). A ctest
 * (model/repro_cancel_collision).
 */
#include <stdio.h>
#include <uwq/stats.h>
#include <uwq/workqueue.h>

#include "util.h"

#define CANCEL_DEADLINE_NS	(5 * NSEC_PER_SEC)

static struct uwq_work x;
static atomic_int gate_open;
static atomic_int first_running;
static atomic_long runs;
static struct uwq_work other;
static atomic_int other_runs;
static atomic_int cancel_done;
static atomic_int cancel_ret;

void repro_collision_item_fn(struct uwq_work *w);
void repro_collision_item_fn(struct uwq_work *w)
{
	(void)w;
	if (atomic_fetch_add(&runs, 1) == 0) {
		atomic_store(&first_running, 1);
		GATE_WAIT(atomic_load(&gate_open), "gate never opened");
	}
}

/* Does B's worker hold X as a blocked collision claim? (uwq_dump format) */
static bool collision_claimed(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int inflight;

	if (!f)
		return false;
	uwq_dump(f);
	fclose(f);
	/* two in-flight lines: the running instance and the claimant */
	inflight = count_lines_containing(buf, "repro_collision_item_fn");
	free(buf);
	return inflight >= 2;
}

static void other_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&other_runs, 1);
}

static void *canceller(void *arg)
{
	(void)arg;
	atomic_store(&cancel_ret, uwq_cancel_work(&x));
	atomic_store(&cancel_done, 1);
	return NULL;
}

int main(void)
{
	struct uwq_workqueue *a = uwq_alloc_workqueue("repro_a", UWQ_UNBOUND, 0);
	struct uwq_workqueue *b = uwq_alloc_workqueue("repro_b", 0, 0);
	int cpus[1];
	pthread_t t;
	uint64_t deadline;

	CHECK(a && b, "alloc: %s", strerror(errno));
	affinity_cpus(cpus, 1);
	uwq_work_init(&x, repro_collision_item_fn);

	PHASE("first run on the unbound queue");
	CHECK(uwq_queue_work(a, &x), "first queueing failed");
	WAIT_UNTIL(atomic_load(&first_running), "first run never started");

	PHASE("queue on the bound queue: collision claim");
	CHECK(uwq_queue_work_on(cpus[0], b, &x), "second queueing failed");
	WAIT_UNTIL(collision_claimed(), "B's worker never claimed the item (pending=%d)",
		   uwq_work_pending(&x));

	PHASE("cancel_work while the first run is held");
	t = start_thread(canceller, NULL);
	deadline = now_ns() + CANCEL_DEADLINE_NS;
	while (!atomic_load(&cancel_done) && now_ns() < deadline) {
		struct timespec ts = { 0, 1000 * 1000 };

		nanosleep(&ts, NULL);	/* polling a predicate up to a deadline */
	}
	if (!atomic_load(&cancel_done)) {
		NOTE("uwq_cancel_work() still waiting after %llu s: it waits for the running "
		     "instance of a collision-claimed item (runs so far %ld, pending %d)",
		     (unsigned long long)(CANCEL_DEADLINE_NS / NSEC_PER_SEC), atomic_load(&runs),
		     uwq_work_pending(&x));
		atomic_store(&gate_open, 1);
		join_thread(t);
		NOTE("after the gate opened, uwq_cancel_work() returned %d", atomic_load(&cancel_ret));
		FAIL("BUG: uwq_cancel_work() waited for a running instance (collision claim)");
	}
	join_thread(t);
	NOTE("uwq_cancel_work() returned %d without waiting", atomic_load(&cancel_ret));
	CHECK(atomic_load(&cancel_ret) == 1, "cancel_work found nothing pending: the claimed instance was");
	CHECK(!uwq_work_pending(&x), "still pending after cancel_work returned true");
	CHECK(!collision_claimed(), "the claimant is still in the busy table after the cancel");

	PHASE("claim-and-cancel cycles while the first run is held: no parked claimants");
	{
		int before = count_tasks_named("uwq/"), after;

		for (int i = 0; i < 30; i++) {
			CHECK(uwq_queue_work_on(cpus[0], b, &x), "cycle %d: queueing failed", i);
			WAIT_UNTIL(collision_claimed() || !uwq_work_pending(&x), "cycle %d: never claimed", i);
			uwq_cancel_work(&x);
			CHECK(!uwq_work_pending(&x), "cycle %d: pending after cancel", i);
		}
		uwq_work_init(&other, other_fn);
		CHECK(uwq_queue_work_on(cpus[0], b, &other), "queue an unrelated item");
		WAIT_UNTIL(atomic_load(&other_runs) == 1, "an unrelated item on the claimants' pool never ran");
		after = count_tasks_named("uwq/");
		NOTE("workers: %d before the cycles, %d after", before, after);
		CHECK(after <= before + 4, "%d workers after 30 claim-and-cancel cycles, %d before: claimants parked",
		      after, before);
	}

	PHASE("the first run ends: the cancelled claim must not run");
	atomic_store(&gate_open, 1);
	CHECK(uwq_flush_workqueue(a) == 0 && uwq_flush_workqueue(b) == 0, "flush");
	CHECK(atomic_load(&runs) == 1, "%ld runs: the cancelled claimed instance ran", atomic_load(&runs));

	PHASE("queue again: runs once, no stale claim in the way");
	CHECK(uwq_queue_work_on(cpus[0], b, &x), "requeue after cancel failed");
	uwq_flush_work(&x);
	CHECK(atomic_load(&runs) == 2, "%ld runs after the requeue, want 2", atomic_load(&runs));
	uwq_destroy_workqueue(a);
	uwq_destroy_workqueue(b);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
