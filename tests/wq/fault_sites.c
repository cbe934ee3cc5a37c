/* SPDX-License-Identifier: MIT */
/*
 * A failure at a workqueue-side fault site gives the documented error or a
 * retry; no item is ever lost or run twice, and nothing hangs (STYLE.md
 * "Tests": fault injection; src/internal/fault.h; the Return: lines of
 * include/uwq/workqueue.h, ordered.h and async.h; docs/design.md §3
 * "Concurrency management": creation failure never loses or stalls work).
 * uwq is started before any fault is armed: an allocation failure while
 * uwq starts aborts by design (src/wq/init.c).
 *
 * "alloc" site:
 *  - uwq_alloc_workqueue() (plain, unbound, highpri, UWQ_MEM_RECLAIM),
 *    uwq_alloc_ordered_workqueue(), uwq_alloc_ordered_queue() give NULL
 *    with errno ENOMEM and leave no rescuer thread ("uwq-R-") behind;
 *    uwq_alloc_workqueue_attrs() gives NULL with errno ENOMEM;
 *  - while every allocation fails, queueing, delayed queueing, try_queue,
 *    flush, cancel and ordered queueing on existing queues still work
 *    (queueing never allocates), each item once;
 *  - uwq_apply_workqueue_attrs() gives -ENOMEM and the queue keeps its
 *    attributes (get_attrs, and the nice level its items run at) while
 *    items queued before, during (from another thread) and after all run
 *    exactly once; after clearing, the same call succeeds and new items
 *    run at the new nice level;
 *  - uwq_async_schedule() and _domain() run the function synchronously
 *    (the kernel's fallback): in the caller, before the call returns,
 *    exactly once, with a cookie between its neighbours' cookies; waiting
 *    for its own cookie from there still waits for the earlier call;
 *  - after clearing, every one of these calls succeeds.
 * "worker_create" site (pthread_create of a pool worker fails, EAGAIN):
 *  - a pool that cannot start its first worker says so once; its queued
 *    items wait (none runs); once creation works again after N more
 *    failed retries (the monitor retries after create_cooldown_ns, lowered
 *    here to 5 ms) every item runs exactly once;
 *  - a started pool whose every worker is blocked cannot run the items
 *    queued behind them while creation fails; once it works again after N
 *    failures, they run on new workers while the blocked ones still block;
 *    then everything has run exactly once.
 * "thread_create" site (pthread_create of uwq's other threads, EAGAIN):
 *  - uwq_alloc_workqueue(UWQ_MEM_RECLAIM) whose rescuer cannot start gives
 *    NULL with errno EAGAIN and leaves no "uwq-R-" thread; a retry works;
 *  - the timer thread failing 3 times at the first delayed arm: the item
 *    stays armed and does not run; the monitor retries every cooldown;
 *    once the thread starts, the item runs exactly once.
 * The allocations after the first of a call (pwq table, pwqs, rescuer,
 * pools, line descriptors) are failed one by one in fault_nth_alloc.c.
 * Skips (77) when the library was built without fault injection (Release).
 */
#include <sys/resource.h>
#include <uwq/async.h>
#include <uwq/ordered.h>
#include <uwq/stats.h>
#include <uwq/workqueue.h>

#include "util.h"

/* Test hook exported by uwq, not in the public headers (src/internal/fault.h). */
int uwq__fault_inject(const char *site, int err, int count);
int uwq__fault_left(const char *site);

static void inject(const char *site, int err, int count)
{
	int rc = uwq__fault_inject(site, err, count);

	CHECK(rc == 0, "uwq__fault_inject(%s, %d, %d) = %d", site, err, count, rc);
}

/* ---- counted items ------------------------------------------------------ */

struct item {
	struct uwq_work	w;
	atomic_int	runs;
	atomic_int	nice;		/* nice level of the worker that ran it */
};

