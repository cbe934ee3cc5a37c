/* SPDX-License-Identifier: MIT */
/*
 * uwq_freeze() stops the freezable workqueues at item boundaries and
 * uwq_thaw() resumes them, losing and reordering nothing (the kernel's
 * freeze_workqueues_begin() and thaw_workqueues(); header: uwq_freeze(),
 * uwq_thaw(), struct uwq_config.freeze_timeout_ns):
 *  - uwq_freeze() does not return while an item of a freezable queue runs;
 *  - once it has returned, no item of a freezable queue (bound, bound with
 *    max_active 1, unbound, ordered, uwq_system_freezable_wq) starts: not
 *    those queued before the freeze and not yet started (activated on a
 *    pool's worklist, or waiting behind max_active), not those queued while
 *    frozen (queueing returns true, pending dedupe still holds), not delayed
 *    items that expire while frozen; a freezable queue allocated while
 *    frozen starts frozen, and uwq_workqueue_set_max_active() does not
 *    unfreeze a queue;
 *  - non-freezable queues, on the same pools, keep running;
 *  - uwq_flush_workqueue() of a frozen queue waits for uwq_thaw(), with one
 *    report line per queue naming uwq_thaw();
 *  - after uwq_thaw() every item runs exactly once; an ordered queue's
 *    1000 items (half queued before the freeze, half during it) run in
 *    queueing order, and so do another ordered queue's whose second item
 *    was activated but not started when the freeze came; a max_active set
 *    while frozen applies;
 *  - a second uwq_freeze() and a uwq_thaw() when not frozen do nothing; a
 *    work function of a freezable queue may call uwq_freeze() (it does not
 *    wait for itself);
 *  - with freeze_timeout_ns 50 ms, an item that does not return makes
 *    uwq_freeze() return with one report naming its function and queue;
 *    the queues stay frozen until uwq_thaw();
 *  - an item requeued on its freezable queue while it runs (so it waits
 *    on the running worker's scheduled list, not on the worklist) does not
 *    start while frozen: it runs once before uwq_thaw() and once after.
 * "Does not start" cannot be seen by waiting, so it is asserted after a
 * barrier that would have let the item run: every pool it could run on ran
 * non-freezable items queued after it (flush), and the timer fired a
 * delayed sentinel that expires after it.
 * To have items activated on a pool's worklist but not started when the
 * freeze begins, a "plug" item blocks without a hint while the monitor's
 * blocking and CPU-hog detection are off (uwq_configure()): its pool then
 * starts nothing else until the plug returns.
 */
#include <uwq/stats.h>
#include <uwq/workqueue.h>

#include "util.h"

#define NORD		1000	/* items of the ordered queue */
#define NORD_BEFORE	500	/* of which queued before the freeze */
#define NORD2		10	/* items of the second ordered queue */
#define MAXCPU		CPU_SETSIZE

struct probe {
	struct uwq_work		w;
	const char		*name;
	atomic_int		runs;
};

struct dprobe {
	struct uwq_delayed_work	dw;
	const char		*name;
	atomic_int		runs;
};

struct holder {
	struct uwq_work		w;
	const char		*name;
	atomic_int		*gate;
	bool			hinted;		/* uwq_blocking_begin() around the wait */
	atomic_int		started;
	atomic_int		done;
};

struct ord_item {
	struct uwq_work		w;
	int			idx;
	atomic_int		runs;
};

struct flusher {
	struct uwq_workqueue	*wq;
	pthread_t		thread;
	atomic_int		tid;
	atomic_int		ret;
	atomic_int		returned;
};

static int cpus[MAXCPU], ncpus, cpu0, cpu_last;

static struct uwq_workqueue *fb;	/* freezable, bound */
static struct uwq_workqueue *fb1;	/* freezable, bound, max_active 1 */
static struct uwq_workqueue *fu;	/* freezable, unbound */
static struct uwq_workqueue *fo;	/* freezable, ordered */
static struct uwq_workqueue *fo2;	/* freezable, ordered: an item activated at the freeze */
static struct uwq_workqueue *fnew;	/* freezable, allocated while frozen */
static struct uwq_workqueue *nb;	/* not freezable, bound */
static struct uwq_workqueue *nu;	/* not freezable, unbound */

static atomic_int gate_f;		/* holds the running freezable items */
static atomic_int gate_plug;		/* holds the plugs */
static atomic_int gate_m;		/* holds the max_active 2 pair */
static atomic_int gate_b;		/* holds the item uwq_freeze() gives up on */
static atomic_int gate_o2;		/* holds o2[0] */

/* Barrier sentinels (non-freezable). */
static struct probe sent_b[MAXCPU], sent_sys[MAXCPU], sent_u;

/* Freezable probes, part A: queued before the freeze (pre_*), during it (dur_*). */
static struct probe pre_b = { .name = "pre_b (fz_bound, worklist behind the plug)" };
static struct probe pre_s = { .name = "pre_s (events_freezable, worklist behind the plug)" };
static struct probe pre_u = { .name = "pre_u (fz_unbound, worklist behind the plugs)" };
static struct probe pre_b1 = { .name = "pre_b1 (fz_bound1, behind max_active 1)" };
static struct probe dur_b0 = { .name = "dur_b0 (fz_bound, first CPU)" };
static struct probe dur_bl = { .name = "dur_bl (fz_bound, last CPU)" };
static struct probe dur_b1 = { .name = "dur_b1 (fz_bound1, last CPU)" };
static struct probe dur_u = { .name = "dur_u (fz_unbound)" };
static struct probe dur_s = { .name = "dur_s (events_freezable, last CPU)" };
static struct probe new_a = { .name = "new_a (fz_new, before set_max_active)" };
static struct probe new_b = { .name = "new_b (fz_new, after set_max_active)" };
static struct probe *const frozen_probes[] = {
	&pre_b, &pre_s, &pre_u, &pre_b1, &dur_b0, &dur_bl, &dur_b1, &dur_u, &dur_s, &new_a, &new_b,
};
static struct dprobe dl_b = { .name = "dl_b (delayed, fz_bound)" };
static struct dprobe dl_u = { .name = "dl_u (delayed, fz_unbound)" };
static struct dprobe dl_s = { .name = "dl_s (delayed, events_freezable)" };
static struct dprobe *const frozen_dprobes[] = { &dl_b, &dl_u, &dl_s };

