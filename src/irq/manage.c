/* SPDX-License-Identifier: MIT */
/*
 * manage.c - interrupt lines and their actions: create/destroy, request and
 * free, disable/enable/synchronize, affinity (kernel/irq/manage.c).
 *
 * DESIGN
 * Lines live in a table indexed by number (1..255), created lazily with
 * the dispatcher. Requests follow __setup_irq's rules and error codes:
 * -EINVAL for an unknown line, no handler at all, SHARED without dev_id,
 * unknown flags, or the default primary (handler NULL) without ONESHOT
 * (on a level line it would storm: the primary returns at once and the
 * line is unmasked while the device still asserts it); -EBUSY when a line
 * with an action gets a second one that is not shared on both sides or
 * disagrees on ONESHOT, or (beyond the kernel) has an action with the same
 * dev_id or UWQ_IRQ_MAX_ACTIONS of them; each refusal is one report naming
 * the rule. UWQ_IRQF_COND_ONESHOT becomes ONESHOT when the line's first
 * action has it (the others agree with the first), before the rules are
 * checked, so it joins ONESHOT actions where a plain request is refused;
 * it is resolved at both checks of a request (settle_locked()), and the
 * oneshot bit follows the result.
 * Each ONESHOT action takes a bit of the line's threads_oneshot
 * mask. UWQ_IRQF_NO_AUTOEN is -EINVAL with SHARED (a sharer could request
 * the line while it is disabled and wait forever: the kernel's rule), so
 * it only ever comes with a line's first action, which then sets depth to
 * 1, not +1, dropping earlier disables as the kernel's __setup_irq() does,
 * instead of unmasking: a line without actions is always masked, so it
 * stays so, and the enable that takes depth to 0 unmasks it, replaying a
 * kept edge or polling a level line again (dispatch.c). The request
 * copies @name (into the action's allocation) for the thread name, dumps
 * and stats, as uwq_alloc_workqueue() does, and keeps the caller's
 * pointer only for uwq_free_irq() to return, as the kernel's free_irq()
 * returns it. The thread is created before the action is linked,
 * so a failed request never runs a handler. The first action starts the
 * line; installing one resets the spurious counters and re-enables a
 * shared line disabled as spurious ("give it another chance").
 * UWQ_THREADIRQS=1, read once at first use, force-threads every action
 * that is not NO_THREAD: it becomes ONESHOT and its primary runs in its
 * thread (thread.c).
 * disable nests by depth and is lazy (dispatch.c masks when an event
 * comes); disable_irq and synchronize_irq wait until no primary runs and no
 * thread handler is active. Waiting from the line's own handler would wait
 * for itself: reported once per call and skipped. uwq_free_irq() from a
 * handler of the line is refused (NULL, errno EDEADLK, one report): from a
 * primary, the dispatcher's snapshot still holds the action; from the
 * action's own thread, stopping the thread would wait for itself. From a
 * sibling's thread it would not, but the kernel's free_irq() waits for
 * every thread of the line there, so one rule covers all the handlers.
 *
 * CONCURRENCY: irq_state.lock guards the table; desc->lock each line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal/fault.h"
#include "internal/irq.h"
#include "internal/log.h"
#include "internal/wq.h"

int uwq__threadirqs;
int uwq__irq_stats_clock;

uint64_t uwq__irq_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct {
	pthread_mutex_t		lock;
	struct uwq__irq_desc	*lines[UWQ_IRQ_MAX_LINES];	/* lock; A for lookups */
	bool			inited;				/* lock */
	/* Lines made by a parent before fork(): their numbers stay taken in
	 * the child, and calls on them fail with -ECHILD (fork.c). */
	bool			stale[UWQ_IRQ_MAX_LINES];	/* lock to clear */
	int			stale_reported[UWQ_IRQ_MAX_LINES];	/* A */
} irqs = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct uwq__irq_desc *uwq__irq_desc(int irq)
{
	if (irq <= 0 || irq >= UWQ_IRQ_MAX_LINES)
		return NULL;
	return load_acquire(&irqs.lines[irq]);
}

/* The error of @fn for a line number with no line: -ECHILD (and one report
 * per line) for a line the parent made before fork(), else -EINVAL. */
