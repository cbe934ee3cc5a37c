/* SPDX-License-Identifier: MIT */
/*
 * Attributes applied to a live unbound queue lose, duplicate and leak
 * nothing (attributes are changeable on a live workqueue without losing
 * items, and priorities never leak between pools; header:
 * uwq_apply_workqueue_attrs() "Items queued before the call run where
 * they were queued; later ones go to the new pools. Nothing is lost or
 * run twice; flush and drain cover both, and uwq_workqueue_set_max_active()
 * changes both", struct uwq_workqueue_attrs "a worker made for one nice
 * level never runs another's items"; src/wq/attrs.c, and pool.c
 * uwq__create_worker(): workers never inherit their creator's
 * scheduling). Real topology. Phases (argv[2] picks some of l, s, c, m;
 * argv[1] is the number of applies, default 300, of which those past the
 * first 50 stop after 15 s):
 *  l - while three threads queue one-shot items, items that requeue
 *      themselves, delayed items and items shared by all three (pending
 *      dedupe), and a fourth thread flushes over and over, the main thread
 *      applies hundreds of attribute sets (nice 0/5/10, mask {cpu0},
 *      {cpu1}, all, every scope), each one after items were queued under
 *      the previous one. Then:
 *       - every successful queueing ran exactly once, nothing ran twice
 *         at once; drain and destroy work;
 *       - a flush returned only after every item whose queueing returned
 *         before the flush was called had run;
 *       - every item ran on a worker (SCHED_OTHER) with the nice level
 *         and within the mask of an attribute set in effect while it was
 *         queued: exactly the one in effect when no apply overlapped the
 *         queueing (a delayed item: one in effect between arming and
 *         running; an item requeued while it runs: also the pool it runs
 *         on, where non-reentrancy sends it);
 *  s - uwq_system_highpri_wq items run on "H" workers at nice -20 (if
 *      this process may set it), uwq_system_wq items at nice 0; after a
 *      nice-5 queue's blocking items grew its pool, no worker that ran a
 *      nice-5 item runs an item of a nice-0 queue, nor the reverse;
 *  c - a worker's priority is its pool's, not its creator's: a pool's
 *      first worker made by a nice-7 thread (checked where the process
 *      may lower nice), or by a SCHED_FIFO thread (where permitted), and a
 *      worker made by the (real-time) monitor thread when a pool had none
 *      left, run at the pool's nice and SCHED_OTHER;
 *  m - max_active counts per pool (header, uwq_alloc_workqueue(): "per
 *      pod for unbound ones"; uwq_apply_workqueue_attrs(): "set_max_active
 *      changes both"): with x running on pool A (max_active 2), attributes
 *      B applied and max_active set to 1, only one of two items starts on
 *      pool B; back on A (its pwq again), an item waits for x.
 * "Does not start" is asserted after a barrier that would have let it run:
 * a sentinel queued behind it on the same pool (another queue with the
 * same attributes shares the pool) has run.
 */
#include <sys/resource.h>
#include <uwq/workqueue.h>

#include "util.h"

#define NQUEUERS	3
#define NONE_ITEMS	128	/* one-shot items per queuer */
#define NCHAIN		16	/* self-requeueing items per queuer */
#define NDELAYED	32	/* delayed items per queuer */
#define NSHARED		8	/* queued by every queuer */
#define CHAIN_LEN	3	/* requeues per chain */
#define PER_GEN		24	/* queueings per queuer per generation at most */
#define MIN_STRICT	4	/* one-shot items queued between two applies, per apply */
#define MAXCPU		CPU_SETSIZE

enum kind { K_ONE, K_CHAIN, K_DELAYED, K_SHARED };
static const char *const kind_names[] = { "one-shot", "chain", "delayed", "shared" };

struct obs {
	int		nice;
	int		policy;
	pid_t		tid;
	cpu_set_t	cpus;
	char		comm[16];
};

struct item;

/* One successful queueing by a queuer thread. */
struct rec {
	struct item	*it;
	int		kind;
	int		g1, g2;		/* generation before and after the queue call */
	int		required;	/* runs of it that must be done once this one is */
	/* written by the run of this queueing (not for K_SHARED) */
	atomic_int	ran;
	int		grun;		/* generation when it started */
	struct obs	o;
	atomic_int	done;		/* release: the above are written */
};

struct item {
	struct uwq_delayed_work	dw;	/* .work for the undelayed kinds */
	int			kind;
	int			id;
	struct rec *_Atomic	rec;	/* the queueing being run */
	atomic_int		queued;	/* successful queueings */
	atomic_int		started;
	atomic_int		done_runs;
	atomic_int		running;
	atomic_int		chain_left;
	atomic_int		cycle_runs;
	/* K_CHAIN: the run that requeued it (read by the next run) */
	struct obs		prev;
	atomic_int		req_g1, req_g2;
};

struct queuer {
	int		idx;
	pthread_t	thread;
	struct rec	*recs;
	int		cap;
	atomic_int	nrec;		/* release: recs[0..nrec) are complete */
	atomic_int	exhausted;
	atomic_int	last_gen, in_gen;	/* for timeout messages */
	uint64_t	rng;
	struct item	one[NONE_ITEMS], chain[NCHAIN], delayed[NDELAYED];
	int		next_one, next_chain, next_delayed;
};

static struct queuer queuers[NQUEUERS];
static struct item shared[NSHARED];
static struct uwq_workqueue *live_wq;
static atomic_int gen;			/* 2i-1: applying set i; 2i: set i in effect */
static struct uwq_workqueue_attrs *gattrs;	/* [i]: set i; [0] the defaults */
static atomic_int *strict;		/* [i]: one-shot items queued while set i was in effect */
static atomic_int stop;
static atomic_int nflushes;
static int napply = 300;
/* Applies past the first MIN_APPLY stop after this long (work bound, not an
 * assertion: a loaded machine starves the nice-10 workers every flush waits for). */
