/* SPDX-License-Identifier: MIT */
/*
 * irq.h - interrupt-line internals shared by the files of src/irq.
 *
 * Objects (kernel names in brackets): a desc [irq_desc] per line, holding
 * its chip, fd, state and chain of actions [irqaction], one per request.
 * Lock order: irq_state.lock (line table) -> desc->lock. Leaf otherwise.
 * Field legend: I: set before publication; D: desc->lock; A: atomic;
 * X: dispatcher thread only.
 */
#ifndef UWQ_INTERNAL_IRQ_H
#define UWQ_INTERNAL_IRQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uwq/irq.h>
#include <uwq/stats.h>

#include "internal/atomic.h"
#include "internal/list.h"

#define UWQ_IRQ_MAX_LINES	256
#define UWQ_IRQ_MAX_ACTIONS	64	/* per line: one oneshot bit each */
#define UWQ_IRQ_CPUS		64	/* per-CPU counters kept (CPU % this) */

#define UWQ_IRQF_KNOWN		(UWQ_IRQF_SHARED | UWQ_IRQF_ONESHOT | UWQ_IRQF_NO_THREAD | UWQ_IRQF_NO_AUTOEN | \
				 UWQ_IRQF_COND_ONESHOT)

/* action->thread_flags (A) */
#define IRQTF_RUNTHREAD		(1 << 0)
#define IRQTF_WARNED		(1 << 1)
#define IRQTF_AFFINITY		(1 << 2)

struct uwq__irq_desc;

struct uwq__irq_action {
	struct uwq__irq_action	*next;		/* D */
	struct uwq__irq_desc	*desc;		/* I */
	uwq_irq_handler_t	handler;	/* I: NULL = default primary */
	uwq_irq_handler_t	thread_fn;	/* I */
	unsigned long		flags;		/* I: as requested, COND_ONESHOT resolved (manage.c) */
	const char		*name;		/* I */
	void			*dev_id;	/* I */
	unsigned long		thread_mask;	/* I: bit in threads_oneshot, 0 if not oneshot */
	bool			forced;		/* I: primary runs in the thread (UWQ_THREADIRQS) */
	bool			has_thread;	/* I */
	pthread_t		thread;		/* I */
	int			thread_flags;	/* A */
	int			wake;		/* A: futex word, bumped per wake */
	int			stop;		/* A */
	uint64_t		thread_runs;	/* A */
	uint64_t		woken_ns;	/* D: first wake not yet run (stats) */
	int			kick_pending;	/* A: a deferred wake-up is queued (dispatch.c) */
	struct uwq_hist		hist_thread;	/* A: relaxed adds and loads */
};

struct uwq__irq_desc {
	pthread_mutex_t		lock;
	pthread_cond_t		wait;		/* D: inprogress or threads_active dropped */
	int			irq;		/* I */
	const struct uwq_irq_chip *chip;	/* I */
	void			*chip_data;	/* I */
	int			fd;		/* I */
	bool			edge;		/* I: EPOLLET line, software masking */
	bool			is_eventfd;	/* I: uwq_irq_raise() allowed */
	struct uwq__irq_action	*actions;	/* D */
	int			depth;		/* D: disable nesting */
	bool			masked;		/* D: not polled (level) / flagged (edge) */
	bool			polled;		/* D: a level line's epoll registration has EPOLLIN */
	uint64_t		unmasked_seq;	/* D: dispatch.c's unmask count when last unmasked */
	bool			pending;	/* D: an event seen while masked or disabled */
	bool			inprogress;	/* D: primaries running */
	bool			oneshot;	/* D: the line's actions are ONESHOT */
	bool			spurious_disabled;	/* D */
	bool			unbalanced_warned;	/* D */
	bool			on_resend;	/* D */
	unsigned long		threads_oneshot;	/* D */
	unsigned long		used_masks;	/* D */
	int			threads_active;	/* D */
	cpu_set_t		affinity;	/* D */
	struct uwq__irq_desc	*resend_next;	/* resend lock */
	/* spurious accounting (X) */
	unsigned		irq_count;
	unsigned		irqs_unhandled;
	uint64_t		last_unhandled;
	unsigned		threads_handled_last;
	unsigned		threads_handled;	/* A */
	int			spurious_reset;	/* A: an action was installed: reset the window */
	/* statistics (A) */
	uint64_t		count[UWQ_IRQ_CPUS];
	uint64_t		missed;
	uint64_t		unhandled_total;
	uint64_t		raised_ns;	/* A: first raise not yet handled */
	struct uwq_hist		hist_primary;	/* A: relaxed adds and loads */
};

