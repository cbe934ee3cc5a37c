/* SPDX-License-Identifier: MIT */
/*
 * pool.c - worker pools: workers, their idle sleep, the manager, and the
 * concurrency policy (the kernel's worker_pool, kernel/workqueue.c).
 *
 * DESIGN
 * A pool is a FIFO worklist served by workers. It counts its *running*
 * workers (nr_running: processing an item and not blocked) and applies the
 * kernel's policy (need_more_worker, keep_working, may_start_working):
 *  - a worker about to process wakes an idle worker only if more work is
 *    pending and fewer than `concurrency` others are running;
 *  - a running worker that blocks (uwq_blocking_begin(), uwq's own waits,
 *    or the monitor's detection) leaves nr_running and kicks the pool, so
 *    the CPU keeps doing queued work;
 *  - when it wakes, surplus workers finish their item and go idle
 *    (keep_working fails while nr_running > concurrency);
 *  - the last idle worker to wake becomes the manager and has a standby
 *    worker made before processing, so a block always finds someone to
 *    wake (the kernel's invariant: an idle worker exists before work starts).
 * `concurrency` is 1 for bound pools (one per CPU) and the number of CPUs
 * of the mask for unbound pools, which are concurrency-managed too, unlike
 * the kernel's (docs/design.md §3).
 *
 * Waking without system calls: a pool with a running worker needs no wake
 * at all. An idle worker first spins on its `wake` word (sched_yield()
 * between checks, so a submitter on the same CPU is not starved) for
 * uwq__g.cfg.idle_spin_ns, and only then sleeps on it with a futex. A kick
 * exchanges the word to KICKED and calls futex_wake only if the worker had
 * announced SLEEPING. On the hot paths (queueing, an item's start, a
 * blocking hint) that futex_wake comes after pool->lock is dropped
 * (uwq__kick_pool_wake_later()): a worker woken on the caller's CPU
 * preempts it at once, and under the lock it would block on the lock and
 * cost two more switches. Measured, quiet VM: peer_bench S3 (an item
 * every 1 ms) p50 8.4 -> 3.5-5.9 us; wq_micro latency gap 1 ms 17.0 ->
 * 3.1 us, gap 100 us 11.1 -> 2.5 us.
 * Bound pools' workers are pinned to their CPU and
 * queueing picks the submitter's CPU's pool, so the wake, when needed, is a
 * same-CPU one (~4 µs here) rather than a cross-CPU IPI (~70 µs).
 * The window was measured (bench/run.sh, run by `make bench`; 2 vCPU
 * VM, submitter and worker on CPU 0, queue-to-start latency, 2000 samples):
 *   spin      gap 2 µs        gap 100 µs      gap 1 ms        1M items
 *   0         p50 7.6 p99 43  p50 7.5 p99 11  p50 8.3 p99 49  142 ns/item
 *   5 µs      p50 1.9 p99 2.7 p50 1.9 p99 3.0 p50 2.5 p99 4.4 165
 *   20 µs     p50 1.9 p99 2.0 p50 1.9 p99 2.5 p50 2.5 p99 3.5 141
 *   50 µs     p50 2.0 p99 2.2 p50 2.0 p99 2.7 p50 2.6 p99 2943 169
 * (µs; the same-CPU futex wake floor measured alongside: p50 3.9.) Without
 * a spin every item pays a futex wake and a switch; with one, a same-CPU
 * submitter's queueing finds the worker still awake and its next yield
 * hands over the CPU. 20 µs gave the best tails; 50 µs let the spinner
 * compete with the submitter. UWQ_IDLE_SPIN_NS overrides the default.
 *
 * The spin is adaptive: a worker spins only if its previous idle spell
 * ended within twice the window, so a spin could have caught it. A fixed
 * spin burns up to 20 µs of CPU per idle spell: under open-loop load
 * (peer_bench S6, 100 µs tasks on 2 CPUs) it took ~9 % of the machine at
 * 50 % load (CPU use 72 % against 62 % without) and at 80 % load pushed
 * the pool into saturation (p50 8.7 ms against 117 µs adaptive; a mutex
 * pool: 107 µs). Quiet machine, wq_micro latency p50, same run:
 *   spin       gap 2 µs   gap 100 µs  gap 1 ms   1M items (bound)
 *   0          10.1       11.1        16.0       192 ns/item
 *   20 µs      2.8        3.6         7.3        172
 *   adaptive   2.9        11.1        17.0       189
 * Long gaps lose the spin's help with a busy-waiting submitter on the same
 * CPU (wq_micro's); with a sleeping one (peer_bench S3, 1 ms) the fixed
 * spin was worse than none (p50 12.1 against 8.9 µs).
 *
 * Placement in unbound pools. Counting running workers is not enough when
 * the scheduler stacks two of them on one CPU and leaves another idle. It
 * happens at every hand-over: a worker about to block kicks an idle one
 * while both CPUs are still busy, the scheduler queues the woken thread
 * beside the other running worker, and when the blocker sleeps its CPU
 * idles; the idle balancer will not pull a task that ran in the last 0.5
 * ms (sched_migration_cost), so the pair time-shares one CPU for
 * milliseconds. Measured with bench/blocking_mix (200 sleeps + 200 1 ms
 * burns, 2 CPUs): 24-40 of the 200 burns started beside another running
 * one; burns took 230-260 ms of wall time for 200 ms of CPU. So each
 * running worker of an unbound pool is counted on the CPU where it last
 * started an item or woke (on_cpu[], one sched_getcpu() per item), and a
 * worker that starts an item on a CPU shared with another running worker
 * while a CPU of the pool has none moves itself there (two
 * sched_setaffinity() calls: to that CPU, then back to the pool's mask,
 * which does not move it again) before the item runs. After: no stacked
 * starts; hinted 1.28-1.31 -> 1.20-1.25 wall/ideal on a first burst and
 * 1.13-1.17 on a second (its workers exist: no thread creation), against
 * a floor of 1.10 (the last sleep starts behind the 199th burn); unhinted
 * 1.65-1.71 -> 1.40-1.51. Moves: ~1 % of item starts hinted, 6-9 %
 * unhinted. tests/cm/unbound_placement pins the workers to force it.
 *
 * Growth is capped per pool (UWQ_MAX_WORKERS; default 64 + 8 per CPU of
 * the pool). A worker exists per blocked item, and the cap is what stops a
 * thread per item: 64 blocked items per pool already hide 10 ms sleeps
 * behind 1 ms of CPU work each (the blocking mix needs about 20 per CPU);
 * past that, threads add memory (an 8 MiB stack reservation and ~40 KiB
 * resident each) and scheduler load, not throughput. At the cap the manager
 * stops creating, items wait for a running worker, the watchdog names the
 * pool as at the cap, and the mayday timer still summons the rescuers of
 * UWQ_MEM_RECLAIM queues. A creation failure likewise lets the manager go
 * on working; the monitor retries after the cooldown (monitor.c).
 *
 * Idle workers beyond the kernel's reserve (2 idle plus 1 per 4 busy;
 * UWQ_IDLE_RESERVE) exit after UWQ_IDLE_TIMEOUT_MS, default 60 s rather
 * than the kernel's 300 s: making a worker costs ~0.2 ms of CPU here
 * (bench/worker_cost), so recreating one after a quiet minute is cheap,
 * while embedded daemons care about idle memory; a burst pattern repeating
 * within a minute keeps its workers. The monitor culls (uwq__pool_reap)
 * and joins them.
 *
 * Who makes workers. A worker never calls pthread_create(): the last idle
 * worker turned manager, and a worker about to block that claimed the
 * standby, ask one thread, "uwq-creator" (the kernel's kthreadd), started
 * with the first pool. The manager waits for its worker, as before; the
 * blocking worker does not (it needs no result; the creator finishes the
 * claim, uwq__pool_make_standby()). The monitor and a thread starting a
 * pool still create directly. Why: glibc gives every thread that first
 * calls malloc() an arena of its own (up to 8 per CPU: a 64 MiB-aligned
 * mapping, a page-table page, first-touch faults), and pthread_create()
 * allocates in its caller (the new thread's TLS vector), as did the
 * calloc() of the worker; so every worker that ever made a standby had an
 * arena, though its items never allocate (tests/cm/creator: 1 -> 8
 * arenas for 13 workers; 2 at most now). bench/worker_cost, CPU per
 * worker made in a cold burst of 32, 6 alternating runs: 306 -> 216 µs
 * median, against 183-200 µs for a bare thread held alive alongside 31
 * others; 296 -> 225 µs for the same burst again after uwq_shutdown()
 * (arenas left by the first). The price is a hand-off: one futex wake
 * when the creator sleeps, and for the manager a sleep until its worker
 * exists. A creator that cannot start leaves creation to the workers.
 * A claimed standby is thus made after its claimer went on: the claim sets
 * pool->creating, which uwq_pool_stats() counts as a worker, and the cap
 * is checked again in the pool-lock hold that counts the new worker (and
 * clears creating), so a cap lowered after the claim still holds
 * (tests/wq/cap_lowered_during_creation).
 *
 * Stacks. What a new thread costs is mostly its stack: a fresh mapping
 * needs a page-table page and first-touch faults for its top, and an
 * munmap with a TLB shootdown when it goes (bench/worker_cost: a bare
 * create+join loop, which gets one stack back from glibc's cache every
 * time, 60-150 µs per thread; 32 threads held alive at once 180-260 µs
 * each). glibc caches the stacks of joined threads, but 40 MiB of them:
 * four 8 MiB stacks. So uwq maps its workers' stacks itself (the default
 * thread stack size, RLIMIT_STACK or pthread_setattr_default_np(), plus a
 * guard page; pthread_attr_setstack()), and the stack of a joined worker
 * is cached: all but what its start used (descriptor and TLS at the top,
 * its first frames) and 16 KiB under that is given back (MADV_DONTNEED),
 * at most 64 are kept (a one-CPU pool's default cap is 72), newest reused
 * first, and the creator frees each one idle timeout after it was cached
 * (at least 1 s; without a creator, only the bound and uwq_shutdown()
 * free them). A pool that grows
 * again after its idle workers were reaped gets their stacks back:
 * worker_cost, making a worker after the reaping, two sets of 6 and 10
 * alternating runs: 241-255 -> 86-94 µs median (the bare loop in the same
 * runs: 89-150 µs); the first burst, with no stack to reuse, unchanged
 * within the noise (247-251 -> 230-291 µs). The price: up to 64 x
 * (kept pages + a page-table page) for one idle timeout after a reap;
 * measured after items that used 64 KiB of stack, 24 KiB resident per
 * cached stack, against 72 KiB of stack (plus its kernel stack and task)
 * for each idle worker kept. A new stack's top 16 KiB (the descriptor,
 * TLS and first frames take ~5 KiB; the rest is for its items' first
 * calls) is populated by one madvise(MADV_POPULATE_WRITE) in the creator
 * instead of being faulted in: a page fault costs 25-60 µs in this VM,
 * populating four pages 20-30 µs in all. Page faults per worker made 2.2
 * -> 0.2; worker_cost cold, 7 alternating runs: 214 -> 168 µs median.
 *
 * CONCURRENCY
 * pool->lock guards everything marked L in internal/wq.h. worker->wake is
 * the only field a sleeping worker reads without it (see worker_wait()).
 * The creator's lock (C) guards its list and state, and each pool's
 * create_* fields while asked; pool->lock is never held with it. The
 * stack cache's lock (S) is a leaf.
 *
 * INVARIANTS
 *  1. nr_running == number of workers whose flags have none of
 *     WORKER_NOT_RUNNING (maintained only by worker_set/clr_flags).
 *  2. A worker is on idle_list iff WORKER_IDLE is set; nr_idle counts them.
 *  3. Every worker is on pool->workers until the pool is destroyed.
 *  4. on_cpu[c] == number of running workers with run_slot == c + 1; a
 *     worker leaving nr_running leaves its slot (worker_set_flags).
 *  5. A pool is on the creator's list only while its asker holds
 *     manager_active for it: one ask per pool at a time, so the pool's one
 *     create_node and create_done suffice.
 *  6. creating is set only with manager_active, and cleared in the hold
 *     that counts the new worker after checking the cap (create_worker()):
 *     nr_workers never exceeds max_workers through a creation decided
 *     before the cap was lowered.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal/fault.h"
#include "internal/futex.h"
#include "internal/log.h"
#include "internal/trace.h"
#include "internal/wq.h"

__thread struct uwq__worker *uwq__current_worker;

static int nice_warned;	/* A: one warning for the whole process */
static __thread bool in_creator;	/* this thread is the creator */