#define MIN_APPLY	50
#define APPLY_BUDGET_NS	(15 * NSEC_PER_SEC)

static int cpus[MAXCPU], ncpus, c0, c1;
static cpu_set_t all_cpus;		/* the process's affinity: what uwq serves */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void observe(struct obs *o)
{
	o->tid = util_gettid();
	errno = 0;
	o->nice = getpriority(PRIO_PROCESS, (id_t)o->tid);
	CHECK(errno == 0, "getpriority: %s", strerror(errno));
	o->policy = sched_getscheduler(0);
	CPU_ZERO(&o->cpus);
	CHECK(sched_getaffinity(0, sizeof(o->cpus), &o->cpus) == 0, "sched_getaffinity: %s", strerror(errno));
	if (!task_comm(o->tid, o->comm, sizeof(o->comm)))
		strcpy(o->comm, "?");
}

static const char *fmt_set(const cpu_set_t *set, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && n + 8 < len; c++)
		if (CPU_ISSET(c, set))
			n += (size_t)snprintf(buf + n, len - n, n ? ",%d" : "%d", c);
	return n ? buf : "(all)";
}

static bool subset(const cpu_set_t *a, const cpu_set_t *b)
{
	cpu_set_t t;

	CPU_AND(&t, a, b);
	return CPU_EQUAL(&t, a);
}

/* Did @o run on a worker of attribute set @j? */
static bool matches(const struct obs *o, int j)
{
	const struct uwq_workqueue_attrs *a = &gattrs[j];

	return o->policy == SCHED_OTHER && o->nice == a->nice &&
	       subset(&o->cpus, CPU_COUNT(&a->cpumask) ? &a->cpumask : &all_cpus);
}

/* Sets that may have been in effect for a queueing between generations g1 and g2. */
static bool matches_range(const struct obs *o, int g1, int g2)
{
	for (int j = g1 / 2; j <= (g2 + 1) / 2; j++)
		if (matches(o, j))
			return true;
	return false;
}

static void describe_range(int g1, int g2, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int j = g1 / 2; j <= (g2 + 1) / 2 && n + 64 < len; j++) {
		char m[256];

		n += (size_t)snprintf(buf + n, len - n, "%s[set %d: nice %d mask %s scope %d]", n ? " " : "",
				      j, gattrs[j].nice, fmt_set(&gattrs[j].cpumask, m, sizeof(m)),
				      (int)gattrs[j].affn_scope);
	}
}

static void fail_obs(const char *what, const struct obs *o, int g1, int g2)
{
	char m[256], r[2048];

	describe_range(g1, g2, r, sizeof(r));
	FAIL("%s ran on worker %d \"%s\" (nice %d, policy %d, CPUs %s), not one of %s", what, (int)o->tid,
	     o->comm, o->nice, o->policy, fmt_set(&o->cpus, m, sizeof(m)), r);
}

static void record(struct rec *r, const struct obs *o, int g)
{
	atomic_fetch_add(&r->ran, 1);
	r->grun = g;
	r->o = *o;
	atomic_store(&r->done, 1);
}

static void item_fn(struct uwq_work *w)
{
	struct item *it = container_of(w, struct item, dw.work);
	int g = atomic_load(&gen);
	struct obs o;

	if (atomic_fetch_add(&it->running, 1) != 0)
		FAIL("%s item %d runs on two workers at once", kind_names[it->kind], it->id);
	observe(&o);
	atomic_fetch_add(&it->started, 1);
	switch (it->kind) {
	case K_ONE:
	case K_DELAYED:
		record(atomic_load(&it->rec), &o, g);
		break;
	case K_CHAIN:
		if (atomic_fetch_add(&it->cycle_runs, 1) == 0) {
			record(atomic_load(&it->rec), &o, g);
		} else {
			/* Requeued while it ran: to the pool it ran on, or a new one. */
			bool same = o.policy == SCHED_OTHER && o.nice == it->prev.nice &&
				    subset(&o.cpus, &it->prev.cpus);

			if (!same && !matches_range(&o, atomic_load(&it->req_g1), atomic_load(&it->req_g2)))
				fail_obs("a chain item requeued by its own run", &o, atomic_load(&it->req_g1),
					 atomic_load(&it->req_g2));
		}
		if (atomic_load(&it->chain_left) > 0) {
			bool ok;

			atomic_fetch_sub(&it->chain_left, 1);
			it->prev = o;
			atomic_store(&it->req_g1, atomic_load(&gen));
			ok = uwq_queue_work(live_wq, w);
			atomic_store(&it->req_g2, atomic_load(&gen));
			CHECK(ok, "chain item %d could not requeue itself", it->id);
			atomic_fetch_add(&it->queued, 1);
		}
		break;
	default:
		burn_us((unsigned)(o.tid % 8) * 3);	/* widen the window for overlaps */
		break;
	}
	atomic_fetch_sub(&it->running, 1);
	atomic_fetch_add(&it->done_runs, 1);
}

/* Nobody runs or holds @it: it may be queued again (and must be accepted). */
static bool item_free(struct item *it)
{
	return atomic_load(&it->queued) == atomic_load(&it->done_runs) &&
	       !(uwq_work_busy(&it->dw.work) & (UWQ_WORK_BUSY_PENDING | UWQ_WORK_BUSY_RUNNING));
}

static struct item *pick(struct item *arr, int n, int *next)
{
	for (int k = 0; k < n; k++) {
		struct item *it = &arr[(*next + k) % n];

		if (item_free(it)) {
			*next = (*next + k + 1) % n;
			return it;
		}
	}
	return NULL;
}

