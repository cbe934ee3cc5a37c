/* SPDX-License-Identifier: MIT */
/*
 * Randomized stress of the workqueue core (include/uwq/workqueue.h: pending
 * dedupe, one run per successful queueing; non-reentrancy; and the flush /
 * cancel_sync postconditions).
 *
 * K = 64 work items (8 of them delayed), three workqueues (bound with
 * max_active 4, unbound, ordered) plus uwq_system_wq. THREADS test threads
 * run random operations for a bounded time (default 1.5 s, argv[1] seconds)
 * with per-thread PRNGs derived from a seed printed at start (argv[2]
 * overrides it, so a failure can be replayed - modulo scheduling):
 * queue_work / queue_work_on / queue_delayed_work / mod_delayed_work on a
 * random queue, cancel_work / cancel_delayed_work / cancel_(delayed_)work_sync,
 * flush_work / flush_delayed_work, and now and then flush_workqueue. Work
 * functions burn 0-20 µs and some requeue themselves (per-item flag, bounded
 * by a per-item budget, so everything terminates).
 *
 * Items 0..SHARED-1 are shared by every thread; each of the others has one
 * owner thread, which alone queues, cancels and flushes it (its own work
 * function may still requeue it). Per item we count:
 *   succ    - queue calls that returned true (including self-requeues) and
 *             uwq_mod_delayed_work() calls that returned false (idle item
 *             armed: a new instance); mod returning true replaced a pending
 *             instance and counts as nothing;
 *   cancels - cancel calls (any flavour) that returned true: one pending
 *             instance removed, so it will not run;
 *   runs    - completed runs.
 * Asserted:
 *  - no item ever runs on two workers at once (a counter, checked at the end);
 *  - live, on random items: runs <= succ + queue calls still in flight;
 *  - owned items, right after cancel_(delayed_)work_sync() returns: the
 *    function is not running, the item is not pending, uwq_work_busy() is 0;
 *  - owned items: after a queue call returned true (or any mod_delayed_work),
 *    flush_work / flush_delayed_work returns only once the item ran again;
 *  - at the end (threads stopped, every item cancel_sync'ed, every queue
 *    flushed): every item idle and runs == succ - cancels exactly;
 *  - flush_workqueue returns 0; uwq_shutdown() returns 0 after destroying.
 * mod_delayed_work and cancel_sync of one delayed item are serialised by the
 * test (see q_mod). Environment RANDOM_OPS_LAX_FLUSH=1 downgrades the
 * flush-ran check to a count (to exercise the rest while the timer-window
 * flush_delayed_work bug is open).
 */
#include <uwq/workqueue.h>

#include "util.h"

#define THREADS		4
#define K		64
#define SHARED		32			/* items 0..31 shared; 32..63 owned */
#define PER_OWNER	((K - SHARED) / THREADS)	/* 8 owned items per thread */
#define NWQ		4
#define MAX_CPUS	1024
#define MAX_DELAY_NS	(2 * NSEC_PER_MSEC)
#define REQUEUE_BUDGET	300			/* self-requeues per item at most */

struct item {
	struct uwq_work		w;		/* used by plain items */
	struct uwq_delayed_work	dw;		/* used by delayed items */
	int			idx;
	int			owner;		/* -1: shared */
	bool			delayed;
	bool			allow_requeue;
	atomic_int		running;
	atomic_int		budget;
	atomic_long		runs;
	atomic_long		succ;
	atomic_long		cancels;
	atomic_long		inflight;	/* queue calls started, not yet accounted */
	pthread_mutex_t		mod_lock;	/* shared delayed items: mod vs cancel_sync */
};

static struct item items[K];
static struct uwq_workqueue *wqs[NWQ];
static const char *wq_names[NWQ] = { "bound(4)", "unbound", "ordered", "system" };
static int cpus[MAX_CPUS];
static int ncpus;
static unsigned long long seed;

static atomic_int overlaps;
static atomic_int overlap_item = -1;
static atomic_int go;
static atomic_int stop;
static atomic_ulong worker_seq;

/* ---- PRNG (splitmix64) ---------------------------------------------------- */