static int no_line(const char *fn, int irq)
{
	if (irq <= 0 || irq >= UWQ_IRQ_MAX_LINES || !READ_ONCE(irqs.stale[irq]))
		return -EINVAL;
	if (!atomic_xchg(&irqs.stale_reported[irq], 1))
		uwq__log("%s(%d): -ECHILD: irq %d was created before fork() by the parent process: not usable in the "
			 "child; create the child's own line (uwq_irq_destroy(%d) frees the number)", fn, irq, irq, irq);
	return -ECHILD;
}

void uwq__irq_atfork_child(void)
{
	pthread_mutex_init(&irqs.lock, NULL);
	for (int i = 0; i < UWQ_IRQ_MAX_LINES; i++) {
		if (irqs.lines[i])
			irqs.stale[i] = true;
		irqs.lines[i] = NULL;
	}
	irqs.inited = false;
	uwq__irq_dispatch_atfork_child();
	uwq__irq_thread_atfork_child();
}

int uwq__irq_create(const struct uwq_irq_chip *chip, void *chip_data, bool edge, bool is_eventfd)
{
	struct uwq__irq_desc *desc;
	int irq, err;

	if (!chip || !chip->fd)
		return -EINVAL;
	desc = uwq__zalloc(sizeof(*desc));
	if (!desc)
		return -ENOMEM;
	desc->chip = chip;
	desc->chip_data = chip_data;
	desc->fd = chip->fd(chip_data);
	desc->edge = edge;
	desc->is_eventfd = is_eventfd;
	desc->masked = true;
	pthread_mutex_init(&desc->lock, NULL);
	pthread_cond_init(&desc->wait, NULL);
	if (desc->fd < 0) {
		err = -EINVAL;
		goto fail;
	}
	pthread_mutex_lock(&irqs.lock);
	if (!irqs.inited) {
		const char *s = getenv("UWQ_THREADIRQS");

		uwq__threadirqs = s && s[0] == '1';
		s = getenv("UWQ_STATS");
		uwq__irq_stats_clock = !(s && s[0] == '0');
		err = uwq__irq_dispatch_init();
		if (err) {
			pthread_mutex_unlock(&irqs.lock);
			goto fail;
		}
		irqs.inited = true;
	}
	for (irq = 1; irq < UWQ_IRQ_MAX_LINES && (irqs.lines[irq] || irqs.stale[irq]); irq++)
		;
	if (irq == UWQ_IRQ_MAX_LINES) {
		pthread_mutex_unlock(&irqs.lock);
		err = -ENOSPC;
		goto fail;
	}
	desc->irq = irq;
	err = uwq__irq_add_fd(desc);
	if (err) {
		pthread_mutex_unlock(&irqs.lock);
		goto fail;
	}
	/* Threads follow the dispatcher's CPU, which does not depend on
	 * the calling thread's mask (dispatch.c). */
	CPU_ZERO(&desc->affinity);
	CPU_SET(uwq__irq_dispatch_cpu, &desc->affinity);
	store_release(&irqs.lines[irq], desc);
	pthread_mutex_unlock(&irqs.lock);
	return irq;
fail:
	pthread_mutex_destroy(&desc->lock);
	pthread_cond_destroy(&desc->wait);
	free(desc);
	return err;
}

int uwq_irq_create(const struct uwq_irq_chip *chip, void *chip_data)
{
	if (!chip || !chip->fd)
		return -EINVAL;
	/* Custom chips are level lines: polled while readable, the ack consumes. */
	return uwq__irq_create(chip, chip_data, false, false);
}

int uwq_irq_raise(int irq)
{
	struct uwq__irq_desc *desc = uwq__irq_desc(irq);

	if (!desc)
		return no_line(__func__, irq);
	if (!desc->is_eventfd)
		return -EINVAL;
	if (uwq__irq_stats_clock && !READ_ONCE(desc->raised_ns)) {
		uint64_t zero = 0;

		atomic_cas(&desc->raised_ns, &zero, uwq__irq_now_ns());	/* the first of merged raises */
	}
	return uwq__irq_raise_fd(desc->chip_data);
}

