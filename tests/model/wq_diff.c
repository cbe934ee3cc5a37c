// SPDX-License-Identifier: MIT
/*
 * wq_diff - randomized differential test of the work-item state machine
 * against a reference model (the contract of include/uwq/workqueue.h, which
 * keeps the kernel's kernel/workqueue.c guarantees; docs/verification.md
 * explains the model in full).
 *
 *   wq_diff [--quick | --stress] [--seed S] [--ops N] [--threads T]
 *           [--hang-secs H] [--avoid BUG]... [--verbose]
 *
 * --avoid steers clear of an open library bug (docs/verification.md,
 * "Findings") so the rest can be checked meanwhile:
 *   flush-delayed-race  concurrent flush_delayed_work of one item are
 *                       serialised by the tester;
 *   flush-collision     roaming items stay on one (unbound) queue, so no
 *                       item is ever claimed across pools.
 *
 * T tester threads (default 4) run N random operations in total (--quick:
 * 2e5, the default; --stress: 1e7) on K work items and seven workqueues,
 * with per-thread PRNGs derived from the seed. The seed is printed; the
 * same seed replays the same operation sequence per thread (the
 * interleaving is the scheduler's).
 *
 * THE MODEL. The library is concurrent, so the model is not a lock-step
 * simulation: it is per-item accounting of *instances* plus invariants.
 * An instance is created by every queueing call that returns true
 * (queue_work, queue_work_on, queue_delayed_work) and by every
 * mod_delayed_work (which, returning true, also consumes the pending
 * instance it replaces). An instance is consumed by the start of a run or by
 * a cancel that returns true. PENDING dedupe means at most one instance is
 * unconsumed at a time, so an item's instances are consumed in creation
 * order. Per item the model counts, each counter an upper or lower bound
 * of the truth at every moment:
 *   pot_created  queueing calls begun, minus those that returned false (>=)
 *   created      queueing calls that returned true                     (<=)
 *   cons_pot     cancel/mod calls begun, minus those that returned false (>=)
 *   cons         cancel/mod calls that returned true                   (<=)
 *   runs_started, runs_finished   counted inside the work function
 * and checks, after every step:
 *  I1 no item runs on two workers at once (non-reentrancy);
 *  I2 no run without a queueing: runs_started + cons <= pot_created;
 *  I3 flush_work / flush_delayed_work: the last instance created before the
 *     call is consumed on return, and if it ran its run has finished:
 *     runs_finished + cons_pot >= created(at the call) (uwq_flush_work());
 *     one run may still be in progress if a cancel or mod raced with the
 *     flush (the cancelled instance was the last one; the run before it
 *     goes on);
 *  I4 cancel_work_sync / cancel_delayed_work_sync: on return the item is
 *     not pending and not running, provided no other thread began a
 *     queueing of it meanwhile (the kernel's cancel_work_sync() says
 *     exactly that);
 *  I5 flush_workqueue / drain_workqueue(q): every instance created on q by
 *     an immediate queueing that returned before the call is consumed and
 *     finished (uwq_flush_workqueue(), uwq_drain_workqueue()), counted per
 *     (item, queue);
 *  I6 max_active: at most max_active items of a queue run at once (per CPU
 *     for a bound queue, in total for an unbound one) (uwq_alloc_workqueue()
 *     @max_active);
 *  I7 ordered queues: one item at a time, and an instance whose immediate
 *     queueing returned before another's queueing call began starts first
 *     (uwq_alloc_ordered_workqueue()), with instances attributed exactly
 *     (see "ordered items");
 *  I8 at the end, after every timer was fired and every queue flushed:
 *     runs_started == runs_finished == created - cons, with both bounds
 *     tight, and every item idle (pending dedupe: every queueing gave
 *     exactly one run or one successful cancel).
 *
 * QUEUES. Limited queues hold only their own ("homed") items, so the
 * tester knows which queue a run belongs to: bound max_active 2 and
 * ordered-drain (plain items; these two are also drained), unbound
 * max_active 3 and ordered (plain and delayed items). Roaming items move
 * between an unbound, a bound and the high-priority system queue (and so
 * meet the cross-pool collision path of worker.c). Delayed items never
 * target a queue that is drained: a timer firing into a draining queue is
 * refused (as in the kernel, a caller bug), which the return value of the
 * arming call cannot show.
 *
 * ORDERED ITEMS. To know which instance a run consumes, queueings and
 * cancels of an ordered item are serialised by a tester lock (the item's
 * own requeue only trylocks it, so a cancel_sync holding the lock never
 * waits for a function waiting for it). Each queueing writes its instance
 * record (queueing stamps, immediate or timer) into a ring *before* the
 * call, so the run finds it; a successful cancel marks the newest instance.
 * mod_delayed_work is not used on ordered items (its steal and re-arm
 * cannot be attributed without a lock the work function would need).
 *
 * mod_delayed_work and cancel_sync of one delayed item are serialised by
 * a tester lock: while a cancel_sync runs, mod neither arms nor says so
 * (kernel semantics), so its return value would not tell what it did.
 *
 * Work functions burn a little CPU, or yield, or sleep 20-200 µs with or
 * without uwq_blocking_begin/end, and one run in four requeues its item
 * once (chains stay short; none during the final quiesce).
 *
 * Exit 0 pass, 1 fail (with the seed and the replay command line).
 */
#define UTIL_TEST_BUDGET_NS	(7ull * 24 * 3600 * 1000000000ull)	/* own watchdog below */
#include <getopt.h>
#include <uwq/stats.h>
#include <uwq/workqueue.h>

#include "util.h"

