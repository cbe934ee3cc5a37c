/* SPDX-License-Identifier: MIT */
/*
 * Pool limits change at run time (docs/design.md §3 "Concurrency
 * management": growth is capped per pool, idle workers beyond a reserve
 * exit after a timeout; header: struct uwq_pool_limits "limits of every
 * pool, changeable at run time", uwq_set_pool_limits(), uwq_configure()).
 * One CPU's bound pool is grown by items that block (hinted) on a gate;
 * its workers are counted by name ("uwq/<cpu>:<n>").
 *  - set before first use (the first uwq call), the limits are those uwq
 *    starts with: a burst stops at that cap; uwq_configure() is then
 *    -EBUSY; before first use both may be called and the last one wins;
 *  - with idle timeout 0 nothing is reaped; lowering the timeout to 50 ms
 *    and the reserve to 1 reaps the idle workers of a grown pool down to
 *    1 (the monitor acts on the change, not on the old 60 s expiry) and
 *    never below; with reserve 0 down to none, and a new item still runs;
 *  - lowering the cap below the pool's count kills nobody and stops
 *    creation: more blocking items wait; lowered to 3 on a small pool, a
 *    burst of 8 never has more than 3 workers (threads sampled
 *    throughout, less one per worker reaped meanwhile: an idle worker
 *    may be reaped mid-burst and its thread still be exiting;
 *    uwq_pool_stats() shows the cap, 3 workers and 5 items pending, and
 *    no worker is made once the cap is below the count), and every item
 *    runs once the gate opens;
 *    raised again (0: 64 + 8 per CPU), the pool grows again;
 *  - NULL, max_workers 1, a negative cap or reserve: -EINVAL, and the
 *    limits in force do not change.
 */
#include <uwq/stats.h>
#include <uwq/workqueue.h>

#include "util.h"

#define NBURST	16

struct blocker {
	struct uwq_work	w;
	atomic_int	runs;
};

static struct blocker items[NBURST];
static atomic_int gate, started, blocked, done;
static int the_cpu;
static struct uwq_workqueue *wq;

static atomic_int sampling, sampled_max;
static uint64_t sampled_reaped0;
static pthread_t sampler;

static void blocker_fn(struct uwq_work *w)
{
	atomic_fetch_add(&container_of(w, struct blocker, w)->runs, 1);
	atomic_fetch_add(&started, 1);
	uwq_blocking_begin();
	atomic_fetch_add(&blocked, 1);	/* its hint (and any standby it made) is done */
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	uwq_blocking_end();
	atomic_fetch_add(&done, 1);
}

static int workers(void)
{
	return bound_pool_threads(the_cpu);
}

/* The stats of the pool under test (CPU the_cpu, nice 0). */
static struct uwq_pool_stats pool_st(void)
{
	struct uwq_pool_stats st = { 0 };

	for (int i = 0; uwq_pool_stats(i, &st) == 0; i++)
		if (st.cpu == the_cpu && st.nice == 0)
			return st;
	FAIL("no pool for CPU %d in uwq_pool_stats()", the_cpu);
}

/*
 * The most workers the pool had while sampling (every ~100 µs or faster):
 * its threads, less one per worker reaped meanwhile, whose thread may
 * still be exiting (threads counted before the reaped count is read).
 */
static int sample(void)
{
	int n = workers();

	return n - (int)(pool_st().reaped - sampled_reaped0);
}

static void *sampler_main(void *arg)
{
	unsigned spins = 0;

	(void)arg;
	while (atomic_load(&sampling)) {
		int n = sample();

		if (n > atomic_load(&sampled_max))
			atomic_store(&sampled_max, n);
		util_pause(&spins);
	}
	return NULL;
}

static void sample_begin(void)
{
	sampled_reaped0 = pool_st().reaped;
	atomic_store(&sampled_max, sample());
	atomic_store(&sampling, 1);
	sampler = start_thread(sampler_main, NULL);
}

static int sample_end(void)
{
	atomic_store(&sampling, 0);
	join_thread(sampler);
	return atomic_load(&sampled_max);
}