int uwq_irq_destroy(int irq)
{
	struct uwq__irq_desc *desc;

	if (uwq__irq_in_dispatcher()) {
		uwq__log("uwq_irq_destroy(%d) from a primary handler would block the dispatcher: refused (-EDEADLK); "
			 "destroy lines from another thread (a work item, say)", irq);
		return -EDEADLK;
	}
	pthread_mutex_lock(&irqs.lock);
	desc = uwq__irq_desc(irq);
	if (!desc) {
		/* A parent's line: its number becomes free in the child. */
		int err = no_line(__func__, irq);

		if (err == -ECHILD)
			irqs.stale[irq] = false;
		pthread_mutex_unlock(&irqs.lock);
		return err == -ECHILD ? 0 : err;
	}
	pthread_mutex_lock(&desc->lock);
	if (desc->actions) {
		pthread_mutex_unlock(&desc->lock);
		pthread_mutex_unlock(&irqs.lock);
		return -EBUSY;
	}
	uwq__irq_del_fd(desc);
	/* An event already fetched by the dispatcher may still be handled. */
	while (desc->inprogress || desc->on_resend)
		pthread_cond_wait(&desc->wait, &desc->lock);
	pthread_mutex_unlock(&desc->lock);
	store_release(&irqs.lines[irq], NULL);
	pthread_mutex_unlock(&irqs.lock);
	uwq__irq_dispatch_quiesce();	/* no fetched event may still name it */
	if (desc->chip->release)
		desc->chip->release(desc->chip_data);
	pthread_mutex_destroy(&desc->lock);
	pthread_cond_destroy(&desc->wait);
	free(desc);
	return 0;
}

static int alloc_mask(struct uwq__irq_desc *desc, unsigned long *mask)
{
	for (unsigned i = 0; i < sizeof(unsigned long) * 8; i++) {
		if (!(desc->used_masks & (1UL << i))) {
			*mask = 1UL << i;
			return 0;
		}
	}
	return -EBUSY;
}

/*
 * An action and uwq's copy of its name, in one allocation (a request
 * still has one allocation that can fail). The caller's pointer is kept
 * only to be returned by uwq_free_irq(), as the kernel returns it.
 */
struct action_alloc {
	struct uwq__irq_action	action;		/* first: free(action) frees it all */
	const char		*devname;	/* I: the caller's @name, never read */
	char			name[];		/* I: action.name points here */
};

/*
 * May @action join @desc's chain? 0, or -EBUSY with one report saying which
 * rule it breaks. Called twice per request under desc->lock (settle_locked()):
 * before its thread is made, and again before linking (another request may
 * have linked in between).
 * Two actions with one dev_id: the kernel asks for a unique dev_id but does
 * not check it at request; its free_irq() and irq_wake_thread() then reach
 * only the first action with that dev_id, so the second can be neither
 * woken nor freed while the first is there. uwq refuses the second.
 */
