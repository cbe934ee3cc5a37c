/* SPDX-License-Identifier: MIT */
/*
 * wq.h - workqueue internals shared by the files of src/wq.
 *
 * Objects (kernel names in brackets):
 *   pool   [worker_pool]     a FIFO worklist and the workers serving it; one
 *                            per allowed CPU, one high-priority per CPU, and
 *                            unbound pools.
 *   pwq    [pool_workqueue]  link between one workqueue and one pool; holds
 *                            max_active, the inactive list and flush colours.
 *   worker [worker]          one thread attached to one pool.
 *   wq     [workqueue_struct] what users hold; owns no threads.
 *
 * Lock order: timer lock -> wq->flush_lock -> pool->lock -> busy bucket
 * lock (the timer fires under its lock). Two pool locks are never held
 * together.
 *
 * Field legend: I: set before publication, read-only after; L: pool->lock;
 * A: atomic (see the comment at the field); W: the owning worker only;
 * F: wq->flush_lock; B: busy bucket lock.
 */
#ifndef UWQ_INTERNAL_WQ_H
#define UWQ_INTERNAL_WQ_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uwq/stats.h>
#include <uwq/workqueue.h>

#include "internal/atomic.h"
#include "internal/list.h"

/*
 * The work item's state word (struct uwq_work.data).
 * PENDING is taken by queuers with an atomic fetch_or and cleared by the
 * worker (under the pool lock) just before the function runs. QUEUED,
 * INACTIVE and COLOR change only under the lock of the pool the item is
 * queued on. TIMER changes under the timer lock. The disable count (cancel
 * sync in progress) is changed by atomic add by whoever owns PENDING.
 */
#define WORK_PENDING		(1UL << 0)
#define WORK_QUEUED		(1UL << 1)	/* on a list of pwq->pool; w->pwq valid */
#define WORK_TIMER		(1UL << 2)	/* delayed: armed in the timer heap */
#define WORK_INACTIVE		(1UL << 3)	/* on pwq->inactive (max_active reached) */
#define WORK_DELAYED		UWQ__WORK_DELAYED	/* constant: is a delayed item */
#define WORK_COLOR		(1UL << 5)	/* flush colour (0 or 1) */
#define WORK_COLLIDE		(1UL << 6)	/* taken by a worker waiting for another pool's run */
#define WORK_COUNTED		(1UL << 7)	/* counted in wq->nr_pending (max_pending set) */
#define WORK_GEN_SHIFT		8	/* bits 8-15: fork generation (fork.c) */
#define WORK_GEN_MASK		(0xffUL << WORK_GEN_SHIFT)
#define WORK_DISABLE_SHIFT	16
#define WORK_DISABLE_ONE	(1UL << WORK_DISABLE_SHIFT)
#define WORK_STATE_MASK		(WORK_QUEUED | WORK_INACTIVE | WORK_COLOR | WORK_COLLIDE | WORK_COUNTED)

#define __UWQ_ORDERED		(1u << 17)	/* internal wq flag */
#define UWQ_FLAGS_PUBLIC	(UWQ_UNBOUND | UWQ_FREEZABLE | UWQ_MEM_RECLAIM | UWQ_HIGHPRI | UWQ_CPU_INTENSIVE)

/* worker->flags (L). NOT_RUNNING workers do not count in pool->nr_running. */
#define WORKER_IDLE		(1u << 0)
#define WORKER_PREP		(1u << 1)	/* awake but not (yet) processing */
#define WORKER_CPU_INTENSIVE	(1u << 2)
#define WORKER_BLOCKED		(1u << 3)	/* hinted or uwq-internal wait */
#define WORKER_DIE		(1u << 4)
#define WORKER_AUTO_BLOCKED	(1u << 5)	/* the monitor saw it blocked */
#define WORKER_RESCUER		(1u << 6)	/* a rescuer; never counted */
#define WORKER_NOT_RUNNING	(WORKER_PREP | WORKER_CPU_INTENSIVE | WORKER_BLOCKED | WORKER_AUTO_BLOCKED | WORKER_RESCUER)

