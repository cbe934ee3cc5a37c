/* SPDX-License-Identifier: MIT */
/*
 * uwq/irq.h - threaded interrupt handlers for userspace
 * (the kernel's request_threaded_irq() model).
 *
 * A *line* is an event source (an fd the dispatcher polls) plus a *chip*
 * that says how to acknowledge, mask and unmask it. Lines are numbered from
 * 1. Handlers attach to a line with uwq_request_threaded_irq():
 *
 *  - the primary handler runs in the dispatcher thread ("uwq-irqd", hard
 *    interrupt context: it must not block) and says whether its device
 *    interrupted: UWQ_IRQ_NONE (not mine), UWQ_IRQ_HANDLED, or
 *    UWQ_IRQ_WAKE_THREAD to run the slow part in the action's own thread
 *    ("irq/<n>-<name>", SCHED_FIFO 50 where permitted);
 *  - on a shared line every primary runs and the results are OR-ed;
 *  - UWQ_IRQF_ONESHOT keeps the line masked until every woken thread
 *    handler has returned;
 *  - UWQ_IRQF_COND_ONESHOT, on a shared line, takes UWQ_IRQF_ONESHOT if
 *    the line's other actions have it (and so may join them, where a plain
 *    request is refused), and changes nothing otherwise;
 *  - UWQ_IRQF_NO_AUTOEN requests the line disabled (depth 1): nothing is
 *    handled until uwq_enable_irq(), which delivers an event that came
 *    meanwhile (an edge line replays it, a level line is polled again);
 *  - waking a thread that is already due to run coalesces into one run:
 *    a thread handler must handle everything outstanding;
 *  - a line whose handlers answer UWQ_IRQ_NONE to 99,900 of 100,000 events
 *    is disabled with one "nobody cared" report;
 *  - UWQ_THREADIRQS=1 in the environment (read at first use) runs every
 *    primary not marked UWQ_IRQF_NO_THREAD in a thread, oneshot.
 *
 * Errors follow the kernel: -EINVAL for an unknown line or an invalid
 * handler/flag combination, -EBUSY for a sharing conflict. A refused
 * request or free prints one "uwq: " line on stderr naming the call, what
 * was wrong and what to do.
 */
#ifndef UWQ_IRQ_H
#define UWQ_IRQ_H

#include <sched.h>
#include <stdint.h>
#include <uwq/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	UWQ_IRQ_NONE = 0,		/* not my device */
	UWQ_IRQ_HANDLED = 1,		/* handled */
	UWQ_IRQ_WAKE_THREAD = 2,	/* run my thread handler */
} uwq_irqreturn_t;

typedef uwq_irqreturn_t (*uwq_irq_handler_t)(int irq, void *dev_id);

/* Request flags (the kernel's IRQF_* values). */
#define UWQ_IRQF_SHARED		0x00000080UL
#define UWQ_IRQF_ONESHOT	0x00002000UL
#define UWQ_IRQF_NO_THREAD	0x00010000UL
#define UWQ_IRQF_NO_AUTOEN	0x00080000UL	/* requested disabled: uwq_enable_irq() starts it */
#define UWQ_IRQF_COND_ONESHOT	0x00200000UL	/* ONESHOT if the shared line's actions are */

/* Triggers for uwq_irq_create_fd(). */
#define UWQ_IRQ_LEVEL		1u	/* readable = asserted; the handler must clear the source */
#define UWQ_IRQ_EDGE		2u	/* a new readiness edge is an event */

/* Chip flags */
#define UWQ_IRQCHIP_LEVEL	(1u << 0)	/* level semantics: never replayed, re-polled */
#define UWQ_IRQCHIP_MASK_ON_ACK	(1u << 1)	/* the device masks itself when acked (UIO):
						 * unmask is called after every event */

/**
 * struct uwq_irq_chip - how a line's source is read and masked.
 * @name: shown in dumps
 * @fd: the pollable fd the dispatcher waits on (EPOLLIN); called once
 * @ack: consume the event before the primaries run (for an eventfd, read
 *       the counter); add to *missed the events that were merged or lost.
 *       Return 1 if an event was pending, 0 if none (spurious wake-up), or
 *       -errno. Optional: NULL means "nothing to consume".
 * @mask, @unmask: device-level mask (optional; the dispatcher always stops
 *       polling a masked line as well). UIO's unmask writes 1.
 * @release: called by uwq_irq_destroy(); optional
 * @flags: UWQ_IRQCHIP_*
 * Chip callbacks run in the dispatcher, or in the thread that unmasks.
 */
struct uwq_irq_chip {
	const char	*name;
	int		(*fd)(void *chip_data);
	int		(*ack)(void *chip_data, uint64_t *missed);
	void		(*mask)(void *chip_data);
	void		(*unmask)(void *chip_data);
	void		(*release)(void *chip_data);
	unsigned	flags;
};

/**
 * uwq_irq_create() - a line over a custom chip.
 * Context: thread context. Return: the line number (>= 1), or -EINVAL (NULL
 * chip or no fd callback or a negative fd), -ENOMEM, -ENOSPC (too many
 * lines), -EAGAIN (the first line: the dispatcher thread could not start).
 */