static int check_join_locked(const char *fn, struct uwq__irq_desc *desc, const struct uwq__irq_action *action)
{
	const struct uwq__irq_action *first = desc->actions, *a;
	unsigned long flags = action->flags;
	int n = 0;

	if (!first)
		return 0;
	if (!(first->flags & UWQ_IRQF_SHARED)) {
		uwq__log("%s(%d, \"%s\"): -EBUSY: the line is taken by \"%s\", which did not pass UWQ_IRQF_SHARED; "
			 "to share the line, every action on it must pass UWQ_IRQF_SHARED; else use another line",
			 fn, desc->irq, action->name, first->name);
		return -EBUSY;
	}
	if (!(flags & UWQ_IRQF_SHARED)) {
		uwq__log("%s(%d, \"%s\"): -EBUSY: the line is shared (by \"%s\") and this request did not pass "
			 "UWQ_IRQF_SHARED; pass it to join the line, or use another line",
			 fn, desc->irq, action->name, first->name);
		return -EBUSY;
	}
	if ((first->flags ^ flags) & UWQ_IRQF_ONESHOT) {
		uwq__log("%s(%d, \"%s\"): -EBUSY: this request %s UWQ_IRQF_ONESHOT and \"%s\", already on the line, "
			 "%s; the actions of a shared line must agree on it%s", fn, desc->irq, action->name,
			 flags & UWQ_IRQF_ONESHOT ? "passes" : "does not pass", first->name,
			 first->flags & UWQ_IRQF_ONESHOT ? "does" : "does not",
			 uwq__threadirqs ? " (UWQ_THREADIRQS=1 adds it to every action without UWQ_IRQF_NO_THREAD)" : "");
		return -EBUSY;
	}
	for (a = first; a; a = a->next, n++) {
		if (a->dev_id == action->dev_id) {
			uwq__log("%s(%d, \"%s\"): -EBUSY: the line already has an action with dev_id %p (\"%s\"); "
				 "dev_id names the action for uwq_free_irq() and uwq_irq_wake_thread(): give each its own",
				 fn, desc->irq, action->name, action->dev_id, a->name);
			return -EBUSY;
		}
	}
	/* The dispatcher runs at most UWQ_IRQ_MAX_ACTIONS primaries per event. */
	if (n >= UWQ_IRQ_MAX_ACTIONS) {
		uwq__log("%s(%d, \"%s\"): -EBUSY: the line has %d actions, at most %d are allowed; use another line",
			 fn, desc->irq, action->name, n, UWQ_IRQ_MAX_ACTIONS);
		return -EBUSY;
	}
	return 0;
}

/*
 * Settle @action's flags, from the request's @flags, against @desc's chain
 * as it is now, under desc->lock: resolve UWQ_IRQF_COND_ONESHOT, apply the
 * join rules, the default-primary rule for a COND_ONESHOT request that
 * stayed plain, and reserve (or give back) the oneshot bit to match. Run
 * at both checks of a request: the chain may change in between (its
 * ONESHOT actions freed, say), and the thread made meanwhile does not
 * depend on the result. 0, or -errno with one report; on failure the
 * caller gives back action->thread_mask.
 */
static int settle_locked(const char *fn, struct uwq__irq_desc *desc, struct uwq__irq_action *action,
			 unsigned long flags)
{
	const struct uwq__irq_action *first = desc->actions;
	int err;

	if ((flags & UWQ_IRQF_COND_ONESHOT) && first && (first->flags & UWQ_IRQF_ONESHOT))
		flags |= UWQ_IRQF_ONESHOT;
	action->flags = flags;
	err = check_join_locked(fn, desc, action);
	if (err)
		return err;
	if (!action->handler && !(flags & UWQ_IRQF_ONESHOT)) {
		uwq__log("%s(%d, \"%s\"): -EINVAL: no primary handler, and UWQ_IRQF_COND_ONESHOT did not make the "
			 "action oneshot (the line has no ONESHOT action): the default primary would unmask the line "
			 "while the device still asserts it; pass UWQ_IRQF_ONESHOT", fn, desc->irq, action->name);
		return -EINVAL;
	}
	if (!(flags & UWQ_IRQF_ONESHOT)) {
		desc->used_masks &= ~action->thread_mask;
		action->thread_mask = 0;
	} else if (!action->thread_mask) {
		if (alloc_mask(desc, &action->thread_mask)) {
			uwq__log("%s(%d, \"%s\"): -EBUSY: the line has %zu oneshot actions, one per bit of a long, "
				 "the most it can take; use another line",
				 fn, desc->irq, action->name, sizeof(unsigned long) * 8);
			return -EBUSY;
		}
		desc->used_masks |= action->thread_mask;	/* reserve the bit meanwhile */
	}
	return 0;
}