bool uwq__need_more_worker(const struct uwq__pool *pool)
{
	return !wlist_empty(&pool->worklist) && pool->nr_running < pool->concurrency;
}

static bool may_start_working(const struct uwq__pool *pool)
{
	return pool->nr_idle > 0;
}

/* Gated by what the items need (need.c): growth follows need. */
bool uwq__need_to_create_worker(const struct uwq__pool *pool)
{
	return uwq__need_more_worker(pool) && !may_start_working(pool) && uwq__need_may_grow(pool);
}

/*
 * Whether a worker that finished its item takes the next. The kernel's
 * rule stops it while more than `concurrency` workers run, so a pool
 * over-subscribed for a moment (blocked workers came back together)
 * sends the surplus idle. That relies on workers being plentiful: when
 * the next worker blocks, an idle one takes over. With growth limited to
 * need (need.c) the idle are few, and items waiting in the queue are not
 * blocked ones: the blocked count drains below what keeps the CPUs busy
 * and the CPUs idle when the wakes thin out. So a worker also goes on
 * while fewer than 2/3 of the blocked workers the estimate calls for
 * (flight - concurrency) are blocked: the in-flight count is refilled by
 * the workers that are there. Measured (bench/blocking_mix growth hinted,
 * 2,000 x 2 ms sleep + 0.5 ms CPU, 2 vCPU VM, interleaved runs): with the
 * kernel's rule the pool also grew more, as surplus workers went idle and
 * the next block found none running: 1.68 x ideal with 35 workers against
 * 1.35-1.38 x with 21-23 (one quiet run against two); with other jobs
 * taking 70-80 % of the CPUs, 3.4-5.3 x with 23-38 workers against
 * 3.2-4.1 x with 18-21.
 */