static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline unsigned rng_below(uint64_t *s, unsigned n)
{
	return (unsigned)(rng_next(s) % n);
}

static _Thread_local uint64_t worker_rng;
static _Thread_local bool worker_rng_set;

static uint64_t *wrng(void)
{
	if (!worker_rng_set) {
		worker_rng = seed ^ (0xa5a5a5a5ull * (atomic_fetch_add(&worker_seq, 1) + 1));
		worker_rng_set = true;
	}
	return &worker_rng;
}

static uint64_t rand_delay(uint64_t *s)
{
	if (rng_below(s, 4) == 0)
		return 0;
	return rng_next(s) % (MAX_DELAY_NS + 1);
}

/* ---- counted operations --------------------------------------------------- */

static struct uwq_work *work_of(struct item *it)
{
	return it->delayed ? &it->dw.work : &it->w;
}

/* Queue a plain item; cpu < 0 means uwq_queue_work(). */
static bool q_plain(struct item *it, struct uwq_workqueue *wq, int cpu)
{
	bool ok;

	atomic_fetch_add(&it->inflight, 1);
	ok = cpu < 0 ? uwq_queue_work(wq, &it->w) : uwq_queue_work_on(cpu, wq, &it->w);
	if (ok)
		atomic_fetch_add(&it->succ, 1);
	atomic_fetch_sub(&it->inflight, 1);
	return ok;
}

static bool q_delayed(struct item *it, struct uwq_workqueue *wq, uint64_t delay)
{
	bool ok;

	atomic_fetch_add(&it->inflight, 1);
	ok = uwq_queue_delayed_work(wq, &it->dw, delay);
	if (ok)
		atomic_fetch_add(&it->succ, 1);
	atomic_fetch_sub(&it->inflight, 1);
	return ok;
}

/*
 * Returns mod's result; false (idle item armed) is a new instance. But
 * while a cancel_sync of the item runs (in another thread) the item is
 * disabled: mod then also returns false and arms nothing (as the kernel's
 * mod_delayed_work_on with clear_pending_if_disabled()). The return value
 * cannot tell the two apart, so mod and cancel_sync of one delayed item are
 * serialised by the test (mod_lock). Self-requeues use queue_delayed_work,
 * whose false needs no accounting.
 */
static bool q_mod(struct item *it, struct uwq_workqueue *wq, uint64_t delay)
{
	bool was_pending;

	pthread_mutex_lock(&it->mod_lock);
	atomic_fetch_add(&it->inflight, 1);
	was_pending = uwq_mod_delayed_work(wq, &it->dw, delay);
	if (!was_pending)
		atomic_fetch_add(&it->succ, 1);
	atomic_fetch_sub(&it->inflight, 1);
	pthread_mutex_unlock(&it->mod_lock);
	return was_pending;
}

static bool c_cancel(struct item *it)
{
	bool ok = it->delayed ? uwq_cancel_delayed_work(&it->dw) : uwq_cancel_work(&it->w);

	if (ok)
		atomic_fetch_add(&it->cancels, 1);
	return ok;
}

static bool c_cancel_sync(struct item *it)
{
	bool ok;

	if (it->delayed)
		pthread_mutex_lock(&it->mod_lock);
	ok = it->delayed ? uwq_cancel_delayed_work_sync(&it->dw) : uwq_cancel_work_sync(&it->w);
	if (ok)
		atomic_fetch_add(&it->cancels, 1);
	if (it->delayed)
		pthread_mutex_unlock(&it->mod_lock);
	return ok;
}

/* ---- work functions --------------------------------------------------------- */

static void body(struct item *it)
{
	uint64_t *r = wrng();
	int was = atomic_fetch_add(&it->running, 1);

	if (was != 0) {
		atomic_fetch_add(&overlaps, 1);
		atomic_store(&overlap_item, it->idx);
	}
	burn_us(rng_below(r, 21));
	if (it->allow_requeue && rng_below(r, 3) == 0 &&
	    atomic_fetch_sub(&it->budget, 1) > 0) {
		struct uwq_workqueue *wq = wqs[rng_below(r, NWQ)];

		if (it->delayed)
			q_delayed(it, wq, rand_delay(r));
		else if (rng_below(r, 2))
			q_plain(it, wq, cpus[rng_below(r, (unsigned)ncpus)]);
		else
			q_plain(it, wq, -1);
	}
	atomic_fetch_sub(&it->running, 1);
	atomic_fetch_add(&it->runs, 1);
}