static int request_action(const char *fn, int irq, uwq_irq_handler_t handler, uwq_irq_handler_t thread_fn,
			  unsigned long flags, const char *name, void *dev_id)
{
	struct uwq__irq_desc *desc = uwq__irq_desc(irq);
	struct uwq__irq_action *action, **pp;
	struct action_alloc *aa;
	size_t len;
	int err;

	if (!desc)
		return no_line(fn, irq);
	if ((!handler && !thread_fn) || !name || (flags & ~UWQ_IRQF_KNOWN) ||
	    ((flags & UWQ_IRQF_SHARED) && !dev_id))
		return -EINVAL;
	if ((flags & UWQ_IRQF_SHARED) && (flags & UWQ_IRQF_NO_AUTOEN)) {
		uwq__log("%s(%d, \"%s\"): -EINVAL: UWQ_IRQF_NO_AUTOEN with UWQ_IRQF_SHARED: another sharer could join "
			 "the line while it is still disabled and wait for events forever; request it without "
			 "UWQ_IRQF_SHARED, or request it enabled and uwq_disable_irq() it", fn, irq, name);
		return -EINVAL;
	}
	len = strlen(name);
	aa = uwq__zalloc(sizeof(*aa) + len + 1);
	if (!aa)
		return -ENOMEM;
	memcpy(aa->name, name, len + 1);
	aa->devname = name;
	action = &aa->action;
	action->desc = desc;
	action->handler = handler;
	action->thread_fn = thread_fn;
	action->name = aa->name;
	action->dev_id = dev_id;
	if (uwq__threadirqs && handler && !(flags & UWQ_IRQF_NO_THREAD)) {
		/* kernel irq_setup_forced_threading() */
		action->forced = true;
		flags |= UWQ_IRQF_ONESHOT;
	}
	action->flags = flags;
	if (!handler && !(flags & (UWQ_IRQF_ONESHOT | UWQ_IRQF_COND_ONESHOT))) {
		uwq__log("%s(%d, \"%s\"): -EINVAL: no primary handler and no UWQ_IRQF_ONESHOT: the default primary "
			 "would unmask the line while the device still asserts it; pass UWQ_IRQF_ONESHOT",
			 fn, irq, action->name);
		free(action);
		return -EINVAL;
	}

	pthread_mutex_lock(&desc->lock);
	err = settle_locked(fn, desc, action, flags);
	if (err) {
		desc->used_masks &= ~action->thread_mask;
		pthread_mutex_unlock(&desc->lock);
		free(action);
		return err;
	}
	pthread_mutex_unlock(&desc->lock);

	if (thread_fn || action->forced) {
		err = uwq__irq_thread_start(action);
		if (err) {
			pthread_mutex_lock(&desc->lock);
			desc->used_masks &= ~action->thread_mask;
			pthread_mutex_unlock(&desc->lock);
			free(action);
			return err;
		}
	}

	pthread_mutex_lock(&desc->lock);
	err = settle_locked(fn, desc, action, flags);
	if (err) {
		desc->used_masks &= ~action->thread_mask;
		pthread_mutex_unlock(&desc->lock);
		uwq__irq_thread_stop(action);
		free(action);
		return err;
	}
	for (pp = &desc->actions; *pp; pp = &(*pp)->next)
		;
	*pp = action;
	/* The counters belong to the dispatcher: ask it to reset them. */
	__atomic_store_n(&desc->spurious_reset, 1, __ATOMIC_RELEASE);
	if (action == desc->actions) {
		desc->oneshot = action->flags & UWQ_IRQF_ONESHOT;
		if (desc->spurious_disabled && desc->depth > 0)
			desc->depth--;	/* a fresh start clears the spurious disable */
		desc->spurious_disabled = false;
		desc->threads_oneshot = 0;
		if (action->flags & UWQ_IRQF_NO_AUTOEN)
			desc->depth = 1;	/* stays masked until uwq_enable_irq() */
		else if (!desc->depth)
			uwq__irq_unmask_locked(desc);
	} else if (desc->spurious_disabled) {
		desc->spurious_disabled = false;
		if (desc->depth > 0 && --desc->depth == 0 && !desc->threads_oneshot)
			uwq__irq_unmask_locked(desc);
	}
	pthread_mutex_unlock(&desc->lock);
	return 0;
}

int uwq_request_threaded_irq(int irq, uwq_irq_handler_t handler, uwq_irq_handler_t thread_fn,
			     unsigned long flags, const char *name, void *dev_id)
{
	return request_action(__func__, irq, handler, thread_fn, flags, name, dev_id);
}

int uwq_request_irq(int irq, uwq_irq_handler_t handler, unsigned long flags, const char *name, void *dev_id)
{
	if (!handler)
		return -EINVAL;
	return request_action(__func__, irq, handler, NULL, flags, name, dev_id);
}

