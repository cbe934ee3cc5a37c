/* SPDX-License-Identifier: MIT */
/*
 * inbox.pml - queueing without the pool lock: the pool's inbox as
 * implemented in src/wq (docs/verification.md).
 *
 * One pool with two workers and `concurrency` CONC (1 or 2); NQ client
 * threads (2 or 3) queue distinct items: queuer 0 queues Q0_ITEMS of them
 * one after the other, every other queuer one. The pool is started and its
 * two workers are idle (the cap: no worker is created).
 *
 * What is modelled is the code's own mechanism, step by step:
 *   - pool->inbox, a Treiber stack (inbox[0..nin-1], oldest first): a push
 *     is one step (the successful CAS); a splice is one step (the exchange
 *     with NULL; putting the items on the worklist is guarded by the lock);
 *   - pool->nr_running, changed under the lock but read by queuers
 *     without it; each change and each read is one step;
 *   - pool->lock; the worklist (a FIFO channel); the idle list (LIFO);
 *   - each worker's wake word NONE/KICKED/SLEEPING, with the futex:
 *     futex_wait sleeps only if the word is still SLEEPING, futex_wake
 *     ends such a sleep (a late one is a spurious wake-up, re-checked).
 * Function by function (src/...):
 *   lock_pool()      internal/wq.h uwq__pool_lock(): its relaxed load of
 *                    the inbox may see a stale NULL (below)
 *   splice()         wq/workqueue.c uwq__pool_splice(), insert_work()
 *   queuer()         wq/workqueue.c queue_work_counted(), inbox_push()
 *   worker()         wq/pool.c worker_thread(), worker_wait(),
 *                    worker_enter_idle()/leave_idle(); wq/worker.c
 *                    uwq__worker_process(), keep_working()
 *   process_one()    wq/worker.c uwq__process_one_work()
 *   not_running()    wq/pool.c uwq__worker_set_flags()
 *   kick_later()     wq/pool.c uwq__kick_pool_wake_later(), pick_idle(),
 *                    kick_worker(); kick_pool(): uwq__kick_pool()
 *   block()          wq/blocking.c uwq__block_begin()/uwq__block_end()
 *                    (WITH_BLOCK: one work function blocks, hinted)
 *
 * Memory model: sequentially consistent, as the code's seq-cst atomics and
 * mutexes are, with one exception: uwq__pool_lock() reads the inbox
 * relaxed, so that read may miss pushes; the model lets every such read
 * miss a non-empty inbox except the queuer's read of an inbox that still
 * holds its own item (coherence: its own push is ordered before its read,
 * and only a splice, which would have taken the item, writes NULL). This
 * allows more than C11 does, never less. What seq-cst forbids and weaker
 * orderings allow (a load passing an earlier store) is modelled by the
 * mutants 1 and 2, which make that reordering in the code.
 *
 * Ghost state: ran[i] (item i started), nran, the start order per queuer.
 * Checked:
 *   safety (assertions, and no invalid end state: a lost item leaves the
 *   final checker blocked while every worker sleeps)
 *     B1 an item starts at most once (and, with B2, exactly once);
 *     B2 every queued item starts (final checker);
 *     B3 FIFO: each queuer's items start in the order it queued them;
 *        with CONC 1 and no block, no two work functions run at once, so
 *        they also end in that order;
 *   liveness (ltl `live`, checked with -a -f under weak fairness)
 *     B4 every queued item eventually starts.
 *
 * MUTANT (spin -DMUTANT=n; models/check.sh runs each expecting a failure):
 *   1  the queuer loads nr_running before its push (the load passes the
 *      store, as it may without seq-cst): both it and a worker leaving
 *      nr_running miss each other, the item stays in the inbox (B2, B4)
 *   2  a worker leaving nr_running loads the inbox before its decrement:
 *      the mirror image of 1 (B2, B4)
 *   3  a worker going idle does not kick when its leaving spliced items:
 *      they wait on the worklist with every worker asleep (B2, B4)
 *   4  the splice does not reverse the stack: items leave newest first
 *      (B3)
 *   5  the queuer's slow path takes the plain lock, without the splice:
 *      its kick finds an empty worklist (B2, B4)
 *
 * REACH (spin -DREACH=n; check.sh expects each assertion to fire, so the
 * passing runs are not vacuous): assert(0) on 1 the queuer's lock-free
 * return, 2 a leaver's splice, 3 a stale look under the lock, 4 the idle
 * worker's self-kick with items waiting.
 */

#ifndef MUTANT
#define MUTANT 0
#endif
#ifndef REACH
#define REACH 0
#endif
#ifndef CONC
#define CONC 1			/* pool->concurrency */
#endif
#ifndef NQ
#define NQ 2			/* queuers: 2 or 3 */
#endif
#ifndef Q0_ITEMS
#define Q0_ITEMS 2		/* items queued by queuer 0, in order */
#endif