/* worker->wake values (A: see worker_wait() in pool.c) */
#define WAKE_NONE	0
#define WAKE_KICKED	1
#define WAKE_SLEEPING	2

struct uwq__pool;
struct uwq__pwq;

struct uwq__worker {
	struct uwq__list	idle_node;	/* L: pool->idle_list (LIFO) */
	struct uwq__list	all_node;	/* L: pool->workers */
	struct uwq__pool	*pool;		/* I */
	pthread_t		thread;		/* I */
	pid_t			tid;		/* A: written once by the thread */
	int			id;		/* I */
	unsigned		flags;		/* L */
	int			wake;		/* A */
	int			hint_depth;	/* W */
	bool			born;		/* L: pthread_create() returned: reapable */
	struct uwq_work		scheduled;	/* L: items handed to this worker (sentinel) */
	/* what it runs: L to change, and B for the busy-table view */
	struct uwq_work		*current_work;
	uwq_work_fn		current_func;
	struct uwq__pwq		*current_pwq;
	uint64_t		current_start;	/* L: uwq__coarse_ns() at start */
	uint64_t		timed_start;	/* L: uwq__now_ns() at start of a timed item, or 0 */
	uint64_t		blocked_since;	/* L: entered a blocked state (stats) */
	uint64_t		item_blocked_ns;	/* L: blocked time of the current item */
	struct uwq__worker	*busy_next;	/* B */
	/* L: collide_run() claimed current_work and waits to run it; a
	 * canceller took the claim back (uwq__steal_claimed()) */
	bool			claiming;
	bool			claim_stolen;
	struct uwq__waiter	*claim_wt;	/* L: the claimant's wait, for the stealer to end */
	unsigned		seq;		/* L: bumped at item start and block end */
	uint64_t		last_active;	/* L: when it last went idle */
	int			last_cpu;	/* L: CPU it last went idle on */
	int			seen_cpu;	/* L: its CPU at its last item start or wake, -1 */
	int			run_slot;	/* L: counted in pool->on_cpu[run_slot - 1]; 0: not */
	bool			spin_next;	/* own thread: spin in its next idle wait */
	bool			affine;		/* I: born on its pool's CPUs (pool.c) */
	clockid_t		cpuclock;	/* I: this thread's CPU clock */
	void			*stack;		/* I: its stack mapping (pool.c) */
	size_t			stack_len;	/* I */
	char			*stack_keep;	/* W, then read after the join: see stack_put() */
	/* M: the monitor's own (monitor.c) */
	unsigned		m_seq;
	uint64_t		m_cpu_base;	/* CPU time when m_seq was first seen */
	uint64_t		m_last_cpu;
	uint64_t		m_last_wall;
	uint64_t		m_last_tick;
	int			m_stat_fd;	/* /proc/self/task/<tid>/stat, -1 until needed */
	uint64_t		need_blocked_at;	/* L: entered a blocked state (need.c), 0 if not */
};

/* A worker's thread id for reports and probes: written once by the
 * thread itself, read from any thread (0 until it has started). */
static inline pid_t uwq__worker_tid(const struct uwq__worker *worker)
{
	return __atomic_load_n(&worker->tid, __ATOMIC_RELAXED);
}

/* Someone waiting for a run of a work item to finish (flush, cancel_sync). */
struct uwq__waiter {
	struct uwq__list	node;		/* L: pool->waiters */
	const struct uwq_work	*work;		/* L */
	struct uwq__worker	*worker;	/* L: the run waited for; NULL = the queued instance */
	int			done;		/* A: futex word */
};