#define MAX_THREADS	64
#define MAX_CPUS	1024
#define MAX_DELAY_NS	(2 * NSEC_PER_MSEC)
#define RING		8
#define QUICK_OPS	200000L
#define STRESS_OPS	10000000L

/* ---- queues ------------------------------------------------------------- */

enum {
	Q_BOUND_LIM,	/* bound, max_active 2 (per CPU); homed plain; drained */
	Q_UNB_LIM,	/* unbound, max_active 3; homed plain + delayed */
	Q_ORD,		/* ordered; homed plain + delayed */
	Q_ORD_DRAIN,	/* ordered; homed plain; drained */
	Q_UNB,		/* unbound, default; roaming */
	Q_BOUND,	/* bound, default; roaming */
	Q_HIGHPRI,	/* uwq_system_highpri_wq; roaming */
	NQ
};

static const int roam_targets[] = { Q_UNB, Q_BOUND, Q_HIGHPRI };
static const int drain_targets[] = { Q_BOUND_LIM, Q_ORD_DRAIN };

struct queue {
	const char		*name;
	struct uwq_workqueue	*wq;
	int			limit;		/* I6: 0 = not checked */
	bool			per_cpu;	/* limit per bound pool */
	bool			ordered;
	atomic_int		running;
	atomic_int		running_cpu[MAX_CPUS];
	atomic_ullong		max_inv_started;	/* I7 */
	atomic_int		max_seen;	/* I6: most running at once seen */
	atomic_long		order_checks;	/* I7: starts checked against others */
};

static struct queue queues[NQ] = {
	[Q_BOUND_LIM] = { .name = "md_bound2", .limit = 2, .per_cpu = true },
	[Q_UNB_LIM] = { .name = "md_unbound3", .limit = 3 },
	[Q_ORD] = { .name = "md_ordered", .limit = 1, .ordered = true },
	[Q_ORD_DRAIN] = { .name = "md_ordered_dr", .limit = 1, .ordered = true },
	[Q_UNB] = { .name = "md_unbound" },
	[Q_BOUND] = { .name = "md_bound" },
	[Q_HIGHPRI] = { .name = "events_highpri" },
};

/* ---- items -------------------------------------------------------------- */

enum { ST_PEND, ST_STARTED, ST_CANCELLED };

struct ord_ent {
	atomic_long		gen;		/* instance number; 0 = empty */
	atomic_ullong		inv, ret;	/* stamps around the queueing call; ret 0 = not yet */
	atomic_int		imm;		/* queued at once (not by a timer) */
	atomic_int		state;
};

struct item {
	struct uwq_work		w;
	struct uwq_delayed_work	dw;
	int			idx;
	bool			delayed;
	int			home;		/* queue index, -1 = roaming */
	int			owner;		/* tester thread, -1 = shared */
	pthread_mutex_t		lock;		/* ordered: queueing/cancel; delayed: mod vs cancel_sync */
	pthread_mutex_t		fdw_lock;	/* --avoid flush-delayed-race */
	atomic_int		running;
	atomic_long		pot_created, created, cons_pot, cons;
	atomic_long		runs_started, runs_finished;
	atomic_long		ext_begun, ext_done;	/* tester threads' queueing calls */
	atomic_long		cons_begun, cons_ended;	/* cancel/mod calls */
	atomic_long		imm_created[NQ];	/* I5 */
	/* ordered items (I7) */
	atomic_long		ord_created;	/* lock */
	atomic_long		ord_last_started;	/* the item's runs only */
	struct ord_ent		ring[RING];
};

#define MAX_ITEMS	128
static struct item items[MAX_ITEMS];
static int nitems;

/* ---- run parameters and state ------------------------------------------- */

static unsigned long long seed;
static long total_ops = QUICK_OPS;
static int nthreads = 4;
static int hang_secs = 60;
static bool verbose;
static bool avoid_fdw_race;		/* --avoid flush-delayed-race */
static bool avoid_collision;		/* --avoid flush-collision: roam on one pool */
static char avoid_args[80];		/* for the replay line */
static const char *prog;
static int cpus[MAX_CPUS];
static int ncpus;

static atomic_int quiesce;		/* work functions stop requeueing */
static atomic_ullong g_tick;		/* I7 stamps */
static atomic_int threads_done;

struct targ {
	int		id;
	uint64_t	rng;
	long		nops;
	atomic_long	done;
	atomic_int	cur_op, cur_item;
	long		st_queue, st_cancel, st_flush, st_csync_checked, st_wqflush, st_drain,
			st_skipped;
};

static struct targ targs[MAX_THREADS];

/* ---- PRNG (splitmix64) ---------------------------------------------------- */

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t rng_next(uint64_t *s)
{
	return mix64(*s += 0x9e3779b97f4a7c15ull);
}

static inline unsigned below(uint64_t *s, unsigned n)
{
	return (unsigned)(rng_next(s) % n);
}

static uint64_t rand_delay(uint64_t *s)
{
	if (below(s, 4) == 0)
		return 0;
	return rng_next(s) % (MAX_DELAY_NS + 1);
}

static int rand_cpu(uint64_t *s)
{
	unsigned r = below(s, 16);

	if (r == 0)
		return cpus[ncpus - 1] + 3;	/* outside the mask: falls back */
	return cpus[r % (unsigned)ncpus];
}

/* ---- failure reports ------------------------------------------------------ */