bool uwq__keep_working(const struct uwq__pool *pool)
{
	int spare = pool->need.flight - pool->concurrency;

	if (wlist_empty(&pool->worklist))
		return false;
	return pool->nr_running <= pool->concurrency || pool->need.nr_blocked * 3 < spare * 2;
}

/* The kernel's too_many_workers() with a configurable reserve (kernel: 2). */
bool uwq__too_many_workers(const struct uwq__pool *pool)
{
	int idle = pool->nr_idle + (pool->manager_active ? 1 : 0);
	int busy = pool->nr_workers - idle;
	int reserve = READ_ONCE(uwq__g.cfg.idle_reserve);

	return idle > reserve && (idle - reserve) * 4 >= busy;
}

#define WORKER_BLOCKED_ANY	(WORKER_BLOCKED | WORKER_AUTO_BLOCKED)

/* Placement counts (see uwq__pool_place()): L held. */
static void unslot(struct uwq__worker *worker)
{
	if (worker->run_slot) {
		worker->pool->on_cpu[worker->run_slot - 1]--;
		worker->run_slot = 0;
	}
}

static void slot(struct uwq__worker *worker, int cpu)
{
	struct uwq__pool *pool = worker->pool;

	unslot(worker);
	if (cpu >= 0 && cpu < pool->nr_slots) {
		pool->on_cpu[cpu]++;
		worker->run_slot = cpu + 1;
	}
}

/*
 * A running worker of an unbound pool starts an item (or wakes from a
 * block): where is it? The scheduler places a woken thread; when every CPU
 * is busy at that moment it may stack it on a CPU that already runs a
 * worker, and the CPU being freed by the worker that blocked goes idle
 * (the idle balancer does not pull a task that ran within the last 0.5
 * ms). Returns a CPU of the pool with no running worker when this one
 * shares its CPU with another running worker, after counting it there:
 * the caller moves itself there with uwq__move_self() once the lock is
 * dropped. -1: stay. One sched_getcpu() (rseq, ~1 ns) per item otherwise;
 * nothing in pools without placement.
 */
int uwq__pool_place(struct uwq__worker *worker)
{
	struct uwq__pool *pool = worker->pool;
	int cpu;

	if (!pool->nr_slots)
		return -1;	/* bound or one-CPU pool: nothing to place */
	cpu = sched_getcpu();
	worker->seen_cpu = cpu;
	if (worker->flags & WORKER_NOT_RUNNING)
		return -1;
	if (worker->run_slot != cpu + 1)
		slot(worker, cpu);
	if (cpu < 0 || cpu >= pool->nr_slots || pool->on_cpu[cpu] < 2 || pool->nr_running > pool->concurrency)
		return -1;
	for (int c = 0; c < pool->nr_slots; c++) {
		if (!pool->on_cpu[c] && CPU_ISSET(c, &pool->cpus)) {
			slot(worker, c);
			worker->seen_cpu = c;
			return c;
		}
	}
	return -1;
}

/*
 * Move @worker, the caller, to @cpu (counted there by uwq__pool_place()),
 * then give it its pool's CPUs again: widening the mask does not move it
 * back. If the CPU cannot be used (taken out of the process's cpuset or
 * offline: uwq does not follow hotplug), it is counted where it is.
 */
void uwq__move_self(struct uwq__worker *worker, int cpu)
{
	static int warned;	/* A */
	struct uwq__pool *pool = worker->pool;
	cpu_set_t one;

	UWQ_TRACE3(worker_move, pool->id, uwq__worker_tid(worker), cpu);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) != 0) {
		pthread_mutex_lock(&pool->lock);
		worker->seen_cpu = sched_getcpu();
		if (worker->run_slot)
			slot(worker, worker->seen_cpu);
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	if (sched_setaffinity(0, sizeof(pool->cpus), &pool->cpus) != 0 && !atomic_xchg(&warned, 1))
		uwq__log("pool %s: a worker stays on CPU %d: cannot restore its CPUs: %s", pool->name, cpu,
			 strerror(errno));
}

void uwq__worker_set_flags(struct uwq__worker *worker, unsigned f)
{
	if ((worker->flags | f) & ~worker->flags & WORKER_BLOCKED_ANY)
		uwq__need_flags(worker, worker->flags, worker->flags | f);
	if (!(worker->flags & WORKER_NOT_RUNNING) && (f & WORKER_NOT_RUNNING)) {
		worker->pool->nr_running--;
		unslot(worker);
	}
	/* Stats: blocked time is taken out of the item's CPU estimate. */
	if (!(worker->flags & WORKER_BLOCKED_ANY) && (f & WORKER_BLOCKED_ANY) && worker->timed_start)
		worker->blocked_since = uwq__now_ns();
	worker->flags |= f;
}

void uwq__worker_clr_flags(struct uwq__worker *worker, unsigned f)
{
	unsigned oflags = worker->flags;

	worker->flags &= ~f;
	if (oflags & f & WORKER_BLOCKED_ANY)
		uwq__need_flags(worker, oflags, worker->flags);
	if ((oflags & WORKER_NOT_RUNNING) && !(worker->flags & WORKER_NOT_RUNNING)) {
		worker->pool->nr_running++;
		slot(worker, worker->seen_cpu);
	}
	if ((oflags & WORKER_BLOCKED_ANY) && !(worker->flags & WORKER_BLOCKED_ANY) && worker->blocked_since) {
		worker->item_blocked_ns += uwq__now_ns() - worker->blocked_since;
		worker->blocked_since = 0;
	}
}

/* Kick @worker; true if it sleeps and needs a futex_wake of its word. */
static bool kick_worker(struct uwq__worker *worker)
{
	/* Seq-cst exchange: pairs with the CAS NONE->SLEEPING in
	 * worker_wait(). Either the worker sees KICKED before it sleeps, or
	 * we see SLEEPING and wake it. */
	bool sleeping = atomic_xchg(&worker->wake, WAKE_KICKED) == WAKE_SLEEPING;

	UWQ_TRACE3(worker_kick, worker->pool->id, uwq__worker_tid(worker), sleeping);
	return sleeping;
}