#define NW 2			/* workers, numbered 0 and 1 */
#define NITEMS (Q0_ITEMS + NQ - 1)	/* items numbered from 1 */

#define WAKE_NONE	0
#define WAKE_KICKED	1
#define WAKE_SLEEPING	2

/* the pool */
bit plock;			/* pool->lock */
byte nr_running;		/* pool->nr_running */
byte inbox[NITEMS];		/* pool->inbox, oldest first */
byte nin;			/* items in the inbox */
chan worklist = [NITEMS] of { byte };	/* pool->worklist */
byte idle[NW];			/* idle list: idle[nidle - 1] is its first */
byte nidle;
byte wake[NW];			/* worker->wake */
bit infutex[NW];		/* asleep in futex_wait on its wake word */

/* ghost */
bit in_inbox[NITEMS + 1];
bit ran[NITEMS + 1];
byte nran;			/* items started */
byte owner[NITEMS + 1];		/* the queuer of each item */
byte qpos[NITEMS + 1];		/* its place in that queuer's order */
byte nextq[NQ];			/* each queuer's next item to start */
byte executing;			/* work functions running */
bit blocked_once;		/* WITH_BLOCK: the one block was spent */

/* REACH=n: fail on reaching the step n (check.sh: the checks are not vacuous) */
#define reached(n)	assert(REACH != n)

#define need_more_worker	(len(worklist) > 0 && nr_running < CONC)
#define keep_working		(len(worklist) > 0 && nr_running <= CONC)

/*
 * uwq__pool_splice() (L held): one exchange empties the inbox; the items
 * go on the worklist oldest first (insert_work(), under the lock).
 */
inline splice()
{
	atomic {
		i = 0;
		do
		:: i < nin ->
#if MUTANT == 4
			worklist ! inbox[nin - 1 - i];
#else
			worklist ! inbox[i];
#endif
			i++
		:: else -> break
		od;
		i = 0;
		do
		:: i < nin -> in_inbox[inbox[i]] = 0; inbox[i] = 0; i++
		:: else -> break
		od;
		nin = 0;
		i = 0
	}
}

/*
 * uwq__pool_lock(): the mutex, then a relaxed load of the inbox and a
 * splice if it saw items. @own: the caller's own push is still in the
 * inbox, so its load cannot miss it.
 */
inline lock_pool(own)
{
	atomic { plock == 0 -> plock = 1 };
	if
	:: nin > 0 -> splice()
	:: nin > 0 && !(own) -> reached(3)	/* the relaxed load saw a stale NULL */
	:: nin == 0 -> skip
	fi
}

inline unlock_pool()
{
	plock = 0
}

/* The idle list (L held): worker_enter_idle() adds at the front,
 * worker_leave_idle() removes. */
inline idle_add(me)
{
	d_step {
		idle[nidle] = me;
		nidle++;
		wake[me] = WAKE_NONE	/* under the lock: later kicks see NONE */
	}
}

inline idle_remove(me)
{
	d_step {
		i = 0;
		do
		:: idle[i] == me -> break
		:: else -> i++
		od;
		do
		:: i + 1 < nidle -> idle[i] = idle[i + 1]; i++
		:: else -> break
		od;
		nidle--;
		idle[nidle] = 0;
		i = 0
	}
}

/*
 * uwq__kick_pool_wake_later() (L held): if more workers are needed, kick
 * the first idle one (exchange its word to KICKED); wk: 1 + the worker
 * whose futex must be woken after the unlock (it was SLEEPING), else 0.
 */
inline kick_later(wk)
{
	atomic {
		wk = 0;
		if
		:: need_more_worker && nidle > 0 ->
			t = idle[nidle - 1];
			if
			:: wake[t] == WAKE_SLEEPING -> wk = t + 1
			:: else -> skip
			fi;
			wake[t] = WAKE_KICKED;
			t = 0
		:: else -> skip
		fi
	}
}

inline futex_wake(wk)
{
	if
	:: wk != 0 -> infutex[wk - 1] = 0; wk = 0
	:: else -> skip
	fi
}

/* uwq__kick_pool(): the same, the futex woken under the lock. */
inline kick_pool()
{
	kick_later(wk);
	futex_wake(wk)
}

/*
 * uwq__worker_set_flags() of a flag that takes the worker out of
 * nr_running (L held): seq-cst decrement, then a seq-cst load of the
 * inbox, a splice if it saw items.
 */