static void item_fn(struct uwq_work *w)
{
	struct item *it = container_of(w, struct item, w);

	errno = 0;
	atomic_store(&it->nice, getpriority(PRIO_PROCESS, (id_t)util_gettid()));
	atomic_fetch_add(&it->runs, 1);
}

static void items_init(struct item *v, int n)
{
	for (int i = 0; i < n; i++) {
		uwq_work_init(&v[i].w, item_fn);
		atomic_store(&v[i].runs, 0);
		atomic_store(&v[i].nice, 99);
	}
}

static int items_done(struct item *v, int n)
{
	int done = 0;

	for (int i = 0; i < n; i++)
		done += atomic_load(&v[i].runs) > 0;
	return done;
}

static void items_check_once(struct item *v, int n, const char *what)
{
	for (int i = 0; i < n; i++)
		CHECK(atomic_load(&v[i].runs) == 1, "%s: item %d ran %d times", what, i,
		      atomic_load(&v[i].runs));
}

#define EXPECT_ENOMEM_NULL(expr) do {						\
	void *p_;								\
	int e_;									\
	inject("alloc", ENOMEM, 1);						\
	errno = 0;								\
	p_ = (void *)(expr);							\
	e_ = errno;								\
	inject("alloc", 0, 0);							\
	CHECK(p_ == NULL, "%s succeeded with the alloc site failing", #expr);	\
	CHECK(e_ == ENOMEM, "%s: errno %d (%s), want ENOMEM", #expr, e_, strerror(e_)); \
} while (0)

/* ---- alloc: constructors, and queueing while allocation fails ----------- */

static void test_alloc_constructors(void)
{
	static const unsigned flags[] = {
		0, UWQ_UNBOUND, UWQ_HIGHPRI, UWQ_MEM_RECLAIM, UWQ_MEM_RECLAIM | UWQ_UNBOUND,
		UWQ_FREEZABLE | UWQ_CPU_INTENSIVE,
	};
	int rescuers = count_tasks_named("uwq-R-");

	PHASE(__func__);
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		EXPECT_ENOMEM_NULL(uwq_alloc_workqueue("fs_nomem", flags[i], 0));
	EXPECT_ENOMEM_NULL(uwq_alloc_ordered_workqueue("fs_nomem_ord", 0));
	EXPECT_ENOMEM_NULL(uwq_alloc_ordered_queue("fs_nomem_oq", UWQ_UNBOUND, 0));
	EXPECT_ENOMEM_NULL(uwq_alloc_workqueue_attrs());
	CHECK(count_tasks_named("uwq-R-") == rescuers,
	      "%d rescuer threads after failed UWQ_MEM_RECLAIM creations, %d before",
	      count_tasks_named("uwq-R-"), rescuers);

	/* Cleared: the same calls succeed, and their queues run items once. */
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		struct uwq_workqueue *wq = uwq_alloc_workqueue("fs_ok", flags[i], 0);
		struct item it;

		CHECK(wq, "flags %#x: alloc after clearing failed: %s", flags[i], strerror(errno));
		items_init(&it, 1);
		CHECK(uwq_queue_work(wq, &it.w), "flags %#x: queueing failed", flags[i]);
		CHECK(uwq_flush_workqueue(wq) == 0, "flush failed");
		items_check_once(&it, 1, "after clearing");
		if (flags[i] & UWQ_MEM_RECLAIM)
			WAIT_UNTIL(count_tasks_named("uwq-R-fs_ok") == 1, "%d rescuer threads for a reclaim queue",
				   count_tasks_named("uwq-R-fs_ok"));
		uwq_destroy_workqueue(wq);
	}
	/* A joined thread may linger in /proc/self/task for a moment. */
	WAIT_UNTIL(count_tasks_named("uwq-R-") == rescuers, "%d rescuer threads, %d before",
		   count_tasks_named("uwq-R-"), rescuers);
	{
		struct uwq_workqueue *oq = uwq_alloc_ordered_workqueue("fs_ok_ord", 0);
		struct uwq_workqueue_attrs *a = uwq_alloc_workqueue_attrs();

		CHECK(oq && a, "ordered queue or attrs after clearing: %s", strerror(errno));
		uwq_free_workqueue_attrs(a);
		uwq_destroy_workqueue(oq);
	}
}