/* Queue @n blocking items (from index @first) on the pool; the gate is closed. */
static void burst(int first, int n)
{
	for (int i = first; i < first + n; i++) {
		atomic_store(&items[i].runs, 0);
		uwq_work_init(&items[i].w, blocker_fn);
		CHECK(uwq_queue_work_on(the_cpu, wq, &items[i].w), "queueing blocker %d failed", i);
	}
}

static void reset(void)
{
	atomic_store(&gate, 0);
	atomic_store(&started, 0);
	atomic_store(&blocked, 0);
	atomic_store(&done, 0);
}

/* Open the gate; every one of the @n items runs exactly once. */
static void release(int n, const char *when)
{
	atomic_store(&gate, 1);
	WAIT_UNTIL(atomic_load(&done) == n, "%s: %d of %d items finished (%d started, %d workers)", when,
		   atomic_load(&done), n, atomic_load(&started), workers());
	CHECK(uwq_flush_workqueue(wq) == 0, "%s: flush failed", when);
	for (int i = 0; i < n; i++)
		CHECK(atomic_load(&items[i].runs) == 1, "%s: item %d ran %d times", when, i,
		      atomic_load(&items[i].runs));
}

/*
 * For a while (no timing is asserted: a correct pool never leaves these
 * bounds, however long one looks), nothing more starts and the pool
 * stays within @max workers (by its stats and by its threads); within
 * sample_begin() and sample_end().
 */
static void watch_capped(int want_started, int max, const char *when)
{
	uint64_t until = now_ns() + 200 * NSEC_PER_MSEC;
	unsigned spins = 0;

	while (now_ns() < until) {
		int n = sample(), s = atomic_load(&started);
		struct uwq_pool_stats st = pool_st();

		CHECK(n <= max && st.workers <= max,
		      "%s: the pool has %d workers (%d threads, less those reaped meanwhile), above %d", when,
		      st.workers, n, max);
		CHECK(s == want_started, "%s: %d items started, expected %d (the pool is at its cap)", when, s,
		      want_started);
		util_pause(&spins);
	}
}

/*
 * A burst of @n items against cap @cap (< @n) on a pool of at most @cap
 * workers: @cap start, the pool has @cap workers (its stats say so, with
 * the other items pending on its worklist), no more start and the pool
 * never exceeds @cap workers; then all run.
 */
static void capped_burst(int n, int cap, const char *when)
{
	struct uwq_pool_stats st = pool_st();
	int max;

	reset();
	capture_stderr_begin();	/* uwq's "at the cap" report, shown after */
	sample_begin();
	burst(0, n);
	WAIT_UNTIL((st = pool_st(), atomic_load(&started) == cap && st.workers == cap && st.pending == n - cap),
		   "%s: %d of %d items started (cap %d); the pool has %d workers (%d threads), %d pending, cap %d",
		   when, atomic_load(&started), n, cap, st.workers, workers(), st.pending, st.max_workers);
	CHECK(st.max_workers == cap, "%s: the pool's cap is %d, not %d", when, st.max_workers, cap);
	watch_capped(cap, cap, when);
	release(n, when);
	max = sample_end();
	free(capture_stderr_end());
	CHECK(max <= cap, "%s: the pool had %d workers during the burst, above the cap %d", when, max, cap);
}

static void set_limits(int max_workers, int reserve, uint64_t timeout_ns)
{
	struct uwq_pool_limits l = { max_workers, reserve, timeout_ns };
	int err = uwq_set_pool_limits(&l);

	CHECK(err == 0, "uwq_set_pool_limits(%d, %d, %llu) returned %d", max_workers, reserve,
	      (unsigned long long)timeout_ns, err);
}

/* The pool shrinks to @n workers and, over a few idle timeouts, not below. */
static void reaped_to(int n, uint64_t timeout_ns, const char *when)
{
	uint64_t until;
	unsigned spins = 0;
	int w;

	WAIT_UNTIL((w = workers()) <= n, "%s: the idle pool keeps %d workers, expected %d", when, w, n);
	until = now_ns() + 4 * timeout_ns;
	while (now_ns() < until) {
		w = workers();
		CHECK(w == n, "%s: the idle pool has %d workers, expected %d (reserve)", when, w, n);
		util_pause(&spins);
	}
}

