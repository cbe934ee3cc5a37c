/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c - "hard interrupt context": the dispatcher thread that turns
 * fd readiness into primary-handler calls (kernel/irq/chip.c flow
 * handlers, kernel/irq/handle.c handle_irq_event).
 *
 * DESIGN
 * One epoll thread, "uwq-irqd", SCHED_FIFO 51 where permitted (above the
 * handler threads at 50, as a hard interrupt is above its threads), pinned
 * to the last of the process's CPUs when it starts (uwq__process_cpus(),
 * not the mask of the thread that made the first line, which may be pinned
 * elsewhere), where lines' threads run by default. One
 * dispatcher means a line is never run by two dispatchers at once, the
 * kernel's INPROGRESS guarantee, for free. The flow for an event:
 * if the line is disabled or has no handler, remember it (pending) and
 * mask; otherwise ack it through the chip (read the eventfd counter:
 * raises not yet read merge into one event), mask it if the line is
 * oneshot, run every action's primary on a snapshot of the chain taken
 * under the lock, OR the results, wake threads, account for spurious
 * interrupts, and unmask unless a oneshot thread is still due.
 *
 * Masking. Level lines (eventfds, level fds, timerfds) are masked lazily:
 * when an event comes while masked, they are polled for nothing
 * (EPOLL_CTL_MOD with no events), and unmasking polls them again: the event
 * that arrived while masked is still readable, so it is delivered then;
 * that is the replay on enable_irq(). Edge lines
 * (EPOLLET) are masked by a flag: an edge that arrives while masked is
 * remembered as pending and resent through the resend list when unmasked
 * (the kernel's software resend, check_irq_resend). A chip's own mask and
 * unmask (UIO's write of 1) are called as well.
 * Stale readiness. An event fetched by epoll_wait() while its level line
 * was masked can be handled after the line's thread consumed the data and
 * unmasked it (the dispatcher fetches a batch, then handles it): the
 * readiness is stale, and a primary would find nothing to read. Every
 * unmask of a level line takes a number from one counter; an event whose
 * line was unmasked after the batch was fetched is checked with poll()
 * (one syscall, only then) and dropped if the fd is no longer readable.
 * Lines whose chip acknowledges (eventfd, timerfd, signalfd, UIO, VFIO,
 * GPIO) need no check: their ack finds nothing and the event is dropped
 * as a spurious wake-up; plain fds and custom chips without an ack get it.
 * Cost per event on a non-oneshot eventfd line: epoll_wait and one read.
 * Oneshot costs no epoll_ctl unless an event comes while the thread runs
 * (then two: stop polling, poll again), since masking is lazy. With
 * the thread on the dispatcher's CPU, primary-to-thread is a same-CPU
 * hand-off: the thread runs once the dispatcher is back in epoll_wait.
 * Measured (bench/irq_latency, root, so both FIFO; p50): thread handler
 * +4.3 µs over a bare epoll loop, against +3.8-3.9 µs for the same
 * hand-off written by hand (an epoll loop at FIFO 51 waking a FIFO 50
 * thread) and 2.5-2.6 µs for a plain same-CPU futex wake, where the
 * wakee preempts its waker; the primary itself +0.3 µs (1.06x). Without
 * FIFO the thread preempts the dispatcher (+2.8-3.1 µs), and so does
 * everything else: primary p99.9 went from ~80 µs to 3-3.5 ms with the
 * dispatcher at normal priority beside a CPU-bound raiser.
 *
 * CONCURRENCY
 * desc->lock guards line state (D fields); primaries run without it.
 * free_irq() unlinks an action under the lock and waits for inprogress to
 * clear before freeing, so the snapshot never points at a freed action.
 * The resend list has its own leaf lock.
 *
 * INVARIANTS
 *  1. polled == the level line's epoll registration has EPOLLIN; !masked
 *     implies polled (masked lines are unpolled only once an event came).
 *  2. masked && !depth && !threads_oneshot && actions only transiently
 *     (while primaries run on a oneshot line).
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal/cpus.h"
#include "internal/fault.h"
#include "internal/futex.h"
#include "internal/irq.h"
#include "internal/log.h"
#include "internal/trace.h"

static struct {
	int			epfd;
	int			resend_fd;	/* eventfd: resend list not empty */
	pthread_t		thread;
	bool			running;
	int			stop;		/* A */
	int			passes;		/* A: futex word: batches finished */
	int			quiescers;	/* A: threads waiting on passes */
	pthread_mutex_t		resend_lock;
	struct uwq__irq_desc	*resend;	/* resend_lock */
} dsp = { .epfd = -1, .resend_fd = -1, .resend_lock = PTHREAD_MUTEX_INITIALIZER };

static __thread bool in_dispatcher;
static uint64_t unmask_count;	/* A: unmasks of level lines (stale readiness) */
int uwq__irq_dispatch_cpu = -1;

bool uwq__irq_in_dispatcher(void)
{
	return in_dispatcher;
}

static int poll_fd(struct uwq__irq_desc *desc, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.ptr = desc };

	if (desc->edge)
		ev.events = EPOLLIN | EPOLLET;
	return epoll_ctl(dsp.epfd, EPOLL_CTL_MOD, desc->fd, &ev);
}

int uwq__irq_add_fd(struct uwq__irq_desc *desc)
{
	struct epoll_event ev = { .events = desc->edge ? EPOLLIN | EPOLLET : 0, .data.ptr = desc };

	return epoll_ctl(dsp.epfd, EPOLL_CTL_ADD, desc->fd, &ev) ? -errno : 0;
}

void uwq__irq_del_fd(struct uwq__irq_desc *desc)
{
	epoll_ctl(dsp.epfd, EPOLL_CTL_DEL, desc->fd, NULL);
}

static void resend(struct uwq__irq_desc *desc)
{
	uint64_t one = 1;

	if (desc->on_resend)
		return;
	desc->on_resend = true;
	pthread_mutex_lock(&dsp.resend_lock);
	desc->resend_next = dsp.resend;
	dsp.resend = desc;
	pthread_mutex_unlock(&dsp.resend_lock);
	if (write(dsp.resend_fd, &one, sizeof(one)) < 0)
		uwq__log("irq %d: cannot resend a pending event: %s", desc->irq, strerror(errno));
}

/*
 * Masking is lazy, as the kernel's disable is: masking sets a flag (and
 * calls the chip's own mask); the fd stays polled. Only if an event comes
 * while masked does the dispatcher stop polling a level line (it would
 * report the same readiness again), remembering the event as pending.
 * Unmasking polls it again if needed, which delivers the kept event. So a
 * oneshot event whose thread finishes before the next event costs no
 * epoll_ctl at all, and none sits between the primary and the thread.
 */
static void stop_polling_locked(struct uwq__irq_desc *desc)
{
	if (!desc->edge && desc->polled && poll_fd(desc, false) == 0)
		desc->polled = false;
}

void uwq__irq_mask_locked(struct uwq__irq_desc *desc)
{
	if (desc->masked)
		return;
	desc->masked = true;
	if (desc->chip->mask)
		desc->chip->mask(desc->chip_data);
}

void uwq__irq_unmask_locked(struct uwq__irq_desc *desc)
{
	if (!desc->masked)
		return;
	desc->masked = false;
	if (desc->chip->unmask)
		desc->chip->unmask(desc->chip_data);
	if (desc->edge) {
		if (desc->pending)
			resend(desc);
	} else {
		desc->unmasked_seq = atomic_add_fetch(&unmask_count, 1);
		if (!desc->polled && poll_fd(desc, true) == 0)
			desc->polled = true;
	}
}

/* Is a level line's fd readable right now? (Stale readiness, above.) */
static bool still_readable(struct uwq__irq_desc *desc)
{
	struct pollfd pfd = { .fd = desc->fd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;	/* an error: let the handler see it */
}

/*
 * The device masked itself when acknowledged (UIO): record it as masked
 * without calling chip->mask, so that the usual unmask re-enables it.
 */
static void mask_acked_locked(struct uwq__irq_desc *desc)
{
	desc->masked = true;
}

/*
 * Thread wake-ups are deferred to the end of the batch, just before
 * epoll_wait(): the dispatcher outranks the threads, so a thread on its
 * CPU runs only once it sleeps, and every step between the wake-up and
 * the sleep (spurious accounting, unmasking, the rest of the batch) would
 * add to the thread's latency. Marking (RUNTHREAD, the oneshot mask) is
 * done at once, as the kernel does. X: dispatcher only.
 */
static struct uwq__irq_action *kicks[UWQ_IRQ_MAX_ACTIONS];
static int nr_kicks;

static void flush_kicks(void)
{
	for (int i = 0; i < nr_kicks; i++) {
		if (kicks[i]) {
			uwq__irq_thread_kick(kicks[i]);
			/* Release: uwq_free_irq() may free it once it reads 0. */
			store_release(&kicks[i]->kick_pending, 0);
		}
	}
	nr_kicks = 0;
}

static void defer_kick(struct uwq__irq_action *a)
{
	if (nr_kicks == UWQ_IRQ_MAX_ACTIONS)
		flush_kicks();
	__atomic_store_n(&a->kick_pending, 1, __ATOMIC_RELAXED);
	kicks[nr_kicks++] = a;
}

/* uwq_free_irq() from a primary handler: its action is about to go. */
void uwq__irq_dispatch_forget(struct uwq__irq_action *action)
{
	for (int i = 0; i < nr_kicks; i++)
		if (kicks[i] == action) {
			kicks[i] = NULL;
			__atomic_store_n(&action->kick_pending, 0, __ATOMIC_RELAXED);
		}
}

/* The primaries of one event, on a snapshot of the chain. Returns the OR. */
static unsigned run_primaries(struct uwq__irq_desc *desc, struct uwq__irq_action **acts, int n)
{
	unsigned res = 0;

	for (int i = 0; i < n; i++) {
		struct uwq__irq_action *a = acts[i];
		unsigned ret;

		if (a->forced || !a->handler)
			ret = UWQ_IRQ_WAKE_THREAD;
		else {
			UWQ_TRACE2(irq_handler_entry, desc->irq, a->name);
			ret = (unsigned)a->handler(desc->irq, a->dev_id);
			UWQ_TRACE2(irq_handler_exit, desc->irq, ret);
		}
		if (ret & UWQ_IRQ_WAKE_THREAD) {
			if (!a->has_thread) {
				if (!(atomic_fetch_or(&a->thread_flags, IRQTF_WARNED) & IRQTF_WARNED))
					uwq__log("irq %d: the primary handler of \"%s\" returned UWQ_IRQ_WAKE_THREAD, but the "
						 "action has no thread function; return UWQ_IRQ_HANDLED, or request it with one",
						 desc->irq, a->name);
			} else if (uwq__irq_thread_mark(desc, a)) {
				defer_kick(a);
			}	/* else already due: this wake folds into its next run */
		}
		res |= ret;
	}
	return res;
}

/* When the dispatcher woke up for the current batch (stats). */
static __thread uint64_t batch_ns;

/*
 * @fetched: unmask_count before the epoll_wait() that reported the event
 * (UINT64_MAX for resent edges, which are never stale).
 */
static void handle_event(struct uwq__irq_desc *desc, uint64_t fetched)
{
	struct uwq__irq_action *acts[UWQ_IRQ_MAX_ACTIONS];
	uint64_t missed = 0;
	unsigned ret;
	int n = 0, cpu, r = 1;

	pthread_mutex_lock(&desc->lock);
	if (desc->on_resend) {
		desc->on_resend = false;
		pthread_cond_broadcast(&desc->wait);	/* uwq_irq_destroy() waits for it */
	}
	if (!desc->actions || desc->depth > 0 || desc->masked) {
		/* Disabled (lazily) or a oneshot thread is due: keep it. */
		desc->pending = true;
		uwq__irq_mask_locked(desc);
		stop_polling_locked(desc);
		pthread_mutex_unlock(&desc->lock);
		return;
	}
	if (desc->chip->ack)
		r = desc->chip->ack(desc->chip_data, &missed);
	else if (!desc->edge && desc->unmasked_seq > fetched && !still_readable(desc))
		r = 0;	/* stale: consumed before the line was unmasked */
	desc->pending = false;
	if (r <= 0) {	/* nothing there after all (spurious wake-up) */
		pthread_mutex_unlock(&desc->lock);
		return;
	}
	if (desc->chip->flags & UWQ_IRQCHIP_MASK_ON_ACK)
		mask_acked_locked(desc);
	desc->inprogress = true;
	if (desc->oneshot)
		uwq__irq_mask_locked(desc);
	for (struct uwq__irq_action *a = desc->actions; a && n < UWQ_IRQ_MAX_ACTIONS; a = a->next)
		acts[n++] = a;
	pthread_mutex_unlock(&desc->lock);

	cpu = sched_getcpu();
	__atomic_add_fetch(&desc->count[(cpu < 0 ? 0 : cpu) % UWQ_IRQ_CPUS], 1, __ATOMIC_RELAXED);
	if (missed)
		__atomic_add_fetch(&desc->missed, missed, __ATOMIC_RELAXED);
	if (uwq__irq_stats_clock) {
		uint64_t t = atomic_xchg(&desc->raised_ns, 0);

		uwq__hist_add_atomic(&desc->hist_primary, uwq__irq_now_ns() - (t ? t : batch_ns));
	}
	ret = run_primaries(desc, acts, n);
	uwq__note_interrupt(desc, ret);

	pthread_mutex_lock(&desc->lock);
	desc->inprogress = false;
	if (!desc->depth && !desc->threads_oneshot && desc->actions)
		uwq__irq_unmask_locked(desc);
	pthread_cond_broadcast(&desc->wait);
	pthread_mutex_unlock(&desc->lock);
}

static void run_resends(void)
{
	struct uwq__irq_desc *list;
	uint64_t v;

	if (read(dsp.resend_fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&dsp.resend_lock);
	list = dsp.resend;
	dsp.resend = NULL;
	pthread_mutex_unlock(&dsp.resend_lock);
	while (list) {
		struct uwq__irq_desc *d = list;

		list = d->resend_next;
		handle_event(d, UINT64_MAX);
	}
}

static void *dispatcher(void *arg)
{
	struct sched_param sp = { .sched_priority = 51 };
	struct epoll_event ev[32];
	cpu_set_t one_cpu;

	(void)arg;
	in_dispatcher = true;
	CPU_ZERO(&one_cpu);
	CPU_SET(uwq__irq_dispatch_cpu, &one_cpu);
	pthread_setaffinity_np(pthread_self(), sizeof(one_cpu), &one_cpu);
	pthread_setname_np(pthread_self(), "uwq-irqd");
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);	/* best effort; irq threads warn */
	while (!atomic_load_sc(&dsp.stop)) {
		uint64_t fetched = atomic_load_sc(&unmask_count);
		int n = epoll_wait(dsp.epfd, ev, 32, -1);

		if (uwq__irq_stats_clock)
			batch_ns = uwq__irq_now_ns();
		for (int i = 0; i < n; i++) {
			if (!ev[i].data.ptr)
				run_resends();
			else
				handle_event(ev[i].data.ptr, fetched);
		}
		flush_kicks();
		/* Seq-cst: uwq__irq_dispatch_quiesce() waits for this after
		 * removing an fd, so no fetched event still names its line.
		 * Its waiter count is read after the increment (both seq-cst):
		 * a waiter that registered before it is woken, one after it
		 * sees the new count. No system call while nobody waits: this
		 * sits between a primary and the thread it woke. */
		atomic_add_fetch(&dsp.passes, 1);
		if (atomic_load_sc(&dsp.quiescers))
			futex_wake(&dsp.passes, INT_MAX);
	}
	return NULL;
}

int uwq__irq_dispatch_init(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	pthread_attr_t attr;
	cpu_set_t cpus;
	sigset_t all;
	int err;

	if (dsp.running)
		return 0;
	dsp.epfd = uwq__fault_syscall(UWQ_FAULT_EPOLL) ? -1 : epoll_create1(EPOLL_CLOEXEC);
	dsp.resend_fd = uwq__fault_syscall(UWQ_FAULT_EVENTFD) ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dsp.epfd < 0 || dsp.resend_fd < 0 || epoll_ctl(dsp.epfd, EPOLL_CTL_ADD, dsp.resend_fd, &ev)) {
		err = -errno;
		goto fail;
	}
	__atomic_store_n(&dsp.stop, 0, __ATOMIC_SEQ_CST);
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setsigmask_np(&attr, &all);
	/*
	 * Pinned (it pins itself: uwq__thread_create() starts it on all the
	 * process's CPUs), and lines' threads default to the same CPU (the
	 * kernel's irq threads follow the effective affinity of their hard
	 * irq): a wake from primary to thread is then a same-CPU wake, ~4 µs
	 * here, instead of ~70 µs across CPUs. The last of the process's
	 * CPUs, since the first is where a process's main thread usually runs.
	 */
	uwq__process_cpus(&cpus);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &cpus))
			uwq__irq_dispatch_cpu = c;
	err = -uwq__thread_create(&dsp.thread, &attr, dispatcher, NULL);
	pthread_attr_destroy(&attr);
	if (err)
		goto fail;
	dsp.running = true;
	return 0;