static void *queuer_main(void *arg)
{
	struct queuer *q = arg;
	int last_gen = -1, in_gen = 0;
	unsigned spins = 0;

	while (!atomic_load(&stop)) {
		int g = atomic_load(&gen), k, g1, g2, kind;
		uint64_t r = rnd(&q->rng) % 100;
		struct item *it;
		struct rec *rec;
		bool ok;

		if (g != last_gen) {
			last_gen = g;
			in_gen = 0;
		}
		atomic_store(&q->last_gen, last_gen);
		atomic_store(&q->in_gen, in_gen);
		kind = r < 60 ? K_ONE : r < 72 ? K_CHAIN : r < 84 ? K_DELAYED : K_SHARED;
		/* Bound the records per generation, but never before the
		 * applier has the one-shot items it waits for. */
		if (in_gen >= PER_GEN) {
			if ((g & 1) || atomic_load(&strict[g / 2]) >= MIN_STRICT) {
				util_pause(&spins);
				continue;
			}
			kind = K_ONE;
		}
		switch (kind) {
		case K_ONE:
			it = pick(q->one, NONE_ITEMS, &q->next_one);
			break;
		case K_CHAIN:
			it = pick(q->chain, NCHAIN, &q->next_chain);
			break;
		case K_DELAYED:
			it = pick(q->delayed, NDELAYED, &q->next_delayed);
			break;
		default:
			it = &shared[r % NSHARED];
			break;
		}
		if (!it) {
			util_pause(&spins);	/* all busy: let the workers run */
			continue;
		}
		k = atomic_load(&q->nrec);
		if (k == q->cap) {
			atomic_store(&q->exhausted, 1);
			break;
		}
		rec = &q->recs[k];
		rec->it = it;
		rec->kind = kind;
		if (kind == K_CHAIN) {
			atomic_store(&it->chain_left, CHAIN_LEN);
			atomic_store(&it->cycle_runs, 0);
		}
		if (kind != K_SHARED)
			atomic_store(&it->rec, rec);
		g1 = atomic_load(&gen);
		if (kind == K_DELAYED)
			ok = uwq_queue_delayed_work(live_wq, &it->dw, (rnd(&q->rng) % 3) * NSEC_PER_MSEC);
		else
			ok = uwq_queue_work(live_wq, &it->dw.work);
		g2 = atomic_load(&gen);
		if (!ok) {
			CHECK(kind == K_SHARED, "queuer %d: queueing idle %s item %d returned false", q->idx,
			      kind_names[kind], it->id);
			util_pause(&spins);
			continue;
		}
		spins = 0;
		in_gen++;
		rec->g1 = g1;
		rec->g2 = g2;
		rec->required = atomic_fetch_add(&it->queued, 1) + 1;
		atomic_store_explicit(&q->nrec, k + 1, memory_order_release);
		if (kind == K_ONE && g1 == g2 && !(g1 & 1))
			atomic_fetch_add(&strict[g1 / 2], 1);
	}
	return NULL;
}

/* What the queuers see, for a timeout message. */
static const char *live_state(void)
{
	static char buf[1024];
	size_t n = 0;

	for (int t = 0; t < NQUEUERS; t++) {
		struct queuer *q = &queuers[t];
		int nfree = 0, npend = 0, nrun = 0;

		for (int i = 0; i < NONE_ITEMS; i++) {
			unsigned b = uwq_work_busy(&q->one[i].dw.work);

			nfree += item_free(&q->one[i]);
			npend += !!(b & UWQ_WORK_BUSY_PENDING);
			nrun += !!(b & UWQ_WORK_BUSY_RUNNING);
		}
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "queuer %d: %d queueings%s, %d tries in generation %d, one-shot items: %d free, %d pending, %d running; ",
				      t, atomic_load(&q->nrec), atomic_load(&q->exhausted) ? " (out of records)" : "",
				      atomic_load(&q->in_gen), atomic_load(&q->last_gen), nfree, npend, nrun);
	}
	snprintf(buf + n, sizeof(buf) - n, "generation %d, %d flushes", atomic_load(&gen),
		 atomic_load(&nflushes));
	return buf;
}

static void *flusher_main(void *arg)
{
	int checked[NQUEUERS] = { 0 };

	(void)arg;
	while (!atomic_load(&stop)) {
		int snap[NQUEUERS], err;

		for (int t = 0; t < NQUEUERS; t++)
			snap[t] = atomic_load_explicit(&queuers[t].nrec, memory_order_acquire);
		err = uwq_flush_workqueue(live_wq);
		CHECK(err == 0, "uwq_flush_workqueue returned %d", err);
		for (int t = 0; t < NQUEUERS; t++) {
			for (int k = checked[t]; k < snap[t]; k++) {
				struct rec *r = &queuers[t].recs[k];

				if (r->kind == K_DELAYED)	/* its timer may not have fired */
					continue;
				CHECK(atomic_load(&r->it->done_runs) >= r->required,
				      "uwq_flush_workqueue returned before %s item %d, queued before the call, ran: %d of its first %d runs done (queued in generations %d..%d)",
				      kind_names[r->kind], r->it->id, atomic_load(&r->it->done_runs), r->required,
				      r->g1, r->g2);
			}
			checked[t] = snap[t];
		}
		atomic_fetch_add(&nflushes, 1);
		nanosleep(&(struct timespec){ 0, 100 * 1000 }, NULL);	/* pacing, not synchronisation */
	}
	return NULL;
}

static void init_item(struct item *it, int kind, int id)
{
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->id = id;
	if (kind == K_DELAYED)
		uwq_delayed_work_init(&it->dw, item_fn);
	else
		uwq_work_init(&it->dw.work, item_fn);
}