static void plain_fn(struct uwq_work *w)
{
	body(container_of(w, struct item, w));
}

static void delayed_fn(struct uwq_work *w)
{
	body(container_of(uwq_to_delayed_work(w), struct item, dw));
}

/* ---- checks ------------------------------------------------------------------ */

static void check_live_bound(struct item *it)
{
	long r = atomic_load(&it->runs);
	long i = atomic_load(&it->inflight);
	long s = atomic_load(&it->succ);

	CHECK(r <= s + i, "seed %llu: item %d ran %ld times but only %ld queueings succeeded "
	      "(+%ld in flight)", seed, it->idx, r, s, i);
}

static void check_idle_after_cancel_sync(struct item *it, const char *what)
{
	unsigned busy = uwq_work_busy(work_of(it));

	CHECK(atomic_load(&it->running) == 0,
	      "seed %llu: owned item %d still running after %s returned", seed, it->idx, what);
	CHECK(!uwq_work_pending(work_of(it)),
	      "seed %llu: owned item %d pending after %s returned", seed, it->idx, what);
	CHECK(busy == 0, "seed %llu: owned item %d busy=%#x after %s returned",
	      seed, it->idx, busy, what);
}

static atomic_long lax_misses;

static void check_ran_since(struct item *it, long r0, const char *what)
{
	long r = atomic_load(&it->runs);
	unsigned busy;
	uint64_t t0;

	if (r >= r0 + 1)
		return;
	/* Evidence: what state was the item in, and does it run later? */
	busy = uwq_work_busy(work_of(it));
	t0 = now_ns();
	while (atomic_load(&it->runs) == r && now_ns() - t0 < 200 * NSEC_PER_MSEC)
		sched_yield();
	if (getenv("RANDOM_OPS_LAX_FLUSH")) {
		atomic_fetch_add(&lax_misses, 1);
		return;
	}
	FAIL("seed %llu: owned item %d (%s): %s returned but the item did not run (runs %ld "
	     "before the queueing, %ld at the return; busy=%#x just after it; runs %ld %.1f ms "
	     "later, nobody else queueing it)", seed, it->idx, it->delayed ? "delayed" : "plain",
	     what, r0, r, busy, atomic_load(&it->runs), (double)(now_ns() - t0) / 1e6);
}

/* ---- test threads -------------------------------------------------------------- */

struct tstat {
	long ops, queued, cancelled, flushed, wq_flushes, owned_checks;
};

struct targ {
	int id;
	uint64_t rng;
	struct tstat st;
};

static void op_plain(struct targ *a, struct item *it, bool owned)
{
	uint64_t *r = &a->rng;
	unsigned op = rng_below(r, 100);
	struct uwq_workqueue *wq = wqs[rng_below(r, NWQ)];
	int cpu = rng_below(r, 2) ? cpus[rng_below(r, (unsigned)ncpus)] : -1;

	if (op < 40) {
		if (q_plain(it, wq, cpu))
			a->st.queued++;
	} else if (op < 52) {
		if (c_cancel(it))
			a->st.cancelled++;
	} else if (op < 64) {
		if (c_cancel_sync(it))
			a->st.cancelled++;
		if (owned) {
			check_idle_after_cancel_sync(it, "uwq_cancel_work_sync");
			a->st.owned_checks++;
		}
	} else if (op < 80 && owned) {
		long r0 = atomic_load(&it->runs);

		if (q_plain(it, wq, cpu)) {
			a->st.queued++;
			uwq_flush_work(&it->w);
			check_ran_since(it, r0, "uwq_flush_work");
			a->st.owned_checks++;
		}
	} else if (op < 80) {
		uwq_flush_work(&it->w);
		a->st.flushed++;
	} else {
		if (q_plain(it, wq, cpu))
			a->st.queued++;
	}
}

