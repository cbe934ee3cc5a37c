/* SPDX-License-Identifier: MIT */
/*
 * wq_pending.pml - the work item's pending/running/cancel/flush protocol as
 * implemented in src/wq (docs/verification.md; the contract is
 * include/uwq/workqueue.h, after the kernel's kernel/workqueue.c).
 *
 * One work item, one pool with two workers (so the same-pool hand-off of
 * worker.c is in), and four client threads:
 *   Q  an outside thread: uwq_queue_work() twice;
 *   C  uwq_cancel_work_sync();
 *   N  uwq_cancel_work() (the plain cancel);
 *   F  uwq_flush_work();
 * and the work function requeues its own item once (at most, in one run).
 *
 * What is modelled is the code's own mechanism, step by step:
 *   - the state word w->data: PENDING, QUEUED and the disable count, each
 *     change one atomic step as the code's fetch_or/fetch_and/fetch_add;
 *   - pool->lock; the list that holds the item (worklist or a worker's
 *     scheduled list: `where`); the busy table entry (`busy`);
 *   - the pool's waiter list: a waiter is {worker, done}, worker 0 meaning
 *     "the queued instance" until a starting worker adopts it;
 *   - blocking waits (futex on wt->done, idle workers) are guards.
 * Function by function (src/wq/...):
 *   queue_work()     workqueue.c take_pending() + queue_work_counted()
 *   worker()         worker.c uwq__worker_process(), process_one_work(),
 *                    uwq__process_scheduled(); flush.c uwq__waiters_start(),
 *                    uwq__waiters_finish()
 *   grab_pending()   workqueue.c uwq__try_grab_pending()/uwq__grab_pending(),
 *                    steal_queued(); flush.c uwq__waiters_cancel()
 *   canceller()      flush.c uwq_cancel_work_sync(), uwq__flush_running()
 *   plain_cancel()   workqueue.c uwq_cancel_work()
 *   flusher()        flush.c uwq_flush_work()
 * Not modelled (docs/verification.md): other pools and the cross-pool
 * collision claim, delayed work and its timer, max_active and inactive
 * lists, flush colours, the memory model (every step is sequentially
 * consistent, as the code's seq-cst atomics and mutexes are).
 *
 * Ghost state numbers the instances (one per queueing that succeeded) and
 * follows each: none -> pending -> running -> done, or pending -> cancelled.
 * Checked:
 *   safety (assertions, and no invalid end state: a lost instance leaves
 *   the final checker blocked)
 *     S1 a run starts only from a pending instance, and an instance runs
 *        at most once; no two runs of the item at once;
 *     S2 every instance is run or cancelled (final checker);
 *     S3 flush_work: on return the last instance queued before the call
 *        is done or cancelled;
 *     S4 cancel_work_sync: on return the item is neither pending nor
 *        running, unless an outside queueing overlapped it (the kernel's
 *        cancel_work_sync() promises no more), even though the item
 *        requeues itself;
 *   liveness (ltl `term`, checked with -a -f under weak fairness)
 *     L1 every client call returns.
 *
 * MUTANT (spin -DMUTANT=n; models/check.sh runs each expecting a failure):
 *   1  cancel_work_sync clears PENDING without raising the disable count:
 *      the running instance's requeue is not refused (S4 fails)
 *   2  a starting worker enters the busy table only after dropping the
 *      pool lock: another worker starts the requeued item (S1 fails)
 *   3  flush_work registers its waiter without re-checking QUEUED under
 *      the pool lock: it may wait for an instance that already started
 *      (L1 / invalid end state)
 */

#ifndef MUTANT
#define MUTANT 0
#endif
#ifndef Q_CALLS
#define Q_CALLS 1		/* Q's queue_work calls: 1 or 2 */
#endif

#define NOWHERE		0	/* where: on no list */
#define WORKLIST	3	/* where: pool->worklist; 1, 2: that worker's scheduled list */
#define MAXI		5	/* instances: Q twice + one requeue, numbered from 1 */

#define ST_NONE		0
#define ST_PEND		1
#define ST_RUN		2
#define ST_DONE		3
#define ST_CANC		4

/* w->data */
bit pending;			/* WORK_PENDING */
bit queued;			/* WORK_QUEUED */
byte disable;			/* disable count (bits from WORK_DISABLE_SHIFT) */

/* the pool */
bit plock;			/* pool->lock */
byte where;			/* the list holding the item (QUEUED <=> where != NOWHERE) */
byte busy;			/* busy table: the worker running the item, 0 none */

/* waiters, by client: 0 = F, 1 = C (flush_running) */
bit wt_reg[2];			/* on pool->waiters */
byte wt_worker[2];		/* 0: the queued instance (not yet adopted) */
bit wt_done[2];			/* the futex word */