static void item_state(const struct item *it, char *buf, size_t len)
{
	snprintf(buf, len,
		 "item %d (%s, %s, %s): running=%d pot_created=%ld created=%ld cons_pot=%ld cons=%ld "
		 "runs_started=%ld runs_finished=%ld busy=%#x",
		 it->idx, it->delayed ? "delayed" : "plain",
		 it->home < 0 ? "roaming" : queues[it->home].name, it->owner < 0 ? "shared" : "owned",
		 atomic_load(&it->running), atomic_load(&it->pot_created), atomic_load(&it->created),
		 atomic_load(&it->cons_pot), atomic_load(&it->cons), atomic_load(&it->runs_started),
		 atomic_load(&it->runs_finished),
		 uwq_work_busy(it->delayed ? &it->dw.work : &it->w));
}

#define DIVERGE(it, ...) do {								\
	char st_[512];									\
	item_state((it), st_, sizeof(st_));						\
	NOTE("DIVERGENCE (seed %llu): %s", seed, st_);					\
	NOTE("replay: %s --seed %llu --ops %ld --threads %d%s", prog, seed, total_ops,	\
	     nthreads, avoid_args);		\
	FAIL(__VA_ARGS__);								\
} while (0)

/* ---- worker-side helpers -------------------------------------------------- */

/* The bound pool this worker serves, from its name "uwq/<cpu>:<n>"; -1 if none. */
static int my_pool_cpu(void)
{
	static _Thread_local int cached = -2;
	char name[32];
	int cpu, n;
	char c;

	if (cached != -2)
		return cached;
	cached = -1;
	if (pthread_getname_np(pthread_self(), name, sizeof(name)) == 0 &&
	    sscanf(name, "uwq/%d:%d%c", &cpu, &n, &c) == 2 && cpu >= 0 && cpu < MAX_CPUS)
		cached = cpu;
	return cached;
}

static struct uwq_work *work_of(struct item *it)
{
	return it->delayed ? &it->dw.work : &it->w;
}

static unsigned long long tick(void)
{
	return atomic_fetch_add(&g_tick, 1) + 1;
}

/* I7: find the instance this run consumes (the oldest one not consumed). */
static struct ord_ent *ord_attribute(struct item *it)
{
	long g = atomic_load(&it->ord_last_started) + 1;
	long top = atomic_load(&it->ord_created) + 1;

	for (; g <= top; g++) {
		struct ord_ent *e = &it->ring[g % RING];
		int expect = ST_PEND;

		if (atomic_load(&e->gen) != g)
			continue;	/* overwritten: consumed long ago; or never created */
		if (atomic_load(&e->state) == ST_CANCELLED)
			continue;
		if (!atomic_compare_exchange_strong(&e->state, &expect, ST_STARTED))
			DIVERGE(it, "ordered item: instance %ld already started (state %d)", g, expect);
		atomic_store(&it->ord_last_started, g);
		return e;
	}
	DIVERGE(it, "ordered item ran, but the model has no pending instance for it "
		"(last started %ld, created %ld)", atomic_load(&it->ord_last_started), top - 1);
}

static void ord_check_start(struct item *it, struct queue *q)
{
	struct ord_ent *e = ord_attribute(it);
	unsigned long long inv = atomic_load(&e->inv), ret = atomic_load(&e->ret);
	unsigned long long max = atomic_load(&q->max_inv_started);

	if (atomic_load(&e->imm) && ret)
		atomic_fetch_add(&q->order_checks, 1);
	if (atomic_load(&e->imm) && ret && ret < max)
		DIVERGE(it, "ordered queue %s: this instance (queued at [%llu,%llu]) starts after "
			"one whose queueing began at %llu, later than this one returned", q->name,
			inv, ret, max);
	while (inv > max && !atomic_compare_exchange_weak(&q->max_inv_started, &max, inv))
		;
}

static bool create(struct item *it, int qi, int op, int cpu, uint64_t delay, bool ext,
		   bool *mod_ret);

enum { C_QUEUE, C_QUEUE_ON, C_DELAYED, C_MOD };

static void self_requeue(struct item *it, uint64_t h)
{
	int qi = it->home >= 0 ? it->home :
		 roam_targets[avoid_collision ? 0 : h % ARRAY_SIZE(roam_targets)];
	uint64_t delay = (h >> 8) % 4 == 0 ? 0 : (h >> 12) % (MAX_DELAY_NS + 1);
	int op = it->delayed ? C_DELAYED : ((h >> 40) & 1) ? C_QUEUE_ON : C_QUEUE;
	int cpu = cpus[(h >> 44) % (unsigned)ncpus];

	if (queues[qi].ordered) {
		if (pthread_mutex_trylock(&it->lock) != 0)
			return;	/* a tester holds it (maybe waiting for this run) */
		create(it, qi, op, cpu, delay, false, NULL);
		pthread_mutex_unlock(&it->lock);
	} else {
		create(it, qi, op, cpu, delay, false, NULL);
	}
}