UWQ_API int uwq_irq_create(const struct uwq_irq_chip *chip, void *chip_data);

/**
 * uwq_irq_create_eventfd() - a software line, raised with uwq_irq_raise().
 * Return: the line number, or -errno.
 */
UWQ_API int uwq_irq_create_eventfd(void);

/**
 * uwq_irq_raise() - raise a software line. Raises the dispatcher has not
 * read yet merge into one event, as an eventfd counter does.
 * Context: any thread; async-signal-safe (one write(2)).
 * Return: 0; -EINVAL for an unknown line or one that is not a software line.
 */
UWQ_API int uwq_irq_raise(int irq);

/**
 * uwq_irq_create_fd() - a line over any pollable fd, which it does not own.
 * UWQ_IRQ_LEVEL: the line fires while the fd is readable (the handler must
 * make it unreadable); UWQ_IRQ_EDGE: it fires on each readiness edge.
 * Return: the line number; -EINVAL for a negative fd or a bad trigger.
 */
UWQ_API int uwq_irq_create_fd(int fd, unsigned trigger);

/**
 * uwq_irq_create_timer() - a periodic line (timerfd); missed expirations
 * are counted.
 * Return: the line number; -EINVAL for a zero period; -errno from timerfd.
 */
UWQ_API int uwq_irq_create_timer(uint64_t period_ns);

/**
 * uwq_irq_create_uio() - a line over a UIO device (/dev/uioN). The
 * dispatcher reads the 4-byte interrupt count (a jump of more than one is
 * counted as missed interrupts) and re-enables the interrupt by writing 1
 * once the line is unmasked (after the primaries, or after the oneshot
 * threads). uwq owns the fd it opens.
 * Return: the line number; -errno from open(); -EINVAL for NULL.
 */
UWQ_API int uwq_irq_create_uio(const char *path);

/**
 * uwq_irq_create_uio_fd() - as uwq_irq_create_uio() over an fd the caller
 * opened (and keeps: uwq never closes it), e.g. to mmap the device too.
 * Return: the line number; -EINVAL for a negative fd.
 */
UWQ_API int uwq_irq_create_uio_fd(int fd);

/**
 * uwq_irq_create_gpio() - a line over a GPIO character-device line request
 * (v2 uAPI: the fd from GPIO_V2_GET_LINE_IOCTL with edge detection). Each
 * event is a struct gpio_v2_line_event record; all records available are
 * read per event, and gaps in their seqno are counted as lost events. The
 * caller keeps the fd.
 * Return: the line number; -EINVAL for a negative fd.
 */
UWQ_API int uwq_irq_create_gpio(int line_request_fd);

/**
 * uwq_irq_create_vfio() - a line for interrupt @vector of @index
 * (VFIO_PCI_INTX_IRQ_INDEX, _MSI_, _MSIX_) of a VFIO device: uwq hands VFIO
 * an eventfd (VFIO_DEVICE_SET_IRQS, ACTION_TRIGGER) and masks and unmasks
 * through ACTION_MASK/UNMASK; INTx, which VFIO masks when it fires, is
 * unmasked after each event (or after the oneshot threads). The caller
 * keeps the device fd; destroy removes the trigger.
 * Return: the line number; -EINVAL for a negative fd; -errno from the
 * ioctl (-ENOTTY for an fd that is not a VFIO device).
 */
UWQ_API int uwq_irq_create_vfio(int device_fd, unsigned index, unsigned vector);

/**
 * uwq_irq_create_signal() - a line raised by signal @signo (signalfd).
 * The signal must be blocked in every thread of the process (block it
 * before creating threads), or it is delivered normally instead.
 * Return: the line number; -EINVAL for an invalid signal; -errno.
 */
UWQ_API int uwq_irq_create_signal(int signo);

/**
 * uwq_irq_destroy() - remove a line with no handlers left. Waits until the
 * dispatcher holds no event of the line.
 * Context: thread context, not a primary handler.
 * Return: 0; -EINVAL for an unknown line; -EBUSY while handlers are
 * requested; -EDEADLK from a primary handler.
 */
UWQ_API int uwq_irq_destroy(int irq);