static atomic_int ow_run, ow_complete, ow_release;

static void ow_run_fn(struct uwq_ordered_work *ow)
{
	(void)ow;
	atomic_fetch_add(&ow_run, 1);
}

static void ow_complete_fn(struct uwq_ordered_work *ow)
{
	(void)ow;
	atomic_fetch_add(&ow_complete, 1);
}

static void ow_release_fn(struct uwq_ordered_work *ow)
{
	(void)ow;
	atomic_fetch_add(&ow_release, 1);
}

#define NQ	16

static void test_alloc_queueing_never_allocates(void)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue("fs_noalloc", 0, 0);
	struct uwq_workqueue *uq = uwq_alloc_workqueue("fs_noalloc_u", UWQ_UNBOUND, 0);
	struct uwq_ordered_queue *oq = uwq_alloc_ordered_queue("fs_noalloc_oq", UWQ_UNBOUND, 0);
	struct uwq_ordered_work ow[4];
	struct uwq_delayed_work dw;
	struct item it[NQ], dit;
	int rc;

	PHASE(__func__);
	CHECK(wq && uq && oq, "alloc: %s", strerror(errno));
	items_init(it, NQ);
	items_init(&dit, 1);
	uwq_delayed_work_init(&dw, item_fn);
	CHECK(uwq_workqueue_set_max_pending(uq, 1000) == 0, "set_max_pending failed");

	inject("alloc", ENOMEM, -1);
	for (int i = 0; i < NQ / 2; i++)
		CHECK(uwq_queue_work(wq, &it[i].w), "queue_work %d failed while alloc fails", i);
	for (int i = NQ / 2; i < NQ; i++)
		CHECK((rc = uwq_try_queue_work(uq, &it[i].w)) == 0,
		      "try_queue_work %d = %d while alloc fails", i, rc);
	CHECK(uwq_queue_delayed_work(wq, &dw, NSEC_PER_MSEC), "queue_delayed_work failed");
	for (int i = 0; i < 4; i++) {
		uwq_ordered_work_init(&ow[i], ow_run_fn, ow_complete_fn, ow_release_fn);
		CHECK((rc = uwq_ordered_queue_work(oq, &ow[i])) == 0, "ordered_queue_work = %d", rc);
	}
	CHECK(uwq_flush_workqueue(wq) == 0 && uwq_flush_workqueue(uq) == 0, "flush failed");
	CHECK(uwq_ordered_queue_flush(oq) == 0, "ordered flush failed");
	uwq_flush_delayed_work(&dw);
	CHECK(!uwq_cancel_work_sync(&dit.w), "cancel of an idle item returned true");
	inject("alloc", 0, 0);

	items_check_once(it, NQ, "queued while every allocation failed");
	CHECK(atomic_load(&ow_run) == 4 && atomic_load(&ow_complete) == 4 && atomic_load(&ow_release) == 4,
	      "ordered steps run/complete/release: %d/%d/%d, want 4 each", atomic_load(&ow_run),
	      atomic_load(&ow_complete), atomic_load(&ow_release));
	uwq_destroy_ordered_queue(oq);
	uwq_destroy_workqueue(uq);
	uwq_destroy_workqueue(wq);
}

/* ---- alloc: uwq_apply_workqueue_attrs() keeps the old attributes --------- */

#define NAPPLY	200

static struct item apply_items[NAPPLY];
static struct uwq_workqueue *apply_wq;
static atomic_int apply_queued;

static void *apply_queuer(void *arg)
{
	(void)arg;
	for (int i = 0; i < NAPPLY; i++) {
		CHECK(uwq_queue_work(apply_wq, &apply_items[i].w), "concurrent queueing %d failed", i);
		atomic_fetch_add(&apply_queued, 1);
		if (i % 16 == 0)
			sched_yield();
	}
	return NULL;
}

