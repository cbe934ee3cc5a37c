/* SPDX-License-Identifier: MIT */
/*
 * uwq/workqueue.h - concurrency-managed workqueues for userspace.
 *
 * Work items are intrusive and caller-owned, as in the kernel: embed a
 * struct uwq_work (or struct uwq_delayed_work) in your own object, initialise
 * it once with uwq_work_init(), and queue it as often as you like. Queueing
 * never allocates. The guarantees are the kernel's:
 *
 *  - Pending dedupe: queueing an item that is already pending returns false
 *    and does nothing. The pending bit is cleared just before the function
 *    runs, so an item may requeue itself.
 *  - Non-reentrancy: an item never runs on two workers at once, even when it
 *    is requeued on another CPU or another workqueue while it runs.
 *  - flush, cancel_sync, drain and destroy wait as documented below; misuse
 *    that would hang (a work item waiting for itself) is reported with one
 *    line on stderr naming the work function, and returns.
 *
 * Work functions run in worker threads named "uwq/<pool>:<n>" ("uwq/0:1",
 * "uwq/1:2H" for high priority, "uwq/u0:3" for unbound pools). A work
 * function may block: the pool notices (see uwq_blocking_begin()) and lets
 * another worker run the items queued behind it.
 *
 * Which CPUs uwq serves: the process's CPUs, that is the union of the
 * affinity masks of all the process's threads (Linux has no per-process
 * mask), read once at first use: by the first call that needs the pools,
 * whichever thread makes it, and again at the first use after
 * uwq_shutdown() or in a child after fork(). A thread pinned to one CPU
 * (an interrupt thread, say) making that call narrows nothing. Later
 * changes to any thread's mask are not followed: there is one bound pool
 * (and one high-priority pool) per CPU read then, and unbound pools and
 * attributes use those CPUs. uwq's other threads (timer, monitor,
 * rescuers, the interrupt dispatcher and interrupt threads) start on the
 * process's CPUs read when each starts, never on their creator's mask.
 * Without /proc the main thread's mask is used, then the caller's. With
 * UWQ_SYSFS_ROOT set (a fake topology, below), the CPUs its
 * devices/system/cpu/online lists are the ones served instead.
 *
 * Reports name functions: exported ones by name (dladdr()), any other,
 * static ones included, by name and object from the object's ELF symbol
 * table ("frame_done (myprog)"). A stripped object (linked with -s, or run
 * through strip(1)) has no symbol table: its functions other than exported
 * ones then show as an address and an offset in the object, and one line
 * says so. Keep the symbols (no -s, no strip) to see names.
 */
#ifndef UWQ_WORKQUEUE_H
#define UWQ_WORKQUEUE_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uwq/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uwq_work;
struct uwq_workqueue;

/** typedef uwq_work_fn - a work function; receives the item it was queued with. */
typedef void (*uwq_work_fn)(struct uwq_work *work);

/*
 * struct uwq_work - a work item. Embed it; every field is private to uwq and
 * may only be touched through the functions below.
 */
struct uwq_work {
	unsigned long		data;		/* private: atomic state word */
	struct uwq_work		*next;		/* private: queue link */
	struct uwq_work		*prev;		/* private: queue link */
	uwq_work_fn		func;		/* private */
	void			*pwq;		/* private: queue while queued */
	void			*last_pool;	/* private: pool it last went to */
	uint64_t		queued_ns;	/* private: when queued, if timed (stats) */
};

/**
 * uwq_container_of() - the struct of type @type whose member @member @ptr
 * points to: how a work function gets from its struct uwq_work * to the
 * object the item is embedded in.
 * @ptr: pointer to the member
 * @type: the containing struct's type
 * @member: the member's name in @type (nested members too: a.b)
 *
 * Example:
 *   struct frame { struct uwq_work work; int id; };
 *   static void process(struct uwq_work *w)
 *   { struct frame *f = uwq_container_of(w, struct frame, work); ... }
 *
 * Type-checked: @ptr must point to the member's type (or be void *); any
 * other pointer is a "distinct pointer types" diagnostic in C (an error
 * with -Werror) and an error in C++. Const is not carried over, as in the
 * kernel's container_of(). <uwq/linux/workqueue.h> defines the kernel
 * spelling container_of() as this.
 * Context: any; pointer arithmetic only, nothing checked at run time.
 * Return: the containing struct; @ptr must not be NULL.
 */
