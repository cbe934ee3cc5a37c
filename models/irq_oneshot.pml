/* SPDX-License-Identifier: MIT */
/*
 * irq_oneshot.pml - the oneshot mask/unmask protocol of an interrupt line as
 * implemented in src/irq (docs/verification.md; docs/design.md §4;
 * include/uwq/irq.h UWQ_IRQF_ONESHOT, after the kernel's kernel/irq/chip.c
 * cond_unmask_irq() and kernel/irq/manage.c irq_finalize_oneshot()).
 *
 * One shared, level-triggered software line (an eventfd: raises not yet
 * read merge into one event) with two ONESHOT actions, each with a thread
 * handler; processes:
 *   source       uwq_irq_raise() RAISES times (chip.c: one eventfd write)
 *   dispatcher   the uwq-irqd loop: epoll_wait(), then handle_event()
 *                (dispatch.c dispatcher(), handle_event(), run_primaries(),
 *                uwq__irq_mask_locked(), uwq__irq_unmask_locked(),
 *                stop_polling_locked())
 *   irqthread    one per action (thread.c irq_thread(), finalize_oneshot(),
 *                uwq__irq_wake_thread())
 *   disabler     optional (-DWITH_DISABLE): uwq_disable_irq_nosync() then
 *                uwq_enable_irq() (manage.c)
 * Each primary handler answers WAKE_THREAD or HANDLED, chosen freely.
 * desc->lock guards the line state; RUNTHREAD is an atomic bit and the
 * thread sleeps on its futex word `wake`; pthread_cond_wait on desc->wait
 * is "drop the lock, wait for the predicate, take the lock".
 * Not modelled: edge lines and the resend list, free_irq/request_irq
 * while events flow, spurious accounting, forced threading, affinity,
 * synchronize_irq; chip->ack never fails.
 *
 * Checked:
 *   safety (assertions; invalid end states)
 *     O1 a thread handler runs only while the line is masked: the line
 *        stays masked from the primary until every woken thread returned;
 *     O2 the line is unmasked only when no oneshot thread is due or
 *        running and the line is not disabled, and the chip's mask and
 *        unmask calls alternate (each mask is undone exactly once);
 *     O3 no lost event: once the raises stopped and everything is quiet,
 *        every raise was acknowledged by a primary run, and the line is
 *        unmasked (final_check);
 *   liveness (ltl `unmasked`, -a -f): the line ends up unmasked for good.
 *
 * FIXED BUG (found by this model): uwq_enable_irq() used to unmask at
 * depth 0 when no oneshot bit was set without looking at inprogress, so it
 * unmasked while the primaries ran and before they woke the threads, and
 * O1/O2 failed with -DWITH_DISABLE (tests/model/repro_enable_oneshot.c is
 * the regression test on the real library). It now leaves the unmask to
 * the end of handle_event() while inprogress; -DOLD_ENABLE models the old
 * code, which models/check.sh runs expecting the failure.
 *
 * MUTANT (spin -DMUTANT=n; models/check.sh runs each expecting a failure):
 *   1  finalize_oneshot() does not wait for the primaries (inprogress)
 *      before clearing its bit: the line is unmasked while the dispatcher
 *      is about to wake the other thread (O1/O2 fail)
 *   2  handle_event() unmasks after the primaries without looking at
 *      threads_oneshot: unmasked while a woken thread is due (O1/O2 fail)
 *   3  unmasking a level line that stopped being polled does not poll it
 *      again: the event kept while masked is lost (O3 fails)
 */

#ifndef MUTANT
#define MUTANT 0
#endif
#ifndef RAISES
#define RAISES 2
#endif

/* struct uwq__irq_desc, D fields (desc->lock) */
bit dlock;
bit masked;
bit polled;			/* level line registered with EPOLLIN */
bit pending;
bit inprogress;
byte threads_oneshot;		/* one bit per ONESHOT action: 1, 2 */
byte threads_active;
byte depth;
bit chip_masked;		/* chip->mask()/unmask() */

/* the eventfd counter (readable while > 0) */
bit asserted;

/* per action (A: atomics) */
bit runthread[2];		/* IRQTF_RUNTHREAD */
byte wake[2];			/* futex word */

/* ghost */
bit in_handler[2];
byte raised;
bit unacked;			/* a raise no ack consumed yet */
bit disp_busy;
byte masks, unmasks;
bit dis_done;

inline LOCK()
{
	atomic { dlock == 0 -> dlock = 1 }
}

inline UNLOCK()
{
	dlock = 0
}

inline mask_locked()
{
	if
	:: !masked ->
		masked = 1;
		assert(!chip_masked);	/* O2 */
		chip_masked = 1;
		masks++
	:: else -> skip
	fi
}