static void wake_worker(struct uwq__worker *worker)
{
	if (kick_worker(worker))
		futex_wake(&worker->wake, 1);
}

bool uwq__kick_pool(struct uwq__pool *pool)
{
	return uwq__kick_pool_cpu(pool, -1);
}

/*
 * Wake the first idle worker (LIFO: the most recently idle, cache-warm).
 * For an unbound pool, when a worker on @cpu is about to block, prefer an
 * idle worker that last ran on @cpu among the first few: the scheduler then
 * tends to wake it on the CPU being freed, a same-CPU wake (~4 µs here)
 * rather than a cross-CPU one that preempts a busy CPU (~70 µs IPI) while
 * @cpu goes idle. Bound pools' workers all share their CPU.
 */
static struct uwq__worker *pick_idle(struct uwq__pool *pool, int cpu)
{
	struct uwq__list *pos;
	struct uwq__worker *worker;
	int scanned = 0;

	if (!uwq__need_more_worker(pool) || list_empty(&pool->idle_list))
		return NULL;
	worker = container_of(pool->idle_list.next, struct uwq__worker, idle_node);
	if (cpu >= 0 && pool->cpu < 0 && worker->last_cpu != cpu) {
		list_for_each(pos, &pool->idle_list) {
			struct uwq__worker *w = container_of(pos, struct uwq__worker, idle_node);

			if (w->last_cpu == cpu) {
				worker = w;
				break;
			}
			if (++scanned == 8)
				break;
		}
	}
	return worker;
}

bool uwq__kick_pool_cpu(struct uwq__pool *pool, int cpu)
{
	struct uwq__worker *worker = pick_idle(pool, cpu);

	if (!worker)
		return false;
	wake_worker(worker);
	return true;
}

/*
 * uwq__kick_pool_cpu(), but the futex wake, when one is needed, is left to the
 * caller once it has dropped pool->lock (*wake: the word to wake, else
 * NULL). Woken under the lock, a worker on the caller's CPU preempts it,
 * blocks on the lock and costs two more switches before it can start.
 * The reaper may free the worker first (it re-issues the kick): a futex
 * wake only uses the address, and a wake of a reused word is a spurious
 * wake-up, which every futex wait here tolerates.
 */
bool uwq__kick_pool_wake_later(struct uwq__pool *pool, int cpu, int **wake)
{
	struct uwq__worker *worker = pick_idle(pool, cpu);

	*wake = NULL;
	if (!worker)
		return false;
	if (kick_worker(worker))
		*wake = &worker->wake;
	return true;
}

static void worker_enter_idle(struct uwq__worker *worker)
{
	struct uwq__pool *pool = worker->pool;

	worker->flags |= WORKER_IDLE;
	worker->last_active = uwq__now_ns();
	worker->last_cpu = sched_getcpu();
	pool->nr_idle++;
	list_add(&worker->idle_node, &pool->idle_list);
	/* Under the lock: any kick after this sees NONE (see wake_worker). */
	__atomic_store_n(&worker->wake, WAKE_NONE, __ATOMIC_SEQ_CST);
	if (!pool->reap_poked && READ_ONCE(uwq__g.cfg.idle_timeout_ns) && uwq__too_many_workers(pool)) {
		pool->reap_poked = true;
		uwq__monitor_poke();
	}
}

static void worker_leave_idle(struct uwq__worker *worker)
{
	worker->flags &= ~WORKER_IDLE;
	worker->pool->nr_idle--;
	list_del(&worker->idle_node);
}

/* Called and returns with pool->lock held; sleeps until kicked. */
static void worker_wait(struct uwq__worker *worker)
{
	struct uwq__pool *pool = worker->pool;
	int expect = WAKE_NONE;
	uint64_t spin = uwq__g.cfg.idle_spin_ns;

	pthread_mutex_unlock(&pool->lock);
	if (spin && worker->spin_next) {
		uint64_t end = uwq__now_ns() + spin;

		while (atomic_load_sc(&worker->wake) == WAKE_NONE && uwq__now_ns() < end)
			sched_yield();
	}
	if (atomic_cas(&worker->wake, &expect, WAKE_SLEEPING)) {
		while (atomic_load_sc(&worker->wake) == WAKE_SLEEPING)
			futex_wait(&worker->wake, WAKE_SLEEPING);
	}
	/* Adaptive: spin next time only if this idle spell was short enough
	 * for a spin to have caught its wake (last_active: when it began). */
	if (spin)
		worker->spin_next = uwq__now_ns() - worker->last_active <= 2 * spin;
	pthread_mutex_lock(&pool->lock);
}

/* create_worker(): not made, the pool is at its cap (not a failure). */
#define CREATE_AT_CAP	1

/* The pool may not grow: report it once, and let rescuers act. L held. */
static void at_cap(struct uwq__pool *pool)
{
	if (!pool->create_warned)
		uwq__log("pool %s: at the cap of %d workers; items wait for a running worker", pool->name,
			 pool->max_workers);
	pool->create_warned = true;
	/* Rescuer-backed queues still progress (mayday). */
	if (!pool->mayday_at)
		pool->mayday_at = uwq__now_ns() + uwq__g.cfg.mayday_initial_ns;
	uwq__monitor_arm();
}

/*
 * The kernel's manage_workers(): the worker that found no idle worker left
 * creates one, so that a worker is on standby before work starts. Returns
 * true if it created one, or found the cap lowered meanwhile (the lock was
 * dropped: recheck); false if another
 * worker is managing, or at the cap, or creation failed: then the caller
 * works without a standby (unlike the kernel, which waits here).
 */
static bool manage_workers(struct uwq__worker *worker)
{
	struct uwq__pool *pool = worker->pool;
	bool created = false;

	if (pool->manager_active)
		return false;
	pool->manager_active = true;
	while (uwq__need_to_create_worker(pool)) {
		int err;

		if (pool->nr_workers >= pool->max_workers) {
			at_cap(pool);
			break;
		}
		pool->creating = true;
		pthread_mutex_unlock(&pool->lock);
		err = uwq__create_worker(pool);
		pthread_mutex_lock(&pool->lock);
		if (err == CREATE_AT_CAP) {
			created = true;	/* not made, but the lock was dropped: recheck */
			continue;	/* the cap was lowered meanwhile */
		}
		if (err) {
			/* Go on working; the monitor retries after the cooldown
			 * and summons rescuers (the kernel's mayday timer). */
			if (!pool->create_warned)
				uwq__log("pool %s: cannot create a worker: %s; retrying every %llu ms",
					 pool->name, strerror(-err),
					 (unsigned long long)(uwq__g.cfg.create_cooldown_ns / 1000000));
			pool->create_warned = true;
			break;
		}
		created = true;
	}
	pool->manager_active = false;
	return created;
}