/**
 * uwq_request_threaded_irq() - attach handlers to a line.
 * @handler: primary handler, or NULL for the default one (wakes the thread;
 *           requires UWQ_IRQF_ONESHOT)
 * @thread_fn: thread handler, or NULL for none
 * @flags: UWQ_IRQF_SHARED, UWQ_IRQF_ONESHOT, UWQ_IRQF_NO_THREAD,
 *         UWQ_IRQF_NO_AUTOEN, UWQ_IRQF_COND_ONESHOT
 * @name: names the thread and appears in dumps and stats. uwq copies the
 *        string, so it may be a buffer the caller reuses once this returns;
 *        the pointer itself is what uwq_free_irq() returns.
 * @dev_id: identifies the action on the line: passed to its handlers, and
 *          to uwq_free_irq() and uwq_irq_wake_thread() to name it. Required
 *          on a shared line; two actions of one line may not share it.
 *
 * The handlers may run before this returns. A failed request never calls
 * them. Sharing: every action of a shared line passes UWQ_IRQF_SHARED and
 * all agree on UWQ_IRQF_ONESHOT (a request with UWQ_IRQF_COND_ONESHOT
 * agrees with ONESHOT actions by taking it; beside actions without it,
 * or as the line's first action, the flag does nothing); a line takes at
 * most 64 actions. With
 * UWQ_IRQF_NO_AUTOEN (not on a shared line) the line starts at depth 1,
 * whatever disables came before, as the kernel's does: events are kept
 * until uwq_enable_irq().
 * Context: thread context; may create a thread.
 * Return: 0; -EINVAL for an unknown line, both handlers NULL, NULL @name,
 * unknown flag bits, UWQ_IRQF_SHARED without @dev_id, or (with one report)
 * UWQ_IRQF_SHARED with UWQ_IRQF_NO_AUTOEN (a sharer could wait forever
 * for a line left disabled), or a NULL @handler without UWQ_IRQF_ONESHOT
 * (UWQ_IRQF_COND_ONESHOT counts if it made the action ONESHOT); -EBUSY
 * (one report) if the line has an action and either is not shared, or
 * their ONESHOT flags differ (after UWQ_IRQF_COND_ONESHOT is applied),
 * or the line has an action with this @dev_id already (the kernel accepts
 * that, and its free_irq() then finds only the first), or 64 actions (on
 * 32-bit, 32 ONESHOT ones); -ENOMEM or -EAGAIN. -ECHILD for a line the
 * parent process created before fork().
 */
UWQ_API int uwq_request_threaded_irq(int irq, uwq_irq_handler_t handler, uwq_irq_handler_t thread_fn,
				     unsigned long flags, const char *name, void *dev_id);

/**
 * uwq_request_irq() - uwq_request_threaded_irq() without a thread handler.
 * Context: thread context.
 * Return: as uwq_request_threaded_irq(); -EINVAL for a NULL @handler.
 */
UWQ_API int uwq_request_irq(int irq, uwq_irq_handler_t handler, unsigned long flags, const char *name,
			    void *dev_id);

/**
 * uwq_free_irq() - detach the action @dev_id from @irq: waits for its
 * handlers to finish and stops its thread.
 * Context: thread context, or a primary handler of another line; may
 * block. Not a handler of @irq (primary or thread, of any of its actions):
 * that is refused, as it would wait for itself. Free from another thread
 * instead, e.g. a work item; there is no variant that does not wait.
 * Return: the @name pointer given at request (the caller's own pointer,
 * as the kernel's free_irq() returns it: uwq used its copy of the string,
 * so the pointer may dangle if that buffer is gone). On failure NULL, with
 * one report and errno set: EDEADLK when called from a handler of @irq
 * (nothing freed; the action stays and keeps running); ENOENT when the
 * line has no action with @dev_id (never requested, or freed already);
 * EINVAL for an unknown line; ECHILD for a line the parent process created
 * before fork(). errno is left alone on success.
 */
UWQ_API const char *uwq_free_irq(int irq, void *dev_id);

/**
 * uwq_disable_irq_nosync() - mask the line; nests. Events arriving while
 * disabled are kept and delivered by uwq_enable_irq().
 * Context: any thread, handlers included.
 */
UWQ_API void uwq_disable_irq_nosync(int irq);

/**
 * uwq_disable_irq() - uwq_disable_irq_nosync(), then wait for running
 * handlers, thread handlers included. From the line's own handler, or any
 * primary handler, it reports one line and does not wait: handlers use
 * uwq_disable_irq_nosync().
 * Context: thread context; blocks. Return: nothing; an unknown line is
 * ignored.
 */
UWQ_API void uwq_disable_irq(int irq);

/**
 * uwq_enable_irq() - undo one disable, or start a line requested with
 * UWQ_IRQF_NO_AUTOEN; at depth 0 an event that arrived while disabled is
 * delivered. An unbalanced enable warns once per line.
 */
UWQ_API void uwq_enable_irq(int irq);

/** uwq_synchronize_irq() - wait until no handler of @irq runs, threads included. */
UWQ_API void uwq_synchronize_irq(int irq);

/** uwq_irq_wake_thread() - wake @dev_id's thread handler as a WAKE_THREAD return would. */
UWQ_API void uwq_irq_wake_thread(int irq, void *dev_id);

/**
 * uwq_irq_set_affinity() - CPUs for the line's thread handlers (applied by
 * each thread at its next wake-up). Until it is called, a line's threads
 * run on the dispatcher's CPU: the last of the process's CPUs (the union
 * of its threads' masks, see uwq/workqueue.h) read when the dispatcher
 * starts, with the first line; the mask of the thread that creates a line
 * or requests a handler does not matter.
 * Return: 0; -EINVAL for an unknown line, NULL or an empty mask.
 */
UWQ_API int uwq_irq_set_affinity(int irq, const cpu_set_t *mask);

#ifdef __cplusplus
}
#endif

#endif /* UWQ_IRQ_H */