static struct uwq_workqueue *alloc_wq(void)
{
	struct uwq_workqueue *q = uwq_alloc_workqueue("pool_limits", 0, 0);

	CHECK(q, "uwq_alloc_workqueue: %s", strerror(errno));
	return q;
}

static void bad_input(void)
{
	struct uwq_pool_limits l;
	int err;

	CHECK((err = uwq_set_pool_limits(NULL)) == -EINVAL, "uwq_set_pool_limits(NULL) returned %d", err);
	l = (struct uwq_pool_limits){ 1, 0, 0 };
	CHECK((err = uwq_set_pool_limits(&l)) == -EINVAL, "max_workers 1 returned %d", err);
	l = (struct uwq_pool_limits){ -1, 2, 0 };
	CHECK((err = uwq_set_pool_limits(&l)) == -EINVAL, "max_workers -1 returned %d", err);
	l = (struct uwq_pool_limits){ 0, -1, 0 };
	CHECK((err = uwq_set_pool_limits(&l)) == -EINVAL, "idle_reserve -1 returned %d", err);
	l = (struct uwq_pool_limits){ -5, -5, 1 };
	CHECK((err = uwq_set_pool_limits(&l)) == -EINVAL, "max_workers -5, idle_reserve -5 returned %d", err);
}

/* Before first use, the last of uwq_configure() and uwq_set_pool_limits() wins. */
static void before_first_use(bool configure_last)
{
	struct uwq_config cfg;
	int err, cap = configure_last ? 5 : 3;
	char when[64];

	snprintf(when, sizeof(when), "%s last before first use",
		 configure_last ? "uwq_configure()" : "uwq_set_pool_limits()");
	CHECK((err = uwq_shutdown()) == 0, "uwq_shutdown returned %d", err);
	uwq_config_defaults(&cfg);
	cfg.max_workers = 5;
	if (configure_last) {
		set_limits(3, 2, 0);
		CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure after uwq_set_pool_limits returned %d",
		      err);
	} else {
		CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure returned %d", err);
		set_limits(3, 2, 0);
	}
	wq = alloc_wq();
	capped_burst(cap + 2, cap, when);
	CHECK((err = uwq_configure(&cfg)) == -EBUSY, "uwq_configure after start returned %d", err);
	uwq_destroy_workqueue(wq);
}