#define uwq_container_of(ptr, type, member)					\
	((type *)(void *)((char *)(ptr) - offsetof(type, member) +		\
			  0 * sizeof((ptr) == &((type *)0)->member)))

/*
 * struct uwq_delayed_work - a work item plus a timer. Its work item is the
 * member named `work`; use uwq_to_delayed_work() to get back from it.
 */
struct uwq_delayed_work {
	struct uwq_work		work;
	struct uwq_delayed_work	*t_child;	/* private: timer heap links */
	struct uwq_delayed_work	*t_next;	/* private */
	struct uwq_delayed_work	*t_prev;	/* private */
	uint64_t		expires;	/* private: CLOCK_MONOTONIC ns */
	struct uwq_workqueue	*wq;		/* private: target when it fires */
	int			cpu;		/* private: target CPU or -1 */
};

/* private: the state word's constant "this is a delayed item" bit. */
#define UWQ__WORK_DELAYED	(1UL << 4)

/**
 * UWQ_WORK_INITIALIZER() - static initialiser for a struct uwq_work.
 * Example: static struct uwq_work w = UWQ_WORK_INITIALIZER(w, fn);
 */
#define UWQ_WORK_INITIALIZER(n, fn) { 0, 0, 0, (fn), 0, 0, 0 }

/** UWQ_DELAYED_WORK_INITIALIZER() - static initialiser for a delayed item. */
#define UWQ_DELAYED_WORK_INITIALIZER(n, fn) \
	{ { UWQ__WORK_DELAYED, 0, 0, (fn), 0, 0, 0 }, 0, 0, 0, 0, 0, -1 }

/* Workqueue flags (the kernel's WQ_* values). */
#define UWQ_UNBOUND		(1u << 1)	/* served by unbound pools */
#define UWQ_FREEZABLE		(1u << 2)	/* paused by uwq_freeze() */
#define UWQ_MEM_RECLAIM		(1u << 3)	/* has a rescuer thread */
#define UWQ_HIGHPRI		(1u << 4)	/* high-priority pools (nice -20 where permitted) */
#define UWQ_CPU_INTENSIVE	(1u << 5)	/* items leave concurrency management */

#define UWQ_MAX_ACTIVE		2048	/* max_active is clamped to [1, this] */
#define UWQ_DFL_ACTIVE		1024	/* max_active 0 means this */

/* uwq_work_busy() bits */
#define UWQ_WORK_BUSY_PENDING	(1u << 0)
#define UWQ_WORK_BUSY_RUNNING	(1u << 1)

/**
 * uwq_work_init() - initialise a work item.
 * @w: the item
 * @fn: the function to run
 *
 * Context: any; must not be called while @w is pending or running.
 * Return: nothing; cannot fail.
 */
UWQ_API void uwq_work_init(struct uwq_work *w, uwq_work_fn fn);

/**
 * uwq_delayed_work_init() - initialise a delayed work item.
 * Context: any; must not be called while @dw is pending or running.
 * Return: nothing; cannot fail.
 */
UWQ_API void uwq_delayed_work_init(struct uwq_delayed_work *dw, uwq_work_fn fn);

/**
 * uwq_to_delayed_work() - the delayed item whose `work` member @w is.
 * Context: any.
 * Return: the containing struct uwq_delayed_work (no check is made).
 */
UWQ_API struct uwq_delayed_work *uwq_to_delayed_work(struct uwq_work *w);