static void op_delayed(struct targ *a, struct item *it, bool owned)
{
	uint64_t *r = &a->rng;
	unsigned op = rng_below(r, 100);
	struct uwq_workqueue *wq = wqs[rng_below(r, NWQ)];
	uint64_t delay = rand_delay(r);

	if (op < 30) {
		if (q_delayed(it, wq, delay))
			a->st.queued++;
	} else if (op < 45) {
		if (!q_mod(it, wq, delay))
			a->st.queued++;
	} else if (op < 55) {
		if (c_cancel(it))
			a->st.cancelled++;
	} else if (op < 67) {
		if (c_cancel_sync(it))
			a->st.cancelled++;
		if (owned) {
			check_idle_after_cancel_sync(it, "uwq_cancel_delayed_work_sync");
			a->st.owned_checks++;
		}
	} else if (op < 85 && owned) {
		long r0 = atomic_load(&it->runs);
		bool must_run;

		/* mod always leaves an instance (re)armed; queue only if true */
		if (rng_below(r, 2)) {
			if (!q_mod(it, wq, delay))
				a->st.queued++;
			must_run = true;
		} else {
			must_run = q_delayed(it, wq, delay);
			if (must_run)
				a->st.queued++;
		}
		if (must_run) {
			uwq_flush_delayed_work(&it->dw);
			check_ran_since(it, r0, "uwq_flush_delayed_work");
			a->st.owned_checks++;
		}
	} else if (op < 85) {
		if (rng_below(r, 2))
			uwq_flush_delayed_work(&it->dw);
		else
			uwq_flush_work(&it->dw.work);
		a->st.flushed++;
	} else {
		if (q_delayed(it, wq, delay))
			a->st.queued++;
	}
}

static void *tester(void *arg)
{
	struct targ *a = arg;
	uint64_t *r = &a->rng;

	WAIT_UNTIL(atomic_load(&go), "never started");
	while (!atomic_load(&stop)) {
		struct item *it;
		bool owned = rng_below(r, 2);

		if (owned)
			it = &items[SHARED + a->id * PER_OWNER + (int)rng_below(r, PER_OWNER)];
		else
			it = &items[rng_below(r, SHARED)];

		if (rng_below(r, 400) == 0) {
			CHECK(uwq_flush_workqueue(wqs[rng_below(r, NWQ)]) == 0,
			      "seed %llu: flush_workqueue failed", seed);
			a->st.wq_flushes++;
		} else if (it->delayed) {
			op_delayed(a, it, owned);
		} else {
			op_plain(a, it, owned);
		}
		if (rng_below(r, 16) == 0)
			check_live_bound(&items[rng_below(r, K)]);
		if ((++a->st.ops & 255) == 0)
			sched_yield();
	}
	return NULL;
}