/* Attribute set @i: every nice, mask and scope combination, some twice in a row. */
static void choose_attrs(int i, struct uwq_workqueue_attrs *a)
{
	static const int nices[] = { 0, 5, 10 };
	static const enum uwq_affn_scope scopes[] = {
		UWQ_AFFN_DFL, UWQ_AFFN_CPU, UWQ_AFFN_SMT, UWQ_AFFN_CACHE, UWQ_AFFN_NUMA, UWQ_AFFN_SYSTEM,
	};
	int x = (i % 10 == 0) ? i - 1 : i;	/* every tenth repeats the previous set */
	int idx = (x * 7 + x / 54) % 54;

	memset(a, 0, sizeof(*a));
	a->nice = nices[idx % 3];
	switch ((idx / 3) % 3) {
	case 0:
		CPU_SET(c0, &a->cpumask);
		break;
	case 1:
		CPU_SET(c1, &a->cpumask);
		break;
	default:
		/* "all": every CPU when there are few; else the first 8, so
		 * scope cpu does not need more pools than uwq keeps. */
		if (ncpus > 8)
			for (int k = 0; k < 8; k++)
				CPU_SET(cpus[k], &a->cpumask);
		break;
	}
	a->affn_scope = scopes[(idx / 9) % 6];
}

static struct uwq_workqueue *alloc_wq(const char *name, unsigned flags, int max_active)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue(name, flags, max_active);

	CHECK(wq, "uwq_alloc_workqueue(%s): %s", name, strerror(errno));
	return wq;
}

static void phase_live(void)
{
	struct uwq_workqueue_attrs got;
	pthread_t flusher;
	int nrec = 0, nstrict = 0, nchecked = 0, by_kind[4] = { 0 }, err, last = 0;
	uint64_t start;

	PHASE("l: set up");
	live_wq = alloc_wq("attrs_live", UWQ_UNBOUND, 0);
	gattrs = calloc((size_t)napply + 1, sizeof(*gattrs));
	strict = calloc((size_t)napply + 1, sizeof(*strict));
	CHECK(gattrs && strict, "out of memory");
	gattrs[0].affn_scope = UWQ_AFFN_DFL;	/* a new queue's attributes */
	for (int s = 0; s < NSHARED; s++)
		init_item(&shared[s], K_SHARED, 10000 + s);
	for (int t = 0; t < NQUEUERS; t++) {
		struct queuer *q = &queuers[t];

		q->idx = t;
		q->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(t + 1);
		q->cap = (napply + 1) * (PER_GEN + MIN_STRICT + NQUEUERS) + 64;
		q->recs = calloc((size_t)q->cap, sizeof(*q->recs));
		CHECK(q->recs, "out of memory");
		for (int i = 0; i < NONE_ITEMS; i++)
			init_item(&q->one[i], K_ONE, t * 1000 + i);
		for (int i = 0; i < NCHAIN; i++)
			init_item(&q->chain[i], K_CHAIN, t * 1000 + 200 + i);
		for (int i = 0; i < NDELAYED; i++)
			init_item(&q->delayed[i], K_DELAYED, t * 1000 + 300 + i);
	}
	for (int t = 0; t < NQUEUERS; t++)
		queuers[t].thread = start_thread(queuer_main, &queuers[t]);
	flusher = start_thread(flusher_main, NULL);

	PHASE("l: applying attributes while queueing and flushing");
	WAIT_UNTIL(atomic_load(&strict[0]) >= MIN_STRICT, "%d items queued under the defaults; %s",
		   atomic_load(&strict[0]), live_state());
	start = now_ns();
	for (int i = 1; i <= napply; i++) {
		int flushes = atomic_load(&nflushes);

		if (i > MIN_APPLY && now_ns() - start > APPLY_BUDGET_NS)
			break;
		last = i;

		choose_attrs(i, &gattrs[i]);
		atomic_store(&gen, 2 * i - 1);
		err = uwq_apply_workqueue_attrs(live_wq, &gattrs[i]);
		CHECK(err == 0, "apply %d (nice %d scope %d) returned %d", i, gattrs[i].nice,
		      (int)gattrs[i].affn_scope, err);
		atomic_store(&gen, 2 * i);
		WAIT_UNTIL(atomic_load(&strict[i]) >= MIN_STRICT,
			   "only %d one-shot items queued under attribute set %d; %s", atomic_load(&strict[i]), i,
			   live_state());
		/* A flush that began before this apply or during it ends. */
		WAIT_UNTIL(atomic_load(&nflushes) > flushes + 1, "no flush completed after apply %d; %s", i,
			   live_state());
	}
	CHECK(uwq_workqueue_get_attrs(live_wq, &got) == 0 && got.nice == gattrs[last].nice &&
	      got.affn_scope == gattrs[last].affn_scope && CPU_EQUAL(&got.cpumask, &gattrs[last].cpumask),
	      "uwq_workqueue_get_attrs does not return the last set applied");
	WAIT_UNTIL(atomic_load(&nflushes) >= 2, "the flusher completed %d flushes", atomic_load(&nflushes));
	atomic_store(&stop, 1);
	for (int t = 0; t < NQUEUERS; t++)
		join_thread(queuers[t].thread);
	join_thread(flusher);

	PHASE("l: every queueing runs");
	for (int t = 0; t < NQUEUERS; t++) {
		struct queuer *q = &queuers[t];
		struct item *sets[] = { q->one, q->chain, q->delayed };
		int sizes[] = { NONE_ITEMS, NCHAIN, NDELAYED };

		for (int s = 0; s < 3; s++)
			for (int i = 0; i < sizes[s]; i++) {
				struct item *it = &sets[s][i];

				WAIT_UNTIL(atomic_load(&it->done_runs) == atomic_load(&it->queued),
					   "%s item %d: %d of %d queueings ran", kind_names[it->kind], it->id,
					   atomic_load(&it->done_runs), atomic_load(&it->queued));
			}
	}
	err = uwq_drain_workqueue(live_wq);
	CHECK(err == 0, "uwq_drain_workqueue returned %d", err);

	PHASE("l: checks");
	for (int s = 0; s < NSHARED; s++)
		CHECK(atomic_load(&shared[s].done_runs) == atomic_load(&shared[s].queued) &&
		      atomic_load(&shared[s].started) == atomic_load(&shared[s].queued),
		      "shared item %d: queued %d times, started %d, finished %d", s,
		      atomic_load(&shared[s].queued), atomic_load(&shared[s].started),
		      atomic_load(&shared[s].done_runs));
	for (int t = 0; t < NQUEUERS; t++) {
		struct queuer *q = &queuers[t];
		int n = atomic_load(&q->nrec);

		nrec += n;
		for (int k = 0; k < n; k++) {
			struct rec *r = &q->recs[k];
			char what[96];

			by_kind[r->kind]++;
			if (r->kind == K_SHARED)
				continue;
			CHECK(atomic_load(&r->ran) == 1 && atomic_load(&r->done),
			      "queueing %d of queuer %d (%s item %d) ran %d times", k, t, kind_names[r->kind],
			      r->it->id, atomic_load(&r->ran));
			snprintf(what, sizeof(what), "%s item %d (queued in generations %d..%d, ran in %d)",
				 kind_names[r->kind], r->it->id, r->g1, r->g2, r->grun);
			if (r->kind == K_DELAYED) {
				if (!matches_range(&r->o, r->g1, r->grun))
					fail_obs(what, &r->o, r->g1, r->grun);
			} else {
				if (!matches_range(&r->o, r->g1, r->g2))
					fail_obs(what, &r->o, r->g1, r->g2);
				nstrict += r->g1 == r->g2 && !(r->g1 & 1);
			}
			nchecked++;
		}
		for (int i = 0; i < NONE_ITEMS; i++)
			CHECK(atomic_load(&q->one[i].started) == atomic_load(&q->one[i].queued),
			      "one-shot item %d: queued %d times, started %d", q->one[i].id,
			      atomic_load(&q->one[i].queued), atomic_load(&q->one[i].started));
		for (int i = 0; i < NCHAIN; i++)
			CHECK(atomic_load(&q->chain[i].started) == atomic_load(&q->chain[i].queued),
			      "chain item %d: queued %d times, started %d", q->chain[i].id,
			      atomic_load(&q->chain[i].queued), atomic_load(&q->chain[i].started));
		for (int i = 0; i < NDELAYED; i++)
			CHECK(atomic_load(&q->delayed[i].started) == atomic_load(&q->delayed[i].queued),
			      "delayed item %d: queued %d times, started %d", q->delayed[i].id,
			      atomic_load(&q->delayed[i].queued), atomic_load(&q->delayed[i].started));
	}
	NOTE("%d applies, %d flushes; %d queueings (%d one-shot, %d chain, %d delayed, %d shared); priority and mask checked for %d, exactly (no apply during the queueing) for %d",
	     last, atomic_load(&nflushes), nrec, by_kind[K_ONE], by_kind[K_CHAIN], by_kind[K_DELAYED],
	     by_kind[K_SHARED], nchecked, nstrict);
	uwq_destroy_workqueue(live_wq);
	for (int t = 0; t < NQUEUERS; t++)
		free(queuers[t].recs);
}