static void body(struct item *it)
{
	struct queue *q = it->home >= 0 ? &queues[it->home] : NULL;
	long started, c, p;
	int pcpu = -1;
	uint64_t h;

	if (atomic_fetch_add(&it->running, 1) != 0)
		DIVERGE(it, "I1: item runs on two workers at once");
	started = atomic_fetch_add(&it->runs_started, 1) + 1;
	c = atomic_load(&it->cons);
	p = atomic_load(&it->pot_created);
	if (started + c > p)
		DIVERGE(it, "I2: run without a queueing: %ld runs + %ld cancels > %ld queueings",
			started, c, p);
	if (q && q->limit) {
		atomic_int *ctr = &q->running;
		int n;

		/* Bound queues: max_active is per pool; the worker's name says which. */
		if (q->per_cpu)
			ctr = (pcpu = my_pool_cpu()) >= 0 ? &q->running_cpu[pcpu] : NULL;
		n = ctr ? atomic_fetch_add(ctr, 1) + 1 : 0;
		for (int m = atomic_load(&q->max_seen);
		     n > m && !atomic_compare_exchange_weak(&q->max_seen, &m, n);)
			;
		if (n > q->limit)
			DIVERGE(it, "I6: %d items of %s running at once (max_active %d%s)", n, q->name,
				q->limit, q->per_cpu ? " per CPU" : "");
		if (q->ordered)
			ord_check_start(it, q);
	}

	h = mix64(seed ^ ((uint64_t)it->idx << 48) ^ (uint64_t)started);
	switch (h % 100) {
	case 0 ... 5:
		uwq_blocking_begin();
		usleep(20 + (unsigned)((h >> 16) % 180));
		uwq_blocking_end();
		break;
	case 6 ... 11:
		usleep(20 + (unsigned)((h >> 16) % 180));	/* unhinted: the monitor's case */
		break;
	case 12 ... 19:
		sched_yield();
		break;
	default:
		burn_us((unsigned)((h >> 16) % 16));
		break;
	}
	if (!atomic_load(&quiesce) && (h >> 24) % 4 == 0)
		self_requeue(it, mix64(h));

	if (q && q->limit) {
		if (!q->per_cpu)
			atomic_fetch_sub(&q->running, 1);
		else if (pcpu >= 0)
			atomic_fetch_sub(&q->running_cpu[pcpu], 1);
	}
	atomic_fetch_add(&it->runs_finished, 1);
	atomic_fetch_sub(&it->running, 1);
}

static void plain_fn(struct uwq_work *w)
{
	body(container_of(w, struct item, w));
}

static void delayed_fn(struct uwq_work *w)
{
	body(container_of(uwq_to_delayed_work(w), struct item, dw));
}

/* ---- modelled operations ---------------------------------------------------- */

/* I2 at any moment. */
static void check_bounds(struct item *it)
{
	long rs = atomic_load(&it->runs_started);
	long c = atomic_load(&it->cons);
	long p = atomic_load(&it->pot_created);

	if (rs + c > p)
		DIVERGE(it, "I2: %ld runs + %ld cancels > %ld queueings", rs, c, p);
}

/*
 * A queueing call. Returns whether it created an instance. Ordered items:
 * the caller holds it->lock. @mod_ret: mod_delayed_work's return value.
 */
static bool create(struct item *it, int qi, int op, int cpu, uint64_t delay, bool ext,
		   bool *mod_ret)
{
	struct uwq_workqueue *wq = queues[qi].wq;
	bool imm = op == C_QUEUE || op == C_QUEUE_ON || delay == 0;
	struct ord_ent *e = NULL;
	long n = 0;
	bool ok;

	if (queues[qi].ordered) {
		n = atomic_load(&it->ord_created) + 1;
		e = &it->ring[n % RING];
		if (atomic_load(&e->gen) && atomic_load(&e->state) == ST_PEND)
			return false;	/* a run has not claimed its record yet: skip */
		atomic_store(&e->gen, 0);
		atomic_store(&e->state, ST_PEND);
		atomic_store(&e->imm, imm);
		atomic_store(&e->ret, 0);
		atomic_store(&e->inv, tick());
		atomic_store(&e->gen, n);
	}
	if (ext)
		atomic_fetch_add(&it->ext_begun, 1);
	atomic_fetch_add(&it->pot_created, 1);
	if (op == C_MOD) {
		atomic_fetch_add(&it->cons_begun, 1);
		atomic_fetch_add(&it->cons_pot, 1);
	}

	switch (op) {
	case C_QUEUE:
		ok = uwq_queue_work(wq, &it->w);
		break;
	case C_QUEUE_ON:
		ok = uwq_queue_work_on(cpu, wq, &it->w);
		break;
	case C_DELAYED:
		ok = uwq_queue_delayed_work(wq, &it->dw, delay);
		break;
	default: {
		bool was_pending = uwq_mod_delayed_work(wq, &it->dw, delay);

		if (was_pending)
			atomic_fetch_add(&it->cons, 1);
		else
			atomic_fetch_sub(&it->cons_pot, 1);
		atomic_fetch_add(&it->cons_ended, 1);
		*mod_ret = was_pending;
		ok = true;	/* mod always leaves an instance armed or queued */
		break;
	}
	}

	if (ok) {
		if (imm)
			atomic_fetch_add(&it->imm_created[qi], 1);
		atomic_fetch_add(&it->created, 1);
		if (e) {
			atomic_store(&e->ret, tick());
			atomic_store(&it->ord_created, n);
		}
	} else {
		atomic_fetch_sub(&it->pot_created, 1);
		if (e)
			atomic_store(&e->gen, 0);
	}
	if (ext)
		atomic_fetch_add(&it->ext_done, 1);
	return ok;
}