/* What a pool's items need (need.c); all L. */
struct uwq__need {
	uint32_t		b, r;		/* decayed blocked/running samples (fixed point) */
	int			flight;		/* busy workers that keep the CPUs busy; 0: unknown */
	int			limit;		/* grow no further (see the exception); 0: none */
	int			nr_blocked;	/* workers in a blocked state now */
	uint64_t		woke_at;	/* a blocked worker last came back */
	uint64_t		mean_block_ns;	/* moving mean of block times */
};

struct uwq__pool {
	pthread_mutex_t		lock;
	int			id;		/* I */
	int			cpu;		/* I: bound CPU, -1 unbound */
	int			nice;		/* I */
	int			concurrency;	/* I: target running workers */
	cpu_set_t		cpus;		/* I */
	char			name[16];	/* I: "0", "0H", "u2" */
	struct uwq_work		worklist;	/* L: sentinel */
	struct uwq__list	idle_list;	/* L */
	struct uwq__list	workers;	/* L */
	struct uwq__list	waiters;	/* L: struct uwq__waiter */
	int			nr_workers;	/* L */
	int			nr_idle;	/* L */
	int			nr_running;	/* L */
	int			next_id;	/* L */
	int			started;	/* A: first worker created (0/1/2=starting) */
	bool			manager_active;	/* L */
	bool			creating;	/* L: a creation decided, its worker not yet in nr_workers */
	bool			create_warned;	/* L */
	bool			reap_poked;	/* L: monitor told about surplus idle workers */
	int			max_workers;	/* L: cap */
	uint64_t		nr_created;	/* L */
	uint64_t		nr_reaped;	/* L */
	uint64_t		last_progress;	/* L: watchdog stamp (item start, first queueing) */
	uint64_t		create_fail_at;	/* L: last failed creation, 0 if none since success */
	uint64_t		mayday_at;	/* L: next mayday due, 0 if none */
	struct uwq__list	dead;		/* L: reaped workers to join */
	uint64_t		m_wd_reported;	/* M: last watchdog report */
	unsigned		m_rr;		/* M: round-robin start for blocked polling */
	uint64_t		m_hot_until;	/* M: a block was seen: fast ticks look here */
	struct uwq__need	need;		/* L: need.c */
	/* A creation asked of the creator thread (pool.c), one at a time
	 * (manager_active): the creator's lock, C */
	struct uwq__list	create_node;	/* C: on the creator's list while asked */
	bool			create_standby;	/* C: the creator finishes the claimed standby */
	int			create_err;	/* the result for a waiting asker */
	int			create_done;	/* A: futex word the asker waits on */
	/* Placement (unbound pools of more than one CPU; pool.c): running
	 * workers by the CPU each was last seen on, indexed by CPU number. */
	int			nr_slots;	/* I: size of on_cpu; 0: no placement */
	uint16_t		on_cpu[];	/* L */
};

struct uwq__pwq {
	struct uwq__pool	*pool;		/* I */
	struct uwq_workqueue	*wq;		/* I */
	struct uwq_work		inactive;	/* L: sentinel */
	int			nr_active;	/* L */
	int			max_active;	/* L */
	int			nr_inactive;	/* L */
	int			nr_in_flight[2];	/* L: per colour */
	int			work_color;	/* L */
	int			flush_color;	/* L: -1 when not flushing */
	uint64_t		stat_queued;	/* L */
	uint64_t		stat_started;	/* L */
	uint64_t		stat_completed;	/* L */
	uint64_t		stat_cm_wakeups;	/* L: kicks caused by a block */
	uint64_t		stat_cpu_intensive;	/* L */
	uint64_t		stat_mayday;	/* L */
	uint64_t		stat_rescued;	/* L */
	uint64_t		stat_run_ns;	/* L */
	uint64_t		stat_cpu_ns;	/* L: run time minus known blocking */
	unsigned		stat_skip;	/* L: items to queue before the next timed one */
	struct uwq_hist		hist_queue;	/* L: queueing to start */
	struct uwq_hist		hist_run;	/* L: start to return */
	struct uwq__list	mayday_node;	/* mayday lock: on wq->rescuer's list */
	bool			on_mayday;	/* mayday lock */
	struct uwq__pwq		*wq_next;	/* A: wq->pwq_list (append-only) */
};