/**
 * uwq_alloc_workqueue() - create a workqueue.
 * @name: shown in dumps; copied, truncated to 31 characters
 * @flags: UWQ_UNBOUND, UWQ_FREEZABLE, UWQ_MEM_RECLAIM, UWQ_HIGHPRI,
 *         UWQ_CPU_INTENSIVE
 * @max_active: items of this queue that may run at once per pool it uses:
 *         per CPU for bound queues, per pod for unbound ones (one pod, so
 *         in total, with the system scope or when one cache spans the CPUs;
 *         always in total for ordered queues); 0 means UWQ_DFL_ACTIVE;
 *         values above UWQ_MAX_ACTIVE are clamped with one warning
 *
 * A workqueue owns no threads: it is a domain for flushing and limits over
 * the shared pools.
 * Context: thread context; may block briefly.
 * Return: the workqueue, or NULL with errno EINVAL (NULL @name, unknown
 * flag bits, negative @max_active), ENOMEM, or EAGAIN (the rescuer
 * thread of a UWQ_MEM_RECLAIM queue could not be created).
 */
UWQ_API struct uwq_workqueue *uwq_alloc_workqueue(const char *name, unsigned flags, int max_active);

/**
 * uwq_alloc_ordered_workqueue() - a queue that runs one item at a time, in
 * queueing order (unbound, max_active 1).
 * Context: thread context.
 * Return: as uwq_alloc_workqueue().
 */
UWQ_API struct uwq_workqueue *uwq_alloc_ordered_workqueue(const char *name, unsigned flags);

/**
 * uwq_destroy_workqueue() - run every item of @wq, then free it. NULL is a
 * no-op.
 *
 * Delayed items still armed for @wq do not wait for their timers: each is
 * queued at once, earliest expiry first (as uwq_flush_delayed_work() does),
 * and runs once like any queued item; one report line per destroy names
 * the first one's function (cancel or flush delayed items before
 * destroying the queue). From then on, arming a timer for @wq
 * (uwq_queue_delayed_work() or uwq_mod_delayed_work() with a nonzero
 * delay, from anywhere, the item's own function included) is refused: the
 * item is left idle, the call returns false (mod_delayed: whether it was
 * pending), under the same one report. Then @wq is drained as by
 * uwq_drain_workqueue(): items queued (not armed) by @wq's own items run
 * too; other queueings are refused. On return no item is pending on @wq.
 * A frozen UWQ_FREEZABLE queue holding items is not run before uwq_thaw():
 * destroy waits for the thaw, with one report line naming uwq_thaw().
 * Context: thread context; blocks until every item has run (for a frozen
 * queue, until uwq_thaw()). Called from one of @wq's own items it would
 * wait for itself: it reports one line and returns without destroying or
 * touching any item; the queue stays usable.
 * Return: nothing.
 */
UWQ_API void uwq_destroy_workqueue(struct uwq_workqueue *wq);

/*
 * Affinity scopes (kernel: workqueue "affinity_scope"): how an unbound
 * queue's items are kept near the CPU that queued them. The allowed CPUs
 * are grouped into pods; an item queued from a CPU goes to the pool of
 * that CPU's pod, whose workers run on the pod's CPUs and whose target is
 * one running worker per CPU of the pod.
 *   UWQ_AFFN_CPU     one pod per CPU
 *   UWQ_AFFN_SMT     the SMT siblings of a core
 *   UWQ_AFFN_CACHE   the CPUs sharing a last-level cache (the default)
 *   UWQ_AFFN_NUMA    a NUMA node
 *   UWQ_AFFN_SYSTEM  every allowed CPU in one pod
 * UWQ_AFFN_DFL means the process default: UWQ_AFFINITY_SCOPE (cpu, smt,
 * cache, numa or system), read at first use, else cache. Topology comes
 * from /sys, or from the directory UWQ_SYSFS_ROOT names, which stands in
 * for /sys (tests lay out 64 CPUs on 4 nodes this way). uwq reads these
 * files under it, each a CPU list such as "0-3,8":
 *   devices/system/cpu/online                        the CPUs served
 *   devices/system/cpu/cpuN/topology/thread_siblings_list        smt
 *   devices/system/cpu/cpuN/cache/indexK/level and shared_cpu_list:
 *     the index with the highest level is the last-level cache   cache
 *   devices/system/node/nodeM/cpulist                            numa
 * A missing file widens the pod to the next scope (no cache data: the
 * node; no node data: every CPU), so a pod is never smaller than the
 * machine says.
 */