/* ---- s: system queues and nice separation ----------------------------- */

struct probe {
	struct uwq_work	w;
	struct obs	o;
	atomic_int	runs;
	atomic_int	*gate;		/* hold until open, if set */
	atomic_int	*started;
};

static void probe_fn(struct uwq_work *w)
{
	struct probe *p = container_of(w, struct probe, w);

	observe(&p->o);
	if (p->started)
		atomic_fetch_add(p->started, 1);
	if (p->gate) {
		uwq_blocking_begin();
		GATE_WAIT(atomic_load(p->gate), "gate never opened");
		uwq_blocking_end();
	}
	atomic_fetch_add(&p->runs, 1);
}

static void *nice_probe(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)(setpriority(PRIO_PROCESS, (id_t)util_gettid(), -20) == 0);
}

/* "uwq/u<id>:" of an unbound worker's name, into @buf. */
static void pool_prefix(const char *comm, char *buf, size_t len)
{
	const char *colon = strchr(comm, ':');
	size_t n = colon ? (size_t)(colon - comm) + 1 : strlen(comm);

	if (n >= len)
		n = len - 1;
	memcpy(buf, comm, n);
	buf[n] = '\0';
}

#define NSYS	4	/* items per CPU on each system queue */
#define NGROW	12	/* blocking items that grow the nice-5 pool */
#define NMIX	200	/* items on each of the nice-5 and nice-0 queues */

static struct probe sys_hi[8 * NSYS], sys_lo[8 * NSYS];
static struct probe grow[NGROW], mix5[NMIX], mix0[NMIX];

