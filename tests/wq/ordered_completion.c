/* SPDX-License-Identifier: MIT */
/*
 * Ordered completion (uwq/ordered.h, after btrfs's workers): items' run
 * steps overlap, their complete steps run one at a time in exactly the
 * order the items were queued, each after its own run, and each release
 * step follows its complete step. With random run times (seed printed; set
 * UWQ_TEST_SEED to repeat) on a bound and an unbound queue:
 *  - overlap: item 0's run waits until item 1's run has started, which
 *    can only happen if runs are parallel (a serial queue hangs here and
 *    fails at the deadline), and item 1 still completes after item 0;
 *  - completions in order, never two at once, each after its run;
 *  - release after complete; release may free the item (ASan checks);
 *    an item requeued from its release runs again;
 *  - flush returns only when everything queued before it is released;
 *  - errors: -EINVAL, -EBUSY while queued, -EDEADLK for flush from a step;
 *  - destroy completes what is queued, including items a step queues
 *    during the destroy.
 */
#include <uwq/ordered.h>

#include "util.h"

#define N		3000
#define REQUEUES	3

struct item {
	struct uwq_ordered_work	ow;
	int			seq;
	unsigned		sleep_us;
	atomic_int		ran;
	atomic_int		completed;
};

static atomic_int run_started[2];
static atomic_int next_complete;	/* seq expected by the next completion */
static atomic_int in_complete;
static atomic_int released;
static atomic_int running_now, max_running;
static atomic_int requeue_runs;
static atomic_int errors;

static void note_error(const char *what, int seq)
{
	if (atomic_fetch_add(&errors, 1) < 5)
		NOTE("%s (item %d)", what, seq);
}

static void run_fn(struct uwq_ordered_work *ow)
{
	struct item *it = container_of(ow, struct item, ow);
	int now = atomic_fetch_add(&running_now, 1) + 1;
	int max = atomic_load(&max_running);

	while (now > max && !atomic_compare_exchange_weak(&max_running, &max, now))
		;
	if (it->seq < 2)
		atomic_store(&run_started[it->seq], 1);
	if (it->seq == 0)	/* overlap: only a parallel queue gets past this */
		WAIT_UNTIL(atomic_load(&run_started[1]), "item 1's run never started while item 0's ran");
	if (it->sleep_us)
		usleep(it->sleep_us);
	atomic_fetch_sub(&running_now, 1);
	atomic_fetch_add(&it->ran, 1);
}

static void complete_fn(struct uwq_ordered_work *ow)
{
	struct item *it = container_of(ow, struct item, ow);

	if (atomic_fetch_add(&in_complete, 1) != 0)
		note_error("two completions at once", it->seq);
	if (atomic_load(&it->ran) != 1)
		note_error("completed before its run", it->seq);
	if (atomic_load(&next_complete) != it->seq)
		note_error("completion out of order", it->seq);
	atomic_store(&next_complete, it->seq + 1);
	atomic_store(&it->completed, 1);
	atomic_fetch_sub(&in_complete, 1);
}

static void release_free(struct uwq_ordered_work *ow)
{
	struct item *it = container_of(ow, struct item, ow);

	if (!atomic_load(&it->completed))
		note_error("released before its completion", it->seq);
	free(it);
	atomic_fetch_add(&released, 1);
}

static void pipeline(const char *name, unsigned flags, unsigned *seed)
{
	struct uwq_ordered_queue *q = uwq_alloc_ordered_queue(name, flags, 0);

	CHECK(q, "alloc %s: %s", name, strerror(errno));
	atomic_store(&run_started[0], 0);
	atomic_store(&run_started[1], 0);
	atomic_store(&next_complete, 0);
	atomic_store(&released, 0);
	atomic_store(&max_running, 0);
	for (int i = 0; i < N; i++) {
		struct item *it = calloc(1, sizeof(*it));

		CHECK(it, "out of memory");
		it->seq = i;
		it->sleep_us = (rand_r(seed) % 4 == 0) ? (unsigned)(rand_r(seed) % 300) : 0;
		uwq_ordered_work_init(&it->ow, run_fn, complete_fn, release_free);
		CHECK(uwq_ordered_queue_work(q, &it->ow) == 0, "queue item %d", i);
	}
	CHECK(uwq_ordered_queue_flush(q) == 0, "flush");
	CHECK(atomic_load(&released) == N, "%s: flush returned with %d of %d released", name,
	      atomic_load(&released), N);
	CHECK(atomic_load(&next_complete) == N, "%s: %d completions", name, atomic_load(&next_complete));
	CHECK(atomic_load(&max_running) >= 2, "%s: runs never overlapped", name);
	CHECK(atomic_load(&errors) == 0, "%s: %d ordering errors (see notes)", name, atomic_load(&errors));
	uwq_destroy_ordered_queue(q);
}

/* ---- requeue from release, errors, destroy ---------------------------- */