/* A cancel of either flavour. Ordered items: the caller holds it->lock. */
static bool cancel(struct item *it, bool sync)
{
	struct uwq_work *w = work_of(it);
	bool ret;

	atomic_fetch_add(&it->cons_begun, 1);
	atomic_fetch_add(&it->cons_pot, 1);
	if (it->delayed)
		ret = sync ? uwq_cancel_delayed_work_sync(&it->dw) : uwq_cancel_delayed_work(&it->dw);
	else
		ret = sync ? uwq_cancel_work_sync(w) : uwq_cancel_work(w);
	if (ret) {
		if (it->home >= 0 && queues[it->home].ordered) {
			long n = atomic_load(&it->ord_created);
			struct ord_ent *e = &it->ring[n % RING];
			int expect = ST_PEND;

			/* Under the lock nothing newer exists: the pending
			 * instance a cancel removes is the newest one. */
			if (atomic_load(&e->gen) != n ||
			    !atomic_compare_exchange_strong(&e->state, &expect, ST_CANCELLED))
				DIVERGE(it, "cancel returned true, but the newest instance (%ld) had "
					"started (state %d)", n, expect);
		}
		atomic_fetch_add(&it->cons, 1);
	} else {
		atomic_fetch_sub(&it->cons_pot, 1);
	}
	atomic_fetch_add(&it->cons_ended, 1);
	return ret;
}

/* I4 */
static void cancel_sync_checked(struct targ *a, struct item *it)
{
	long d0 = atomic_load(&it->ext_done);
	long b0 = atomic_load(&it->ext_begun);
	long ce0 = atomic_load(&it->cons_ended);
	long cb0 = atomic_load(&it->cons_begun);
	unsigned busy;
	int running;
	long rs, rf;

	cancel(it, true);
	busy = uwq_work_busy(work_of(it));
	running = atomic_load(&it->running);
	rf = atomic_load(&it->runs_finished);
	rs = atomic_load(&it->runs_started);
	if (b0 != d0 || atomic_load(&it->ext_begun) != b0)
		return;	/* another thread queued it meanwhile: no promise then */
	/* Another thread's cancel holds PENDING for a moment while it grabs an
	 * idle item: then the bit says nothing about a pending instance. */
	if (cb0 != ce0 || atomic_load(&it->cons_begun) != cb0 + 1)
		busy &= ~UWQ_WORK_BUSY_PENDING;
	a->st_csync_checked++;
	if (busy || running || rs != rf)
		DIVERGE(it, "I4: cancel_sync returned but the item is %s%s (busy=%#x, %ld runs "
			"started, %ld finished)", (busy & UWQ_WORK_BUSY_PENDING) ? "pending " : "",
			running || rs != rf ? "running" : "", busy, rs, rf);
}

/* I3 */
static void flush_checked(struct targ *a, struct item *it, bool delayed_flush)
{
	long cb0, ce0, need, have, slack;
	unsigned busy0;
	bool ret;

	ce0 = atomic_load(&it->cons_ended);
	cb0 = atomic_load(&it->cons_begun);
	need = atomic_load(&it->created);
	busy0 = uwq_work_busy(work_of(it));
	if (delayed_flush && avoid_fdw_race) {
		pthread_mutex_lock(&it->fdw_lock);
		ret = uwq_flush_delayed_work(&it->dw);
		pthread_mutex_unlock(&it->fdw_lock);
	} else if (delayed_flush) {
		ret = uwq_flush_delayed_work(&it->dw);
	} else {
		ret = uwq_flush_work(work_of(it));
	}
	a->st_flush++;
	if (it->delayed && !delayed_flush)
		return;	/* an armed timer is not waited for: nothing to check */
	have = atomic_load(&it->runs_finished) + atomic_load(&it->cons_pot);
	/* A cancel/mod racing with the flush may have removed the last
	 * instance while the run before it still goes on (or has not even
	 * entered the function yet): at most one such run (I1). */
	slack = (cb0 != ce0 || atomic_load(&it->cons_begun) != cb0) ? 1 : 0;
	if (have + slack < need)
		DIVERGE(it, "I3: %s returned %s before the last queueing (instance %ld) finished: "
			"%ld runs finished + %ld cancels (busy before the call %#x)",
			delayed_flush ? "flush_delayed_work" : "flush_work", ret ? "true" : "false",
			need, atomic_load(&it->runs_finished), atomic_load(&it->cons_pot), busy0);
}

/* I5 */
static void flush_wq_checked(int qi, bool drain)
{
	static _Thread_local long need[MAX_ITEMS];
	struct queue *q = &queues[qi];
	int err;

	for (int i = 0; i < nitems; i++)
		need[i] = atomic_load(&items[i].imm_created[qi]);
	err = drain ? uwq_drain_workqueue(q->wq) : uwq_flush_workqueue(q->wq);
	if (err)
		FAIL("seed %llu: %s(%s) returned %d", seed, drain ? "drain_workqueue" :
		     "flush_workqueue", q->name, err);
	for (int i = 0; i < nitems; i++) {
		struct item *it = &items[i];
		long have;

		if (!need[i])
			continue;
		have = atomic_load(&it->runs_finished) + atomic_load(&it->cons_pot);
		if (have < need[i])
			DIVERGE(it, "I5: %s(%s) returned before an instance queued on it before the "
				"call finished: %ld immediate queueings there, %ld runs finished + "
				"cancels", drain ? "drain_workqueue" : "flush_workqueue", q->name,
				need[i], have);
	}
}

/* ---- the tester threads ------------------------------------------------------- */

enum {
	OP_QUEUE, OP_QUEUE_ON, OP_DELAYED, OP_MOD, OP_CANCEL, OP_CANCEL_SYNC, OP_FLUSH,
	OP_FLUSH_DELAYED, OP_QUEUE_FLUSH, OP_FLUSH_WQ, OP_DRAIN, OP_NONE
};
static const char *const op_names[] = {
	"queue_work", "queue_work_on", "queue_delayed_work", "mod_delayed_work", "cancel",
	"cancel_sync", "flush_work", "flush_delayed_work", "queue+flush", "flush_workqueue",
	"drain_workqueue", "-"
};