/* ghost */
byte st[MAXI];
byte ninst;			/* instances created */
byte pend;			/* the pending instance, 0 none */
byte last_ret;			/* newest instance whose queue call returned */
byte executing;			/* runs of the function in progress */
byte running_inst[3];		/* per worker */
bit requeued;			/* the function's one requeue was spent */
bit q_busy, c_active, overlap;
bit q_done, c_done, n_done, f_done;

inline LOCK()
{
	atomic { plock == 0 -> plock = 1 }
}

inline UNLOCK()
{
	plock = 0
}

/* Complete waiter i (flush.c waiter_complete). */
inline complete(i)
{
	wt_reg[i] = 0;
	wt_done[i] = 1
}

/*
 * uwq_queue_work(): take PENDING with one fetch_or; refused if it was set
 * or the item is disabled (then PENDING is dropped again); else, under the
 * pool lock, link it on the worklist and set QUEUED. ok: 1 if queued.
 */
inline queue_work(ext, ok, mine)
{
	atomic {
		if
		:: ext -> q_busy = 1; overlap = overlap || c_active
		:: else -> skip
		fi;
		if
		:: pending -> ok = 0
		:: else ->
			pending = 1;
			if
			:: disable > 0 -> ok = 2
			:: else ->
				ok = 1;
				ninst++;
				mine = ninst;
				pend = ninst;
				st[ninst] = ST_PEND
			fi
		fi
	}
	if
	:: ok == 2 -> pending = 0; ok = 0
	:: ok == 0 -> skip
	:: ok == 1 ->
		/* queue_work_counted(): the pool lock's critical section is
		 * one step (it changes one lock-free-visible bit, QUEUED) */
		atomic {
			plock == 0 ->
			where = WORKLIST;
			queued = 1;
			/* ghost: this call returns true (nothing else follows) */
			if
			:: mine > last_ret -> last_ret = mine
			:: else -> skip
			fi;
			mine = 0;
			q_busy = q_busy && !ext
		}
	fi;
	if
	:: ext && ok != 1 -> q_busy = 0
	:: else -> skip
	fi;
	ok = 0
}

/*
 * process_one_work() for worker me, pool lock held on entry and on exit.
 */
inline run_item(me)
{
	where = NOWHERE;
#if MUTANT != 2
	busy = me;			/* busy_insert() */
#endif
	atomic {
		/* fetch_and(~(PENDING | QUEUED)) */
		pending = 0;
		queued = 0;
		assert(pend != 0 && st[pend] == ST_PEND);	/* S1 */
		running_inst[me] = pend;
		st[pend] = ST_RUN;
		pend = 0;
		/* uwq__waiters_start(): adopt the waiters of the queued instance */
		if
		:: wt_reg[0] && wt_worker[0] == 0 -> wt_worker[0] = me
		:: else -> skip
		fi;
		if
		:: wt_reg[1] && wt_worker[1] == 0 -> wt_worker[1] = me
		:: else -> skip
		fi;
		UNLOCK()
	};
#if MUTANT == 2
	busy = me;
#endif
	/* the work function */
	atomic {
		assert(executing == 0);		/* S1: no two runs at once */
		executing = 1
	};
	if
	:: !requeued -> requeued = 1; queue_work(0, sok, smine)
	:: true -> skip
	fi;
	atomic {
		executing = 0;
		st[running_inst[me]] = ST_DONE
	};
	atomic {
		plock == 0 -> plock = 1;
		busy = 0;		/* busy_remove() */
		/* uwq__waiters_finish() */
		if
		:: wt_reg[0] && wt_worker[0] == me -> complete(0)
		:: else -> skip
		fi;
		if
		:: wt_reg[1] && wt_worker[1] == me -> complete(1)
		:: else -> skip
		fi
	}
}

proctype worker(byte me)
{
	byte sok;
	byte smine;

end_idle:
	do
	:: atomic { (where == WORKLIST || where == me) -> LOCK() };	/* kicked */
		do
		:: where == me -> run_item(me)		/* uwq__process_scheduled() */
		:: where == WORKLIST && busy == 0 -> run_item(me)
		:: where == WORKLIST && busy != 0 && busy != me ->
			where = busy			/* running elsewhere here: hand it over */
		:: else -> break
		od;
		UNLOCK()
	od
}

/*
 * uwq__grab_pending(): own PENDING. ret 1: a queued instance was stolen;
 * 0: the item was idle. Transient states (PENDING without QUEUED) retry.
 */