/* Non-freezable items on the same worklists as the frozen ones. */
static struct probe nf_b = { .name = "nf_b (plain_bound, behind the plug)" };
static struct probe nf_u = { .name = "nf_u (plain_unbound, behind the plugs)" };
static struct dprobe dsent = { .name = "dsent (delayed 20 ms, plain_unbound)" };

static struct holder fhold = { .name = "fhold (fz_bound)", .gate = &gate_f, .hinted = true };
static struct holder f1hold = { .name = "f1hold (fz_bound1)", .gate = &gate_f, .hinted = true };
static struct holder fuhold = { .name = "fuhold (fz_unbound)", .gate = &gate_f, .hinted = true };
static struct holder plug0 = { .name = "plug0 (plain_bound)", .gate = &gate_plug, .hinted = false };
static struct holder uplug[MAXCPU];
static struct holder m1 = { .name = "m1 (fz_bound1)", .gate = &gate_m, .hinted = true };
static struct holder m2 = { .name = "m2 (fz_bound1)", .gate = &gate_m, .hinted = true };
static struct holder stuck = { .name = "stuck (fz_timeout)", .gate = &gate_b, .hinted = true };
static struct holder ord0 = { .name = "ord[0] (fz_ordered)", .gate = &gate_f, .hinted = true };

static struct ord_item ord[NORD];
static atomic_int ord_next;		/* next run position */
static atomic_int ord_seen[NORD];	/* run position -> item index */
static atomic_int ord_running, ord_overlap;

/* fo2: o2[0] returns while the unbound pool is plugged, so o2[1] is
 * activated onto the worklist, not started, when the freeze comes. */
static struct ord_item o2[NORD2];
static atomic_int o2_next;
static atomic_int o2_seen[NORD2];

static atomic_int freezer_tid, freeze_returned;

static struct probe after_self = { .name = "after_self (fz_unbound, queued by self_freeze_fn)" };
static struct uwq_work self_freeze;
static atomic_int self_freeze_returned, self_freeze_queued, self_freeze_done;

static struct probe late = { .name = "late (fz_bound, after the double thaw)" };
static struct probe late_b = { .name = "late_b (fz_timeout, queued after the timeout)" };

void freezer_stuck_fn(struct uwq_work *w);	/* exported: the report names it */

static void probe_fn(struct uwq_work *w)
{
	struct probe *p = container_of(w, struct probe, w);

	atomic_fetch_add(&p->runs, 1);
}

static void dprobe_fn(struct uwq_work *w)
{
	struct dprobe *p = container_of(uwq_to_delayed_work(w), struct dprobe, dw);

	atomic_fetch_add(&p->runs, 1);
}

static void hold(struct holder *h)
{
	if (h->hinted)
		uwq_blocking_begin();
	atomic_store(&h->started, 1);
	GATE_WAIT(atomic_load(h->gate), "%s: gate never opened", h->name);
	if (h->hinted)
		uwq_blocking_end();
	atomic_fetch_add(&h->done, 1);
}

static void holder_fn(struct uwq_work *w)
{
	hold(container_of(w, struct holder, w));
}

void freezer_stuck_fn(struct uwq_work *w)
{
	hold(container_of(w, struct holder, w));
}

static void ord_fn(struct uwq_work *w)
{
	struct ord_item *it = container_of(w, struct ord_item, w);
	int pos;

	if (atomic_fetch_add(&ord_running, 1) != 0)
		atomic_fetch_add(&ord_overlap, 1);
	pos = atomic_fetch_add(&ord_next, 1);
	if (pos < NORD)
		atomic_store(&ord_seen[pos], it->idx);
	atomic_fetch_add(&it->runs, 1);
	atomic_fetch_sub(&ord_running, 1);
}

static void o2_fn(struct uwq_work *w)
{
	struct ord_item *it = container_of(w, struct ord_item, w);
	int pos = atomic_fetch_add(&o2_next, 1);

	if (pos < NORD2)
		atomic_store(&o2_seen[pos], it->idx);
	atomic_fetch_add(&it->runs, 1);
}

static struct holder o2hold = { .name = "o2[0] (fz_ordered2)", .gate = &gate_o2, .hinted = true };

static void o2_0_fn(struct uwq_work *w)
{
	o2_fn(w);
	hold(&o2hold);
}

/* ord[0] runs as an ordered item, then holds the ordered queue like a holder. */
static void ord0_fn(struct uwq_work *w)
{
	ord_fn(w);
	hold(&ord0);
}

static void self_freeze_fn(struct uwq_work *w)
{
	(void)w;
	uwq_freeze();
	atomic_store(&self_freeze_returned, 1);
	atomic_store(&self_freeze_queued, uwq_queue_work(fu, &after_self.w) ? 1 : -1);
	atomic_store(&self_freeze_done, 1);
}

static void *freezer_main(void *arg)
{
	(void)arg;
	atomic_store(&freezer_tid, (int)util_gettid());
	uwq_freeze();
	atomic_store(&freeze_returned, 1);
	return NULL;
}

static void *flusher_main(void *arg)
{
	struct flusher *f = arg;

	atomic_store(&f->tid, (int)util_gettid());
	atomic_store(&f->ret, uwq_flush_workqueue(f->wq));
	atomic_store(&f->returned, 1);
	return NULL;
}

static bool asleep(int tid)
{
	char st = task_state((pid_t)tid);

	return st == 'S' || st == 'D';
}