static int pick_queue(struct item *it, uint64_t *r)
{
	unsigned n = avoid_collision ? 1 : ARRAY_SIZE(roam_targets);

	return it->home >= 0 ? it->home : roam_targets[below(r, n)];
}

static int pick_op(struct item *it, uint64_t *r)
{
	unsigned x = below(r, 100);
	bool ordered = it->home >= 0 && queues[it->home].ordered;

	if (!it->delayed) {
		if (x < 30)
			return OP_QUEUE;
		if (x < 42)
			return OP_QUEUE_ON;
		if (x < 54)
			return OP_CANCEL;
		if (x < 64)
			return OP_CANCEL_SYNC;
		if (x < 78)
			return OP_FLUSH;
		if (x < 88)
			return OP_QUEUE_FLUSH;
		return OP_QUEUE;
	}
	if (x < 25)
		return OP_DELAYED;
	if (x < 40)
		return ordered ? OP_DELAYED : OP_MOD;
	if (x < 50)
		return OP_CANCEL;
	if (x < 60)
		return OP_CANCEL_SYNC;
	if (x < 72)
		return OP_FLUSH_DELAYED;
	if (x < 77)
		return OP_FLUSH;
	if (x < 90)
		return OP_QUEUE_FLUSH;
	return OP_DELAYED;
}

static void do_item_op(struct targ *a, struct item *it, int op)
{
	uint64_t *r = &a->rng;
	bool ordered = it->home >= 0 && queues[it->home].ordered;
	/* mod and cancel_sync of a delayed item are serialised (see the top) */
	bool serial = ordered || (it->delayed && (op == OP_MOD || op == OP_CANCEL_SYNC ||
						  op == OP_QUEUE_FLUSH));
	int qi = pick_queue(it, r);
	int cpu = rand_cpu(r);
	uint64_t delay = rand_delay(r);
	bool mod_ret, took = false;

	if (serial && op != OP_FLUSH && op != OP_FLUSH_DELAYED) {
		pthread_mutex_lock(&it->lock);
		took = true;
	}
	switch (op) {
	case OP_QUEUE:
		a->st_queue += create(it, qi, it->delayed ? C_DELAYED : C_QUEUE, cpu, 0, true, NULL);
		break;
	case OP_QUEUE_ON:
		a->st_queue += create(it, qi, C_QUEUE_ON, cpu, 0, true, NULL);
		break;
	case OP_DELAYED:
		a->st_queue += create(it, qi, C_DELAYED, cpu, delay, true, NULL);
		break;
	case OP_MOD:
		create(it, qi, C_MOD, cpu, delay, true, &mod_ret);
		a->st_queue++;
		break;
	case OP_CANCEL:
		a->st_cancel += cancel(it, false);
		break;
	case OP_CANCEL_SYNC:
		cancel_sync_checked(a, it);
		break;
	case OP_FLUSH:
		flush_checked(a, it, false);
		break;
	case OP_FLUSH_DELAYED:
		flush_checked(a, it, true);
		break;
	case OP_QUEUE_FLUSH:
		if (it->delayed) {
			if (!ordered && below(r, 2))
				create(it, qi, C_MOD, cpu, delay, true, &mod_ret);
			else
				create(it, qi, C_DELAYED, cpu, delay, true, NULL);
		} else {
			create(it, qi, below(r, 2) ? C_QUEUE_ON : C_QUEUE, cpu, 0, true, NULL);
		}
		if (took) {
			pthread_mutex_unlock(&it->lock);
			took = false;
		}
		flush_checked(a, it, it->delayed);
		break;
	}
	if (took)
		pthread_mutex_unlock(&it->lock);
	check_bounds(it);
}

static struct item *pick_item(struct targ *a)
{
	uint64_t *r = &a->rng;

	/* Half the time one of this thread's own items (nobody else queues them,
	 * so every I4 check applies), else any shared item. */
	for (int tries = 0; tries < 64; tries++) {
		struct item *it = &items[below(r, (unsigned)nitems)];
		bool want_owned = (tries & 1) == 0;

		if (want_owned ? it->owner == a->id : it->owner < 0)
			return it;
	}
	return &items[below(r, (unsigned)nitems)];
}

static void *tester(void *arg)
{
	struct targ *a = arg;
	uint64_t *r = &a->rng;

	for (long i = 0; i < a->nops; i++) {
		unsigned x = below(r, 10000);

		if (x < 2) {
			int qi = drain_targets[below(r, ARRAY_SIZE(drain_targets))];

			atomic_store(&a->cur_op, OP_DRAIN);
			atomic_store(&a->cur_item, qi);
			flush_wq_checked(qi, true);
			a->st_drain++;
		} else if (x < 27) {
			int qi = (int)below(r, NQ);

			atomic_store(&a->cur_op, OP_FLUSH_WQ);
			atomic_store(&a->cur_item, qi);
			flush_wq_checked(qi, false);
			a->st_wqflush++;
		} else {
			struct item *it = pick_item(a);
			int op = pick_op(it, r);

			/* The item's owner alone may touch an owned item. */
			if (it->owner >= 0 && it->owner != a->id)
				op = OP_FLUSH;
			atomic_store(&a->cur_op, op);
			atomic_store(&a->cur_item, it->idx);
			do_item_op(a, it, op);
		}
		atomic_store(&a->cur_op, OP_NONE);
		atomic_fetch_add(&a->done, 1);
	}
	atomic_fetch_add(&threads_done, 1);
	return NULL;
}

/* ---- watchdog: no progress for hang_secs is a hang --------------------------- */