static void test_alloc_apply_attrs(void)
{
	struct uwq_workqueue_attrs *a, before, after;
	struct item pre, post, fresh;
	pthread_t t;
	int rc, nice0;

	PHASE(__func__);
	apply_wq = uwq_alloc_workqueue("fs_apply", UWQ_UNBOUND, 0);
	CHECK(apply_wq, "alloc: %s", strerror(errno));
	a = uwq_alloc_workqueue_attrs();
	CHECK(a, "alloc attrs: %s", strerror(errno));
	items_init(&pre, 1);
	items_init(&post, 1);
	items_init(&fresh, 1);
	items_init(apply_items, NAPPLY);

	CHECK(uwq_queue_work(apply_wq, &pre.w), "queueing pre failed");
	CHECK(uwq_flush_workqueue(apply_wq) == 0, "flush failed");
	nice0 = atomic_load(&pre.nice);
	CHECK(uwq_workqueue_get_attrs(apply_wq, &before) == 0, "get_attrs failed");
	a->nice = nice0 < 5 ? 5 : 19;
	a->affn_scope = UWQ_AFFN_SYSTEM;

	/* Fails with ENOMEM while another thread queues. */
	t = start_thread(apply_queuer, NULL);
	for (int i = 0; i < 20; i++) {
		inject("alloc", ENOMEM, 1);
		rc = uwq_apply_workqueue_attrs(apply_wq, a);
		inject("alloc", 0, 0);
		CHECK(rc == -ENOMEM, "apply_workqueue_attrs with the alloc site failing = %d, want -ENOMEM",
		      rc);
	}
	inject("alloc", ENOMEM, -1);
	rc = uwq_apply_workqueue_attrs(apply_wq, a);
	inject("alloc", 0, 0);
	CHECK(rc == -ENOMEM, "apply_workqueue_attrs with every allocation failing = %d", rc);
	join_thread(t);

	CHECK(uwq_workqueue_get_attrs(apply_wq, &after) == 0, "get_attrs failed");
	CHECK(after.nice == before.nice && after.affn_scope == before.affn_scope &&
	      CPU_EQUAL(&after.cpumask, &before.cpumask),
	      "a failed apply changed the attributes: nice %d -> %d, scope %d -> %d", before.nice,
	      after.nice, (int)before.affn_scope, (int)after.affn_scope);
	CHECK(uwq_queue_work(apply_wq, &post.w), "queueing post failed");
	CHECK(uwq_flush_workqueue(apply_wq) == 0, "flush failed");
	items_check_once(apply_items, NAPPLY, "queued during failed applies");
	items_check_once(&post, 1, "queued after failed applies");
	CHECK(atomic_load(&post.nice) == nice0, "after a failed apply an item ran at nice %d, want %d",
	      atomic_load(&post.nice), nice0);
	for (int i = 0; i < NAPPLY; i++)
		CHECK(atomic_load(&apply_items[i].nice) == nice0, "item %d ran at nice %d, want %d", i,
		      atomic_load(&apply_items[i].nice), nice0);

	/* Cleared: the same call succeeds and new items get the new nice. */
	CHECK((rc = uwq_apply_workqueue_attrs(apply_wq, a)) == 0, "apply after clearing = %d", rc);
	CHECK(uwq_workqueue_get_attrs(apply_wq, &after) == 0 && after.nice == a->nice,
	      "get_attrs after a good apply: nice %d, want %d", after.nice, a->nice);
	CHECK(uwq_queue_work(apply_wq, &fresh.w), "queueing fresh failed");
	CHECK(uwq_flush_workqueue(apply_wq) == 0, "flush failed");
	items_check_once(&fresh, 1, "after a good apply");
	CHECK(atomic_load(&fresh.nice) == a->nice, "after a good apply an item ran at nice %d, want %d",
	      atomic_load(&fresh.nice), a->nice);
	uwq_free_workqueue_attrs(a);
	uwq_destroy_workqueue(apply_wq);
}