/* Lines of what was captured from stderr so far that contain @needle. */
static int captured_lines(const char *needle)
{
	int fd = atomic_load(&util_capture_fd);
	char buf[16384];
	ssize_t n;

	CHECK(fd >= 0, "stderr is not being captured");
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return count_lines_containing(buf, needle);
}

static struct uwq_workqueue *alloc_wq(const char *name, unsigned flags, int max_active)
{
	struct uwq_workqueue *wq = uwq_alloc_workqueue(name, flags, max_active);

	CHECK(wq, "uwq_alloc_workqueue(%s): %s", name, strerror(errno));
	return wq;
}

/*
 * Let every pool the test uses run: queue a non-freezable sentinel on every
 * CPU's normal bound pool (twice: plain_bound and events) and on the
 * unbound pool, and flush them, three times over. A worklist is FIFO, so
 * an item left on it ahead of a sentinel would have been taken first. The
 * sentinels running is itself a check: non-freezable queues keep going.
 */
static void barrier(const char *when)
{
	for (int round = 0; round < 3; round++) {
		int before_b[MAXCPU], before_s[MAXCPU], before_u = atomic_load(&sent_u.runs);

		for (int i = 0; i < ncpus; i++) {
			before_b[i] = atomic_load(&sent_b[i].runs);
			before_s[i] = atomic_load(&sent_sys[i].runs);
			CHECK(uwq_queue_work_on(cpus[i], nb, &sent_b[i].w),
			      "%s: sentinel on plain_bound, CPU %d, was still pending", when, cpus[i]);
			CHECK(uwq_queue_work_on(cpus[i], uwq_system_wq, &sent_sys[i].w),
			      "%s: sentinel on events, CPU %d, was still pending", when, cpus[i]);
		}
		CHECK(uwq_queue_work(nu, &sent_u.w), "%s: sentinel on plain_unbound was still pending",
		      when);
		CHECK(uwq_flush_workqueue(nb) == 0, "%s: flush plain_bound failed", when);
		CHECK(uwq_flush_workqueue(uwq_system_wq) == 0, "%s: flush events failed", when);
		CHECK(uwq_flush_workqueue(nu) == 0, "%s: flush plain_unbound failed", when);
		for (int i = 0; i < ncpus; i++) {
			CHECK(atomic_load(&sent_b[i].runs) == before_b[i] + 1,
			      "%s: plain_bound sentinel on CPU %d ran %d times, expected %d", when,
			      cpus[i], atomic_load(&sent_b[i].runs), before_b[i] + 1);
			CHECK(atomic_load(&sent_sys[i].runs) == before_s[i] + 1,
			      "%s: events sentinel on CPU %d ran %d times, expected %d", when, cpus[i],
			      atomic_load(&sent_sys[i].runs), before_s[i] + 1);
		}
		CHECK(atomic_load(&sent_u.runs) == before_u + 1,
		      "%s: plain_unbound sentinel ran %d times, expected %d", when,
		      atomic_load(&sent_u.runs), before_u + 1);
	}
}

/* Nothing queued on a freezable queue has started (or been lost). */
static void check_frozen(const char *when)
{
	for (size_t i = 0; i < ARRAY_SIZE(frozen_probes); i++) {
		struct probe *p = frozen_probes[i];

		CHECK(atomic_load(&p->runs) == 0, "%s: %s ran %d time(s) while frozen", when, p->name,
		      atomic_load(&p->runs));
		CHECK(uwq_work_pending(&p->w), "%s: %s is no longer pending while frozen", when,
		      p->name);
	}
	for (size_t i = 0; i < ARRAY_SIZE(frozen_dprobes); i++) {
		struct dprobe *p = frozen_dprobes[i];

		CHECK(atomic_load(&p->runs) == 0, "%s: %s ran %d time(s) while frozen", when, p->name,
		      atomic_load(&p->runs));
		CHECK(uwq_work_pending(&p->dw.work), "%s: %s is no longer pending while frozen", when,
		      p->name);
	}
	CHECK(atomic_load(&ord_next) == 1,
	      "%s: the ordered freezable queue ran %d items while frozen (only ord[0] may have run)",
	      when, atomic_load(&ord_next));
	CHECK(atomic_load(&o2_next) == 1,
	      "%s: fz_ordered2 ran %d items while frozen (only o2[0] may have run)", when,
	      atomic_load(&o2_next));
}

static void check_ran_once(const char *when)
{
	for (size_t i = 0; i < ARRAY_SIZE(frozen_probes); i++)
		CHECK(atomic_load(&frozen_probes[i]->runs) == 1, "%s: %s ran %d time(s), expected 1",
		      when, frozen_probes[i]->name, atomic_load(&frozen_probes[i]->runs));
	for (size_t i = 0; i < ARRAY_SIZE(frozen_dprobes); i++)
		CHECK(atomic_load(&frozen_dprobes[i]->runs) == 1, "%s: %s ran %d time(s), expected 1",
		      when, frozen_dprobes[i]->name, atomic_load(&frozen_dprobes[i]->runs));
	CHECK(atomic_load(&ord_next) == NORD, "%s: the ordered queue ran %d items, expected %d",
	      when, atomic_load(&ord_next), NORD);
	for (int i = 0; i < NORD; i++) {
		CHECK(atomic_load(&ord[i].runs) == 1, "%s: ord[%d] ran %d time(s), expected 1", when,
		      i, atomic_load(&ord[i].runs));
		CHECK(atomic_load(&ord_seen[i]) == i,
		      "%s: run %d of the ordered queue was ord[%d], expected ord[%d] (queueing order)",
		      when, i, atomic_load(&ord_seen[i]), i);
	}
	CHECK(atomic_load(&o2_next) == NORD2, "%s: fz_ordered2 ran %d items, expected %d", when,
	      atomic_load(&o2_next), NORD2);
	for (int i = 0; i < NORD2; i++) {
		CHECK(atomic_load(&o2[i].runs) == 1, "%s: o2[%d] ran %d time(s), expected 1", when, i,
		      atomic_load(&o2[i].runs));
		CHECK(atomic_load(&o2_seen[i]) == i,
		      "%s: run %d of fz_ordered2 was o2[%d], expected o2[%d] (queueing order)", when,
		      i, atomic_load(&o2_seen[i]), i);
	}
	CHECK(atomic_load(&ord_overlap) == 0, "%s: the ordered queue ran two items at once %d times",
	      when, atomic_load(&ord_overlap));
}

