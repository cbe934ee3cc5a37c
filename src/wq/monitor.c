/* SPDX-License-Identifier: MIT */
/*
 * monitor.c - the "uwq-monitor" thread: what the kernel's scheduler hooks
 * and timers do for cmwq, done from one userspace thread.
 *
 *  - unhinted blocking (wq_worker_sleeping/running): a running worker that
 *    blocks in read(), sleep or a mutex leaves nr_running, so queued work
 *    behind it runs;
 *  - CPU hogs (wq_worker_tick): an item on CPU past the threshold leaves
 *    concurrency management;
 *  - worker creation retry with cooldown and the mayday timer
 *    (maybe_create_worker, pool_mayday_timeout);
 *  - idle culling (idle_worker_timeout) and the watchdog (watchdog.c).
 *
 * DESIGN
 * Detecting a blocked thread from outside. Measured on the target (2 vCPU
 * VM; bench/probe_cost): reading another thread's CPU clock
 * (pthread_getcpuclockid + clock_gettime) costs 1.4-2.2 µs and stops
 * exactly for a blocked thread, but also for a runnable one preempted by
 * another (no progress in 23-32 % of 1 ms windows with two spinners on one
 * CPU); pread() of /proc/self/task/<tid>/stat on a kept-open fd costs
 * 2.3-3.0 µs and says 'S'/'D' (blocked) or 'R' (running or runnable). schedstat and stat's utime step every 4-10 ms: useless as a
 * progress signal at a 1 ms tick. So, on each tick, for every running
 * worker of a backlogged pool: read its CPU clock; a worker whose clock
 * advanced less than the wall time since the previous sample (minus 20 µs
 * of read skew) stopped running at some point — no progress over a whole
 * tick is the extreme case — and is a suspect; only a suspect's stat is
 * read, and only 'S' or 'D' counts as blocked. Preemption ('R') never does,
 * so CPU-bound items never spawn workers. Comparing progress with elapsed
 * time, rather than waiting for a tick with no progress at all, catches a
 * block at the first sample after it instead of the second.
 *
 * Tick rate. 1 ms by default; for 8 ms after a block is detected in a pool,
 * that pool is sampled every 125 µs (only its running workers; the rest of
 * the pass stays at 1 ms). Measured with the blocking mix (bench/
 * blocking_mix: 200 unhinted 10 ms sleeps + 200 1 ms burns on 2 CPUs), the
 * time from a sleeper's start to the next item's start went p50 334 µs
 * (1 ms tick, no-progress rule) -> 171-201 µs (progress rule, 125 µs fast
 * ticks) -> 130-220 µs (standby created by the monitor), and wall/ideal
 * from 2.9 to 1.32-1.46 (1.65-1.71 in later runs, 1.40-1.51 once unbound
 * pools placed their workers: pool.c). The price: in such bursts the monitor uses ~18 %
 * of one CPU (each wake-up costs 10-20 µs in this VM); a CPU-bound
 * backlog keeps the 1 ms tick (1.2 % of one CPU), an idle process 0 %.
 * The monitor runs SCHED_FIFO 1 where permitted (else nice -20 or -5):
 * its ticks must land when every CPU is busy, which is when they matter. The stat fd is opened the first time a worker is a
 * suspect and kept until it exits: fds only for workers that ever block.
 * A blocked worker counts as running again when its CPU clock moves (it
 * ran) or when its item ends. Blocked workers are polled round-robin, at
 * most BLOCKED_POLL per pool per tick, so a pool with 80 sleepers costs
 * ~11 µs per tick rather than 110.
 * Rejected: a PERF_RECORD_SWITCH ring per worker (exact, but needs
 * perf_event_paranoid <= 1 or root; left as an optional later mode), and
 * polling /proc for every worker every tick (2.3 µs each, 10x the clock).
 *
 * Cost. The tick (clock_nanosleep) runs only while armed: a queueing that
 * woke nobody and left work waiting, or a worker starting an item with
 * work left behind it, arms it (one futex wake on the 0->1 transition;
 * otherwise one load). It disarms when no pool has queued work or
 * auto-blocked workers. An idle process pays nothing;
 * a backlogged pool with n running workers pays n clock reads per tick.
 * Reaping needs no tick: when disarmed the monitor sleeps until the next
 * idle expiry, and worker_enter_idle() pokes it when a pool first has too
 * many idle workers.
 *
 * CONCURRENCY
 * Fields marked M in internal/wq.h belong to this thread. Worker state is
 * sampled under the pool lock, clocks are read without it, and decisions
 * are applied under the lock again only if the worker is still on the same
 * item (worker->seq unchanged), so a stale sample never marks the wrong
 * item. Workers are freed only by this thread (reaping) or after it has
 * stopped (shutdown), so sampled worker pointers stay valid.
 * mon.armed and mon.events are atomics; mon.lock guards start/stop.
 *
 * INVARIANTS
 *  1. armed == 0 only after a full pass found nothing to watch, followed by
 *     a second pass after clearing it (see monitor_thread()).
 *  2. WORKER_AUTO_BLOCKED is set only here, cleared here or at item end.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "internal/fault.h"
#include "internal/futex.h"
#include "internal/log.h"
#include "internal/trace.h"
#include "internal/wq.h"

#define MAX_SAMPLES	64	/* workers sampled per pool per tick */
#define BLOCKED_POLL	8	/* auto-blocked workers polled per pool per tick */
#define FAST_TICK_DIV	8	/* tick this much faster for 8 ticks after a block */
#define SUSPECT_SLACK_NS 20000	/* clock-read skew tolerated before suspecting */