/* ---- alloc: async calls fall back to running synchronously -------------- */

static atomic_int a_gate, a_runs, b_runs, b_entered, b_saw_a, c_runs, d_runs;
static atomic_int b_tid, d_tid;
static _Atomic uwq_async_cookie_t b_cookie_seen;
static pid_t main_tid;

static void async_a(void *data, uwq_async_cookie_t cookie)
{
	(void)data;
	(void)cookie;
	GATE_WAIT(atomic_load(&a_gate), "async A: gate never opened");
	atomic_fetch_add(&a_runs, 1);
}

static void async_b(void *data, uwq_async_cookie_t cookie)
{
	(void)data;
	atomic_store(&b_tid, (int)util_gettid());
	atomic_store(&b_cookie_seen, cookie);
	atomic_fetch_add(&b_runs, 1);
	atomic_store(&b_entered, 1);
	/* An async function retires in order by waiting for its own cookie. */
	uwq_async_synchronize_cookie(cookie);
	atomic_store(&b_saw_a, atomic_load(&a_runs));
}

static void async_c(void *data, uwq_async_cookie_t cookie)
{
	(void)data;
	(void)cookie;
	atomic_fetch_add(&c_runs, 1);
}

static void async_d(void *data, uwq_async_cookie_t cookie)
{
	(void)data;
	(void)cookie;
	atomic_store(&d_tid, (int)util_gettid());
	atomic_fetch_add(&d_runs, 1);
}

static void *gate_opener(void *arg)
{
	(void)arg;
	WAIT_UNTIL(atomic_load(&b_entered), "the fallback call never started");
	wait_task_blocked(main_tid, 2 * NSEC_PER_SEC);	/* waiting for A inside B */
	atomic_store(&a_gate, 1);
	return NULL;
}

static void test_alloc_async_fallback(void)
{
	struct uwq_async_domain dom = UWQ_ASYNC_DOMAIN_INIT;
	uwq_async_cookie_t ca, cb, cc, cd;
	pthread_t t;

	PHASE(__func__);
	main_tid = util_gettid();
	ca = uwq_async_schedule(async_a, NULL);
	CHECK(ca >= 1, "cookie A = %llu", (unsigned long long)ca);
	t = start_thread(gate_opener, NULL);

	inject("alloc", ENOMEM, 1);
	cb = uwq_async_schedule(async_b, NULL);
	inject("alloc", 0, 0);
	CHECK(atomic_load(&b_runs) == 1, "the fallback ran %d times before uwq_async_schedule returned",
	      atomic_load(&b_runs));
	CHECK(atomic_load(&b_tid) == (int)main_tid, "the fallback ran on thread %d, not the caller %d",
	      atomic_load(&b_tid), (int)main_tid);
	CHECK(cb > ca && atomic_load(&b_cookie_seen) == cb, "cookies: A %llu, B %llu (function saw %llu)",
	      (unsigned long long)ca, (unsigned long long)cb,
	      (unsigned long long)atomic_load(&b_cookie_seen));
	CHECK(atomic_load(&b_saw_a) == 1,
	      "the fallback's wait for its own cookie returned before the earlier call A ran");
	join_thread(t);

	cc = uwq_async_schedule(async_c, NULL);
	CHECK(cc > cb, "cookie after the fallback %llu <= %llu", (unsigned long long)cc,
	      (unsigned long long)cb);

	inject("alloc", ENOMEM, 1);
	cd = uwq_async_schedule_domain(async_d, NULL, &dom);
	inject("alloc", 0, 0);
	CHECK(atomic_load(&d_runs) == 1 && atomic_load(&d_tid) == (int)main_tid,
	      "domain fallback: ran %d times, on thread %d (caller %d)", atomic_load(&d_runs),
	      atomic_load(&d_tid), (int)main_tid);
	CHECK(cd > cc, "domain fallback cookie %llu <= %llu", (unsigned long long)cd,
	      (unsigned long long)cc);

	uwq_async_synchronize_full_domain(&dom);
	uwq_async_synchronize_full();
	CHECK(atomic_load(&a_runs) == 1 && atomic_load(&b_runs) == 1 && atomic_load(&c_runs) == 1 &&
	      atomic_load(&d_runs) == 1, "runs A %d B %d C %d D %d, want 1 each", atomic_load(&a_runs),
	      atomic_load(&b_runs), atomic_load(&c_runs), atomic_load(&d_runs));
}