/* ---- main ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	double secs = 1.5;
	pthread_t t[THREADS];
	struct targ args[THREADS];
	struct tstat tot = { 0 };
	uint64_t end;
	long trun = 0, tsucc = 0, tcanc = 0;

	if (argc > 1)
		secs = strtod(argv[1], NULL);
	if (!(secs > 0) || secs > 600)
		secs = 1.5;
	if (argc > 2)
		seed = strtoull(argv[2], NULL, 0);
	else
		seed = now_ns() ^ ((unsigned long long)getpid() << 32);
	NOTE("seed %llu, %.3f s (replay: %s %.3f %llu)", seed, secs, argv[0], secs, seed);

	ncpus = affinity_cpus(cpus, MAX_CPUS);
	wqs[0] = uwq_alloc_workqueue("ro_bound", 0, 4);
	wqs[1] = uwq_alloc_workqueue("ro_unbound", UWQ_UNBOUND, 0);
	wqs[2] = uwq_alloc_ordered_workqueue("ro_ordered", 0);
	wqs[3] = uwq_system_wq;
	for (int i = 0; i < 3; i++)
		CHECK(wqs[i], "alloc of %s failed: %s", wq_names[i], strerror(errno));

	{
		uint64_t s = seed ^ 0x1234567ull;

		for (int i = 0; i < K; i++) {
			struct item *it = &items[i];

			it->idx = i;
			it->owner = i < SHARED ? -1 : (i - SHARED) / PER_OWNER;
			/* 4 shared (28..31) and 4 owned (one per owner: its last) delayed */
			it->delayed = (i >= SHARED - 4 && i < SHARED) ||
				      (i >= SHARED && (i - SHARED) % PER_OWNER == PER_OWNER - 1);
			it->allow_requeue = rng_below(&s, 2);
			atomic_store(&it->budget, REQUEUE_BUDGET);
			pthread_mutex_init(&it->mod_lock, NULL);
			if (it->delayed)
				uwq_delayed_work_init(&it->dw, delayed_fn);
			else
				uwq_work_init(&it->w, plain_fn);
		}
	}

	PHASE("random operations");
	for (int i = 0; i < THREADS; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].id = i;
		args[i].rng = seed + 0x100000001b3ull * (uint64_t)(i + 1);
		t[i] = start_thread(tester, &args[i]);
	}
	atomic_store(&go, 1);
	end = now_ns() + (uint64_t)(secs * (double)NSEC_PER_SEC);
	while (now_ns() < end) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);	/* the run's length, not synchronisation */
	}
	atomic_store(&stop, 1);
	PHASE("joining test threads");
	for (int i = 0; i < THREADS; i++) {
		join_thread(t[i]);
		tot.ops += args[i].st.ops;
		tot.queued += args[i].st.queued;
		tot.cancelled += args[i].st.cancelled;
		tot.flushed += args[i].st.flushed;
		tot.wq_flushes += args[i].st.wq_flushes;
		tot.owned_checks += args[i].st.owned_checks;
	}

	PHASE("final cancel_sync of every item");
	for (int i = 0; i < K; i++)
		c_cancel_sync(&items[i]);
	PHASE("final flush of every queue");
	for (int i = 0; i < NWQ; i++)
		CHECK(uwq_flush_workqueue(wqs[i]) == 0, "final flush of %s failed", wq_names[i]);

	CHECK(atomic_load(&overlaps) == 0,
	      "seed %llu: an item ran on two workers at once %d times (last: item %d)",
	      seed, atomic_load(&overlaps), atomic_load(&overlap_item));
	for (int i = 0; i < K; i++) {
		struct item *it = &items[i];
		long r = atomic_load(&it->runs);
		long s = atomic_load(&it->succ);
		long c = atomic_load(&it->cancels);
		unsigned busy = uwq_work_busy(work_of(it));

		CHECK(busy == 0, "seed %llu: item %d not idle at the end: busy=%#x",
		      seed, i, busy);
		CHECK(atomic_load(&it->running) == 0 && atomic_load(&it->inflight) == 0,
		      "seed %llu: item %d: running/in-flight counters not 0", seed, i);
		CHECK(r <= s, "seed %llu: item %d (%s, %s) ran %ld times for %ld successful queueings",
		      seed, i, it->delayed ? "delayed" : "plain", it->owner < 0 ? "shared" : "owned",
		      r, s);
		CHECK(r == s - c, "seed %llu: item %d (%s, %s%s): runs %ld != successes %ld - "
		      "cancels %ld", seed, i, it->delayed ? "delayed" : "plain",
		      it->owner < 0 ? "shared" : "owned",
		      it->allow_requeue ? ", self-requeueing" : "", r, s, c);
		trun += r;
		tsucc += s;
		tcanc += c;
	}
	NOTE("%d CPUs: %ld ops; %ld successful queueings (incl. self-requeues), %ld cancels, "
	     "%ld runs; %ld item flushes, %ld queue flushes, %ld owned-item postcondition checks",
	     ncpus, tot.ops, tsucc, tcanc, trun, tot.flushed, tot.wq_flushes, tot.owned_checks);
	CHECK(trun > 0, "nothing ran");
	if (atomic_load(&lax_misses))
		NOTE("RANDOM_OPS_LAX_FLUSH: %ld flushes returned before the queued run",
		     atomic_load(&lax_misses));

	PHASE("destroy and shutdown");
	for (int i = 0; i < 3; i++)
		uwq_destroy_workqueue(wqs[i]);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