static struct {
	pthread_mutex_t		lock;
	pthread_t		thread;		/* lock */
	bool			running;	/* lock */
	int			armed;		/* A: tick mode */
	int			events;		/* A: futex word, bumped by arm and poke */
	int			poked;		/* A */
	int			stop;		/* A */
	uint64_t		tick;		/* M */
	uint64_t		fast_until;	/* M: tick fast until then (blocks seen) */
	unsigned		sub;		/* M: fast ticks counted */
	bool			base_tick;	/* M: this tick is on the base period */
	bool			no_proc_warned;	/* M */
} mon = { .lock = PTHREAD_MUTEX_INITIALIZER };

enum verdict { V_NONE, V_BLOCKED, V_WOKE, V_HOG };

struct sample {
	struct uwq__worker	*worker;
	unsigned		seq;
	unsigned		flags;
	uwq_work_fn		func;
	enum verdict		verdict;
	int			cpu;		/* where a blocked one last ran */
};

static void bump_events(void)
{
	atomic_add_fetch(&mon.events, 1);
	futex_wake(&mon.events, 1);
}

void uwq__monitor_arm(void)
{
	/* Relaxed first: the common case is "already armed", one load. The
	 * exchange is seq-cst; see invariant 1 for the race with disarming. */
	if (READ_ONCE(mon.armed) || atomic_xchg(&mon.armed, 1))
		return;
	bump_events();
}

void uwq__monitor_poke(void)
{
	if (!atomic_xchg(&mon.poked, 1))
		bump_events();
}