static void *watchdog(void *arg)
{
	long last = -1;
	uint64_t since = now_ns();

	(void)arg;
	while (atomic_load(&threads_done) < nthreads) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		long sum = 0;

		nanosleep(&ts, NULL);	/* a polling period, not synchronisation */
		for (int i = 0; i < nthreads; i++)
			sum += atomic_load(&targs[i].done);
		if (sum != last) {
			last = sum;
			since = now_ns();
			continue;
		}
		if (now_ns() - since < (uint64_t)hang_secs * NSEC_PER_SEC)
			continue;
		NOTE("HANG (seed %llu): no operation completed for %d s; %ld done", seed, hang_secs, sum);
		for (int i = 0; i < nthreads; i++) {
			int op = atomic_load(&targs[i].cur_op);
			int x = atomic_load(&targs[i].cur_item);

			if (op == OP_NONE)
				continue;
			if (op == OP_FLUSH_WQ || op == OP_DRAIN) {
				NOTE("  tester %d in %s(%s)", i, op_names[op], queues[x].name);
			} else {
				char st[512];

				item_state(&items[x], st, sizeof(st));
				NOTE("  tester %d in %s of %s", i, op_names[op], st);
			}
		}
		uwq_dump(stderr);
		util_dump_threads();
		NOTE("replay: %s --seed %llu --ops %ld --threads %d%s", prog, seed, total_ops, nthreads,
		     avoid_args);
		FAIL("hang");
	}
	return NULL;
}

/* ---- set-up, quiesce, final accounting ---------------------------------------- */

static void add_items(int n, bool delayed, int home)
{
	for (int i = 0; i < n; i++) {
		struct item *it = &items[nitems];

		CHECK(nitems < MAX_ITEMS, "too many items");
		it->idx = nitems++;
		it->delayed = delayed;
		it->home = home;
		it->owner = -1;
		pthread_mutex_init(&it->lock, NULL);
		pthread_mutex_init(&it->fdw_lock, NULL);
		if (delayed)
			uwq_delayed_work_init(&it->dw, delayed_fn);
		else
			uwq_work_init(&it->w, plain_fn);
	}
}

static void setup(void)
{
	int owned = 0;

	ncpus = affinity_cpus(cpus, MAX_CPUS);
	queues[Q_BOUND_LIM].wq = uwq_alloc_workqueue(queues[Q_BOUND_LIM].name, 0, 2);
	queues[Q_UNB_LIM].wq = uwq_alloc_workqueue(queues[Q_UNB_LIM].name, UWQ_UNBOUND, 3);
	queues[Q_ORD].wq = uwq_alloc_ordered_workqueue(queues[Q_ORD].name, 0);
	queues[Q_ORD_DRAIN].wq = uwq_alloc_ordered_workqueue(queues[Q_ORD_DRAIN].name, 0);
	queues[Q_UNB].wq = uwq_alloc_workqueue(queues[Q_UNB].name, UWQ_UNBOUND, 0);
	queues[Q_BOUND].wq = uwq_alloc_workqueue(queues[Q_BOUND].name, 0, 0);
	queues[Q_HIGHPRI].wq = uwq_system_highpri_wq;
	for (int i = 0; i < NQ; i++)
		CHECK(queues[i].wq, "alloc of %s failed: %s", queues[i].name, strerror(errno));

	add_items(24, false, -1);
	add_items(8, true, -1);
	add_items(10, false, Q_BOUND_LIM);
	add_items(8, false, Q_UNB_LIM);
	add_items(4, true, Q_UNB_LIM);
	add_items(6, false, Q_ORD);
	add_items(3, true, Q_ORD);
	add_items(6, false, Q_ORD_DRAIN);
	/* Every other item of each kind is owned, round-robin over the threads. */
	for (int i = 0; i < nitems; i++)
		if (i % 2)
			items[i].owner = owned++ % nthreads;
}

static bool all_quiet(long *runs)
{
	long sum = 0;
	bool quiet = true;

	for (int i = 0; i < nitems; i++) {
		struct item *it = &items[i];

		sum += atomic_load(&it->runs_started);
		if (uwq_work_busy(work_of(it)))
			quiet = false;
	}
	if (sum != *runs)
		quiet = false;
	*runs = sum;
	return quiet;
}