static void init_barrier_items(void)
{
	for (int i = 0; i < ncpus; i++) {
		uwq_work_init(&sent_b[i].w, probe_fn);
		uwq_work_init(&sent_sys[i].w, probe_fn);
	}
	uwq_work_init(&sent_u.w, probe_fn);
}

static void part_a(void)
{
	struct flusher fl[3] = { { .wq = NULL } };
	pthread_t ft;
	char *text;
	int tid;

	fb = alloc_wq("fz_bound", UWQ_FREEZABLE, 0);
	fb1 = alloc_wq("fz_bound1", UWQ_FREEZABLE, 1);
	fu = alloc_wq("fz_unbound", UWQ_FREEZABLE | UWQ_UNBOUND, 0);
	fo = uwq_alloc_ordered_workqueue("fz_ordered", UWQ_FREEZABLE);
	CHECK(fo, "uwq_alloc_ordered_workqueue(fz_ordered): %s", strerror(errno));
	fo2 = uwq_alloc_ordered_workqueue("fz_ordered2", UWQ_FREEZABLE);
	CHECK(fo2, "uwq_alloc_ordered_workqueue(fz_ordered2): %s", strerror(errno));
	nb = alloc_wq("plain_bound", 0, 0);
	nu = alloc_wq("plain_unbound", UWQ_UNBOUND, 0);

	init_barrier_items();
	for (size_t i = 0; i < ARRAY_SIZE(frozen_probes); i++)
		uwq_work_init(&frozen_probes[i]->w, probe_fn);
	for (size_t i = 0; i < ARRAY_SIZE(frozen_dprobes); i++)
		uwq_delayed_work_init(&frozen_dprobes[i]->dw, dprobe_fn);
	uwq_work_init(&nf_b.w, probe_fn);
	uwq_work_init(&nf_u.w, probe_fn);
	uwq_delayed_work_init(&dsent.dw, dprobe_fn);
	uwq_work_init(&fhold.w, holder_fn);
	uwq_work_init(&f1hold.w, holder_fn);
	uwq_work_init(&fuhold.w, holder_fn);
	uwq_work_init(&plug0.w, holder_fn);
	for (int i = 0; i < ncpus; i++) {
		uplug[i].name = "uplug (plain_unbound)";
		uplug[i].gate = &gate_plug;
		uplug[i].hinted = false;
		uwq_work_init(&uplug[i].w, holder_fn);
	}
	for (int i = 0; i < NORD; i++) {
		ord[i].idx = i;
		uwq_work_init(&ord[i].w, i == 0 ? ord0_fn : ord_fn);
		atomic_store(&ord_seen[i], -1);
	}
	for (int i = 0; i < NORD2; i++) {
		o2[i].idx = i;
		uwq_work_init(&o2[i].w, i == 0 ? o2_0_fn : o2_fn);
		atomic_store(&o2_seen[i], -1);
	}
	uwq_work_init(&m1.w, holder_fn);
	uwq_work_init(&m2.w, holder_fn);
	uwq_work_init(&after_self.w, probe_fn);
	uwq_work_init(&self_freeze, self_freeze_fn);
	uwq_work_init(&late.w, probe_fn);

	/* Items of freezable queues that will be running at the freeze. */
	PHASE("part A: freezable items start and block");
	CHECK(uwq_queue_work_on(cpu0, fb, &fhold.w), "queueing fhold failed");
	CHECK(uwq_queue_work_on(cpu0, fb1, &f1hold.w), "queueing f1hold failed");
	CHECK(uwq_queue_work(fu, &fuhold.w), "queueing fuhold failed");
	CHECK(uwq_queue_work(fo, &ord[0].w), "queueing ord[0] failed");
	CHECK(uwq_queue_work(fo2, &o2[0].w), "queueing o2[0] failed");
	WAIT_UNTIL(atomic_load(&fhold.started) && atomic_load(&f1hold.started) &&
		   atomic_load(&fuhold.started) && atomic_load(&ord0.started) &&
		   atomic_load(&o2hold.started),
		   "started: fhold %d f1hold %d fuhold %d ord[0] %d o2[0] %d",
		   atomic_load(&fhold.started), atomic_load(&f1hold.started),
		   atomic_load(&fuhold.started), atomic_load(&ord0.started),
		   atomic_load(&o2hold.started));
	for (int i = 1; i < NORD2; i++)
		CHECK(uwq_queue_work(fo2, &o2[i].w), "queueing o2[%d] failed", i);
	/* Waiting behind max_active (inactive) at the freeze. */
	for (int i = 1; i < NORD_BEFORE; i++)
		CHECK(uwq_queue_work(fo, &ord[i].w), "queueing ord[%d] failed", i);
	CHECK(uwq_queue_work_on(cpu0, fb1, &pre_b1.w), "queueing pre_b1 failed");

	/*
	 * Plug the first CPU's bound pool and the unbound pool (one plug per
	 * CPU: its concurrency), so items queued now are activated onto the
	 * worklists but not started.
	 */
	PHASE("part A: plug the pools");
	CHECK(uwq_queue_work_on(cpu0, nb, &plug0.w), "queueing plug0 failed");
	WAIT_UNTIL(atomic_load(&plug0.started), "plug0 never started");
	for (int i = 0; i < ncpus; i++)
		CHECK(uwq_queue_work(nu, &uplug[i].w), "queueing uplug[%d] failed", i);
	for (int i = 0; i < ncpus; i++)
		WAIT_UNTIL(atomic_load(&uplug[i].started),
			   "uplug[%d] of %d never started (the unbound pool should run one per CPU)",
			   i, ncpus);
	CHECK(uwq_queue_work_on(cpu0, fb, &pre_b.w), "queueing pre_b failed");
	CHECK(uwq_queue_work_on(cpu0, uwq_system_freezable_wq, &pre_s.w), "queueing pre_s failed");
	CHECK(uwq_queue_work_on(cpu0, nb, &nf_b.w), "queueing nf_b failed");
	CHECK(uwq_queue_work(fu, &pre_u.w), "queueing pre_u failed");
	CHECK(uwq_queue_work(nu, &nf_u.w), "queueing nf_u failed");
	/*
	 * o2[0] returns; its retirement activates o2[1] onto the plugged
	 * unbound worklist. Not running any more means it has retired: the
	 * worker leaves the busy table and retires under one hold of the pool
	 * lock, which uwq_freeze() takes too.
	 */
	atomic_store(&gate_o2, 1);
	WAIT_UNTIL(atomic_load(&o2hold.done) == 1 &&
		   !(uwq_work_busy(&o2[0].w) & UWQ_WORK_BUSY_RUNNING),
		   "o2[0] did not return (done %d, busy %#x)", atomic_load(&o2hold.done),
		   uwq_work_busy(&o2[0].w));
	CHECK(atomic_load(&pre_b.runs) == 0 && atomic_load(&pre_s.runs) == 0 &&
	      atomic_load(&pre_u.runs) == 0 && atomic_load(&nf_b.runs) == 0 &&
	      atomic_load(&nf_u.runs) == 0 && atomic_load(&o2_next) == 1,
	      "test setup: an item behind a plug started (pre_b %d pre_s %d pre_u %d nf_b %d nf_u %d o2 %d)",
	      atomic_load(&pre_b.runs), atomic_load(&pre_s.runs), atomic_load(&pre_u.runs),
	      atomic_load(&nf_b.runs), atomic_load(&nf_u.runs), atomic_load(&o2_next) - 1);

	/* 1. uwq_freeze() waits for the running items. */
	PHASE("part A: uwq_freeze() waits for running items");
	ft = start_thread(freezer_main, NULL);
	WAIT_UNTIL(atomic_load(&freezer_tid) != 0, "the freezer thread never started");
	tid = atomic_load(&freezer_tid);
	WAIT_UNTIL(asleep(tid) || atomic_load(&freeze_returned),
		   "the freezer thread is neither asleep nor returned (state '%c')",
		   task_state((pid_t)tid));
	CHECK(!atomic_load(&freeze_returned),
	      "uwq_freeze() returned while fhold, f1hold, fuhold and ord[0] still ran (done %d %d %d %d)",
	      atomic_load(&fhold.done), atomic_load(&f1hold.done), atomic_load(&fuhold.done),
	      atomic_load(&ord0.done));
	atomic_store(&gate_f, 1);
	WAIT_UNTIL(atomic_load(&freeze_returned),
		   "uwq_freeze() still waiting after the running items returned (done %d %d %d %d)",
		   atomic_load(&fhold.done), atomic_load(&f1hold.done), atomic_load(&fuhold.done),
		   atomic_load(&ord0.done));
	join_thread(ft);
	CHECK(atomic_load(&fhold.done) == 1 && atomic_load(&f1hold.done) == 1 &&
	      atomic_load(&fuhold.done) == 1 && atomic_load(&ord0.done) == 1,
	      "uwq_freeze() returned before the running items did (done: fhold %d f1hold %d fuhold %d ord[0] %d)",
	      atomic_load(&fhold.done), atomic_load(&f1hold.done), atomic_load(&fuhold.done),
	      atomic_load(&ord0.done));

	/* 2. Queueing while frozen works, dedupe included; nothing starts. */
	PHASE("part A: queueing while frozen");
	CHECK(uwq_queue_work_on(cpu0, fb, &dur_b0.w), "queueing dur_b0 while frozen failed");
	CHECK(!uwq_queue_work_on(cpu0, fb, &dur_b0.w), "dur_b0 queued twice while frozen");
	CHECK(!uwq_queue_work_on(cpu_last, fb, &pre_b.w), "pre_b (held by the freeze) queued again");
	CHECK(uwq_queue_work_on(cpu_last, fb, &dur_bl.w), "queueing dur_bl while frozen failed");
	CHECK(uwq_queue_work_on(cpu_last, fb1, &dur_b1.w), "queueing dur_b1 while frozen failed");
	CHECK(!uwq_queue_work_on(cpu0, fb1, &pre_b1.w), "pre_b1 (inactive) queued again");
	CHECK(uwq_queue_work(fu, &dur_u.w), "queueing dur_u while frozen failed");
	CHECK(!uwq_queue_work(fu, &pre_u.w), "pre_u (held by the freeze) queued again");
	CHECK(uwq_queue_work_on(cpu_last, uwq_system_freezable_wq, &dur_s.w),
	      "queueing dur_s while frozen failed");
	CHECK(!uwq_queue_work_on(cpu_last, uwq_system_freezable_wq, &dur_s.w),
	      "dur_s queued twice while frozen");
	for (int i = NORD_BEFORE; i < NORD; i++)
		CHECK(uwq_queue_work(fo, &ord[i].w), "queueing ord[%d] while frozen failed", i);
	CHECK(!uwq_queue_work(fo, &ord[1].w), "ord[1] (queued before the freeze) queued again");
	CHECK(!uwq_queue_work(fo, &ord[NORD - 1].w), "ord[%d] queued twice while frozen", NORD - 1);
	CHECK(uwq_queue_delayed_work(fb, &dl_b.dw, NSEC_PER_MSEC), "arming dl_b failed");
	CHECK(uwq_queue_delayed_work(fu, &dl_u.dw, NSEC_PER_MSEC), "arming dl_u failed");
	CHECK(uwq_queue_delayed_work(uwq_system_freezable_wq, &dl_s.dw, NSEC_PER_MSEC),
	      "arming dl_s failed");
	CHECK(!uwq_queue_delayed_work(fb, &dl_b.dw, NSEC_PER_MSEC), "dl_b armed twice");

	/* 6. A queue made while frozen is frozen; set_max_active does not thaw. */
	fnew = alloc_wq("fz_new", UWQ_FREEZABLE, 1);
	CHECK(uwq_queue_work_on(cpu0, fnew, &new_a.w), "queueing new_a failed");
	CHECK(uwq_workqueue_set_max_active(fnew, 4) == 0, "set_max_active(fz_new, 4) failed");
	CHECK(uwq_workqueue_set_max_active(fb1, 2) == 0, "set_max_active(fz_bound1, 2) failed");
	CHECK(uwq_queue_work_on(cpu_last, fnew, &new_b.w), "queueing new_b failed");

	/* 8. A second freeze does nothing: no count, one thaw below is enough. */
	uwq_freeze();

	/* 3. Non-freezable items on the same worklists run while frozen. */
	PHASE("part A: non-freezable queues run while frozen");
	atomic_store(&gate_plug, 1);
	WAIT_UNTIL(atomic_load(&plug0.done) == 1, "plug0 never returned");
	for (int i = 0; i < ncpus; i++)
		WAIT_UNTIL(atomic_load(&uplug[i].done) == 1, "uplug[%d] never returned", i);
	WAIT_UNTIL(atomic_load(&nf_b.runs) == 1 && atomic_load(&nf_u.runs) == 1,
		   "non-freezable items behind the plugs did not run while frozen: nf_b %d nf_u %d",
		   atomic_load(&nf_b.runs), atomic_load(&nf_u.runs));
	/* Expires after the freezable delayed items: the timer fired them first. */
	CHECK(uwq_queue_delayed_work(nu, &dsent.dw, 20 * NSEC_PER_MSEC), "arming dsent failed");
	WAIT_UNTIL(atomic_load(&dsent.runs) == 1, "the delayed sentinel on plain_unbound never ran");
	barrier("frozen");
	check_frozen("frozen, after the barrier");

	/* 7. Flushing a frozen queue waits for uwq_thaw(), reported once per queue. */
	PHASE("part A: flushing a frozen queue waits for uwq_thaw()");
	capture_stderr_begin();
	fl[0].wq = fb;
	fl[1].wq = fb;
	fl[2].wq = fo;
	for (int i = 0; i < 3; i++) {
		fl[i].thread = start_thread(flusher_main, &fl[i]);
		WAIT_UNTIL(atomic_load(&fl[i].tid) != 0, "flusher %d never started", i);
	}
	WAIT_UNTIL(captured_lines("uwq_flush_workqueue(fz_bound)") >= 1 &&
		   captured_lines("uwq_flush_workqueue(fz_ordered)") >= 1,
		   "no report from flushing the frozen queues (fz_bound %d, fz_ordered %d lines)",
		   captured_lines("uwq_flush_workqueue(fz_bound)"),
		   captured_lines("uwq_flush_workqueue(fz_ordered)"));
	for (int i = 0; i < 3; i++)
		wait_task_blocked((pid_t)atomic_load(&fl[i].tid), 5 * NSEC_PER_SEC);
	barrier("frozen, flushes waiting");
	for (int i = 0; i < 3; i++)
		CHECK(!atomic_load(&fl[i].returned),
		      "uwq_flush_workqueue(%s) returned (%d) while the queue was frozen",
		      i == 2 ? "fz_ordered" : "fz_bound", atomic_load(&fl[i].ret));
	check_frozen("frozen, flushes waiting");

	/* 4. Thaw: everything runs once, the ordered queue in order. */
	PHASE("part A: uwq_thaw()");
	uwq_thaw();
	for (int i = 0; i < 3; i++) {
		WAIT_UNTIL(atomic_load(&fl[i].returned), "flusher %d still waiting after uwq_thaw()", i);
		join_thread(fl[i].thread);
		CHECK(atomic_load(&fl[i].ret) == 0, "flusher %d: uwq_flush_workqueue returned %d", i,
		      atomic_load(&fl[i].ret));
	}
	text = capture_stderr_end();
	CHECK(count_lines_containing(text, "uwq_flush_workqueue(fz_bound)") == 1,
	      "%d report lines for the two flushes of frozen fz_bound, expected 1",
	      count_lines_containing(text, "uwq_flush_workqueue(fz_bound)"));
	CHECK(count_lines_containing(text, "uwq_flush_workqueue(fz_ordered)") == 1,
	      "%d report lines for the flush of frozen fz_ordered, expected 1",
	      count_lines_containing(text, "uwq_flush_workqueue(fz_ordered)"));
	CHECK(count_lines_containing(text, "uwq_thaw()") == 2,
	      "%d of the 2 frozen-flush reports mention uwq_thaw()",
	      count_lines_containing(text, "uwq_thaw()"));
	free(text);
	CHECK(uwq_flush_workqueue(fb) == 0, "flush fz_bound failed");
	CHECK(uwq_flush_workqueue(fb1) == 0, "flush fz_bound1 failed");
	CHECK(uwq_flush_workqueue(fu) == 0, "flush fz_unbound failed");
	CHECK(uwq_flush_workqueue(fo) == 0, "flush fz_ordered failed");
	CHECK(uwq_flush_workqueue(fo2) == 0, "flush fz_ordered2 failed");
	CHECK(uwq_flush_workqueue(fnew) == 0, "flush fz_new failed");
	CHECK(uwq_flush_workqueue(uwq_system_freezable_wq) == 0, "flush events_freezable failed");
	check_ran_once("after uwq_thaw()");

	/* 6. The max_active set while frozen is the one thawed to. */
	PHASE("part A: max_active set while frozen applies after uwq_thaw()");
	CHECK(uwq_queue_work_on(cpu0, fb1, &m1.w), "queueing m1 failed");
	CHECK(uwq_queue_work_on(cpu0, fb1, &m2.w), "queueing m2 failed");
	WAIT_UNTIL(atomic_load(&m1.started) && atomic_load(&m2.started),
		   "fz_bound1 (max_active set to 2 while frozen) runs m1 %d m2 %d",
		   atomic_load(&m1.started), atomic_load(&m2.started));
	atomic_store(&gate_m, 1);
	CHECK(uwq_flush_workqueue(fb1) == 0, "flush fz_bound1 failed");

	/* 8. Thaw when not frozen does nothing. */
	PHASE("part A: uwq_thaw() when not frozen");
	uwq_thaw();
	CHECK(uwq_queue_work_on(cpu0, fb, &late.w), "queueing late failed");
	CHECK(uwq_flush_workqueue(fb) == 0, "flush fz_bound failed");
	CHECK(atomic_load(&late.runs) == 1, "late ran %d times after a second thaw",
	      atomic_load(&late.runs));

	/* 8. uwq_freeze() from a freezable queue's own item does not wait for itself. */
	PHASE("part A: uwq_freeze() from a work function of a freezable queue");
	CHECK(uwq_queue_work_on(cpu0, fb, &self_freeze), "queueing self_freeze failed");
	WAIT_UNTIL(atomic_load(&self_freeze_done),
		   "uwq_freeze() called by an item of fz_bound has not returned (%d)",
		   atomic_load(&self_freeze_returned));
	CHECK(atomic_load(&self_freeze_queued) == 1, "queueing after_self from the item failed");
	barrier("frozen from a work function");
	CHECK(atomic_load(&after_self.runs) == 0, "after_self ran while frozen (by a work function)");
	uwq_thaw();
	CHECK(uwq_flush_workqueue(fu) == 0, "flush fz_unbound failed");
	CHECK(atomic_load(&after_self.runs) == 1, "after_self ran %d times after uwq_thaw()",
	      atomic_load(&after_self.runs));

	PHASE("part A: destroy");
	uwq_destroy_workqueue(fb);
	uwq_destroy_workqueue(fb1);
	uwq_destroy_workqueue(fu);
	uwq_destroy_workqueue(fo);
	uwq_destroy_workqueue(fo2);
	uwq_destroy_workqueue(fnew);
	uwq_destroy_workqueue(nb);
	uwq_destroy_workqueue(nu);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed after part A");
}