struct uwq__rescuer;

struct uwq_workqueue {
	char			name[32];	/* I */
	unsigned		flags;		/* I */
	int			saved_max_active;	/* F */
	/* Every pwq the queue has had, appended under uwq__g.lock and
	 * flush_lock, never removed before destroy: flush, drain, max_active
	 * and the freezer walk it with acquire loads (for_each_pwq). */
	struct uwq__pwq		*pwq_list;	/* A */
	/* Where an item queued from CPU index i goes: pwq_table[i]. Replaced
	 * whole by uwq_apply_workqueue_attrs(); old tables are kept (they may
	 * still be read) until destroy, on old_tables. */
	struct uwq__pwq		**pwq_table;	/* A */
	struct uwq__old_table	*old_tables;	/* uwq__g.lock */
	struct uwq_workqueue_attrs attrs;	/* uwq__g.lock: unbound queues */
	struct uwq__list	node;		/* uwq__state.lock: all workqueues */
	bool			is_system;	/* I */
	pthread_mutex_t		flush_lock;
	pthread_cond_t		flush_cond;	/* F: a flush finished */
	bool			flushing;	/* F */
	int			nr_pwqs_to_flush;	/* A: futex word of the flusher */
	int			draining;	/* A: >0 while drained; read relaxed on queue */
	int			drain_reported;	/* A: one report per drain */
	/* Timer lock: uwq_destroy_workqueue() began; the timer service holds
	 * no item for it and arms none (delayed.c). */
	bool			dying;
	int			nr_armed;	/* timer lock: its items in the timer heap */
	int			dying_reported;	/* A: one armed-item report per destroy */
	struct uwq__rescuer	*rescuer;	/* I: UWQ_MEM_RECLAIM only */
	int			max_pending;	/* A: 0 = unbounded; read relaxed on queueing */
	int			nr_pending;	/* A: items counted (WORK_COUNTED) not yet started */
	int			frozen;		/* F to write, A to read: uwq_freeze() */
	int			frozen_reported;	/* A: one report per freeze */
	unsigned		gen;		/* I: fork generation it was made in */
	int			stale_reported;	/* A: used in a child after fork() */
};

#define UWQ_MAX_UPOOLS	256

/* The pods of one affinity scope (topology.c). */
struct uwq__pods {
	int			nr;
	int			*of;		/* by CPU index: its pod */
	cpu_set_t		*cpus;		/* by pod: its allowed CPUs */
};

struct uwq__old_table {
	struct uwq__old_table	*next;
	struct uwq__pwq		**table;
};

#define for_each_pwq(pwq, wq) \
	for ((pwq) = load_acquire(&(wq)->pwq_list); (pwq); (pwq) = load_acquire(&(pwq)->wq_next))