/* ---- worker_create ------------------------------------------------------- */

#define NCREATE	24
#define NRETRY	3

static struct item create_items[NCREATE];

/* The index for uwq_pool_stats() of the unbound pool with nice @nice. */
static int find_upool(int nice)
{
	struct uwq_pool_stats st;

	for (int i = 0; uwq_pool_stats(i, &st) == 0; i++)
		if (st.cpu == -1 && st.nice == nice)
			return i;
	FAIL("no unbound pool with nice %d", nice);
}

static struct uwq_pool_stats pool_stats(int idx)
{
	struct uwq_pool_stats st;

	CHECK(uwq_pool_stats(idx, &st) == 0, "uwq_pool_stats(%d) failed", idx);
	return st;
}

static atomic_int blk_gate, blk_started, blk_done;

static void blocker_fn(struct uwq_work *w)
{
	struct item *it = container_of(w, struct item, w);

	atomic_fetch_add(&it->runs, 1);
	atomic_fetch_add(&blk_started, 1);
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(&blk_gate), "blocker: gate never opened");
	uwq_blocking_end();
	atomic_fetch_add(&blk_done, 1);
}

static void test_worker_create(void)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue("fs_create", UWQ_UNBOUND, 0);
	struct uwq_workqueue_attrs *a = uwq_alloc_workqueue_attrs();
	struct item blockers[64], behind[8];
	struct uwq_pool_stats st;
	char *err;
	uint64_t created;
	int idx, nblk, lines;

	PHASE("worker_create: a pool that cannot start");
	CHECK(wq && a, "alloc: %s", strerror(errno));
	/* A pool of its own, not started: nice 11, one pod. */
	a->nice = 11;
	a->affn_scope = UWQ_AFFN_SYSTEM;
	CHECK(uwq_apply_workqueue_attrs(wq, a) == 0, "apply failed");
	idx = find_upool(11);
	st = pool_stats(idx);
	CHECK(!st.started && st.workers == 0 && st.created == 0,
	      "the new pool is started (%d) or has %d workers", st.started, st.workers);
	items_init(create_items, NCREATE);

	inject("worker_create", EAGAIN, -1);
	capture_stderr_begin();
	for (int i = 0; i < NCREATE / 2; i++)
		CHECK(uwq_queue_work(wq, &create_items[i].w), "queueing %d failed", i);
	err = capture_stderr_end();
	lines = count_lines_containing(err, "cannot start its first worker");
	free(err);
	CHECK(lines == 1, "%d \"cannot start its first worker\" reports, want 1", lines);
	for (int i = NCREATE / 2; i < NCREATE; i++)
		CHECK(uwq_queue_work(wq, &create_items[i].w), "queueing %d failed", i);
	st = pool_stats(idx);
	CHECK(items_done(create_items, NCREATE) == 0 && st.created == 0,
	      "%d items ran and the pool created %llu workers although creation fails",
	      items_done(create_items, NCREATE), (unsigned long long)st.created);

	/* N more failed retries, then creation works: every item runs once. */
	inject("worker_create", EAGAIN, NRETRY);
	WAIT_UNTIL(items_done(create_items, NCREATE) == NCREATE,
		   "%d of %d items ran after creation recovered (pool workers %d)",
		   items_done(create_items, NCREATE), NCREATE, pool_stats(idx).workers);
	CHECK(uwq_flush_workqueue(wq) == 0, "flush failed");
	items_check_once(create_items, NCREATE, "queued while the pool could not start");
	st = pool_stats(idx);
	CHECK(st.started && st.workers >= 1 && st.created >= 1, "pool: started %d workers %d created %llu",
	      st.started, st.workers, (unsigned long long)st.created);

	PHASE("worker_create: every worker of a started pool blocked");
	inject("worker_create", 0, 0);
	/* Settled: every worker idle. A creation still under way passed its
	 * fault check before the one below is armed and is counted in
	 * "workers" from before that check, so nblk counts real workers. */
	WAIT_UNTIL(pool_stats(idx).idle == pool_stats(idx).workers, "pool workers %d idle %d",
		   pool_stats(idx).workers, pool_stats(idx).idle);
	inject("worker_create", EAGAIN, -1);
	st = pool_stats(idx);
	nblk = st.workers;
	created = st.created;
	CHECK(nblk >= 1 && nblk <= (int)ARRAY_SIZE(blockers), "pool has %d workers", nblk);
	items_init(blockers, nblk);
	items_init(behind, (int)ARRAY_SIZE(behind));
	for (int i = 0; i < nblk; i++) {
		uwq_work_init(&blockers[i].w, blocker_fn);
		CHECK(uwq_queue_work(wq, &blockers[i].w), "queueing blocker %d failed", i);
	}
	WAIT_UNTIL(atomic_load(&blk_started) == nblk, "%d of %d blockers started (pool idle %d)",
		   atomic_load(&blk_started), nblk, pool_stats(idx).idle);
	for (int i = 0; i < (int)ARRAY_SIZE(behind); i++)
		CHECK(uwq_queue_work(wq, &behind[i].w), "queueing behind %d failed", i);
	/* Counted by "created", not "workers": an attempt that is about to
	 * fail counts in workers/idle for a moment (src/wq/pool.c). */
	st = pool_stats(idx);
	CHECK(items_done(behind, (int)ARRAY_SIZE(behind)) == 0 && st.created == created,
	      "%d items ran behind %d blocked workers although creation fails (created %llu -> %llu)",
	      items_done(behind, (int)ARRAY_SIZE(behind)), nblk, (unsigned long long)created,
	      (unsigned long long)st.created);

	inject("worker_create", EAGAIN, NRETRY);
	WAIT_UNTIL(items_done(behind, (int)ARRAY_SIZE(behind)) == (int)ARRAY_SIZE(behind),
		   "%d of %zu items ran behind the blocked workers after creation recovered (workers %d)",
		   items_done(behind, (int)ARRAY_SIZE(behind)), ARRAY_SIZE(behind),
		   pool_stats(idx).workers);
	CHECK(atomic_load(&blk_done) == 0, "a blocker finished before its gate opened");
	CHECK(pool_stats(idx).created > created, "no new worker although the items ran");
	atomic_store(&blk_gate, 1);
	WAIT_UNTIL(atomic_load(&blk_done) == nblk, "%d of %d blockers finished", atomic_load(&blk_done),
		   nblk);
	CHECK(uwq_flush_workqueue(wq) == 0, "flush failed");
	inject("worker_create", 0, 0);
	items_check_once(blockers, nblk, "blockers");
	items_check_once(behind, (int)ARRAY_SIZE(behind), "queued behind blocked workers");
	items_check_once(create_items, NCREATE, "first batch, at the end");

	uwq_free_workqueue_attrs(a);
	uwq_destroy_workqueue(wq);
}