/* 5. The timeout: uwq_freeze() gives up on an item that does not return. */
static void part_b(void)
{
	struct uwq_workqueue *fz;
	struct uwq_config cfg;
	char *text;
	int err;

	PHASE("part B: configure freeze_timeout_ns 50 ms");
	uwq_config_defaults(&cfg);
	cfg.freeze_timeout_ns = 50 * NSEC_PER_MSEC;
	CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure after uwq_shutdown: %d", err);
	fz = alloc_wq("fz_timeout", UWQ_FREEZABLE, 0);
	nb = alloc_wq("plain_bound", 0, 0);
	nu = alloc_wq("plain_unbound", UWQ_UNBOUND, 0);
	init_barrier_items();
	uwq_work_init(&stuck.w, freezer_stuck_fn);
	uwq_work_init(&late_b.w, probe_fn);

	CHECK(uwq_queue_work_on(cpu0, fz, &stuck.w), "queueing stuck failed");
	WAIT_UNTIL(atomic_load(&stuck.started), "stuck never started");

	PHASE("part B: uwq_freeze() times out");
	capture_stderr_begin();
	uwq_freeze();
	uwq_freeze();	/* frozen already: no wait, no second report */
	text = capture_stderr_end();
	CHECK(atomic_load(&stuck.done) == 0, "stuck returned with its gate closed");
	CHECK(count_lines_containing(text, "still running") == 1,
	      "%d \"still running\" report lines for two uwq_freeze() calls, expected 1",
	      count_lines_containing(text, "still running"));
	CHECK(count_lines_containing(text, "freezer_stuck_fn") == 1,
	      "the timeout report names freezer_stuck_fn on %d lines, expected 1",
	      count_lines_containing(text, "freezer_stuck_fn"));
	CHECK(strstr(text, "fz_timeout") != NULL, "the timeout report does not name fz_timeout");
	free(text);

	PHASE("part B: still frozen after the timeout");
	CHECK(uwq_queue_work_on(cpu0, fz, &late_b.w), "queueing late_b failed");
	barrier("frozen after the timeout");
	CHECK(atomic_load(&late_b.runs) == 0, "late_b started while frozen (after the timeout)");
	atomic_store(&gate_b, 1);
	WAIT_UNTIL(atomic_load(&stuck.done) == 1, "stuck never returned");
	barrier("frozen after the timed-out item returned");
	CHECK(atomic_load(&late_b.runs) == 0,
	      "late_b started while frozen, when the timed-out item returned");
	CHECK(uwq_work_pending(&late_b.w), "late_b is no longer pending while frozen");

	PHASE("part B: thaw");
	uwq_thaw();
	CHECK(uwq_flush_workqueue(fz) == 0, "flush fz_timeout failed");
	CHECK(atomic_load(&late_b.runs) == 1, "late_b ran %d times after uwq_thaw()",
	      atomic_load(&late_b.runs));
	CHECK(atomic_load(&stuck.done) == 1, "stuck ran %d times", atomic_load(&stuck.done));

	PHASE("part B: destroy");
	uwq_destroy_workqueue(fz);
	uwq_destroy_workqueue(nb);
	uwq_destroy_workqueue(nu);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed after part B");
}