/*
 * Is the caller one of @desc's handlers? Its primaries run on the
 * dispatcher with inprogress set, and only the dispatcher sets it, so the
 * dispatcher reads it without the lock.
 */
static bool in_primary_of(const struct uwq__irq_desc *desc)
{
	return uwq__irq_in_dispatcher() && desc->inprogress;
}

/* uwq_synchronize_irq() and uwq_disable_irq() from a handler: don't wait. */
static void report_self_wait(const char *fn, struct uwq__irq_desc *desc, const char *done, const char *instead)
{
	if (in_primary_of(desc) || uwq__irq_in_thread_of(desc))
		uwq__log("%s(%d) from a handler of the line would wait for itself: %s; %s", fn, desc->irq, done,
			 instead);
	else
		uwq__log("%s(%d) from a primary handler would block the dispatcher: %s; %s", fn, desc->irq, done,
			 instead);
}

const char *uwq_free_irq(int irq, void *dev_id)
{
	struct uwq__irq_desc *desc = uwq__irq_desc(irq);
	struct uwq__irq_action *action, **pp;
	const char *name;

	if (!desc) {
		int err = no_line(__func__, irq);

		if (err != -ECHILD)
			uwq__log("uwq_free_irq(%d, %p): there is no line %d (never created, or destroyed); nothing freed",
				 irq, dev_id, irq);
		errno = -err;
		return NULL;
	}
	pthread_mutex_lock(&desc->lock);
	for (pp = &desc->actions; *pp && (*pp)->dev_id != dev_id; pp = &(*pp)->next)
		;
	action = *pp;
	if (!action) {
		if (desc->actions)
			uwq__log("uwq_free_irq(%d, %p): the line has no action with dev_id %p (never requested, or freed "
				 "already); pass the dev_id given at request", irq, dev_id, dev_id);
		else
			uwq__log("uwq_free_irq(%d, %p): the line has no actions (never requested, or all freed); "
				 "nothing freed", irq, dev_id);
		pthread_mutex_unlock(&desc->lock);
		errno = ENOENT;
		return NULL;
	}
	/* From a handler of the line (DESIGN above). The kernel has no
	 * free_irq() that does not wait: the caller must free elsewhere. */
	if (in_primary_of(desc) || uwq__irq_in_thread_of(desc)) {
		uwq__log("uwq_free_irq(%d, %p) from a handler of the line would wait for itself: refused, nothing "
			 "freed; call it from another thread (a work item, say)", irq, dev_id);
		pthread_mutex_unlock(&desc->lock);
		errno = EDEADLK;
		return NULL;
	}
	*pp = action->next;
	if (!desc->actions)
		uwq__irq_mask_locked(desc);
	/* The dispatcher may hold a snapshot with this action: let it end
	 * (never this line's own: refused above). */
	while (desc->inprogress)
		pthread_cond_wait(&desc->wait, &desc->lock);
	pthread_mutex_unlock(&desc->lock);
	/* And a deferred wake-up of its thread (dispatch.c): let it be sent
	 * at the end of the dispatcher's batch, as the kernel's free_irq()
	 * waits for the handlers running. */
	if (uwq__irq_in_dispatcher()) {
		uwq__irq_dispatch_forget(action);
	} else if (load_acquire(&action->kick_pending)) {
		/* Sent before the batch's pass ends: wait for a pass. */
		uwq__irq_dispatch_quiesce();
	}

	uwq__irq_thread_stop(action);

	pthread_mutex_lock(&desc->lock);
	desc->threads_oneshot &= ~action->thread_mask;
	desc->used_masks &= ~action->thread_mask;
	if (desc->actions && !desc->depth && !desc->threads_oneshot)
		uwq__irq_unmask_locked(desc);
	pthread_mutex_unlock(&desc->lock);
	name = ((struct action_alloc *)action)->devname;
	free(action);
	return name;
}

void uwq_disable_irq_nosync(int irq)
{
	struct uwq__irq_desc *desc = uwq__irq_desc(irq);

	if (!desc)
		return;
	pthread_mutex_lock(&desc->lock);
	desc->depth++;	/* lazy: the dispatcher masks when an event comes */
	pthread_mutex_unlock(&desc->lock);
}