static struct uwq_ordered_queue *eq;
static struct uwq_ordered_work again, self_flush, spawner, spawned;
static atomic_int self_flush_ret = 1, spawned_runs;

static void count_run(struct uwq_ordered_work *ow)
{
	(void)ow;
	atomic_fetch_add(&requeue_runs, 1);
}

static atomic_int busy_probe = 1;	/* the -EBUSY probe's result */

/* Until its release the item counts as queued: queueing it from its own
 * step is refused. (From outside, a queueing can land after the step, in
 * the window before the release, and be accepted; then the release's own
 * requeue would be refused.) */
static void probe_run(struct uwq_ordered_work *ow)
{
	if (atomic_load(&requeue_runs) == 0)
		atomic_store(&busy_probe, uwq_ordered_queue_work(eq, ow));
	count_run(ow);
}

static void requeue_release(struct uwq_ordered_work *ow)
{
	if (atomic_load(&requeue_runs) <= REQUEUES && uwq_ordered_queue_work(eq, ow) != 0)
		note_error("requeue from release refused", -1);
}

static void flush_self(struct uwq_ordered_work *ow)
{
	(void)ow;
	atomic_store(&self_flush_ret, uwq_ordered_queue_flush(eq));
}

static void spawned_run(struct uwq_ordered_work *ow)
{
	(void)ow;
	atomic_fetch_add(&spawned_runs, 1);
}

static void spawner_complete(struct uwq_ordered_work *ow)
{
	(void)ow;
	/* During the destroy below: the queue's own steps may still queue. */
	if (uwq_ordered_queue_work(eq, &spawned) != 0)
		note_error("own step could not queue during destroy", -1);
}

static void misc(void)
{
	struct uwq_ordered_work zero;
	char *err;

	eq = uwq_alloc_ordered_queue("ordered_misc", UWQ_UNBOUND, 2);
	CHECK(eq, "alloc: %s", strerror(errno));
	CHECK(uwq_alloc_ordered_queue(NULL, 0, 0) == NULL && errno == EINVAL, "NULL name accepted");
	CHECK(uwq_alloc_ordered_queue("x", 1u << 30, 0) == NULL && errno == EINVAL, "bad flags accepted");
	memset(&zero, 0, sizeof(zero));
	CHECK(uwq_ordered_queue_work(eq, &zero) == -EINVAL, "uninitialised item accepted");
	CHECK(uwq_ordered_queue_work(NULL, &again) == -EINVAL, "NULL queue accepted");
	CHECK(uwq_ordered_queue_flush(NULL) == -EINVAL, "flush NULL");

	uwq_ordered_work_init(&again, probe_run, NULL, requeue_release);
	CHECK(uwq_ordered_queue_work(eq, &again) == 0, "queue");
	WAIT_UNTIL(atomic_load(&requeue_runs) >= REQUEUES + 1, "requeued item stopped at %d runs",
		   atomic_load(&requeue_runs));
	CHECK(uwq_ordered_queue_flush(eq) == 0, "flush");
	CHECK(atomic_load(&requeue_runs) == REQUEUES + 1, "requeued item ran %d times, want %d",
	      atomic_load(&requeue_runs), REQUEUES + 1);
	CHECK(atomic_load(&busy_probe) == -EBUSY, "queueing from its own step: %d, want -EBUSY",
	      atomic_load(&busy_probe));

	uwq_ordered_work_init(&self_flush, flush_self, NULL, NULL);
	capture_stderr_begin();
	CHECK(uwq_ordered_queue_work(eq, &self_flush) == 0, "queue self_flush");
	CHECK(uwq_ordered_queue_flush(eq) == 0, "flush");
	err = capture_stderr_end();
	CHECK(atomic_load(&self_flush_ret) == -EDEADLK, "flush from own step returned %d",
	      atomic_load(&self_flush_ret));
	CHECK(strstr(err, "would wait for itself"), "no report for the self-flush:\n%s", err);
	free(err);

	uwq_ordered_work_init(&spawner, count_run, spawner_complete, NULL);
	uwq_ordered_work_init(&spawned, spawned_run, NULL, NULL);
	CHECK(uwq_ordered_queue_work(eq, &spawner) == 0, "queue spawner");
	uwq_destroy_ordered_queue(eq);
	CHECK(atomic_load(&spawned_runs) == 1, "item queued by a step during destroy ran %d times",
	      atomic_load(&spawned_runs));
	CHECK(atomic_load(&errors) == 0, "%d errors (see notes)", atomic_load(&errors));
}

int main(void)
{
	const char *s = getenv("UWQ_TEST_SEED");
	unsigned seed = s ? (unsigned)strtoul(s, NULL, 0) : (unsigned)now_ns();

	NOTE("seed %u (UWQ_TEST_SEED=%u to repeat)", seed, seed);
	pipeline("ordered_unbound", UWQ_UNBOUND, &seed);
	pipeline("ordered_bound", 0, &seed);
	misc();
	CHECK(uwq_shutdown() == 0, "uwq_shutdown");
	return TEST_PASS;
}