/* Global state (init.c). */
struct uwq__state {
	pthread_mutex_t		lock;		/* init/shutdown, wq list */
	int			ready;		/* A: acquire on use, release at init */
	int			nr_cpus;	/* I: allowed CPUs */
	int			*cpu_ids;	/* I: allowed CPU numbers, by index */
	int			*cpu_to_idx;	/* I: CPU number -> index, -1 if not allowed */
	int			*node_of;	/* I: by index: NUMA node from sysfs, -1 unknown */
	int			max_cpu;	/* I: size of cpu_to_idx */
	struct uwq__pool	**bound;	/* I: [idx] normal, [nr_cpus + idx] highpri */
	struct uwq__pool	*unbound[2];	/* I: normal, highpri, every CPU */
	/* Unbound pools by attributes (nice, CPUs), shared by queues; [0] and
	 * [1] are unbound[]. Appended under lock, read with an acquire load
	 * of nr_upools; freed at shutdown. */
	struct uwq__pool	*upools[UWQ_MAX_UPOOLS];
	int			nr_upools;	/* A */
	cpu_set_t		allowed;	/* I: the CPUs served */
	struct uwq__pods	pods[UWQ_AFFN_NR];	/* I: by scope (topology.c) */
	int			dfl_scope;	/* I: UWQ_AFFINITY_SCOPE */
	struct uwq__list	wqs;		/* lock */
	int			next_pool_id;	/* lock */
	struct uwq_config	cfg;		/* I: tunables (lock before ready) */
	bool			cfg_set;	/* lock: uwq_configure() was called */
	bool			frozen;		/* lock: uwq_freeze() in effect */
	bool			stats_clock;	/* I: UWQ_STATS != 0: time items */
	unsigned		stats_sample;	/* I: time 1 in this many items per pwq */
};

extern struct uwq__state uwq__g;

/* init.c */
void uwq__init_slow(void);
static inline void uwq__ensure_init(void)
{
	/* Acquire: pairs with the release at the end of uwq__init_slow(), so
	 * the pools and system queues it built are visible. */
	if (__builtin_expect(!load_acquire(&uwq__g.ready), 0))
		uwq__init_slow();
}
uint64_t uwq__now_ns(void);
/* CLOCK_MONOTONIC_COARSE (~6 ns, one-tick resolution, never ahead of
 * uwq__now_ns()): watchdog and dump stamps on the hot path. */
uint64_t uwq__coarse_ns(void);

/* topology.c */
int uwq__topology_init(void);
void uwq__topology_free(void);
int uwq__cpu_index(int cpu);	/* index of an allowed CPU; falls back to a valid one */

/* pool.c */
struct uwq__pool *uwq__pool_create(int cpu, int nice, const cpu_set_t *cpus, int concurrency);
int uwq__nr_pools(void);			/* bound and unbound, for walks */
void uwq__pool_set_cap(struct uwq__pool *pool);	/* after the limits changed */
struct uwq__pool *uwq__pool_at(int i);		/* i < uwq__nr_pools() */
void uwq__pool_destroy(struct uwq__pool *pool);
void uwq__pool_start(struct uwq__pool *pool);
bool uwq__pool_claim_standby(struct uwq__pool *pool);	/* L held */
void uwq__pool_make_standby(struct uwq__pool *pool);
bool uwq__kick_pool(struct uwq__pool *pool);	/* L held */
bool uwq__kick_pool_wake_later(struct uwq__pool *pool, int cpu, int **wake);	/* L held; futex_wake(*wake) after */
bool uwq__kick_pool_cpu(struct uwq__pool *pool, int cpu);	/* L held; prefer a worker last on @cpu */
void uwq__worker_set_flags(struct uwq__worker *worker, unsigned f);	/* L held */
int uwq__pool_place(struct uwq__worker *worker);	/* L held; own thread */
void uwq__move_self(struct uwq__worker *worker, int cpu);	/* L not held; own thread */
void uwq__worker_clr_flags(struct uwq__worker *worker, unsigned f);	/* L held */
bool uwq__need_more_worker(const struct uwq__pool *pool);	/* L held */
bool uwq__keep_working(const struct uwq__pool *pool);	/* L held */
extern __thread struct uwq__worker *uwq__current_worker;

/* worker.c: busy table and running items */
struct uwq__worker *uwq__busy_find(const struct uwq_work *w, uwq_work_fn func);
/* Also returns, read under the bucket lock, the queue x is running w for. */
struct uwq__worker *uwq__busy_find_pwq(const struct uwq_work *w, uwq_work_fn func, struct uwq__pwq **pwq);
void uwq__worker_process(struct uwq__worker *worker);	/* L held */
void uwq__process_one_work(struct uwq__worker *worker, struct uwq_work *w, bool claimed);	/* L held */
void uwq__process_scheduled(struct uwq__worker *worker);	/* L held */
bool uwq__steal_claimed(struct uwq__pwq *pwq, struct uwq_work *w);	/* L of pwq's pool held */

