/* SPDX-License-Identifier: MIT */
/*
 * thread.c - an action's handler thread (kernel/irq/manage.c: irq_thread,
 * irq_wait_for_interrupt, irq_finalize_oneshot; handle.c __irq_wake_thread).
 *
 * DESIGN
 * One thread per action that has a thread function, "irq/<n>-<name>" (cut
 * to 15 characters), SCHED_FIFO 50 where permitted, else normal priority
 * with one warning for the process. Waking is the kernel's: set RUNTHREAD;
 * if it was already set, return (wakes while the thread is due or running
 * fold into one more run: a thread handler must handle everything
 * outstanding); otherwise count the thread active, add its oneshot bit,
 * and wake it with a futex. The RUNTHREAD bit, not the wake-up, is the
 * signal. After each run the thread finalises oneshot: unless RUNTHREAD was
 * set again, it clears its bit, and the last bit to clear unmasks the
 * line (if not disabled). It waits for the primaries of the line to finish
 * first, or the line could stay masked for ever (the kernel spins there).
 * Under UWQ_THREADIRQS a forced action runs its primary here, then its
 * thread function in the same thread if the primary asked for it (the
 * kernel uses a second thread at priority 49; one thread keeps the same
 * order and masking with one context switch less). A stopped thread runs
 * one last time if RUNTHREAD is set, as the kernel's does.
 * CPU affinity follows the line: uwq_irq_set_affinity() flags every
 * thread, which applies the mask at its next wake-up.
 *
 * CONCURRENCY: thread_flags, wake, stop and thread_runs are atomics;
 * threads_oneshot, threads_active and woken_ns change under desc->lock.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "internal/fault.h"
#include "internal/futex.h"
#include "internal/irq.h"
#include "internal/log.h"
#include "internal/trace.h"

static int fifo_warned;	/* A */
static __thread const struct uwq__irq_desc *my_desc;

bool uwq__irq_in_thread_of(const struct uwq__irq_desc *desc)
{
	return my_desc == desc;
}

/* Mark @action's thread to run (the kernel's __irq_wake_thread): true if
 * it was not marked yet and must be woken with uwq__irq_thread_kick(). */
bool uwq__irq_thread_mark(struct uwq__irq_desc *desc, struct uwq__irq_action *action)
{
	bool wake = false;

	pthread_mutex_lock(&desc->lock);
	if (!(atomic_fetch_or(&action->thread_flags, IRQTF_RUNTHREAD) & IRQTF_RUNTHREAD)) {
		desc->threads_oneshot |= action->thread_mask;
		desc->threads_active++;
		if (uwq__irq_stats_clock)
			action->woken_ns = uwq__irq_now_ns();
		wake = true;
	}
	pthread_mutex_unlock(&desc->lock);
	return wake;
}

/*
 * Take the RUNTHREAD mark: true if the thread must run; *woken_ns gets the
 * time of the wake it answers (0 without stats). With stats the mark and
 * its time are taken together under desc->lock, as uwq__irq_thread_mark()
 * sets them: taken apart, a mark set between the two steps would give one
 * run two times and the next none (a lost latency value).
 */
static bool take_mark(struct uwq__irq_desc *desc, struct uwq__irq_action *action, uint64_t *woken_ns)
{
	bool run;

	*woken_ns = 0;
	if (!uwq__irq_stats_clock)
		return atomic_fetch_and(&action->thread_flags, ~IRQTF_RUNTHREAD) & IRQTF_RUNTHREAD;
	pthread_mutex_lock(&desc->lock);
	run = atomic_fetch_and(&action->thread_flags, ~IRQTF_RUNTHREAD) & IRQTF_RUNTHREAD;
	if (run) {
		*woken_ns = action->woken_ns;
		action->woken_ns = 0;
	}
	pthread_mutex_unlock(&desc->lock);
	return run;
}

void uwq__irq_thread_kick(struct uwq__irq_action *action)
{
	UWQ_TRACE2(irq_thread_wake, action->desc->irq, action->name);
	atomic_add_fetch(&action->wake, 1);
	futex_wake(&action->wake, 1);
}

void uwq__irq_wake_thread(struct uwq__irq_desc *desc, struct uwq__irq_action *action)
{
	if (uwq__irq_thread_mark(desc, action))
		uwq__irq_thread_kick(action);
}