/* ---- thread_create: rescuers and the timer thread --------------------- */

static atomic_int dw_runs;

static void dw_fn(struct uwq_work *w)
{
	(void)w;
	atomic_fetch_add(&dw_runs, 1);
}

static void test_thread_create(void)
{
	struct uwq_delayed_work dw;
	struct uwq_workqueue *wq;
	struct item it;
	int e;

	PHASE(__func__);
	/* A rescuer that cannot start: the queue is not made. */
	inject("thread_create", EAGAIN, 1);
	errno = 0;
	wq = uwq_alloc_workqueue("fs_resc", UWQ_MEM_RECLAIM, 0);
	e = errno;
	inject("thread_create", 0, 0);
	CHECK(wq == NULL && e == EAGAIN, "MEM_RECLAIM queue with its rescuer failing: %p, errno %d", (void *)wq, e);
	CHECK(count_tasks_named("uwq-R-") == 0, "a rescuer thread after a failed alloc");
	wq = uwq_alloc_workqueue("fs_resc", UWQ_MEM_RECLAIM, 0);
	CHECK(wq, "MEM_RECLAIM queue after clearing: %s", strerror(errno));
	items_init(&it, 1);
	CHECK(uwq_queue_work(wq, &it.w), "queue");
	uwq_flush_workqueue(wq);
	items_check_once(&it, 1, "rescuer-backed queue after the failure");
	uwq_destroy_workqueue(wq);

	/* The timer thread (started by the first arm) cannot start three
	 * times: the item stays armed, the monitor retries every cooldown
	 * (5 ms here), and once the thread starts the item runs, once. */
	CHECK(count_tasks_named("uwq-timer") == 0, "the timer thread runs before the first arm");
	uwq_delayed_work_init(&dw, dw_fn);
	inject("thread_create", EAGAIN, 3);
	CHECK(uwq_queue_delayed_work(uwq_system_wq, &dw, NSEC_PER_MSEC), "queue_delayed_work");
	CHECK(count_tasks_named("uwq-timer") == 0, "a timer thread despite the failure");
	CHECK(atomic_load(&dw_runs) == 0, "the delayed item ran without a timer thread");
	WAIT_UNTIL(uwq__fault_left("thread_create") == 0,
		   "the monitor did not retry the timer thread (%d failures left)", uwq__fault_left("thread_create"));
	WAIT_UNTIL(atomic_load(&dw_runs) == 1, "the delayed item did not run once the timer could start");
	CHECK(count_tasks_named("uwq-timer") == 1, "%d timer threads", count_tasks_named("uwq-timer"));
	uwq_flush_workqueue(uwq_system_wq);
	CHECK(atomic_load(&dw_runs) == 1, "the delayed item ran %d times", atomic_load(&dw_runs));
}