/* An item requeued while it runs waits on its worker's scheduled list. */
static struct uwq_work requeued;
static atomic_int requeued_runs, requeued_started, gate_rq;
static struct probe rq_sent = { .name = "rq_sent (plain_bound, behind the requeued item)" };
static struct probe rq_probe = { .name = "rq_probe (fz_requeue, shows the freeze)" };

static void requeued_fn(struct uwq_work *w)
{
	(void)w;
	if (atomic_fetch_add(&requeued_runs, 1) == 0) {
		uwq_blocking_begin();
		atomic_store(&requeued_started, 1);
		GATE_WAIT(atomic_load(&gate_rq), "requeued item: gate never opened");
		uwq_blocking_end();
	}
}

/*
 * Is the freeze in effect on @fz? Only then is an item queued on it held
 * inactive (its max_active is UWQ_DFL_ACTIVE otherwise): keep a probe
 * queued until the queue's stats show one. (A freezer thread seen asleep
 * may only be waiting for a lock on its way to freezing.)
 */
static bool freeze_seen(struct uwq_workqueue *fz)
{
	struct uwq_wq_stats st;

	CHECK(uwq_workqueue_stats(fz, &st) == 0, "uwq_workqueue_stats(fz_requeue) failed");
	if (st.inactive > 0)
		return true;
	if (!uwq_work_busy(&rq_probe.w))
		CHECK(uwq_queue_work_on(cpu0, fz, &rq_probe.w), "queueing the idle probe failed");
	return false;
}