inline not_running()
{
#if MUTANT == 2
	r = (nin > 0);
	nr_running--;
#else
	nr_running--;
	r = (nin > 0);
#endif
	if
	:: r -> reached(2); splice()
	:: else -> skip
	fi;
	r = 0
}

/* uwq__block_begin() ... uwq__block_end(): the work function blocks. */
inline block()
{
	lock_pool(0);
	not_running();
	kick_later(wk);
	unlock_pool();
	futex_wake(wk);
	/* blocked */
	lock_pool(0);
	nr_running++;
	unlock_pool()
}

/* uwq__process_one_work() of the worklist's first item (L held, and
 * held again on return). */
inline process_one()
{
	worklist ? w;
	atomic {
		/* fetch_and(~PENDING): the run starts */
		assert(!ran[w]);				/* B1 */
		ran[w] = 1;
		nran++;
		assert(qpos[w] == nextq[owner[w]]);		/* B3 */
		nextq[owner[w]]++
	};
	kick_later(wk);
	unlock_pool();
	futex_wake(wk);
	/* the work function */
	atomic {
#if CONC == 1 && !defined(WITH_BLOCK)
		assert(executing == 0);				/* B3 */
#endif
		executing++
	};
#ifdef WITH_BLOCK
	if
	:: !blocked_once -> blocked_once = 1; block()
	:: true -> skip
	fi;
#endif
	executing--;
	lock_pool(0);
	w = 0
}

proctype worker(byte me)
{
	byte w, t, wk, i;
	bit r;

	/* Created idle (uwq__create_worker()); worker_thread() starts in
	 * worker_wait(), which has just dropped the lock. */
	do
	:: /* worker_wait(): CAS NONE -> SLEEPING, then sleep while SLEEPING */
		atomic {
			if
			:: wake[me] == WAKE_NONE -> wake[me] = WAKE_SLEEPING
			:: else -> skip
			fi
		};
		do
		:: atomic { wake[me] == WAKE_SLEEPING -> infutex[me] = 1 };
end_sleep:		infutex[me] == 0
		:: wake[me] != WAKE_SLEEPING -> break
		od;
		lock_pool(0);
		idle_remove(me);
		/* recheck: manage_workers() never creates (the cap is 2) */
		if
		:: need_more_worker ->
			nr_running++;		/* uwq__worker_clr_flags(PREP) */
			/* uwq__worker_process() */
			do
			:: process_one();
				if
				:: keep_working -> skip
				:: else -> break
				fi
			od;
			not_running()		/* uwq__worker_set_flags(PREP) */
		:: else -> skip
		fi;
		/* sleep: */
		idle_add(me);
#if MUTANT != 3
		/* items moved from the inbox as it left nr_running */
		kick_pool();
#if REACH == 4
		if
		:: wake[me] == WAKE_KICKED && len(worklist) > 0 -> reached(4)
		:: else -> skip
		fi;
#endif
#endif
		unlock_pool()		/* worker_wait() */
	od
}

/* queue_work_counted() of each of the queuer's items, PENDING owned. */
proctype queuer(byte q)
{
	byte id, k, t, wk, i;
	bit r;

	k = 0;
	do
	:: (q == 0 && k < Q0_ITEMS) || (q > 0 && k < 1) ->
		if
		:: q == 0 -> id = k + 1
		:: else -> id = Q0_ITEMS + q
		fi;
#if MUTANT == 1
		r = (nr_running >= CONC);
#endif
		/* inbox_push(): the successful CAS */
		atomic { inbox[nin] = id; nin++; in_inbox[id] = 1 };
#if MUTANT != 1
		r = (nr_running >= CONC);	/* seq-cst load */
#endif
		if
		:: r -> reached(1)	/* a running worker takes it */
		:: else ->
#if MUTANT == 5
			atomic { plock == 0 -> plock = 1 };
#else
			lock_pool(in_inbox[id]);
#endif
			kick_later(wk);
			unlock_pool();
			futex_wake(wk)
		fi;
		r = 0;
		k++
	:: else -> break
	od
}

/* B2: blocks for ever, an invalid end state, if an item never starts. */
proctype final_check()
{
	nran == NITEMS
}

init {
	byte q;

	atomic {
		q = 1;
		do
		:: q <= NITEMS ->
			if
			:: q <= Q0_ITEMS -> owner[q] = 0; qpos[q] = q - 1
			:: else -> owner[q] = q - Q0_ITEMS; qpos[q] = 0
			fi;
			q++
		:: else -> break
		od;
		q = 0;
		idle[0] = 0;
		idle[1] = 1;
		nidle = 2;
		run worker(0);
		run worker(1);
		do
		:: q < NQ -> run queuer(q); q++
		:: else -> break
		od;
		run final_check()
	}
}

/* B4 */
ltl live { <> (nran == NITEMS) }