enum uwq_affn_scope {
	UWQ_AFFN_DFL = 0,
	UWQ_AFFN_CPU,
	UWQ_AFFN_SMT,
	UWQ_AFFN_CACHE,
	UWQ_AFFN_NUMA,
	UWQ_AFFN_SYSTEM,
	UWQ_AFFN_NR
};

/*
 * struct uwq_workqueue_attrs - what an unbound queue's workers are.
 * @nice: -20..19 (below 0 needs CAP_SYS_NICE or RLIMIT_NICE; without it
 *   workers run at nice 0 after one warning).
 * @cpumask: CPUs the workers may run on, intersected with the pods; all
 *   zero means every CPU uwq serves.
 * @affn_scope: how items stay near their queueing CPU.
 * Queues with equal attributes share pools; a worker serves one pool, so
 * a worker made for one nice level never runs another's items.
 */
struct uwq_workqueue_attrs {
	int			nice;
	cpu_set_t		cpumask;
	enum uwq_affn_scope	affn_scope;
};

/**
 * uwq_alloc_workqueue_attrs() - attributes set to the defaults: nice 0,
 * every CPU, the default scope.
 * Return: the attributes (free with uwq_free_workqueue_attrs()), or NULL
 * with errno ENOMEM.
 */
UWQ_API struct uwq_workqueue_attrs *uwq_alloc_workqueue_attrs(void);

/**
 * uwq_free_workqueue_attrs() - free attributes from
 * uwq_alloc_workqueue_attrs(). NULL is a no-op.
 * Context: any. Return: nothing.
 */
UWQ_API void uwq_free_workqueue_attrs(struct uwq_workqueue_attrs *attrs);

/**
 * uwq_apply_workqueue_attrs() - give the live unbound queue @wq new
 * attributes. Items queued before the call run where they were queued;
 * later ones go to the new pools. Nothing is lost or run twice; flush and
 * drain cover both, and uwq_workqueue_set_max_active() changes both. As
 * max_active counts per pool, items on the old pools do not count against
 * the new ones' limit while they finish (the kernel before 6.5 did the
 * same).
 * Context: thread context.
 * Return: 0; -EINVAL for NULL arguments, a bound or ordered queue, nice
 * outside -20..19, an unknown scope, or a mask with none of uwq's CPUs;
 * -ENOMEM; -ENOSPC when 256 unbound pools exist already; -ECHILD for a
 * parent's queue after fork().
 */
UWQ_API int uwq_apply_workqueue_attrs(struct uwq_workqueue *wq, const struct uwq_workqueue_attrs *attrs);

/**
 * uwq_workqueue_get_attrs() - copy @wq's attributes to @attrs (bound
 * queues: their nice level, their CPUs, UWQ_AFFN_CPU).
 * Return: 0; -EINVAL for NULL arguments.
 */
UWQ_API int uwq_workqueue_get_attrs(struct uwq_workqueue *wq, struct uwq_workqueue_attrs *attrs);

/**
 * uwq_workqueue_cpu_pod() - the CPUs whose workers run items that @wq
 * gets queued from CPU @cpu (the pod's pool mask).
 * Return: 0; -EINVAL for NULL arguments or a CPU uwq does not serve.
 */
UWQ_API int uwq_workqueue_cpu_pod(struct uwq_workqueue *wq, int cpu, cpu_set_t *cpus);

/*
 * struct uwq_pool_limits - limits of every pool, changeable at run time.
 * @max_workers: workers per pool at most (>= 2); 0: 64 + 8 per CPU of
 *   the pool. Lowering it below a pool's count stops creation until
 *   workers exit; none is killed.
 * @idle_reserve: idle workers a pool keeps (plus one per 4 busy).
 * @idle_timeout_ns: idle time after which a surplus worker exits; 0 never.
 */