static void part_c(void)
{
	struct uwq_workqueue *fz;
	struct uwq_config cfg;
	pthread_t ft;
	int err, tid;

	PHASE("part C: an item requeued while it runs");
	uwq_config_defaults(&cfg);
	cfg.freeze_timeout_ns = 60 * NSEC_PER_SEC;
	CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure after uwq_shutdown: %d", err);
	fz = alloc_wq("fz_requeue", UWQ_FREEZABLE, 0);
	nb = alloc_wq("plain_bound", 0, 0);
	nu = alloc_wq("plain_unbound", UWQ_UNBOUND, 0);
	init_barrier_items();
	uwq_work_init(&requeued, requeued_fn);
	uwq_work_init(&rq_sent.w, probe_fn);
	uwq_work_init(&rq_probe.w, probe_fn);

	CHECK(uwq_queue_work_on(cpu0, fz, &requeued), "queueing the item failed");
	WAIT_UNTIL(atomic_load(&requeued_started), "the item never started");
	CHECK(uwq_queue_work_on(cpu0, fz, &requeued), "requeueing the running item returned false");
	/* FIFO: once the sentinel queued behind it has run, a worker has taken
	 * the requeued item off the worklist and handed it to the worker
	 * running its first run (the scheduled list). */
	CHECK(uwq_queue_work_on(cpu0, nb, &rq_sent.w), "queueing rq_sent failed");
	CHECK(uwq_flush_workqueue(nb) == 0, "flush plain_bound failed");
	CHECK(atomic_load(&rq_sent.runs) == 1, "rq_sent ran %d times", atomic_load(&rq_sent.runs));
	CHECK(atomic_load(&requeued_runs) == 1 && uwq_work_pending(&requeued),
	      "test setup: the requeued item ran %d times, pending %d", atomic_load(&requeued_runs),
	      uwq_work_pending(&requeued));

	PHASE("part C: uwq_freeze() while the first run holds");
	atomic_store(&freezer_tid, 0);
	atomic_store(&freeze_returned, 0);
	ft = start_thread(freezer_main, NULL);
	WAIT_UNTIL(atomic_load(&freezer_tid) != 0, "the freezer thread never started");
	tid = atomic_load(&freezer_tid);
	WAIT_UNTIL(freeze_seen(fz) || atomic_load(&freeze_returned),
		   "fz_requeue not frozen and uwq_freeze() not returned (freezer state '%c')",
		   task_state((pid_t)tid));
	CHECK(!atomic_load(&freeze_returned), "uwq_freeze() returned while the item's first run still ran");
	atomic_store(&gate_rq, 1);
	WAIT_UNTIL(atomic_load(&freeze_returned),
		   "uwq_freeze() still waiting after the first run returned (runs %d)",
		   atomic_load(&requeued_runs));
	join_thread(ft);
	barrier("frozen, the requeued item on a scheduled list");
	CHECK(atomic_load(&requeued_runs) == 1,
	      "the item requeued while it ran started while frozen (%d runs before uwq_thaw())",
	      atomic_load(&requeued_runs));
	CHECK(uwq_work_pending(&requeued), "the requeued item is no longer pending while frozen");

	PHASE("part C: thaw");
	uwq_thaw();
	CHECK(uwq_flush_workqueue(fz) == 0, "flush fz_requeue failed");
	CHECK(atomic_load(&requeued_runs) == 2, "the requeued item ran %d times in all, expected 2",
	      atomic_load(&requeued_runs));
	CHECK(atomic_load(&rq_sent.runs) == 1, "rq_sent ran %d times", atomic_load(&rq_sent.runs));
	CHECK(atomic_load(&rq_probe.runs) >= 1 && !uwq_work_pending(&rq_probe.w),
	      "the probe held by the freeze ran %d times after uwq_thaw(), pending %d",
	      atomic_load(&rq_probe.runs), uwq_work_pending(&rq_probe.w));

	PHASE("part C: destroy");
	uwq_destroy_workqueue(fz);
	uwq_destroy_workqueue(nb);
	uwq_destroy_workqueue(nu);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed after part C");
}

int main(void)
{
	struct uwq_config cfg;
	int err;

	ncpus = affinity_cpus(cpus, MAXCPU);
	cpu0 = cpus[0];
	cpu_last = cpus[ncpus - 1];

	/*
	 * Part A: uwq_freeze() waits longer than any wait of this test, so it
	 * can only return early by not waiting; blocking and hog detection
	 * off, so an unhinted plug holds its pool (see the top comment).
	 */
	uwq_config_defaults(&cfg);
	cfg.freeze_timeout_ns = 60 * NSEC_PER_SEC;
	cfg.monitor_tick_ns = 0;
	cfg.cpu_intensive_ns = 0;
	CHECK((err = uwq_configure(&cfg)) == 0, "uwq_configure: %d", err);
	part_a();
	part_b();
	part_c();
	return TEST_PASS;
}