/*
 * A worker is about to block (hint, or the monitor saw it) and the pool
 * kicked its last idle worker. Rather than let the woken worker create the
 * next standby before it may work (manage_workers), the caller creates it:
 * its own time is free (it is about to block, or it is the monitor). L
 * held; returns true if the caller must call uwq__pool_make_standby().
 */
bool uwq__pool_claim_standby(struct uwq__pool *pool)
{
	if (pool->nr_idle > 1 || pool->manager_active || pool->nr_workers >= pool->max_workers ||
	    !uwq__need_more_worker(pool) || !uwq__need_may_grow(pool))
		return false;
	pool->manager_active = true;
	pool->creating = true;
	return true;
}

/* A claimed standby was made (or not): the pool may manage again. */
static void finish_standby(struct uwq__pool *pool, int err)
{
	pthread_mutex_lock(&pool->lock);
	pool->manager_active = false;
	if (!err)
		uwq__kick_pool(pool);	/* in case the woken one blocked meanwhile */
	pthread_mutex_unlock(&pool->lock);
}

static bool ask_creator(struct uwq__pool *pool, bool standby, int *err);
static int create_worker(struct uwq__pool *pool);

/*
 * Create the standby claimed by uwq__pool_claim_standby(); lock not held.
 * Asked of a worker, the creator thread makes it and the worker goes on
 * at once (it is about to block; it needs no result).
 */
void uwq__pool_make_standby(struct uwq__pool *pool)
{
	if (!ask_creator(pool, true, NULL))
		finish_standby(pool, create_worker(pool));
}

/*
 * Worker stacks (see "Stacks" above). S: stacks.lock, a leaf. Entries are
 * oldest first; a new worker takes the newest one of its size.
 */
#define STACK_CACHE_MAX		64
#define STACK_KEEP_BELOW	(16 << 10)	/* kept below the worker's first frame */
#define STACK_KEEP_MIN_NS	1000000000ull	/* cached at least this long */
#define STACK_POPULATE		(16 << 10)	/* mapped in advance at the top of a new stack */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23		/* Linux 5.14 */
#endif

static struct {
	pthread_mutex_t		lock;
	int			n;				/* S */
	struct cached_stack {
		void		*map;
		size_t		len;
		uint64_t	since;				/* when cached */
	} s[STACK_CACHE_MAX];					/* S */
} stacks = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void creator_poke(void);

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* The mapping a worker's stack needs: the default thread stack size
 * (RLIMIT_STACK, or pthread_setattr_default_np()) plus a guard page. */
static size_t stack_len(void)
{
	pthread_attr_t attr;
	size_t size = 0, page = page_size();

	pthread_attr_init(&attr);
	pthread_attr_getstacksize(&attr, &size);
	pthread_attr_destroy(&attr);
	return ((size + page - 1) & ~(page - 1)) + page;
}

/* A stack of @len bytes, guard page at the bottom: cached, else new; NULL
 * if it cannot be mapped. */
static void *stack_get(size_t len)
{
	void *map = NULL;

	pthread_mutex_lock(&stacks.lock);
	for (int i = stacks.n - 1; i >= 0; i--) {
		if (stacks.s[i].len == len) {
			map = stacks.s[i].map;
			memmove(&stacks.s[i], &stacks.s[i + 1], (size_t)(stacks.n - 1 - i) * sizeof(stacks.s[0]));
			stacks.n--;
			break;
		}
	}
	pthread_mutex_unlock(&stacks.lock);
	if (map)
		return map;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	if (mprotect(map, page_size(), PROT_NONE) != 0) {
		munmap(map, len);
		return NULL;
	}
	/* Its top: the thread's descriptor and TLS, its first frames, and
	 * what its items use first; an older kernel faults them in. */
	if (len > STACK_POPULATE + page_size())
		(void)madvise((char *)map + len - STACK_POPULATE, STACK_POPULATE, MADV_POPULATE_WRITE);
	return map;
}

/*
 * The stack of a joined (or never started) worker goes to the cache. Its
 * pages below @keep (NULL: none) go back to the system: everything but
 * what the worker's start used (the thread's descriptor and TLS at the
 * top, its first frames) and STACK_KEEP_BELOW under that, as glibc keeps
 * of the stacks it caches; the next worker finds that part resident. The
 * oldest entry leaves a full cache. The creator frees entries as they
 * expire.
 */
static void stack_put(void *map, size_t len, char *keep)
{
	struct cached_stack old = { 0 };
	size_t page = page_size();
	char *low = (char *)map + page;
	bool first;

	if (!map)
		return;
	if (keep) {
		keep = (char *)((uintptr_t)keep & ~(uintptr_t)(page - 1));
		if (keep > low)
			madvise(low, (size_t)(keep - low), MADV_DONTNEED);
	}
	pthread_mutex_lock(&stacks.lock);
	if (stacks.n == STACK_CACHE_MAX) {
		old = stacks.s[0];
		memmove(&stacks.s[0], &stacks.s[1], (size_t)(stacks.n - 1) * sizeof(stacks.s[0]));
		stacks.n--;
	}
	stacks.s[stacks.n++] = (struct cached_stack){ map, len, uwq__now_ns() };
	first = stacks.n == 1;
	pthread_mutex_unlock(&stacks.lock);
	if (old.map)
		munmap(old.map, old.len);
	if (first)
		creator_poke();	/* to time the expiry */
}

/* Free the stacks cached longer than the idle timeout (at least
 * STACK_KEEP_MIN_NS), or all; returns when the next one expires. */
static uint64_t stack_trim(uint64_t now, bool all)
{
	uint64_t keep = READ_ONCE(uwq__g.cfg.idle_timeout_ns), next = UINT64_MAX;
	struct cached_stack gone[STACK_CACHE_MAX];
	int k = 0;

	if (keep < STACK_KEEP_MIN_NS)
		keep = STACK_KEEP_MIN_NS;
	pthread_mutex_lock(&stacks.lock);
	while (k < stacks.n && (all || now - stacks.s[k].since >= keep)) {
		gone[k] = stacks.s[k];
		k++;
	}
	memmove(&stacks.s[0], &stacks.s[k], (size_t)(stacks.n - k) * sizeof(stacks.s[0]));
	stacks.n -= k;
	if (stacks.n)
		next = stacks.s[0].since + keep;
	pthread_mutex_unlock(&stacks.lock);
	while (k--)
		munmap(gone[k].map, gone[k].len);
	return next;
}