struct uwq_pool_limits {
	int		max_workers;
	int		idle_reserve;
	uint64_t	idle_timeout_ns;
};

/**
 * uwq_set_pool_limits() - change the pool limits now (uwq_configure()
 * sets them before first use). Idle workers beyond a lowered reserve or
 * timeout are reaped at the monitor's next pass.
 * Return: 0; -EINVAL for NULL, max_workers 1 or negative values.
 */
UWQ_API int uwq_set_pool_limits(const struct uwq_pool_limits *limits);

/**
 * uwq_workqueue_set_max_active() - change @wq's max_active.
 * Context: thread context.
 * Return: 0; -EINVAL for NULL @wq, a negative value, or an ordered queue.
 */
UWQ_API int uwq_workqueue_set_max_active(struct uwq_workqueue *wq, int max_active);

/**
 * uwq_queue_work() - queue @w on @wq.
 *
 * Bound queues run it on the pool of the calling thread's CPU (no cross-CPU
 * wake); unbound queues on their unbound pool. No allocation; no system call
 * when a worker of that pool is awake.
 * Context: any thread (not a signal handler).
 * Return: true if queued; false if @w was already pending (it will run once
 * after this call), or on bad input (NULL), or while @wq is draining and the
 * caller is not one of its items (reported once per drain).
 */
UWQ_API bool uwq_queue_work(struct uwq_workqueue *wq, struct uwq_work *w);

/**
 * uwq_queue_work_on() - queue @w on @wq for CPU @cpu.
 *
 * For bound queues @cpu picks the pool; a CPU uwq does not serve (see
 * the top of this file) falls back to a valid one (as the kernel runs
 * work for an offline CPU elsewhere). For unbound queues @cpu picks the
 * pool of its pod (the queue's affinity scope); -1: the caller's CPU.
 * Context and return: as uwq_queue_work().
 */
UWQ_API bool uwq_queue_work_on(int cpu, struct uwq_workqueue *wq, struct uwq_work *w);

/**
 * uwq_queue_work_node() - queue @w on @wq near NUMA node @node.
 *
 * For an unbound queue, the item goes to the pool that serves @node's
 * CPUs (its pod under the queue's affinity scope) whenever @node has CPUs
 * in the queue's mask; otherwise, and for per-CPU queues or a @node that
 * does not exist, this is uwq_queue_work(). Nodes are read from
 * /sys/devices/system/node at first use (or from UWQ_SYSFS_ROOT).
 * Context and return: as uwq_queue_work().
 */
UWQ_API bool uwq_queue_work_node(int node, struct uwq_workqueue *wq, struct uwq_work *w);

/**
 * uwq_work_on_cpu() - run @fn(@arg) in a worker of @cpu's per-CPU pool,
 * wait for it, and return its value (the kernel's work_on_cpu()).
 *
 * The worker is pinned to @cpu, so @fn runs there. Callable from any thread,
 * including a uwq worker (whose wait lets another worker of its pool run).
 * Context: thread context; sleeps.
 * Return: what @fn returned; -EINVAL for a NULL @fn or a @cpu that uwq does
 * not serve (outside the process's affinity mask).
 */
UWQ_API long uwq_work_on_cpu(int cpu, long (*fn)(void *), void *arg);

/**
 * uwq_workqueue_set_max_pending() - bound the items waiting on @wq (queued,
 * not yet started) for uwq_try_queue_work(). 0 removes the bound. Items
 * queued with uwq_queue_work() count toward it but are never refused
 * (kernel semantics); items already pending when the bound is set are not
 * counted.
 * Context: thread context.
 * Return: 0; -EINVAL for NULL @wq or a negative bound.
 */
UWQ_API int uwq_workqueue_set_max_pending(struct uwq_workqueue *wq, int max_pending);