/* workqueue.c */
bool uwq__queue_work(int cpu, struct uwq_workqueue *wq, struct uwq_work *w);	/* PENDING owned */
int uwq__try_grab_pending(struct uwq_work *w);
int uwq__grab_pending(struct uwq_work *w);	/* loops; 1 was pending, 0 was idle */
void uwq__pwq_retire(struct uwq__pwq *pwq, unsigned long data);	/* L held */
void uwq__pwq_activate(struct uwq__pwq *pwq);	/* L held: up to max_active */
void uwq__uncount(struct uwq_workqueue *wq, unsigned long data);	/* started or stolen */
struct uwq__pwq *uwq__pwq_alloc(struct uwq_workqueue *wq, struct uwq__pool *pool, int max_active);
int uwq__wq_init(struct uwq_workqueue *wq, const char *name, unsigned flags, int max_active);
void uwq__wq_release(struct uwq_workqueue *wq);
bool uwq__wq_idle(struct uwq_workqueue *wq);
void uwq__system_wqs_init(void);
/* attrs.c */
int uwq__wq_init_pwqs(struct uwq_workqueue *wq);	/* uwq__g.lock held */
void uwq__wq_free_pwqs(struct uwq_workqueue *wq);
void uwq__system_wqs_release(void);
struct uwq_workqueue *uwq__system_wq_at(int i);
#define UWQ_NR_SYSTEM_WQS 5

/* flush.c */
void uwq__waiters_start(struct uwq__pool *pool, struct uwq__worker *worker, const struct uwq_work *w);
void uwq__waiters_finish(struct uwq__pool *pool, struct uwq__worker *worker);
void uwq__waiters_cancel(struct uwq__pool *pool, const struct uwq_work *w);
void uwq__wait_waiter(struct uwq__waiter *wt);
bool uwq__flush_running(const struct uwq_work *w, uwq_work_fn func);
void uwq__report_self_wait(const char *what, const struct uwq_work *w);

/* monitor.c */
void uwq__monitor_arm(void);	/* a pool has work no worker is taking */
void uwq__monitor_poke(void);	/* something for the monitor to look at now */
void uwq__monitor_shutdown(void);
void uwq__monitor_start(void);
bool uwq__too_many_workers(const struct uwq__pool *pool);	/* L held */
bool uwq__need_to_create_worker(const struct uwq__pool *pool);	/* L held */
int uwq__create_worker(struct uwq__pool *pool);
void uwq__creator_shutdown(void);	/* pool.c */
void uwq__creator_atfork_child(void);	/* pool.c */
void uwq__pool_reap(struct uwq__pool *pool, uint64_t now, uint64_t *next);
void uwq__pool_join_dead(struct uwq__pool *pool);
uint64_t uwq__monitor_cpu_ns(struct uwq__worker *worker);

/* need.c */
void uwq__need_flags(struct uwq__worker *worker, unsigned oflags, unsigned nflags);	/* L held */
void uwq__need_sample(struct uwq__pool *pool);	/* L held; the monitor's base tick */
bool uwq__need_may_grow(const struct uwq__pool *pool);	/* L held */

/* rescuer.c */
int uwq__rescuer_create(struct uwq_workqueue *wq);
void uwq__rescuer_destroy(struct uwq_workqueue *wq);
void uwq__send_mayday(struct uwq__pool *pool);	/* L held */

/* stats/stats.c */
static inline void uwq__hist_add(struct uwq_hist *h, uint64_t ns)
{
	int b = ns < 2 ? 0 : 63 - __builtin_clzll(ns);

	h->bucket[b < UWQ_HIST_BUCKETS ? b : UWQ_HIST_BUCKETS - 1]++;
}
void uwq__export_atfork_child(void);	/* export.c */