static void worker_setup_thread(struct uwq__worker *worker)
{
	struct uwq__pool *pool = worker->pool;
	char name[40];

	uwq__current_worker = worker;
	__atomic_store_n(&worker->tid, gettid(), __ATOMIC_RELAXED);
	if (pthread_getcpuclockid(pthread_self(), &worker->cpuclock) != 0)
		worker->cpuclock = CLOCK_THREAD_CPUTIME_ID;	/* monitor skips it */
	/* The kernel's kworker/<cpu>:<id>H and kworker/u<pool>:<id> shapes. */
	if (pool->cpu >= 0)
		snprintf(name, sizeof(name), "uwq/%d:%d%s", pool->cpu, worker->id, pool->nice < 0 ? "H" : "");
	else
		snprintf(name, sizeof(name), "uwq/u%d:%d%s", pool->id, worker->id, pool->nice < 0 ? "H" : "");
	name[15] = '\0';	/* the kernel's comm limit */
	pthread_setname_np(pthread_self(), name);
	UWQ_TRACE3(worker_start, pool->id, worker->id, uwq__worker_tid(worker));
	if (!worker->affine)
		pthread_setaffinity_np(pthread_self(), sizeof(pool->cpus), &pool->cpus);
	/* Always: a thread starts with its creator's nice level. */
	if (setpriority(PRIO_PROCESS, (id_t)worker->tid, pool->nice) != 0 && !atomic_xchg(&nice_warned, 1))
		uwq__log("cannot set a worker's nice level to %d (it keeps its creator's): that needs CAP_SYS_NICE or RLIMIT_NICE",
			 pool->nice);
}

static void *worker_thread(void *arg)
{
	struct uwq__worker *worker = arg;
	struct uwq__pool *pool = worker->pool;
	char *frame = __builtin_frame_address(0);

	/* What a cached stack keeps (stack_put()); read after the join. */
	worker->stack_keep = frame - STACK_KEEP_BELOW > (char *)worker->stack ? frame - STACK_KEEP_BELOW : NULL;
	worker_setup_thread(worker);
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		/* Idle here: the creator, or the previous round, entered idle. */
		worker_wait(worker);
		if (worker->flags & WORKER_DIE)
			break;
		worker_leave_idle(worker);
recheck:
		if (!uwq__need_more_worker(pool))
			goto sleep;
		if (!may_start_working(pool) && manage_workers(worker))
			goto recheck;
		uwq__worker_clr_flags(worker, WORKER_PREP);
		uwq__worker_process(worker);
		uwq__worker_set_flags(worker, WORKER_PREP);
sleep:
		worker_enter_idle(worker);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

static void note_create_failure(struct uwq__pool *pool)
{
	uint64_t now = uwq__now_ns();

	pool->create_fail_at = now;
	if (!pool->mayday_at)
		pool->mayday_at = now + uwq__g.cfg.mayday_initial_ns;
	uwq__monitor_arm();
}

/*
 * Creates a worker that starts idle. Takes pool->lock itself; the caller
 * set pool->creating when it decided to create (under the cap of that
 * moment). Returns 0, CREATE_AT_CAP if the pool reached its cap since (a
 * cap lowered by uwq_set_pool_limits() holds for a creation decided
 * before), or -errno. The thread's CPU clock id is read by the thread
 * itself before it can run an item.
 */
static int create_worker(struct uwq__pool *pool)
{
	struct uwq__worker *worker = calloc(1, sizeof(*worker));
	size_t len = stack_len();
	void *stack = worker ? stack_get(len) : NULL;
	pthread_attr_t attr;
	sigset_t all;
	int err;

	if (!stack) {
		free(worker);
		pthread_mutex_lock(&pool->lock);
		pool->creating = false;
		note_create_failure(pool);
		pthread_mutex_unlock(&pool->lock);
		return -ENOMEM;
	}
	worker->stack = stack;
	worker->stack_len = len;
	wlist_init(&worker->scheduled);
	list_init(&worker->idle_node);
	worker->pool = pool;
	worker->flags = WORKER_PREP;
	worker->m_stat_fd = -1;
	worker->last_cpu = -1;
	worker->seen_cpu = -1;
	worker->spin_next = true;

	/* Test builds: hold here, between the decision and the count, where
	 * a cap lowered meanwhile must still stop the creation. */
	while (uwq__fault(UWQ_FAULT_CREATE_HOLD))
		usleep(1000);
	/* The cap is checked in the hold that counts the worker: once
	 * uwq_set_pool_limits() has set a pool's cap (under its lock), no
	 * worker is counted past it. */
	pthread_mutex_lock(&pool->lock);
	pool->creating = false;
	if (pool->nr_workers >= pool->max_workers) {
		at_cap(pool);
		pthread_mutex_unlock(&pool->lock);
		stack_put(stack, len, NULL);
		free(worker);
		return CREATE_AT_CAP;
	}
	worker->id = pool->next_id++;
	list_add_tail(&worker->all_node, &pool->workers);
	pool->nr_workers++;
	worker_enter_idle(worker);
	pthread_mutex_unlock(&pool->lock);

	/* Workers block every signal: handlers belong to the user's threads.
	 * And they never inherit their maker's scheduling: the monitor
	 * (SCHED_FIFO), an interrupt thread or a user thread may create one,
	 * and priorities must not leak into a pool (the nice level is set by
	 * the worker itself, worker_thread()). The creator's own policy
	 * (SCHED_OTHER) and CPUs (all of uwq's) are what a worker needs, so
	 * its workers inherit them: explicit scheduling makes glibc start
	 * the thread stopped, set it from here and then release it (three
	 * system calls and a futex hand-over), and a worker of an unbound
	 * pool of every CPU needs no affinity call of its own. */
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setsigmask_np(&attr, &all);
	pthread_attr_setstack(&attr, (char *)stack + page_size(), len - page_size());
	if (in_creator) {
		worker->affine = CPU_EQUAL(&pool->cpus, &uwq__g.allowed);
	} else {
		pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
		pthread_attr_setschedparam(&attr, &(struct sched_param){ .sched_priority = 0 });
	}
	err = uwq__fault(UWQ_FAULT_WORKER_CREATE);
	if (!err)
		err = pthread_create(&worker->thread, &attr, worker_thread, worker);
	pthread_attr_destroy(&attr);

	pthread_mutex_lock(&pool->lock);
	if (err) {
		list_del(&worker->all_node);
		pool->nr_workers--;
		if (worker->flags & WORKER_IDLE)
			worker_leave_idle(worker);
		uwq__kick_pool(pool);	/* re-issue a kick it may have swallowed */
		note_create_failure(pool);
		pthread_mutex_unlock(&pool->lock);
		stack_put(stack, len, NULL);
		free(worker);
		return -err;
	}
	worker->born = true;
	pool->nr_created++;
	pool->create_fail_at = 0;
	pool->mayday_at = 0;
	pool->create_warned = false;
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

/*
 * The creator thread (see "Who makes workers" above). C: creator.lock,
 * never held with a pool's lock.
 */
static struct {
	pthread_mutex_t		lock;
	struct uwq__list	asked;		/* C: pools waiting, by pool->create_node */
	int			events;		/* A: futex word; bumped under C per ask and at stop */
	bool			idle;		/* C: the creator sleeps on events (or is about to) */
	bool			running;	/* C */
	bool			stop;		/* C: exit once nothing is asked */
	pthread_t		thread;		/* C */
} creator = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.asked = { &creator.asked, &creator.asked },
};

/* One creation asked of the creator; C held, returns with it held. */
static void creator_serve(void)
{
	struct uwq__pool *pool = container_of(creator.asked.next, struct uwq__pool, create_node);
	bool standby = pool->create_standby;
	int err;

	list_del(&pool->create_node);
	pthread_mutex_unlock(&creator.lock);
	if (standby) {
		finish_standby(pool, create_worker(pool));
	} else {
		err = create_worker(pool);
		pool->create_err = err;
		/* Release: the asker reads create_err after it sees 1. */
		store_release(&pool->create_done, 1);
		futex_wake(&pool->create_done, 1);
	}
	pthread_mutex_lock(&creator.lock);
}

static void *creator_thread(void *arg)
{
	(void)arg;
	in_creator = true;
	pthread_setname_np(pthread_self(), "uwq-creator");
	/* The most favourable nice level permitted: it makes the workers of
	 * high-priority pools too. Its workers set their own (worker_thread()). */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), -20) != 0)
		(void)setpriority(PRIO_PROCESS, (id_t)gettid(), -5);
	for (;;) {
		uint64_t now = uwq__now_ns(), next = stack_trim(now, false);
		int ev;

		pthread_mutex_lock(&creator.lock);
		if (!list_empty(&creator.asked)) {
			creator_serve();
			pthread_mutex_unlock(&creator.lock);
			continue;
		}
		if (creator.stop) {
			pthread_mutex_unlock(&creator.lock);
			break;
		}
		/* An ask or a poke after this bumps events under C: the wait
		 * returns. */
		creator.idle = true;
		ev = READ_ONCE(creator.events);
		pthread_mutex_unlock(&creator.lock);
		if (next == UINT64_MAX)
			futex_wait(&creator.events, ev);
		else if (next > now)
			futex_wait_ns(&creator.events, ev, next - now);
	}
	return NULL;
}