uint64_t uwq__monitor_cpu_ns(struct uwq__worker *worker)
{
	struct timespec ts;

	if (clock_gettime(worker->cpuclock, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * 'S', 'D', 'R', ... from /proc/self/task/<tid>/stat; 0 if unknown. *cpu
 * gets field 39, the CPU it last ran on.
 */
static char thread_state(struct uwq__worker *worker, int *cpu)
{
	char buf[512], *p;
	ssize_t n;

	if (worker->m_stat_fd < 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)READ_ONCE(worker->tid));
		worker->m_stat_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (worker->m_stat_fd < 0) {
			if (!mon.no_proc_warned)
				uwq__log("cannot read %s: %s; workers that block without a hint go unnoticed: mount /proc, or mark blocking calls with uwq_blocking_begin()/uwq_blocking_end()",
					 path, strerror(errno));
			mon.no_proc_warned = true;
			return 0;
		}
	}
	n = pread(worker->m_stat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* comm may hold spaces and parentheses */
	if (!p || p[1] != ' ')
		return 0;
	*cpu = -1;
	{
		char *q = p + 2;
		int field = 3;

		while (*q && field < 39) {
			if (*q++ == ' ')
				field++;
		}
		if (field == 39)
			*cpu = atoi(q);
	}
	return p[2];
}

static void judge(struct sample *s)
{
	struct uwq__worker *wk = s->worker;
	uint64_t c = uwq__monitor_cpu_ns(wk);
	uint64_t wall = uwq__now_ns();
	uint64_t thresh = uwq__g.cfg.cpu_intensive_ns;

	bool fresh = wk->m_seq != s->seq;

	if (fresh) {
		wk->m_seq = s->seq;	/* a new item, or woke from a hinted block */
		wk->m_cpu_base = c;
	}
	if (s->flags & WORKER_AUTO_BLOCKED) {
		if (c != wk->m_last_cpu) {
			s->verdict = V_WOKE;
			wk->m_cpu_base = c;	/* CPU-intensive time counts from the wake */
		}
	} else if (!fresh && thresh && c - wk->m_cpu_base >= thresh) {
		s->verdict = V_HOG;
	} else if (uwq__g.cfg.monitor_tick_ns && wk->m_last_tick + 1 == mon.tick &&
		   c - wk->m_last_cpu + SUSPECT_SLACK_NS < wall - wk->m_last_wall) {
		/* It stopped running at some point since the last sample:
		 * blocked, or preempted. Only the state tells which. */
		char st = thread_state(wk, &s->cpu);

		if (st == 'S' || st == 'D')
			s->verdict = V_BLOCKED;
	}
	wk->m_last_cpu = c;
	wk->m_last_wall = wall;
	wk->m_last_tick = mon.tick;
}

/* Under pool->lock: pick the workers to judge this tick. */
static int collect(struct uwq__pool *pool, struct sample *out, bool *has_blocked)
{
	struct uwq__list *pos;
	int n = 0, blocked_seen = 0, nblocked = 0;

	list_for_each(pos, &pool->workers) {
		struct uwq__worker *wk = container_of(pos, struct uwq__worker, all_node);

		if (!wk->current_work || n == MAX_SAMPLES)
			continue;
		if (wk->flags & WORKER_AUTO_BLOCKED) {
			*has_blocked = true;
			/* Round-robin over the blocked ones, at the base rate
			 * only: fast ticks are for catching new blocks. */
			if (!mon.base_tick || blocked_seen++ < (int)pool->m_rr || nblocked == BLOCKED_POLL)
				continue;
			nblocked++;
		} else if (wk->flags & WORKER_NOT_RUNNING) {
			continue;
		}
		out[n++] = (struct sample){ wk, wk->seq, wk->flags, wk->current_func, V_NONE, -1 };
	}
	if (mon.base_tick)
		pool->m_rr = nblocked == BLOCKED_POLL ? pool->m_rr + BLOCKED_POLL : 0;
	return n;
}

/* Under pool->lock: act on verdicts still valid for the same item. */
static void apply(struct uwq__pool *pool, struct sample *s, int n, struct uwq__hog *hogs, int *nhogs,
		  bool *standby)
{
	for (int i = 0; i < n; i++) {
		struct uwq__worker *wk = s[i].worker;

		if (s[i].verdict == V_NONE || !wk->current_work || wk->seq != s[i].seq)
			continue;
		switch (s[i].verdict) {
		case V_BLOCKED:
			if (wk->flags & WORKER_NOT_RUNNING)
				break;
			uwq__worker_set_flags(wk, WORKER_AUTO_BLOCKED);
			UWQ_TRACE3(worker_sleeping, pool->id, uwq__worker_tid(wk), 1);
			*standby |= uwq__pool_claim_standby(pool);
			if (uwq__kick_pool_cpu(pool, s[i].cpu))
				wk->current_pwq->stat_cm_wakeups++;
			mon.fast_until = uwq__now_ns() + 8 * uwq__g.cfg.monitor_tick_ns;
			pool->m_hot_until = mon.fast_until;
			break;
		case V_WOKE:
			/* Where it woke is unknown here: counted again for
			 * placement at its next item (pool.c). */
			wk->seen_cpu = -1;
			uwq__worker_clr_flags(wk, WORKER_AUTO_BLOCKED);
			UWQ_TRACE3(worker_waking, pool->id, uwq__worker_tid(wk), 1);
			break;
		case V_HOG:
			if (wk->flags & WORKER_NOT_RUNNING)
				break;
			uwq__worker_set_flags(wk, WORKER_CPU_INTENSIVE);
			UWQ_TRACE2(worker_cpu_intensive, pool->id, uwq__worker_tid(wk));
			*standby |= uwq__pool_claim_standby(pool);
			wk->current_pwq->stat_cpu_intensive++;
			if (uwq__kick_pool(pool))
				wk->current_pwq->stat_cm_wakeups++;
			uwq__hog_note(&hogs[(*nhogs)++], wk);
			break;
		default:
			break;
		}
	}
}

/* Create a worker for a pool whose work waits with nobody to take it. */
static void retry_create(struct uwq__pool *pool)
{
	int err;

	if (load_acquire(&pool->started) == 0) {
		uwq__pool_start(pool);
		return;
	}
	pthread_mutex_lock(&pool->lock);
	if (pool->manager_active || !uwq__need_to_create_worker(pool) ||
	    pool->nr_workers >= pool->max_workers) {
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	pool->manager_active = true;
	pool->creating = true;
	pthread_mutex_unlock(&pool->lock);
	err = uwq__create_worker(pool);
	pthread_mutex_lock(&pool->lock);
	pool->manager_active = false;
	if (!err)
		uwq__kick_pool(pool);
	pthread_mutex_unlock(&pool->lock);
}

/*
 * One look at a pool. Returns true if it needs the tick: queued work, or
 * auto-blocked workers whose wake must be noticed.
 */
static bool pool_pass(struct uwq__pool *pool, bool ticking, bool fast, uint64_t now, uint64_t *next_reap)
{
	struct sample s[MAX_SAMPLES];
	struct uwq__hog hogs[MAX_SAMPLES];
	int n = 0, nhogs = 0;
	bool pending, busy, create = false, reaped = false;
	uint64_t cooldown = uwq__g.cfg.create_cooldown_ns;

	if (load_acquire(&pool->started) == 2)
		return true;
	/* Fast ticks only look for new blocks in pools that just had one. */
	if (fast && now >= pool->m_hot_until)
		return true;
	pthread_mutex_lock(&pool->lock);
	pending = !wlist_empty(&pool->worklist);
	busy = pending;
	if (fast)
		goto detect;
	if (pending && (load_acquire(&pool->started) == 0 || uwq__need_to_create_worker(pool))) {
		if (!pool->create_fail_at || now >= pool->create_fail_at + cooldown)
			create = true;
		if (!pool->mayday_at && pool->nr_workers >= pool->max_workers)
			pool->mayday_at = now + uwq__g.cfg.mayday_initial_ns;	/* at the cap */
		if (pool->mayday_at && now >= pool->mayday_at) {
			uwq__send_mayday(pool);
			pool->mayday_at = now + uwq__g.cfg.mayday_interval_ns;
		}
	} else if (!pool->create_fail_at) {
		pool->mayday_at = 0;	/* the need passed: next episode starts afresh */
	}
	if (pending)
		uwq__watchdog_check(pool, now);
	uwq__pool_reap(pool, now, next_reap);
	reaped = !list_empty(&pool->dead);
detect:
	if (ticking && (uwq__g.cfg.monitor_tick_ns || uwq__g.cfg.cpu_intensive_ns)) {
		bool has_blocked = false;

		n = collect(pool, s, &has_blocked);
		busy |= has_blocked;
		if (!pending) {
			/* Only blocked workers matter without a backlog. */
			int k = 0;

			for (int i = 0; i < n; i++)
				if (s[i].flags & WORKER_AUTO_BLOCKED)
					s[k++] = s[i];
			n = k;
		}
		if (!fast)
			uwq__need_sample(pool);	/* need.c: growth follows need */
	}
	pthread_mutex_unlock(&pool->lock);

	if (reaped)
		uwq__pool_join_dead(pool);
	if (n) {
		for (int i = 0; i < n; i++)
			judge(&s[i]);
		bool standby = false;

		pthread_mutex_lock(&pool->lock);
		apply(pool, s, n, hogs, &nhogs, &standby);
		if (uwq__need_to_create_worker(pool) && !pool->create_fail_at)
			create = true;
		pthread_mutex_unlock(&pool->lock);
		if (standby)
			uwq__pool_make_standby(pool);
		for (int i = 0; i < nhogs; i++)
			uwq__hog_report(&hogs[i]);
	}
	if (create)
		retry_create(pool);
	return busy;
}

static bool pass(bool ticking, bool fast, uint64_t *next_reap)
{
	uint64_t now = uwq__now_ns();
	bool busy = false;
	int i, n;

	if (!fast)
		*next_reap = UINT64_MAX;
	n = uwq__nr_pools();
	for (i = 0; i < n; i++)
		busy |= pool_pass(uwq__pool_at(i), ticking, fast, now, next_reap);
	if (!fast)
		uwq__timer_retry(now, next_reap);
	return busy || fast;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000u), (long)(t % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *monitor_thread(void *arg)
{
	uint64_t tick_ns = uwq__g.cfg.monitor_tick_ns ? uwq__g.cfg.monitor_tick_ns : 1000000;
	uint64_t next_tick = 0, next_reap = UINT64_MAX;

	(void)arg;
	pthread_setname_np(pthread_self(), "uwq-monitor");
	/*
	 * The monitor must run when its tick fires even with every CPU busy:
	 * that is exactly when a blocked worker starves its pool. Its work
	 * per tick is a few µs, so it may preempt workers: SCHED_FIFO 1
	 * where permitted, else the most favourable nice we may have.
	 */
	{
		struct sched_param sp = { .sched_priority = 1 };

		if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) != 0 &&
		    setpriority(PRIO_PROCESS, (id_t)gettid(), -20) != 0)
			(void)setpriority(PRIO_PROCESS, (id_t)gettid(), -5);
	}
	while (!atomic_load_sc(&mon.stop)) {
		int ev = atomic_load_sc(&mon.events);
		uint64_t now = uwq__now_ns();

		if (atomic_load_sc(&mon.armed)) {
			next_tick = next_tick > now ? next_tick : now;
			if (now < mon.fast_until) {
				next_tick += tick_ns / FAST_TICK_DIV;
				mon.base_tick = ++mon.sub % FAST_TICK_DIV == 0;
			} else {
				next_tick += tick_ns;
				mon.base_tick = true;
			}
			sleep_until(next_tick);
			mon.tick++;
			if (!pass(true, !mon.base_tick, &next_reap)) {
				__atomic_store_n(&mon.armed, 0, __ATOMIC_SEQ_CST);
				/* A queueing that saw armed == 1 just before the
				 * store is seen by this second pass (invariant 1). */
				if (pass(true, false, &next_reap))
					__atomic_store_n(&mon.armed, 1, __ATOMIC_SEQ_CST);
			}
			continue;
		}
		if (atomic_xchg(&mon.poked, 0) || now >= next_reap) {
			pass(false, false, &next_reap);
			continue;
		}
		if (next_reap == UINT64_MAX)
			futex_wait(&mon.events, ev);
		else
			futex_wait_ns(&mon.events, ev, next_reap - now);
	}
	return NULL;
}

/* Called when a pool starts its first worker: the monitor is needed from then on. */
void uwq__monitor_start(void)
{
	pthread_attr_t attr;
	sigset_t all;
	int err;

	pthread_mutex_lock(&mon.lock);
	if (mon.running) {
		pthread_mutex_unlock(&mon.lock);
		return;
	}
	__atomic_store_n(&mon.stop, 0, __ATOMIC_SEQ_CST);
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setsigmask_np(&attr, &all);
	err = uwq__thread_create(&mon.thread, &attr, monitor_thread, NULL);
	pthread_attr_destroy(&attr);
	if (err)
		uwq__log("cannot start the monitor thread: %s; until it starts, blocking without hints goes unnoticed and worker-creation retries and the watchdog are off: mark blocking calls with uwq_blocking_begin()/uwq_blocking_end()",
			 strerror(err));
	else
		mon.running = true;
	pthread_mutex_unlock(&mon.lock);
}

void uwq__monitor_shutdown(void)
{
	pthread_t t;
	bool running;

	pthread_mutex_lock(&mon.lock);
	running = mon.running;
	t = mon.thread;
	__atomic_store_n(&mon.stop, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&mon.lock);
	if (running) {
		/* Unlocked: the monitor may itself call uwq__monitor_start(). */
		bump_events();
		pthread_join(t, NULL);
	}
	pthread_mutex_lock(&mon.lock);
	mon.running = false;
	__atomic_store_n(&mon.armed, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&mon.poked, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&mon.lock);
}

/* fork.c: no monitor thread in the child until a pool needs one. */
void uwq__monitor_atfork_child(void)
{
	memset(&mon, 0, sizeof(mon));
	pthread_mutex_init(&mon.lock, NULL);
}