static void phase_system(void)
{
	struct uwq_workqueue *wq5, *wq0;
	struct uwq_workqueue_attrs a;
	atomic_int gate = 0, started = 0;
	int nsys = ncpus < 8 ? ncpus : 8, capable;

	PHASE("s: system queues");
	capable = (int)(intptr_t)join_thread(start_thread(nice_probe, NULL));
	for (int i = 0; i < nsys * NSYS; i++) {
		int cpu = cpus[i % nsys];
		char want[32];

		uwq_work_init(&sys_hi[i].w, probe_fn);
		uwq_work_init(&sys_lo[i].w, probe_fn);
		CHECK(uwq_queue_work_on(cpu, uwq_system_highpri_wq, &sys_hi[i].w), "queueing on highpri failed");
		CHECK(uwq_queue_work_on(cpu, uwq_system_wq, &sys_lo[i].w), "queueing on events failed");
		uwq_flush_work(&sys_hi[i].w);
		uwq_flush_work(&sys_lo[i].w);
		snprintf(want, sizeof(want), "uwq/%d:", cpu);
		CHECK(atomic_load(&sys_hi[i].runs) == 1 && atomic_load(&sys_lo[i].runs) == 1,
		      "system queue items ran %d and %d times", atomic_load(&sys_hi[i].runs),
		      atomic_load(&sys_lo[i].runs));
		CHECK(!strncmp(sys_hi[i].o.comm, want, strlen(want)) &&
		      sys_hi[i].o.comm[strlen(sys_hi[i].o.comm) - 1] == 'H',
		      "a uwq_system_highpri_wq item for CPU %d ran on \"%s\", not a high-priority worker of that CPU",
		      cpu, sys_hi[i].o.comm);
		CHECK(!strncmp(sys_lo[i].o.comm, want, strlen(want)) &&
		      sys_lo[i].o.comm[strlen(sys_lo[i].o.comm) - 1] != 'H',
		      "a uwq_system_wq item for CPU %d ran on \"%s\"", cpu, sys_lo[i].o.comm);
		CHECK(!capable || sys_hi[i].o.nice == -20,
		      "a uwq_system_highpri_wq item ran at nice %d on \"%s\" (this process may set -20)",
		      sys_hi[i].o.nice, sys_hi[i].o.comm);
		CHECK(sys_hi[i].o.policy == SCHED_OTHER && sys_lo[i].o.policy == SCHED_OTHER,
		      "system queue items ran with policies %d (\"%s\") and %d (\"%s\"), not SCHED_OTHER",
		      sys_hi[i].o.policy, sys_hi[i].o.comm, sys_lo[i].o.policy, sys_lo[i].o.comm);
		CHECK(sys_lo[i].o.nice == 0, "a uwq_system_wq item ran at nice %d on \"%s\"", sys_lo[i].o.nice,
		      sys_lo[i].o.comm);
	}
	if (!capable)
		NOTE("this process may not set nice -20: the nice of high-priority workers is not checked");

	PHASE("s: a nice-5 pool grows");
	wq5 = alloc_wq("attrs_nice5", UWQ_UNBOUND, 0);
	wq0 = alloc_wq("attrs_nice0", UWQ_UNBOUND, 0);
	memset(&a, 0, sizeof(a));
	a.nice = 5;
	CHECK(uwq_apply_workqueue_attrs(wq5, &a) == 0, "apply(nice 5) failed");
	for (int i = 0; i < NGROW; i++) {
		uwq_work_init(&grow[i].w, probe_fn);
		grow[i].gate = &gate;
		grow[i].started = &started;
		CHECK(uwq_queue_work(wq5, &grow[i].w), "queueing blocker %d failed", i);
	}
	WAIT_UNTIL(atomic_load(&started) == NGROW, "%d of %d blocking nice-5 items started",
		   atomic_load(&started), NGROW);
	atomic_store(&gate, 1);
	CHECK(uwq_flush_workqueue(wq5) == 0, "flush failed");

	PHASE("s: nice-5 and nice-0 items never share a worker");
	for (int i = 0; i < NMIX; i++) {
		uwq_work_init(&mix5[i].w, probe_fn);
		uwq_work_init(&mix0[i].w, probe_fn);
		CHECK(uwq_queue_work(wq5, &mix5[i].w), "queueing failed");
		CHECK(uwq_queue_work(wq0, &mix0[i].w), "queueing failed");
	}
	CHECK(uwq_flush_workqueue(wq5) == 0 && uwq_flush_workqueue(wq0) == 0, "flush failed");
	for (int i = 0; i < NMIX + NGROW; i++) {
		const struct obs *o5 = i < NMIX ? &mix5[i].o : &grow[i - NMIX].o;
		char p5[32];

		CHECK(o5->nice == 5 && o5->policy == SCHED_OTHER,
		      "an item of the nice-5 queue ran at nice %d, policy %d on \"%s\"", o5->nice, o5->policy,
		      o5->comm);
		pool_prefix(o5->comm, p5, sizeof(p5));
		for (int k = 0; k < NMIX; k++) {
			const struct obs *o0 = &mix0[k].o;
			char p0[32];

			if (i == 0) {
				CHECK(atomic_load(&mix0[k].runs) == 1, "nice-0 item %d ran %d times", k,
				      atomic_load(&mix0[k].runs));
				CHECK(o0->nice == 0 && o0->policy == SCHED_OTHER,
				      "an item of the nice-0 queue ran at nice %d, policy %d on \"%s\"", o0->nice,
				      o0->policy, o0->comm);
			}
			pool_prefix(o0->comm, p0, sizeof(p0));
			CHECK(o0->tid != o5->tid && strcmp(p0, p5),
			      "worker %d \"%s\" ran a nice-5 item; worker %d \"%s\" ran a nice-0 item: same thread or pool",
			      (int)o5->tid, o5->comm, (int)o0->tid, o0->comm);
		}
	}
	uwq_destroy_workqueue(wq5);
	uwq_destroy_workqueue(wq0);
}

/* ---- c: a worker's priority does not depend on who created it --------- */

struct creator {
	int		cpu;
	bool		fifo;		/* SCHED_FIFO 10, else nice 7 */
	struct uwq_workqueue *wq;
	struct probe	*p;
	int		err;
};