/**
 * uwq_try_queue_work() - queue @w on @wq unless that would exceed its
 * max_pending: backpressure instead of unbounded queueing.
 * Context: any thread.
 * Return: 0 if queued; -EALREADY if @w was already pending; -EAGAIN if @wq
 * has max_pending items waiting; -ESHUTDOWN while @wq is draining or being
 * destroyed (and the caller is not one of its items); -EINVAL for NULL.
 */
UWQ_API int uwq_try_queue_work(struct uwq_workqueue *wq, struct uwq_work *w);

/**
 * uwq_queue_delayed_work() - queue @dw on @wq after @delay_ns nanoseconds.
 * A delay of 0 queues at once.
 * Context: any thread.
 * Return: true if armed or queued; false if @dw was already pending (timer
 * armed or queued) or on bad input.
 */
UWQ_API bool uwq_queue_delayed_work(struct uwq_workqueue *wq, struct uwq_delayed_work *dw,
				    uint64_t delay_ns);

/**
 * uwq_mod_delayed_work() - (re)arm @dw to run @delay_ns from now, whatever
 * its state; 0 queues at once.
 * Context: any thread.
 * Return: true if @dw was pending (its timer or queueing was replaced),
 * false if it was idle (and is now armed) or on bad input.
 */
UWQ_API bool uwq_mod_delayed_work(struct uwq_workqueue *wq, struct uwq_delayed_work *dw,
				  uint64_t delay_ns);

/**
 * uwq_schedule_work() - uwq_queue_work(uwq_system_wq, @w).
 */
UWQ_API bool uwq_schedule_work(struct uwq_work *w);

/**
 * uwq_flush_work() - wait for the last queueing of @w to finish running.
 *
 * Later queueings are not waited for. A delayed item whose timer is still
 * armed is not waited for (use uwq_flush_delayed_work()).
 * Context: thread context; blocks. From @w's own function, or for an item
 * queued behind the caller on its own ordered queue, it reports one line
 * and returns false instead of hanging.
 * Return: true if it had to wait, false if @w was idle (or NULL).
 */
UWQ_API bool uwq_flush_work(struct uwq_work *w);

/**
 * uwq_flush_delayed_work() - fire @dw's timer now if armed, then flush it.
 * Context and return: as uwq_flush_work().
 */
UWQ_API bool uwq_flush_delayed_work(struct uwq_delayed_work *dw);

/**
 * uwq_flush_workqueue() - wait for every item queued on @wq before the call.
 *
 * Items queued after the call are not waited for, except that concurrent
 * flushes of one queue are served one after another.
 * Context: thread context; blocks.
 * Return: 0; -EINVAL for NULL; -EDEADLK (and one report line) when called
 * from one of @wq's own items, which would wait for itself.
 */
UWQ_API int uwq_flush_workqueue(struct uwq_workqueue *wq);

/**
 * uwq_drain_workqueue() - flush @wq until it stays empty.
 *
 * Meanwhile only @wq's own items may queue on it (chained queueing); other
 * queueings return false and are reported once.
 * Context: thread context; blocks.
 * Return: 0; -EINVAL for NULL; -EDEADLK from one of @wq's own items.
 */
UWQ_API int uwq_drain_workqueue(struct uwq_workqueue *wq);

/**
 * uwq_cancel_work() - remove @w if pending. Does not wait for a running
 * instance.
 * Context: any thread.
 * Return: true if @w was pending.
 */
UWQ_API bool uwq_cancel_work(struct uwq_work *w);

/**
 * uwq_cancel_work_sync() - remove @w if pending and wait for a running
 * instance; on return @w is idle, even if it requeues itself (queueing it
 * fails while the cancel runs). @w may then be freed.
 * Context: thread context; blocks. From @w's own function it reports one
 * line and returns false without doing anything.
 * Return: true if @w was pending.
 */
UWQ_API bool uwq_cancel_work_sync(struct uwq_work *w);

