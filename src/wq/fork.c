/* SPDX-License-Identifier: MIT */
/*
 * fork.c - what a child process gets after fork().
 *
 * DESIGN
 * After fork() the child runs one thread in a copy of the parent's memory:
 * uwq's workers, timer, monitor, dispatcher and interrupt threads are gone,
 * and any lock one of them held is held for ever. Making the copy coherent
 * would mean taking every uwq lock in a prepare handler (every pool, every
 * queue's flush lock, the timer, the line table and each line) in one
 * global order, which stalls the parent's fork() behind running work and
 * adds an order every future lock must respect. Instead the child abandons
 * the inherited state without touching its locks and starts a fresh uwq,
 * as a new process would:
 *
 *  - The system workqueues work in the child: uwq__g is reset to "not
 *    started", so pools and threads are rebuilt lazily on first use.
 *  - Workqueues and interrupt lines the parent created are the parent's.
 *    In the child every call on them fails (false, NULL, -ECHILD) with one
 *    report per object; what they hold in the child's copy is leaked,
 *    never freed, since it may be mid-update.
 *  - Work items that were pending, armed or running in the parent at fork()
 *    belong to that run, in the parent. In the child they are idle and may
 *    be queued again: each item's state word carries the low 8 bits of the
 *    fork generation it was last used in (WORK_GEN_*), and the first call
 *    on an item from an older generation resets it (uwq__work_adopt()).
 *  - Async calls scheduled before fork() run in the parent only;
 *    synchronising in the child does not wait for them. The async lock is
 *    the one lock taken around fork(): it is only ever held for a few
 *    instructions, and holding it lets the child find and empty the
 *    domains that were waiting.
 *
 * The parent is unaffected: its handler only releases the async lock.
 * CONCURRENCY: the child handler runs before fork() returns in the child,
 * when the child has a single thread; it writes plain and atomic state
 * alike without ordering.
 */
#include <pthread.h>

#include "internal/irq.h"
#include "internal/log.h"
#include "internal/wq.h"

unsigned uwq__fork_gen;

void uwq__work_adopt(struct uwq_work *w)
{
	unsigned long v = atomic_load_sc(&w->data);
	unsigned long gen = (unsigned long)(READ_ONCE(uwq__fork_gen) & 0xff) << WORK_GEN_SHIFT;

	/* Idle, in this generation. Concurrent adopters race on the CAS and
	 * the losers see the new generation: one reset per item. */
	while ((v & WORK_GEN_MASK) != gen)
		if (atomic_cas(&w->data, &v, (v & WORK_DELAYED) | gen))
			break;
}

bool uwq__wq_stale(struct uwq_workqueue *wq)
{
	if (__builtin_expect(wq->gen == READ_ONCE(uwq__fork_gen), 1))
		return false;
	if (!atomic_xchg(&wq->stale_reported, 1))
		uwq__log("workqueue %s was created before fork() by the parent process: not usable in the child",
			 wq->name);
	return true;
}

static void atfork_prepare(void)
{
	uwq__async_atfork(0);
}

static void atfork_parent(void)
{
	uwq__async_atfork(1);
}

static void atfork_child(void)
{
	uwq__fork_gen++;
	uwq__current_worker = NULL;
	uwq__state_atfork_child();
	uwq__timer_atfork_child();
	uwq__monitor_atfork_child();
	uwq__creator_atfork_child();
	uwq__busy_atfork_child();
	uwq__mayday_atfork_child();
	uwq__irq_atfork_child();
	uwq__export_atfork_child();
	uwq__async_atfork(2);
}

/* At load time, so a parent that forks before using uwq is covered too. */
__attribute__((constructor)) static void fork_register(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}