static void *creator_main(void *arg)
{
	struct creator *c = arg;

	if (c->fifo) {
		struct sched_param sp = { .sched_priority = 10 };

		c->err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	} else {
		c->err = setpriority(PRIO_PROCESS, (id_t)util_gettid(), 7) ? errno : 0;
	}
	if (!c->err && !uwq_queue_work_on(c->cpu, c->wq, &c->p->w))
		c->err = -1;
	return NULL;
}

static void check_probe(struct probe *p, int nice, const char *what)
{
	uwq_flush_work(&p->w);
	CHECK(atomic_load(&p->runs) == 1, "%s: the item ran %d times", what, atomic_load(&p->runs));
	CHECK(p->o.nice == nice && p->o.policy == SCHED_OTHER,
	      "%s: the item ran on worker \"%s\" at nice %d, policy %d%s; its pool's is nice %d, SCHED_OTHER",
	      what, p->o.comm, p->o.nice, p->o.policy, p->o.policy == SCHED_FIFO ? " (SCHED_FIFO)" : "",
	      nice);
}

static struct probe first0, first3, after_reap, warm;

static void phase_creator(void)
{
	struct uwq_pool_limits lim = { 0, 0, 10 * NSEC_PER_MSEC };
	struct uwq_workqueue_attrs a;
	struct uwq_workqueue *wq3;
	struct creator c;
	int n, err;

	PHASE("c: fresh pools");
	CHECK((err = uwq_shutdown()) == 0, "uwq_shutdown returned %d", err);

	PHASE("c: first worker made by a nice-7 thread");
	uwq_work_init(&first0.w, probe_fn);
	c = (struct creator){ .cpu = c0, .fifo = false, .wq = uwq_system_wq, .p = &first0 };
	join_thread(start_thread(creator_main, &c));
	CHECK(c.err == 0, "the nice-7 thread could not queue (%d)", c.err);
	if ((int)(intptr_t)join_thread(start_thread(nice_probe, NULL)))
		check_probe(&first0, 0, "uwq_system_wq's first worker, made by a nice-7 thread");
	else	/* a worker could not undo a creator's nice without privilege */
		NOTE("this process may not lower nice: a nice-7 creator is not checked");

	PHASE("c: first worker made by a SCHED_FIFO thread");
	wq3 = alloc_wq("attrs_nice3", UWQ_UNBOUND, 0);
	memset(&a, 0, sizeof(a));
	a.nice = 3;
	CHECK(uwq_apply_workqueue_attrs(wq3, &a) == 0, "apply(nice 3) failed");
	uwq_work_init(&first3.w, probe_fn);
	c = (struct creator){ .cpu = -1, .fifo = true, .wq = wq3, .p = &first3 };
	join_thread(start_thread(creator_main, &c));
	if (c.err > 0) {
		NOTE("SCHED_FIFO not permitted (%s): a real-time creator is not checked", strerror(c.err));
	} else {
		CHECK(c.err == 0, "the SCHED_FIFO thread could not queue");
		check_probe(&first3, 3, "a nice-3 pool's first worker, made by a SCHED_FIFO thread");
	}

	PHASE("c: a worker made by the monitor");
	uwq_work_init(&warm.w, probe_fn);
	CHECK(uwq_queue_work_on(c0, uwq_system_wq, &warm.w), "queueing failed");
	uwq_flush_work(&warm.w);
	CHECK((err = uwq_set_pool_limits(&lim)) == 0, "uwq_set_pool_limits returned %d", err);
	WAIT_UNTIL((n = bound_pool_threads(c0)) == 0,
		   "with reserve 0 and a 10 ms idle timeout CPU %d's pool keeps %d workers", c0, n);
	/* No worker left: only the monitor can make the one for this item. */
	uwq_work_init(&after_reap.w, probe_fn);
	CHECK(uwq_queue_work_on(c0, uwq_system_wq, &after_reap.w), "queueing failed");
	check_probe(&after_reap, 0, "a worker the monitor made for an empty pool");
	lim = (struct uwq_pool_limits){ 0, 2, 60 * NSEC_PER_SEC };
	CHECK(uwq_set_pool_limits(&lim) == 0, "restoring the pool limits failed");
	uwq_destroy_workqueue(wq3);
}

/* ---- m: max_active per pool across applies ------------------------------ */

/* Items held on a gate; each belongs to pool group A or B. */
struct mitem {
	struct uwq_work	w;
	int		group;		/* 0: A, 1: B, 2: a sentinel */
	atomic_int	started, done;
};

static atomic_int m_gate, m_running[2], m_max[2];
static struct mitem mx, my[2], mz, msent[2];

static void mitem_fn(struct uwq_work *w)
{
	struct mitem *m = container_of(w, struct mitem, w);
	int g = m->group;

	if (g < 2) {
		int n = atomic_fetch_add(&m_running[g], 1) + 1, max = atomic_load(&m_max[g]);

		while (n > max && !atomic_compare_exchange_weak(&m_max[g], &max, n))
			;
	}
	atomic_store(&m->started, 1);
	if (g < 2) {
		uwq_blocking_begin();
		GATE_WAIT(atomic_load(&m_gate), "gate never opened");
		uwq_blocking_end();
		atomic_fetch_sub(&m_running[g], 1);
	}
	atomic_fetch_add(&m->done, 1);
}

struct pinned_queue {
	int			cpu;
	struct uwq_workqueue	*wq;
	struct uwq_work		*w;
	bool			ok;
};

static void *pinned_main(void *arg)
{
	struct pinned_queue *pq = arg;
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(pq->cpu, &one);
	CHECK(pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0, "pinning to CPU %d failed",
	      pq->cpu);
	pq->ok = uwq_queue_work(pq->wq, pq->w);
	return NULL;
}