/* Something for the creator to see (C held): its wait returns. True if
 * it sleeps: the caller calls creator_wake() once C is dropped. */
static bool creator_event(void)
{
	bool wake = creator.idle;

	creator.idle = false;
	atomic_add_fetch(&creator.events, 1);
	return wake;
}

static void creator_wake(void)
{
	futex_wake(&creator.events, 1);
}

/* A stack was cached into an empty cache: the creator times its expiry. */
static void creator_poke(void)
{
	bool wake;

	pthread_mutex_lock(&creator.lock);
	wake = creator_event();
	pthread_mutex_unlock(&creator.lock);
	if (wake)
		creator_wake();
}

/* Started with the first pool; a failure leaves creation to the workers. */
static void creator_start(void)
{
	pthread_attr_t attr;
	sigset_t all;
	int err;

	pthread_mutex_lock(&creator.lock);
	if (creator.running) {
		pthread_mutex_unlock(&creator.lock);
		return;
	}
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setsigmask_np(&attr, &all);
	/* Never its starter's policy or CPUs (the monitor is SCHED_FIFO; a
	 * user thread may be pinned). */
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
	pthread_attr_setschedparam(&attr, &(struct sched_param){ .sched_priority = 0 });
	pthread_attr_setaffinity_np(&attr, sizeof(uwq__g.allowed), &uwq__g.allowed);
	creator.stop = false;
	err = uwq__thread_create(&creator.thread, &attr, creator_thread, NULL);
	pthread_attr_destroy(&attr);
	if (err)
		uwq__log("cannot start the creator thread: %s; workers create workers themselves", strerror(err));
	else
		creator.running = true;
	pthread_mutex_unlock(&creator.lock);
}

/*
 * A worker's creation goes to the creator: true if asked (@standby: the
 * creator finishes the claimed standby itself; else this waits for the
 * result in *err), false if the caller must create (not a worker, or no
 * creator). At most one creation per pool is in flight (manager_active),
 * so the pool's one create_node suffices.
 */
static bool ask_creator(struct uwq__pool *pool, bool standby, int *err)
{
	bool wake;

	if (!uwq__current_worker)
		return false;
	pthread_mutex_lock(&creator.lock);
	if (!creator.running || creator.stop) {
		pthread_mutex_unlock(&creator.lock);
		return false;
	}
	pool->create_standby = standby;
	__atomic_store_n(&pool->create_done, 0, __ATOMIC_RELAXED);	/* read by us only after C */
	list_add_tail(&pool->create_node, &creator.asked);
	wake = creator_event();
	pthread_mutex_unlock(&creator.lock);
	if (wake)
		creator_wake();
	if (standby)
		return true;
	while (!load_acquire(&pool->create_done))
		futex_wait(&pool->create_done, 0);
	*err = pool->create_err;
	return true;
}

/* uwq_shutdown(): after the pools, so no creation is asked any more. */
void uwq__creator_shutdown(void)
{
	bool running;

	pthread_mutex_lock(&creator.lock);
	running = creator.running;
	creator.stop = true;
	(void)creator_event();
	pthread_mutex_unlock(&creator.lock);
	if (running) {
		creator_wake();
		pthread_join(creator.thread, NULL);
	}
	pthread_mutex_lock(&creator.lock);
	creator.running = false;
	creator.stop = false;
	creator.idle = false;
	pthread_mutex_unlock(&creator.lock);
	stack_trim(0, true);	/* every worker was joined */
}

/* fork.c: no creator in the child until a pool starts. The cached stacks
 * are left to the parent, like the rest of its state: the list may be
 * mid-update, and what the child never touches costs it no memory. */
void uwq__creator_atfork_child(void)
{
	memset(&creator, 0, sizeof(creator));
	pthread_mutex_init(&creator.lock, NULL);
	list_init(&creator.asked);
	stacks.n = 0;
	pthread_mutex_init(&stacks.lock, NULL);
}

int uwq__create_worker(struct uwq__pool *pool)
{
	int err;

	if (ask_creator(pool, false, &err))
		return err;
	return create_worker(pool);
}

/*
 * Idle culling (kernel idle_worker_timeout/idle_cull_fn): while the pool has
 * too many idle workers, the oldest idle one (tail of the LIFO list) exits
 * once idle longer than the timeout. L held. *next gets the next expiry.
 */
/* When a worker idle since @since may go: saturated, never a wrap. */
static uint64_t reap_at(uint64_t since, uint64_t timeout)
{
	return timeout > UINT64_MAX - since ? UINT64_MAX : since + timeout;
}