/* manage.c */
struct uwq__irq_desc *uwq__irq_desc(int irq);
int uwq__irq_create(const struct uwq_irq_chip *chip, void *chip_data, bool edge, bool is_eventfd);

/* chip.c */
int uwq__irq_raise_fd(void *chip_data);
extern int uwq__threadirqs;	/* I: UWQ_THREADIRQS=1 */
extern int uwq__irq_stats_clock;	/* I: UWQ_STATS != 0 */
uint64_t uwq__irq_now_ns(void);
static inline void uwq__hist_add_atomic(struct uwq_hist *h, uint64_t ns)
{
	int b = ns < 2 ? 0 : 63 - __builtin_clzll(ns);

	__atomic_add_fetch(&h->bucket[b < UWQ_HIST_BUCKETS ? b : UWQ_HIST_BUCKETS - 1], 1, __ATOMIC_RELAXED);
}

/* dispatch.c */
int uwq__irq_dispatch_init(void);
void uwq__irq_dispatch_shutdown(void);
void uwq__irq_dispatch_quiesce(void);
int uwq__irq_add_fd(struct uwq__irq_desc *desc);
void uwq__irq_del_fd(struct uwq__irq_desc *desc);
void uwq__irq_mask_locked(struct uwq__irq_desc *desc);
void uwq__irq_unmask_locked(struct uwq__irq_desc *desc);
bool uwq__irq_in_dispatcher(void);
extern int uwq__irq_dispatch_cpu;	/* I once the dispatcher runs */
void uwq__irq_dispatch_atfork_child(void);
void uwq__irq_dispatch_forget(struct uwq__irq_action *action);	/* dispatcher: drop its kick */

/* thread.c */
int uwq__irq_thread_start(struct uwq__irq_action *action);
void uwq__irq_thread_stop(struct uwq__irq_action *action);
void uwq__irq_wake_thread(struct uwq__irq_desc *desc, struct uwq__irq_action *action);
bool uwq__irq_thread_mark(struct uwq__irq_desc *desc, struct uwq__irq_action *action);
void uwq__irq_thread_kick(struct uwq__irq_action *action);
bool uwq__irq_in_thread_of(const struct uwq__irq_desc *desc);
void uwq__irq_thread_atfork_child(void);

/*
 * Event parsing of the GPIO and UIO chips, apart from their fds so that it
 * can be fuzzed (fuzz/). A 32-bit sequence number or interrupt count moves
 * from s->last to a new value: uwq__seq_advance() returns the values
 * skipped in between, modulo 2^32 (a count wraps). A step of 2^31 or more
 * is a step back (a device reset, a new request), as is a repeat: nothing
 * is counted and counting goes on from the new value. The first value
 * seen counts nothing.
 */
struct uwq__seq {
	bool		seen;
	uint32_t	last;
};
uint64_t uwq__seq_advance(struct uwq__seq *s, uint32_t now);
/* @n bytes read from a line request: whole struct gpio_v2_line_event
 * records (any alignment). Adds lost events (seqno gaps) and records
 * merged into this one event (all but the first) to *missed; returns 1,
 * or -EIO (nothing counted, @s unchanged) unless n is a nonzero multiple
 * of the record size. */
int uwq__gpio_parse(struct uwq__seq *s, const void *buf, size_t n, uint64_t *missed);
/* @n bytes read from a UIO fd: one 4-byte interrupt count. Adds the
 * interrupts skipped since the last count to *missed; returns 1, or -EIO
 * (nothing counted) unless n is 4. */
int uwq__uio_parse(struct uwq__seq *s, const void *buf, size_t n, uint64_t *missed);

/* spurious.c */
void uwq__note_interrupt(struct uwq__irq_desc *desc, unsigned ret);

/* dump */
void uwq__irq_dump(FILE *f);
int uwq__irq_shutdown(void);

#endif