int main(void)
{
	struct uwq_config cfg;
	struct blocker last;
	int err, peak, p0;
	uint64_t created0;

	unsetenv("UWQ_MAX_WORKERS");
	unsetenv("UWQ_IDLE_RESERVE");
	unsetenv("UWQ_IDLE_TIMEOUT_MS");
	affinity_cpus(&the_cpu, 1);

	/* (d) The first uwq call of this process. */
	PHASE("limits set before first use");
	set_limits(4, 2, 0);
	wq = alloc_wq();
	capped_burst(6, 4, "cap 4 set before first use");
	uwq_config_defaults(&cfg);
	CHECK((err = uwq_configure(&cfg)) == -EBUSY, "uwq_configure after start returned %d", err);

	PHASE("bad input");
	bad_input();

	/* (a) No reaping with timeout 0; then a lower timeout and reserve reap. */
	PHASE("grow with the default cap");
	set_limits(0, 2, 0);
	reset();
	burst(0, 12);
	/* Settled: every hint given, no worker being made. A blocked item's
	 * standby is made by the creator thread after the hint returns; the
	 * stats count it from the claim (workers), its thread once named
	 * (threads) and its creation once made (created). */
	{
		struct uwq_pool_stats st = pool_st();

		WAIT_UNTIL((st = pool_st(), atomic_load(&blocked) == 12 && st.workers == workers() &&
			    st.workers == (int)(st.created - st.reaped)),
			   "%d of 12 blocking items blocked; %d workers (%d threads), %llu created, %llu reaped",
			   atomic_load(&blocked), st.workers, workers(), (unsigned long long)st.created,
			   (unsigned long long)st.reaped);
	}
	peak = workers();
	CHECK(peak >= 12, "12 items block at once on %d workers", peak);

	/* (b) A cap below the pool's count: nobody is killed, nothing is made. */
	PHASE("cap lowered below the pool's count");
	set_limits(3, 2, 0);
	p0 = workers();
	created0 = pool_st().created;
	CHECK(pool_st().max_workers == 3, "the pool's cap is %d after setting 3", pool_st().max_workers);
	capture_stderr_begin();
	sample_begin();
	burst(12, 4);
	{
		int want = p0 < 16 ? p0 : 16;
		struct uwq_pool_stats st = pool_st();

		WAIT_UNTIL((st = pool_st(), atomic_load(&started) == want && st.pending == 16 - want),
			   "cap 3 under %d workers: %d items started (expected %d), %d pending, %d workers", p0,
			   atomic_load(&started), want, st.pending, workers());
		watch_capped(want, p0, "cap 3 under a larger pool");
	}
	CHECK(workers() == p0, "lowering the cap to 3 took the pool from %d to %d workers", p0, workers());
	release(16, "cap 3 under a larger pool");
	CHECK(sample_end() <= p0, "the pool grew past %d workers with the cap at 3", p0);
	CHECK(pool_st().created == created0, "%llu workers made with the cap at 3 under %d workers",
	      (unsigned long long)(pool_st().created - created0), p0);
	free(capture_stderr_end());

	PHASE("timeout 0 reaps nothing");
	/* Watch a while: a zero timeout must not reap (nothing asserted on time). */
	{
		uint64_t until = now_ns() + 200 * NSEC_PER_MSEC;
		unsigned spins = 0;

		while (now_ns() < until) {
			CHECK(workers() == p0, "with idle timeout 0 the pool went from %d to %d workers", p0,
			      workers());
			util_pause(&spins);
		}
	}

	PHASE("timeout 50 ms, reserve 1: reaped to 1");
	set_limits(3, 1, 50 * NSEC_PER_MSEC);
	reaped_to(1, 50 * NSEC_PER_MSEC, "reserve 1");

	/* (c) Refused input changes nothing: the cap below is still 3. */
	PHASE("cap 3 on a small pool");
	bad_input();
	capped_burst(8, 3, "cap 3");
	reaped_to(1, 50 * NSEC_PER_MSEC, "reserve 1 after the capped burst");

	PHASE("cap raised: the pool grows again");
	set_limits(0, 1, 50 * NSEC_PER_MSEC);
	CHECK(pool_st().max_workers == 64 + 8, "cap 0 gives the pool a cap of %d, not 64 + 8 per CPU",
	      pool_st().max_workers);
	reset();
	burst(0, 8);
	WAIT_UNTIL(atomic_load(&started) == 8, "cap raised: %d of 8 items started, %d workers",
		   atomic_load(&started), workers());
	CHECK(workers() >= 8, "8 items hold a worker each, but the pool has %d", workers());
	release(8, "cap raised");
	reaped_to(1, 50 * NSEC_PER_MSEC, "reserve 1 after the uncapped burst");

	PHASE("reserve 0: reaped to none, and work still runs");
	set_limits(0, 0, 50 * NSEC_PER_MSEC);
	reaped_to(0, 50 * NSEC_PER_MSEC, "reserve 0");
	memset(&last, 0, sizeof(last));
	uwq_work_init(&last.w, blocker_fn);
	atomic_store(&gate, 1);
	CHECK(uwq_queue_work_on(the_cpu, wq, &last.w), "queueing on an empty pool failed");
	uwq_flush_work(&last.w);
	CHECK(atomic_load(&last.runs) == 1, "an item queued on a pool with no workers ran %d times",
	      atomic_load(&last.runs));
	uwq_destroy_workqueue(wq);

	PHASE("before first use: uwq_configure() last");
	before_first_use(true);
	PHASE("before first use: uwq_set_pool_limits() last");
	before_first_use(false);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