inline grab_pending(ret)
{
	do
	:: atomic {
		if
		:: !pending -> pending = 1; r = 1
		:: pending && !queued -> r = 0		/* -EAGAIN */
		:: pending && queued -> r = 2
		fi
	   };
	   if
	   :: r == 1 -> ret = 0; r = 0; break
	   :: r == 0 -> skip
	   :: r == 2 ->
		atomic {
			plock == 0 ->
			if
			:: queued ->
				/* steal_queued(): PENDING stays, now ours */
				where = NOWHERE;
				queued = 0;
				assert(pend != 0 && st[pend] == ST_PEND);
				st[pend] = ST_CANC;
				pend = 0;
				/* uwq__waiters_cancel() */
				if
				:: wt_reg[0] && wt_worker[0] == 0 -> complete(0)
				:: else -> skip
				fi;
				if
				:: wt_reg[1] && wt_worker[1] == 0 -> complete(1)
				:: else -> skip
				fi;
				r = 3
			:: else -> skip
			fi
		};
		if
		:: r == 3 -> ret = 1; r = 0; break
		:: else -> skip
		fi
	   fi
	od
}

proctype queuer()
{
	byte ok, mine;

	queue_work(1, ok, mine);
#if Q_CALLS > 1
	queue_work(1, ok, mine);
#endif
	q_done = 1
}

proctype canceller()
{
	byte r, ret, x;

	atomic { c_active = 1; if :: q_busy -> overlap = 1 :: else -> skip fi };
	grab_pending(ret);
#if MUTANT == 1
	pending = 0;
#else
	atomic { disable++; pending = 0 }	/* += DISABLE_ONE - PENDING */
#endif
	/* uwq__flush_running() */
	do
	:: x = busy;
	   if
	   :: x == 0 -> break
	   :: else ->
		atomic {
			plock == 0 ->
			if
			:: busy == x -> wt_worker[1] = x; wt_reg[1] = 1; r = 4; x = 0
			:: else -> r = 0
			fi
		};
		if
		:: r == 4 -> wt_done[1] == 1; wt_done[1] = 0; r = 0
		:: else -> skip
		fi
	   fi
	od;
#if MUTANT != 1
	disable--;
#endif
	/* S4: no instance pending (the PENDING bit itself may be held for a
	 * moment by N's grab of an idle item), none running */
	assert(overlap || (pend == 0 && busy == 0 && executing == 0));
	c_active = 0;
	c_done = 1
}

proctype plain_cancel()
{
	byte r, ret;

	grab_pending(ret);
	pending = 0;
	n_done = 1
}

proctype flusher()
{
	byte L, x;
	bit d;

	L = last_ret;
	do
	:: d = queued;
	   if
	   :: d ->
		atomic {
			plock == 0 ->
#if MUTANT == 3
			if
			:: true ->
#else
			if
			:: queued ->
#endif
				wt_worker[0] = 0; wt_reg[0] = 1; d = 1
			:: else -> d = 0
			fi
		};
		if
		:: d -> wt_done[0] == 1; break
		:: else -> skip
		fi
	   :: else ->
		x = busy;
		if
		:: x == 0 -> break
		:: else ->
			atomic {
				plock == 0 ->
				if
				:: busy == x -> wt_worker[0] = x; wt_reg[0] = 1; d = 1
				:: else -> d = 0
				fi
			};
			if
			:: d -> wt_done[0] == 1; break
			:: else -> skip
			fi
		fi
	   fi
	od;
	/* S3. If a newer instance (queued while the flush started) was
	 * cancelled, the flush ends with it, while the run of L may go on:
	 * the kernel's barrier behaves the same; then only "L is not
	 * pending" remains. */
	atomic {
		x = L + 1;
		d = 0;
		do
		:: x <= ninst -> d = d || st[x] == ST_CANC; x++
		:: else -> break
		od;
		assert(L == 0 || st[L] == ST_DONE || st[L] == ST_CANC || (d && st[L] != ST_PEND));
		x = 0
	};
	f_done = 1
}

/* S2: once every client returned and nothing is pending or running,
 * every instance was run or cancelled. Blocks for ever (an invalid end
 * state) if an instance is lost. */
proctype final_check()
{
	byte i;

	(q_done && c_done && n_done && f_done && pend == 0 && busy == 0 && where == NOWHERE &&
	 executing == 0 && !pending);
	i = 1;
	do
	:: i <= ninst -> assert(st[i] == ST_DONE || st[i] == ST_CANC); i++
	:: else -> break
	od
}

init {
	atomic {
		run worker(1);
		run worker(2);
		run queuer();
		run canceller();
#ifdef WITH_PLAIN_CANCEL
		run plain_cancel();
#else
		n_done = 1;
#endif
		run flusher();
		run final_check()
	}
}

/* L1 */
ltl term { <> (q_done && c_done && n_done && f_done) }