void uwq__pool_reap(struct uwq__pool *pool, uint64_t now, uint64_t *next)
{
	uint64_t timeout = READ_ONCE(uwq__g.cfg.idle_timeout_ns);

	pool->reap_poked = false;
	if (!timeout)
		return;
	while (uwq__too_many_workers(pool) && !list_empty(&pool->idle_list)) {
		struct uwq__worker *worker = container_of(pool->idle_list.prev, struct uwq__worker, idle_node);

		/* Idle from birth, but its thread may not exist yet (its
		 * creator is between list insertion and pthread_create()):
		 * reaping it would join and free it under the new thread. */
		if (!worker->born) {
			if (reap_at(now, timeout) < *next)
				*next = reap_at(now, timeout);
			break;
		}
		if (reap_at(worker->last_active, timeout) > now) {
			if (reap_at(worker->last_active, timeout) < *next)
				*next = reap_at(worker->last_active, timeout);
			break;
		}
		worker_leave_idle(worker);
		list_del(&worker->all_node);
		pool->nr_workers--;
		pool->nr_reaped++;
		worker->flags |= WORKER_DIE;
		UWQ_TRACE3(worker_reap, pool->id, worker->id, uwq__worker_tid(worker));
		list_add_tail(&worker->all_node, &pool->dead);
		wake_worker(worker);
	}
}

/* After pthread_join(): the thread no longer uses its stack. */
static void free_worker(struct uwq__worker *worker)
{
	if (worker->m_stat_fd >= 0)
		close(worker->m_stat_fd);
	stack_put(worker->stack, worker->stack_len, worker->stack_keep);
	free(worker);
}

/* Join the workers uwq__pool_reap() told to exit. Takes pool->lock. */
void uwq__pool_join_dead(struct uwq__pool *pool)
{
	struct uwq__list dead, *pos, *tmp;

	list_init(&dead);
	pthread_mutex_lock(&pool->lock);
	if (!list_empty(&pool->dead)) {
		dead = pool->dead;
		dead.next->prev = &dead;
		dead.prev->next = &dead;
		list_init(&pool->dead);
	}
	pthread_mutex_unlock(&pool->lock);
	list_for_each_safe(pos, tmp, &dead) {
		struct uwq__worker *worker = container_of(pos, struct uwq__worker, all_node);

		pthread_join(worker->thread, NULL);
		free_worker(worker);
	}
}

/* Creates the pool's first worker; called from the queue path. */
void uwq__pool_start(struct uwq__pool *pool)
{
	int expect = 0, err;
	bool warn;

	if (!atomic_cas(&pool->started, &expect, 2))
		return;
	uwq__monitor_start();
	creator_start();
	pthread_mutex_lock(&pool->lock);
	pool->manager_active = true;
	pool->creating = true;
	pthread_mutex_unlock(&pool->lock);
	err = uwq__create_worker(pool);
	pthread_mutex_lock(&pool->lock);
	pool->manager_active = false;
	if (!err)
		uwq__kick_pool(pool);
	warn = err && !pool->create_warned;
	if (err)
		pool->create_warned = true;
	pthread_mutex_unlock(&pool->lock);
	if (warn)
		uwq__log("pool %s: cannot start its first worker: %s; retrying every %llu ms",
			 pool->name, strerror(-err), (unsigned long long)(uwq__g.cfg.create_cooldown_ns / 1000000));
	/* Release: a later reader of started == 1 sees the worker lists. */
	store_release(&pool->started, err ? 0 : 1);
}

int uwq__nr_pools(void)
{
	return 2 * uwq__g.nr_cpus + load_acquire(&uwq__g.nr_upools);
}

struct uwq__pool *uwq__pool_at(int i)
{
	int b = 2 * uwq__g.nr_cpus;

	return i < b ? uwq__g.bound[i] : uwq__g.upools[i - b];
}

/* The cap for @pool: the configured one, or 64 + 8 per CPU (L or init). */
static int pool_cap(const struct uwq__pool *pool)
{
	int max = READ_ONCE(uwq__g.cfg.max_workers);

	return max ? max : 64 + 8 * CPU_COUNT(&pool->cpus);
}

void uwq__pool_set_cap(struct uwq__pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->max_workers = pool_cap(pool);
	pthread_mutex_unlock(&pool->lock);
}

struct uwq__pool *uwq__pool_create(int cpu, int nice, const cpu_set_t *cpus, int concurrency)
{
	/* The alloc site: unbound pools are made for new attributes. */
	int slots = cpu < 0 && concurrency > 1 ? uwq__g.max_cpu : 0;
	struct uwq__pool *pool = uwq__zalloc(sizeof(*pool) + (size_t)slots * sizeof(pool->on_cpu[0]));

	if (!pool)
		return NULL;
	pool->nr_slots = slots;
	pthread_mutex_init(&pool->lock, NULL);
	pool->id = uwq__g.next_pool_id++;
	pool->cpu = cpu;
	pool->nice = nice;
	pool->concurrency = concurrency;
	pool->cpus = *cpus;
	pool->max_workers = pool_cap(pool);
	pool->last_progress = uwq__now_ns();
	if (cpu >= 0)
		snprintf(pool->name, sizeof(pool->name), "%d%s", cpu, nice < 0 ? "H" : "");
	else
		snprintf(pool->name, sizeof(pool->name), "u%d", pool->id);
	wlist_init(&pool->worklist);
	list_init(&pool->idle_list);
	list_init(&pool->workers);
	list_init(&pool->waiters);
	list_init(&pool->dead);
	list_init(&pool->create_node);
	return pool;
}

/* Stops and joins every worker; the pool must have no work left. */
void uwq__pool_destroy(struct uwq__pool *pool)
{
	struct uwq__list *pos, *tmp;

	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	while (pool->manager_active || load_acquire(&pool->started) == 2) {
		pthread_mutex_unlock(&pool->lock);
		sched_yield();
		pthread_mutex_lock(&pool->lock);
	}
	list_for_each(pos, &pool->workers) {
		struct uwq__worker *worker = container_of(pos, struct uwq__worker, all_node);

		worker->flags |= WORKER_DIE;
		wake_worker(worker);
	}
	pthread_mutex_unlock(&pool->lock);
	list_for_each_safe(pos, tmp, &pool->workers) {
		struct uwq__worker *worker = container_of(pos, struct uwq__worker, all_node);

		pthread_join(worker->thread, NULL);
		free_worker(worker);
	}
	uwq__pool_join_dead(pool);
#ifdef UWQ_FAULT_INJECTION
	/* Test builds: invariant 4 over the pool's life; every worker has
	 * left, so no count may remain. */
	for (int c = 0; c < pool->nr_slots; c++) {
		if (pool->on_cpu[c]) {
			uwq__log("pool %s: placement count of CPU %d is %d with no worker left", pool->name, c,
				 pool->on_cpu[c]);
			abort();
		}
	}
#endif
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}