/* freezer.c */
void uwq__freeze_new_wq(struct uwq_workqueue *wq);	/* uwq__g.lock held */
void uwq__report_frozen_flush(struct uwq_workqueue *wq);
void uwq__report_frozen_wait(struct uwq_workqueue *wq, const char *what);

/* fork.c */
extern unsigned uwq__fork_gen;	/* bumped in each child after fork() */
void uwq__work_adopt(struct uwq_work *w);
bool uwq__wq_stale(struct uwq_workqueue *wq);	/* true (and one report) if made by a parent */
/* An item last used before a fork() in this (child) process is idle here. */
static inline void uwq__work_current(struct uwq_work *w)
{
	unsigned long v = __atomic_load_n(&w->data, __ATOMIC_RELAXED);

	if (__builtin_expect(((v >> WORK_GEN_SHIFT) & 0xff) != (READ_ONCE(uwq__fork_gen) & 0xff), 0))
		uwq__work_adopt(w);
}
static inline unsigned long uwq__work_gen_bits(void)
{
	return (unsigned long)(READ_ONCE(uwq__fork_gen) & 0xff) << WORK_GEN_SHIFT;
}
/* Child-side resets, one per file with global state (fork.c calls them). */
void uwq__state_atfork_child(void);	/* init.c */
void uwq__timer_atfork_child(void);	/* delayed.c */
void uwq__monitor_atfork_child(void);	/* monitor.c */
void uwq__busy_atfork_child(void);	/* worker.c */
void uwq__mayday_atfork_child(void);	/* need.c */
void uwq__need_flags(struct uwq__worker *worker, unsigned oflags, unsigned nflags);	/* L held */
void uwq__need_sample(struct uwq__pool *pool);	/* L held; the monitor's base tick */
bool uwq__need_may_grow(const struct uwq__pool *pool);	/* L held */

/* rescuer.c */
void uwq__system_wqs_forget(void);	/* workqueue.c */
void uwq__irq_atfork_child(void);	/* src/irq */
void uwq__async_atfork(int stage);	/* src/async: 0 prepare, 1 parent, 2 child */

/* watchdog.c */
void uwq__watchdog_check(struct uwq__pool *pool, uint64_t now);	/* L held */
/* A CPU hog the monitor saw, copied under pool->lock for its report. */
struct uwq__hog {
	uwq_work_fn	func;
	bool		unbound;	/* the pool's: no other CPU to move to */
	bool		system;		/* a system workqueue: its flags are fixed */
	char		wq[32];
};
void uwq__hog_note(struct uwq__hog *h, const struct uwq__worker *wk);	/* L held */
void uwq__hog_report(const struct uwq__hog *h);

/* blocking.c */
void uwq__block_begin(struct uwq__worker *worker);
void uwq__block_end(struct uwq__worker *worker);
void uwq__wait_begin(void);	/* uwq-internal waits: hint if on a worker */
void uwq__wait_end(void);

/* delayed.c */
bool uwq__timer_steal(struct uwq_delayed_work *dw);
bool uwq__timer_flush(struct uwq_delayed_work *dw);	/* queue an armed item now */
bool uwq__timer_arm(struct uwq_workqueue *wq, struct uwq_delayed_work *dw, int cpu, uint64_t delay_ns);
void uwq__timer_shutdown(void);
void uwq__timer_resume(void);
void uwq__timer_retry(uint64_t now, uint64_t *next);	/* the monitor */
int uwq__timer_expedite_wq(struct uwq_workqueue *wq);	/* destroy: queue @wq's armed items now */

static inline struct uwq_workqueue *current_wq(void)
{
	struct uwq__worker *wk = uwq__current_worker;

	return wk && wk->current_pwq ? wk->current_pwq->wq : NULL;
}

#endif