fail:
	uwq__irq_dispatch_cpu = -1;
	if (dsp.epfd >= 0)
		close(dsp.epfd);
	if (dsp.resend_fd >= 0)
		close(dsp.resend_fd);
	dsp.epfd = dsp.resend_fd = -1;
	return err;
}

/*
 * Wait until the dispatcher has finished the batch of events it may have
 * fetched before an fd was removed from epoll (the kernel would use RCU):
 * after that, no event in its hands names the removed line.
 */
void uwq__irq_dispatch_quiesce(void)
{
	uint64_t one = 1;
	int p, v;

	if (!dsp.running || in_dispatcher)
		return;
	atomic_add_fetch(&dsp.quiescers, 1);
	p = atomic_load_sc(&dsp.passes);
	if (write(dsp.resend_fd, &one, sizeof(one)) == sizeof(one)) {
		while ((v = atomic_load_sc(&dsp.passes)) == p)
			futex_wait(&dsp.passes, v);
	}
	atomic_sub_fetch(&dsp.quiescers, 1);
}

void uwq__irq_dispatch_shutdown(void)
{
	uint64_t one = 1;

	if (!dsp.running)
		return;
	__atomic_store_n(&dsp.stop, 1, __ATOMIC_SEQ_CST);
	if (write(dsp.resend_fd, &one, sizeof(one)) < 0)
		return;
	pthread_join(dsp.thread, NULL);
	close(dsp.epfd);
	close(dsp.resend_fd);
	dsp.epfd = dsp.resend_fd = -1;
	dsp.running = false;
}

/* fork.c: the child has no dispatcher until it makes a line. The parent's
 * epoll and resend descriptors stay open, unused (both are O_CLOEXEC). */
void uwq__irq_dispatch_atfork_child(void)
{
	memset(&dsp, 0, sizeof(dsp));
	nr_kicks = 0;
	dsp.epfd = -1;
	dsp.resend_fd = -1;
	pthread_mutex_init(&dsp.resend_lock, NULL);
	in_dispatcher = false;
	uwq__irq_dispatch_cpu = -1;
}