/**
 * uwq_cancel_delayed_work() - disarm @dw's timer or remove it from its
 * queue. Does not wait for a running instance.
 * Context: any thread.
 * Return: true if @dw was pending.
 */
UWQ_API bool uwq_cancel_delayed_work(struct uwq_delayed_work *dw);

/**
 * uwq_cancel_delayed_work_sync() - uwq_cancel_work_sync() for delayed items.
 */
UWQ_API bool uwq_cancel_delayed_work_sync(struct uwq_delayed_work *dw);

/**
 * uwq_work_pending() - is @w pending (queued or timer armed)? Advisory.
 * Context: any.
 */
UWQ_API bool uwq_work_pending(const struct uwq_work *w);

/**
 * uwq_work_busy() - UWQ_WORK_BUSY_PENDING and/or UWQ_WORK_BUSY_RUNNING.
 * Advisory: the state may change as soon as it returns.
 * Context: any thread.
 */
UWQ_API unsigned uwq_work_busy(const struct uwq_work *w);

/**
 * uwq_current_work() - the item the calling worker is running, or NULL
 * outside a work function.
 */
UWQ_API struct uwq_work *uwq_current_work(void);

/**
 * uwq_blocking_begin() - the calling work function is about to block.
 *
 * The worker leaves its pool's running count so another worker runs the
 * items queued behind it. Pair with uwq_blocking_end(). Nestable; no-op
 * outside a worker. uwq's own waits (flush, cancel_sync, drain) do this
 * themselves.
 * Context: a work function. Return: nothing.
 */
UWQ_API void uwq_blocking_begin(void);

/** uwq_blocking_end() - the calling work function stopped blocking. */
UWQ_API void uwq_blocking_end(void);

/**
 * uwq_freeze() - stop the freezable workqueues (UWQ_FREEZABLE, and
 * uwq_system_freezable_wq) at item boundaries.
 *
 * Items of freezable queues that have not started stay queued, in order;
 * new ones queue behind them (queueing still succeeds, pending dedupe
 * included); delayed items that expire queue too. uwq_freeze() then waits
 * for the items already running to return, for at most
 * UWQ_FREEZE_TIMEOUT_MS, after which it reports each one still running
 * (by function) and returns anyway; the queues stay frozen. Flushing a
 * frozen queue waits for uwq_thaw() (with one report). Freezing a frozen
 * process does nothing. A work function may call it: its own item is not
 * waited for.
 * Context: any thread. Return: nothing.
 */
UWQ_API void uwq_freeze(void);

/**
 * uwq_thaw() - start the freezable workqueues again: their queued items
 * run in the order they were queued, with each queue's max_active.
 * Context: any thread. Return: nothing; no-op when not frozen.
 */
UWQ_API void uwq_thaw(void);

/*
 * fork(): the child of a process using uwq gets a fresh uwq, as a new
 * process would. The system workqueues work in the child (pools and
 * threads are rebuilt on first use). Workqueues and interrupt lines created
 * by the parent before fork() belong to the parent: in the child, calls on
 * them fail (false, NULL or -ECHILD) with one report per object, and
 * destroying them leaks the child's copy. Work items that were pending,
 * armed or running in the parent are idle in the child and may be queued
 * again there; they run in the parent as if there had been no fork. Async
 * calls scheduled before fork() run only in the parent; the child's
 * synchronise calls do not wait for them. fork() may be called from any
 * thread, work functions included; the parent is unaffected.
 */

/**
 * uwq_shutdown() - drain the system workqueues, stop and join every uwq
 * thread and free the pools, so that tools like valgrind see a clean exit.
 * uwq starts again lazily on next use.
 *
 * Context: thread context, not a work function.
 * Return: 0; -EBUSY (and nothing stopped) while workqueues created with
 * uwq_alloc_workqueue() still exist, or when called from a work function.
 */
UWQ_API int uwq_shutdown(void);