static void finalize_oneshot(struct uwq__irq_desc *desc, struct uwq__irq_action *action)
{
	if (!action->thread_mask)
		return;
	pthread_mutex_lock(&desc->lock);
	while (desc->inprogress)
		pthread_cond_wait(&desc->wait, &desc->lock);
	if (!(atomic_load_sc(&action->thread_flags) & IRQTF_RUNTHREAD)) {
		desc->threads_oneshot &= ~action->thread_mask;
		if (!desc->threads_oneshot && !desc->depth && desc->actions)
			uwq__irq_unmask_locked(desc);
	}
	pthread_mutex_unlock(&desc->lock);
}

static void apply_affinity(struct uwq__irq_desc *desc, struct uwq__irq_action *action)
{
	cpu_set_t set;

	if (!(atomic_fetch_and(&action->thread_flags, ~IRQTF_AFFINITY) & IRQTF_AFFINITY))
		return;
	pthread_mutex_lock(&desc->lock);
	set = desc->affinity;
	pthread_mutex_unlock(&desc->lock);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static unsigned run_once(struct uwq__irq_desc *desc, struct uwq__irq_action *action)
{
	unsigned ret;

	UWQ_TRACE2(irq_thread_run, desc->irq, action->name);
	if (action->forced) {
		ret = action->handler ? (unsigned)action->handler(desc->irq, action->dev_id) : UWQ_IRQ_WAKE_THREAD;
		if ((ret & UWQ_IRQ_WAKE_THREAD) && action->thread_fn)
			ret = (unsigned)action->thread_fn(desc->irq, action->dev_id);
	} else {
		ret = (unsigned)action->thread_fn(desc->irq, action->dev_id);
	}
	UWQ_TRACE2(irq_thread_exit, desc->irq, ret);
	return ret;
}

/* "irq/<n>-<name>", cut to the kernel's 15 characters. */
static const char *thread_name(const struct uwq__irq_action *action, char *buf, size_t len)
{
	snprintf(buf, len, "irq/%d-%s", action->desc->irq, action->name);
	buf[15] = '\0';
	return buf;
}

static void *irq_thread(void *arg)
{
	struct uwq__irq_action *action = arg;
	struct uwq__irq_desc *desc = action->desc;
	struct sched_param sp = { .sched_priority = 50 };
	char name[48];

	my_desc = desc;
	pthread_setname_np(pthread_self(), thread_name(action, name, sizeof(name)));
	if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) != 0 && !atomic_xchg(&fifo_warned, 1))
		uwq__log("irq threads run at normal priority: SCHED_FIFO needs CAP_SYS_NICE or RLIMIT_RTPRIO");
	for (;;) {
		int v = atomic_load_sc(&action->wake);
		uint64_t t;

		apply_affinity(desc, action);
		if (take_mark(desc, action, &t)) {
			unsigned ret;

			if (t)
				uwq__hist_add_atomic(&action->hist_thread, uwq__irq_now_ns() - t);
			ret = run_once(desc, action);

			if (ret == UWQ_IRQ_HANDLED)
				atomic_add_fetch(&desc->threads_handled, 1);
			__atomic_add_fetch(&action->thread_runs, 1, __ATOMIC_RELAXED);
			finalize_oneshot(desc, action);
			pthread_mutex_lock(&desc->lock);
			if (--desc->threads_active == 0)
				pthread_cond_broadcast(&desc->wait);
			pthread_mutex_unlock(&desc->lock);
			continue;
		}
		if (atomic_load_sc(&action->stop))
			break;
		futex_wait(&action->wake, v);
	}
	return NULL;
}

int uwq__irq_thread_start(struct uwq__irq_action *action)
{
	pthread_attr_t attr;
	char name[48];
	sigset_t all;
	int err;

	action->thread_flags = IRQTF_AFFINITY;	/* take the line's mask at start */
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setsigmask_np(&attr, &all);
	err = uwq__thread_create(&action->thread, &attr, irq_thread, action);
	pthread_attr_destroy(&attr);
	if (err)
		return -err;
	/* Named before the request returns, so it is visible at once. */
	pthread_setname_np(action->thread, thread_name(action, name, sizeof(name)));
	action->has_thread = true;
	return 0;
}

void uwq__irq_thread_stop(struct uwq__irq_action *action)
{
	if (!action->has_thread)
		return;
	__atomic_store_n(&action->stop, 1, __ATOMIC_SEQ_CST);
	atomic_add_fetch(&action->wake, 1);
	futex_wake(&action->wake, 1);
	pthread_join(action->thread, NULL);
}

/* fork.c: fork() called from a handler thread leaves the child outside it. */
void uwq__irq_thread_atfork_child(void)
{
	my_desc = NULL;
}