/* Queue @w on @wq from a thread running on @cpu (so: that CPU's pod). */
static void queue_from(int cpu, struct uwq_workqueue *wq, struct uwq_work *w, const char *what)
{
	struct pinned_queue pq = { cpu, wq, w, false };

	join_thread(start_thread(pinned_main, &pq));
	CHECK(pq.ok, "queueing %s from CPU %d failed", what, cpu);
}

static void m_init(struct mitem *m, int group)
{
	memset(m, 0, sizeof(*m));
	m->group = group;
	uwq_work_init(&m->w, mitem_fn);
}

/*
 * Barrier: a sentinel queued from CPU c0 on @sq (same attributes as the
 * pool in question, so the same pool) behind the items queued before it
 * has run, so those that were on the pool's worklist have started.
 */
static void m_barrier(struct uwq_workqueue *sq, struct mitem *sent, const char *what)
{
	m_init(sent, 2);
	queue_from(c0, sq, &sent->w, what);
	CHECK(uwq_flush_workqueue(sq) == 0, "flush failed");
	CHECK(atomic_load(&sent->done) == 1, "%s did not run", what);
}

static void phase_max_active(void)
{
	struct uwq_workqueue *wq = alloc_wq("attrs_max", UWQ_UNBOUND, 2);
	struct uwq_workqueue *sqa = alloc_wq("attrs_max_sent_a", UWQ_UNBOUND, 0);
	struct uwq_workqueue *sqb = alloc_wq("attrs_max_sent_b", UWQ_UNBOUND, 0);
	struct uwq_workqueue_attrs a, b;

	/* One pod each (scope system): A at nice 0, B at nice 5. */
	memset(&a, 0, sizeof(a));
	a.affn_scope = UWQ_AFFN_SYSTEM;
	b = a;
	b.nice = 5;
	CHECK(uwq_apply_workqueue_attrs(sqa, &a) == 0 && uwq_apply_workqueue_attrs(sqb, &b) == 0,
	      "applying to the sentinel queues failed");
	m_init(&mx, 0);
	m_init(&my[0], 1);
	m_init(&my[1], 1);
	m_init(&mz, 0);

	PHASE("m: x runs on pool A (max_active 2)");
	CHECK(uwq_apply_workqueue_attrs(wq, &a) == 0, "apply(A) failed");
	queue_from(c0, wq, &mx.w, "x");
	WAIT_UNTIL(atomic_load(&mx.started), "x never started");

	PHASE("m: apply B, then uwq_workqueue_set_max_active(1) covers both pools");
	CHECK(uwq_apply_workqueue_attrs(wq, &b) == 0, "apply(B) failed");
	CHECK(uwq_workqueue_set_max_active(wq, 1) == 0, "set_max_active(1) failed");
	queue_from(c0, wq, &my[0].w, "y0");
	queue_from(c0, wq, &my[1].w, "y1");
	WAIT_UNTIL(atomic_load(&my[0].started), "y0 (first on pool B) never started");
	m_barrier(sqb, &msent[1], "the sentinel on pool B");
	CHECK(!atomic_load(&my[1].started), "y1 started while y0 ran on pool B, with max_active 1");

	PHASE("m: back to A: x, queued before both changes, still counts there");
	CHECK(uwq_apply_workqueue_attrs(wq, &a) == 0, "apply(A) again failed");
	queue_from(c0, wq, &mz.w, "z");
	m_barrier(sqa, &msent[0], "the sentinel on pool A");
	CHECK(!atomic_load(&mz.started), "z started on pool A while x ran there, with max_active lowered to 1");

	PHASE("m: everything runs once");
	atomic_store(&m_gate, 1);
	CHECK(uwq_flush_workqueue(wq) == 0, "flush failed");
	CHECK(atomic_load(&mx.done) == 1 && atomic_load(&my[0].done) == 1 && atomic_load(&my[1].done) == 1 &&
	      atomic_load(&mz.done) == 1, "runs: x %d y0 %d y1 %d z %d", atomic_load(&mx.done),
	      atomic_load(&my[0].done), atomic_load(&my[1].done), atomic_load(&mz.done));
	CHECK(atomic_load(&m_max[0]) <= 1 && atomic_load(&m_max[1]) <= 1,
	      "%d items ran at once on pool A and %d on pool B, with max_active 1", atomic_load(&m_max[0]),
	      atomic_load(&m_max[1]));
	uwq_destroy_workqueue(wq);
	uwq_destroy_workqueue(sqa);
	uwq_destroy_workqueue(sqb);
}

int main(int argc, char **argv)
{
	const char *phases = argc > 2 ? argv[2] : "lscm";

	if (argc > 1)
		napply = atoi(argv[1]);
	CHECK(napply > 0, "usage: %s [applies] [phases: l s c m]", argv[0]);
	unsetenv("UWQ_SYSFS_ROOT");
	unsetenv("UWQ_AFFINITY_SCOPE");
	ncpus = affinity_cpus(cpus, MAXCPU);
	c0 = cpus[0];
	c1 = cpus[ncpus > 1 ? 1 : 0];
	CHECK(sched_getaffinity(0, sizeof(all_cpus), &all_cpus) == 0, "sched_getaffinity: %s", strerror(errno));

	for (const char *p = phases; *p; p++) {
		switch (*p) {
		case 'l':
			phase_live();
			break;
		case 's':
			phase_system();
			break;
		case 'c':
			phase_creator();
			break;
		case 'm':
			phase_max_active();
			break;
		default:
			FAIL("unknown phase '%c' (l, s, c, m)", *p);
		}
	}
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