/**
 * struct uwq_config - process-wide tunables, fixed at first use.
 *
 * Fill it with uwq_config_defaults(), change what you need, then call
 * uwq_configure() before any other uwq call. Each field's environment
 * variable (read once, by uwq_config_defaults() and at first use when
 * uwq_configure() was never called) overrides its built-in default.
 */
struct uwq_config {
	/* UWQ_IDLE_SPIN_NS (ns), default 20000: an idle worker spins this
	 * long before sleeping, so a burst's next item needs no wake-up. */
	uint64_t	idle_spin_ns;
	/* UWQ_MAX_WORKERS: workers per pool at most (>= 2); 0, the default,
	 * means 64 + 8 per CPU of the pool. At the cap items wait for a
	 * running worker, the watchdog says so, and UWQ_MEM_RECLAIM queues
	 * still progress through their rescuer. */
	int		max_workers;
	/* UWQ_IDLE_RESERVE, default 2: idle workers a pool always keeps
	 * (plus one per 4 busy workers, as the kernel). */
	int		idle_reserve;
	/* UWQ_IDLE_TIMEOUT_MS, default 60000: idle time after which a
	 * surplus worker exits. */
	uint64_t	idle_timeout_ns;
	/* UWQ_MONITOR_TICK_US, default 1000: period of the monitor that
	 * detects workers blocked without a hint, while a pool has queued
	 * work that no worker is taking. 0 disables the detection. */
	uint64_t	monitor_tick_ns;
	/* UWQ_CPU_INTENSIVE_THRESH_US, default 10000: an item running on CPU
	 * this long without blocking leaves concurrency management. 0
	 * disables. */
	uint64_t	cpu_intensive_ns;
	/* UWQ_WATCHDOG_THRESH_MS, default 30000: a pool with queued work and
	 * no progress this long is reported. 0 disables. */
	uint64_t	watchdog_ns;
	/* UWQ_MAYDAY_INITIAL_MS (10) and UWQ_MAYDAY_INTERVAL_MS (100): when
	 * worker creation fails, rescuers are summoned after the first and
	 * every interval after. UWQ_CREATE_COOLDOWN_MS (1000): time between
	 * creation retries. */
	uint64_t	mayday_initial_ns;
	uint64_t	mayday_interval_ns;
	uint64_t	create_cooldown_ns;
	/* UWQ_FREEZE_TIMEOUT_MS, default 20000 (the kernel's): how long
	 * uwq_freeze() waits for running items before reporting them. */
	uint64_t	freeze_timeout_ns;
	uint64_t	reserved[7];	/* zero */
};

/**
 * uwq_config_defaults() - fill @c with the defaults, environment applied.
 * Context: any. Return: nothing; NULL is a no-op.
 */
UWQ_API void uwq_config_defaults(struct uwq_config *c);

/**
 * uwq_configure() - set the tunables; call before any other uwq call.
 * Context: thread context, before first use.
 * Return: 0; -EINVAL for NULL, max_workers < 2, idle_reserve < 0 or
 * non-zero reserved fields; -EBUSY once uwq has started (after
 * uwq_shutdown() it may be called again).
 */
UWQ_API int uwq_configure(const struct uwq_config *c);

/*
 * The system workqueues: no setup needed; their pools start on first use.
 *  uwq_system_wq           "events"            bound, short items
 *  uwq_system_highpri_wq   "events_highpri"    bound, high priority
 *  uwq_system_long_wq      "events_long"       bound, long items
 *  uwq_system_unbound_wq   "events_unbound"    unbound
 *  uwq_system_freezable_wq "events_freezable"  bound, freezable
 */
UWQ_API extern struct uwq_workqueue *const uwq_system_wq;
UWQ_API extern struct uwq_workqueue *const uwq_system_highpri_wq;
UWQ_API extern struct uwq_workqueue *const uwq_system_long_wq;
UWQ_API extern struct uwq_workqueue *const uwq_system_unbound_wq;
UWQ_API extern struct uwq_workqueue *const uwq_system_freezable_wq;

#ifdef __cplusplus
}
#endif

#endif /* UWQ_WORKQUEUE_H */