inline unmask_locked()
{
	if
	:: masked ->
		/* O2 */
		assert(depth == 0 && threads_oneshot == 0 && !runthread[0] && !runthread[1] &&
		       !in_handler[0] && !in_handler[1]);
		masked = 0;
		assert(chip_masked);
		chip_masked = 0;
		unmasks++;
#if MUTANT != 3
		if
		:: !polled -> polled = 1	/* poll again: a kept event is delivered */
		:: else -> skip
		fi
#endif
	:: else -> skip
	fi
}

/* uwq__irq_wake_thread() */
inline wake_thread(i)
{
	atomic {
		dlock == 0 -> dlock = 1;
		if
		:: !runthread[i] ->
			runthread[i] = 1;
			threads_oneshot = threads_oneshot | (1 << i);
			threads_active++;
			w = 1
		:: else -> w = 0
		fi;
		dlock = 0
	};
	if
	:: w -> wake[i]++; w = 0	/* atomic add + futex_wake */
	:: else -> skip
	fi
}

inline primary(i)
{
	if
	:: wake_thread(i)		/* UWQ_IRQ_WAKE_THREAD */
	:: skip				/* UWQ_IRQ_HANDLED */
	fi
}

proctype dispatcher()
{
	bit w;

end_wait:
	do
	:: atomic { asserted && polled -> disp_busy = 1 };	/* epoll_wait() */
		/* handle_event() */
		atomic {
			dlock == 0 -> dlock = 1;
			if
			:: depth > 0 || masked ->
				/* disabled, or a oneshot thread is due: keep it */
				pending = 1;
				mask_locked();
				polled = 0;		/* stop_polling_locked() */
				dlock = 0;
				disp_busy = 0
			:: else ->
				/* chip->ack: read the counter (merged raises) */
				asserted = 0;
				unacked = 0;
				pending = 0;
				inprogress = 1;
				mask_locked();		/* oneshot line */
				dlock = 0
			fi
		};
		if
		:: disp_busy ->
			primary(0);
			primary(1);
			atomic {
				dlock == 0 -> dlock = 1;
				inprogress = 0;
				if
#if MUTANT == 2
				:: depth == 0 -> unmask_locked()
#else
				:: depth == 0 && threads_oneshot == 0 -> unmask_locked()
#endif
				:: else -> skip
				fi;
				dlock = 0;
				disp_busy = 0
			}
		:: else -> skip
		fi
	od
}

proctype irqthread(byte i)
{
	byte v;
	bit old;

	do
	:: v = wake[i];
		atomic { old = runthread[i]; runthread[i] = 0 };	/* fetch_and */
		if
		:: old ->
			atomic { in_handler[i] = 1; assert(masked) };	/* O1 */
			in_handler[i] = 0;
			/* finalize_oneshot() */
			LOCK();
#if MUTANT != 1
			do
			:: inprogress -> UNLOCK(); (!inprogress); LOCK()	/* cond_wait */
			:: else -> break
			od;
#endif
			atomic {
				if
				:: !runthread[i] ->
					threads_oneshot = threads_oneshot & ~(1 << i);
					if
					:: threads_oneshot == 0 && depth == 0 -> unmask_locked()
					:: else -> skip
					fi
				:: else -> skip
				fi;
				UNLOCK()
			};
			atomic { LOCK(); threads_active--; UNLOCK() };
			old = 0
		:: else ->
end_sleep:		(wake[i] != v)	/* futex_wait(&wake, v) */
		fi;
		v = 0
	od
}

proctype source()
{
	do
	:: raised < RAISES -> atomic { asserted = 1; unacked = 1; raised++ }
	:: else -> break
	od
}

proctype disabler()
{
	atomic { LOCK(); depth++; UNLOCK() };		/* uwq_disable_irq_nosync() */
	atomic {					/* uwq_enable_irq() */
		LOCK();
		depth--;
		if
#ifndef OLD_ENABLE
		:: depth == 0 && threads_oneshot == 0 && !inprogress -> unmask_locked()
#else
		:: depth == 0 && threads_oneshot == 0 -> unmask_locked()
#endif
		:: else -> skip
		fi;
		UNLOCK()
	};
	dis_done = 1
}

/* O3: quiet = raises over, nothing in the dispatcher, no thread due or
 * running, nothing deliverable. Then nothing may be left unacknowledged
 * and the line must be unmasked. A line stuck masked with a kept event is
 * quiet and fails here; a stuck thread leaves this blocked (invalid end). */
proctype final_check()
{
	(raised == RAISES && dis_done && !disp_busy && !inprogress && threads_active == 0 &&
	 !runthread[0] && !runthread[1] && !(asserted && polled));
	assert(!unacked && !asserted && !masked && !chip_masked && masks == unmasks)
}

init {
	atomic {
		masked = 0;
		polled = 1;
		run dispatcher();
		run irqthread(0);
		run irqthread(1);
		run source();
#ifdef WITH_DISABLE
		run disabler();
#else
		dis_done = 1;
#endif
		run final_check()
	}
}

ltl unmasked { <> [] !masked }