void uwq_synchronize_irq(int irq)
{
	struct uwq__irq_desc *desc = uwq__irq_desc(irq);

	if (!desc)
		return;
	if (uwq__irq_in_dispatcher() || uwq__irq_in_thread_of(desc)) {
		report_self_wait(__func__, desc, "not waiting", "call it from another thread");
		return;
	}
	pthread_mutex_lock(&desc->lock);
	while (desc->inprogress || desc->threads_active)
		pthread_cond_wait(&desc->wait, &desc->lock);
	pthread_mutex_unlock(&desc->lock);
}

void uwq_disable_irq(int irq)
{
	struct uwq__irq_desc *desc = uwq__irq_desc(irq);

	if (!desc)
		return;
	uwq_disable_irq_nosync(irq);
	if (uwq__irq_in_dispatcher() || uwq__irq_in_thread_of(desc)) {
		report_self_wait(__func__, desc, "disabled without waiting",
				 "handlers use uwq_disable_irq_nosync()");
		return;
	}
	uwq_synchronize_irq(irq);
}

void uwq_enable_irq(int irq)
{
	struct uwq__irq_desc *desc = uwq__irq_desc(irq);

	if (!desc)
		return;
	pthread_mutex_lock(&desc->lock);
	if (desc->depth == 0) {
		if (!desc->unbalanced_warned)
			uwq__log("uwq_enable_irq(%d): unbalanced enable, the line is not disabled: ignored; each "
				 "uwq_enable_irq() undoes one uwq_disable_irq() or uwq_disable_irq_nosync()", irq);
		desc->unbalanced_warned = true;
	} else if (--desc->depth == 0) {
		desc->spurious_disabled = false;
		/* While primaries run, handle_event() unmasks when they end:
		 * unmasking here would let the next event in before a oneshot
		 * line's threads are marked. */
		if (desc->actions && !desc->threads_oneshot && !desc->inprogress)
			uwq__irq_unmask_locked(desc);	/* replays a kept event */
	}
	pthread_mutex_unlock(&desc->lock);
}

void uwq_irq_wake_thread(int irq, void *dev_id)
{
	struct uwq__irq_desc *desc = uwq__irq_desc(irq);
	struct uwq__irq_action *a;

	if (!desc)
		return;
	pthread_mutex_lock(&desc->lock);
	for (a = desc->actions; a && a->dev_id != dev_id; a = a->next)
		;
	pthread_mutex_unlock(&desc->lock);
	/* As free_irq() cannot run concurrently with its own user's calls. */
	if (a && a->has_thread)
		uwq__irq_wake_thread(desc, a);
}

int uwq_irq_set_affinity(int irq, const cpu_set_t *mask)
{
	struct uwq__irq_desc *desc = uwq__irq_desc(irq);

	if (!desc)
		return no_line(__func__, irq);
	if (!mask || CPU_COUNT(mask) == 0)
		return -EINVAL;
	pthread_mutex_lock(&desc->lock);
	desc->affinity = *mask;
	for (struct uwq__irq_action *a = desc->actions; a; a = a->next)
		atomic_fetch_or(&a->thread_flags, IRQTF_AFFINITY);
	pthread_mutex_unlock(&desc->lock);
	return 0;
}