static void quiesce_and_check(void)
{
	long runs = -1;
	int round;

	PHASE("quiesce: firing timers and flushing until nothing runs");
	atomic_store(&quiesce, 1);
	for (round = 0; round < 1000; round++) {
		for (int i = 0; i < nitems; i++)
			if (items[i].delayed)
				uwq_flush_delayed_work(&items[i].dw);
		for (int qi = 0; qi < NQ; qi++)
			CHECK(uwq_flush_workqueue(queues[qi].wq) == 0, "final flush of %s", queues[qi].name);
		if (all_quiet(&runs))
			break;
	}
	CHECK(round < 1000, "seed %llu: items still busy after 1000 flush rounds", seed);

	PHASE("final accounting");
	for (int i = 0; i < nitems; i++) {
		struct item *it = &items[i];
		long pc = atomic_load(&it->pot_created), c = atomic_load(&it->created);
		long cp = atomic_load(&it->cons_pot), cs = atomic_load(&it->cons);
		long rs = atomic_load(&it->runs_started), rf = atomic_load(&it->runs_finished);

		if (pc != c || cp != cs)
			DIVERGE(it, "I8: calls still in flight after the testers stopped");
		if (rs != rf || atomic_load(&it->running))
			DIVERGE(it, "I8: a run is still going on after the final flushes");
		if (rs + cs != c)
			DIVERGE(it, "I8: %ld queueings but %ld runs + %ld successful cancels "
				"(every queueing must give exactly one run or one cancel)", c, rs, cs);
		if (uwq_work_busy(work_of(it)))
			DIVERGE(it, "I8: not idle after the final flushes");
	}
	PHASE("final cancel_sync of every item");
	for (int i = 0; i < nitems; i++)
		if (items[i].delayed ? uwq_cancel_delayed_work_sync(&items[i].dw) :
		    uwq_cancel_work_sync(&items[i].w))
			DIVERGE(&items[i], "I8: cancel_sync found an instance after the final flushes");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 't' },
		{ "hang-secs", required_argument, NULL, 'H' },
		{ "quick", no_argument, NULL, 'q' },
		{ "stress", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "avoid", required_argument, NULL, 'A' },
		{ 0, 0, 0, 0 }
	};
	bool seeded = false;
	uint64_t t0, t1;
	pthread_t th[MAX_THREADS], wd;
	int c;

	prog = argv[0];
	while ((c = getopt_long(argc, argv, "s:n:t:H:qSvA:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'n':
			total_ops = (long)strtod(optarg, NULL);
			break;
		case 't':
			nthreads = atoi(optarg);
			break;
		case 'H':
			hang_secs = atoi(optarg);
			break;
		case 'q':
			total_ops = QUICK_OPS;
			break;
		case 'S':
			total_ops = STRESS_OPS;
			break;
		case 'v':
			verbose = true;
			break;
		case 'A':
			if (strcmp(optarg, "flush-delayed-race") == 0)
				avoid_fdw_race = true;
			else if (strcmp(optarg, "flush-collision") == 0)
				avoid_collision = true;
			else {
				fprintf(stderr, "%s: --avoid: unknown bug %s\n", argv[0], optarg);
				return TEST_FAIL;
			}
			snprintf(avoid_args + strlen(avoid_args), sizeof(avoid_args) - strlen(avoid_args),
				 " --avoid %s", optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [--quick|--stress] [--seed S] [--ops N] "
				"[--threads T] [--hang-secs H] [--avoid BUG]... [--verbose]\n",
				argv[0]);
			return TEST_FAIL;
		}
	}
	if (total_ops < 1 || nthreads < 1 || nthreads > MAX_THREADS || hang_secs < 1) {
		fprintf(stderr, "%s: bad --ops, --threads (1..%d) or --hang-secs\n", argv[0], MAX_THREADS);
		return TEST_FAIL;
	}
	if (!seeded)
		seed = now_ns() ^ ((unsigned long long)getpid() << 32);
	printf("wq_diff: seed %llu, %ld ops, %d threads (replay: %s --seed %llu --ops %ld "
	       "--threads %d%s)\n", seed, total_ops, nthreads, prog, seed, total_ops, nthreads,
	       avoid_args);
	fflush(stdout);

	setup();
	PHASE("random operations");
	t0 = now_ns();
	for (int i = 0; i < nthreads; i++) {
		targs[i].id = i;
		targs[i].rng = mix64(seed + 0x100000001b3ull * (uint64_t)(i + 1));
		targs[i].nops = total_ops / nthreads + (i < total_ops % nthreads ? 1 : 0);
		atomic_store(&targs[i].cur_op, OP_NONE);
	}
	wd = start_thread(watchdog, NULL);
	for (int i = 0; i < nthreads; i++)
		th[i] = start_thread(tester, &targs[i]);
	for (int i = 0; i < nthreads; i++)
		join_thread(th[i]);
	join_thread(wd);
	t1 = now_ns();

	quiesce_and_check();

	{
		long queued = 0, cancelled = 0, flushed = 0, csync = 0, wqf = 0, drains = 0;
		long runs = 0, created = 0, cons = 0;

		for (int i = 0; i < nthreads; i++) {
			queued += targs[i].st_queue;
			cancelled += targs[i].st_cancel;
			flushed += targs[i].st_flush;
			csync += targs[i].st_csync_checked;
			wqf += targs[i].st_wqflush;
			drains += targs[i].st_drain;
		}
		for (int i = 0; i < nitems; i++) {
			runs += atomic_load(&items[i].runs_started);
			created += atomic_load(&items[i].created);
			cons += atomic_load(&items[i].cons);
		}
		printf("wq_diff: %ld ops in %.2f s (%.0f ops/s), %d CPUs, %d items; %ld instances "
		       "(incl. self-requeues), %ld runs, %ld cancels/replacements; %ld item flushes, "
		       "%ld cancel_sync postconditions checked, %ld queue flushes, %ld drains: "
		       "no divergence\n", total_ops, (double)(t1 - t0) / 1e9,
		       (double)total_ops / ((double)(t1 - t0) / 1e9), ncpus, nitems, created, runs,
		       cons, flushed, csync, wqf, drains);
		(void)queued;
		(void)cancelled;
		printf("wq_diff: most items running at once:");
		for (int qi = 0; qi < NQ; qi++)
			if (queues[qi].limit)
				printf(" %s %d/%d%s", queues[qi].name, atomic_load(&queues[qi].max_seen),
				       queues[qi].limit, queues[qi].per_cpu ? " per CPU" : "");
		printf("; ordered starts checked against earlier queueings: %ld, %ld\n",
		       atomic_load(&queues[Q_ORD].order_checks),
		       atomic_load(&queues[Q_ORD_DRAIN].order_checks));
		if (verbose)
			uwq_dump(stdout);
	}

	PHASE("destroy and shutdown");
	for (int qi = 0; qi < NQ; qi++)
		if (qi != Q_HIGHPRI)
			uwq_destroy_workqueue(queues[qi].wq);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