int main(void)
{
	struct uwq_config cfg;
	struct item warm;
	int rc;

	rc = uwq__fault_inject("alloc", 0, 0);
	if (rc == -ENOSYS)
		SKIP("uwq built without fault injection (Release build)");
	CHECK(rc == 0, "uwq__fault_inject(alloc, 0, 0) = %d", rc);
	CHECK(uwq__fault_inject("no_such_site", ENOMEM, 1) == -EINVAL, "an unknown site was accepted");

	uwq_config_defaults(&cfg);
	cfg.create_cooldown_ns = 5 * NSEC_PER_MSEC;
	cfg.mayday_initial_ns = 5 * NSEC_PER_MSEC;
	cfg.mayday_interval_ns = 20 * NSEC_PER_MSEC;
	CHECK((rc = uwq_configure(&cfg)) == 0, "uwq_configure = %d", rc);

	/* Start uwq before arming anything: failing while it starts aborts. */
	items_init(&warm, 1);
	CHECK(uwq_schedule_work(&warm.w), "warm-up queueing failed");
	uwq_flush_work(&warm.w);
	CHECK(atomic_load(&warm.runs) == 1, "warm-up item did not run");

	test_thread_create();	/* first: before any delayed work starts the timer */
	test_alloc_constructors();
	test_alloc_queueing_never_allocates();
	test_alloc_apply_attrs();
	test_alloc_async_fallback();
	test_worker_create();

	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