/* /proc/interrupts layout, then a spurious block per line that has one. */
void uwq__irq_dump(FILE *f)
{
	int ncpu = uwq__g.nr_cpus < UWQ_IRQ_CPUS ? uwq__g.nr_cpus : UWQ_IRQ_CPUS;
	bool header = false;

	pthread_mutex_lock(&irqs.lock);
	for (int irq = 1; irq < UWQ_IRQ_MAX_LINES; irq++) {
		struct uwq__irq_desc *desc = irqs.lines[irq];

		if (!desc)
			continue;
		if (!header) {
			fprintf(f, "%5s", "");
			for (int c = 0; c < ncpu; c++)
				fprintf(f, " %10s%-3d", "CPU", uwq__g.cpu_ids[c]);
			fprintf(f, "\n");
			header = true;
		}
		pthread_mutex_lock(&desc->lock);
		fprintf(f, "%4d:", irq);
		for (int c = 0; c < ncpu; c++)
			fprintf(f, " %13llu",
				(unsigned long long)__atomic_load_n(&desc->count[uwq__g.cpu_ids[c] % UWQ_IRQ_CPUS],
								    __ATOMIC_RELAXED));
		fprintf(f, "  %-8s %-5s", desc->chip->name ? desc->chip->name : "chip", desc->edge ? "Edge" : "Level");
		for (struct uwq__irq_action *a = desc->actions; a; a = a->next)
			fprintf(f, "%s%s", a == desc->actions ? "  " : ", ", a->name);
		fprintf(f, "\n");
		fprintf(f, "      spurious: unhandled=%llu missed=%llu depth=%d%s",
			(unsigned long long)__atomic_load_n(&desc->unhandled_total, __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&desc->missed, __ATOMIC_RELAXED), desc->depth,
			desc->spurious_disabled ? " (disabled: nobody cared)" : "");
		for (struct uwq__irq_action *a = desc->actions; a; a = a->next)
			if (a->has_thread)
				fprintf(f, " thread[%s]=%llu", a->name,
					(unsigned long long)__atomic_load_n(&a->thread_runs, __ATOMIC_RELAXED));
		fprintf(f, "\n");
		pthread_mutex_unlock(&desc->lock);
	}
	pthread_mutex_unlock(&irqs.lock);
}

/* uwq_shutdown(): -EBUSY while lines exist; else stop the dispatcher. */
int uwq__irq_shutdown(void)
{
	pthread_mutex_lock(&irqs.lock);
	for (int irq = 1; irq < UWQ_IRQ_MAX_LINES; irq++) {
		if (irqs.lines[irq]) {
			pthread_mutex_unlock(&irqs.lock);
			uwq__log("uwq_shutdown(): irq line %d still exists: refused (-EBUSY); free its actions "
				 "(uwq_free_irq()) and destroy it (uwq_irq_destroy()) first", irq);
			return -EBUSY;
		}
	}
	if (irqs.inited) {
		uwq__irq_dispatch_shutdown();
		irqs.inited = false;
	}
	pthread_mutex_unlock(&irqs.lock);
	return 0;
}

int uwq_irq_stats(int irq, struct uwq_irq_stats *st)
{
	struct uwq__irq_desc *desc = uwq__irq_desc(irq);
	size_t len = 0;

	if (!st || !desc)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->irq = irq;
	snprintf(st->chip, sizeof(st->chip), "%s", desc->chip->name ? desc->chip->name : "chip");
	for (int c = 0; c < UWQ_IRQ_CPUS && c < UWQ_IRQ_STATS_CPUS; c++) {
		st->events_cpu[c] = __atomic_load_n(&desc->count[c], __ATOMIC_RELAXED);
		st->events += st->events_cpu[c];
	}
	st->missed = __atomic_load_n(&desc->missed, __ATOMIC_RELAXED);
	st->unhandled = __atomic_load_n(&desc->unhandled_total, __ATOMIC_RELAXED);
	for (int b = 0; b < UWQ_HIST_BUCKETS; b++)
		st->primary_latency.bucket[b] = __atomic_load_n(&desc->hist_primary.bucket[b], __ATOMIC_RELAXED);
	pthread_mutex_lock(&desc->lock);
	st->depth = desc->depth;
	st->spurious_disabled = desc->spurious_disabled;
	for (struct uwq__irq_action *a = desc->actions; a; a = a->next) {
		int n = snprintf(st->actions + len, sizeof(st->actions) - len, "%s%s", len ? "," : "", a->name);

		if (n > 0 && len + (size_t)n < sizeof(st->actions))
			len += (size_t)n;
		st->thread_runs += __atomic_load_n(&a->thread_runs, __ATOMIC_RELAXED);
		for (int b = 0; b < UWQ_HIST_BUCKETS; b++)
			st->thread_latency.bucket[b] += __atomic_load_n(&a->hist_thread.bucket[b], __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&desc->lock);
	return 0;
}
