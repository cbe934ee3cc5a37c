/* SPDX-License-Identifier: MIT */
/*
 * spurious.c - lines nobody handles (kernel/irq/spurious.c note_interrupt).
 *
 * DESIGN: the kernel's counters and constants. Each event whose handlers
 * all answered UWQ_IRQ_NONE counts as unhandled; one more than 100 ms after
 * the previous unhandled one restarts the count at 1, so isolated glitches
 * never add up. Once unhandled events exist, every event advances a window
 * of 100,000; when it closes with more than 99,900 unhandled, the line is
 * disabled (depth + 1, masked) with one report, "nobody cared", listing its
 * handlers, instead of spinning a core. Threaded lines: a result of exactly
 * UWQ_IRQ_WAKE_THREAD says nothing yet, so its verdict is deferred by one
 * event and taken from whether the thread handlers returned HANDLED since
 * (threads_handled), as the kernel does. Installing another action on a
 * shared line re-enables a line disabled this way (manage.c).
 * CONCURRENCY: runs on the dispatcher only (X fields); threads_handled is
 * an atomic bumped by the handler threads; disabling takes desc->lock.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal/irq.h"
#include "internal/log.h"
#include "internal/wq.h"

#define SPURIOUS_WINDOW		100000
#define SPURIOUS_LIMIT		99900
#define UNHANDLED_RESET_NS	(100ull * 1000000)
#define SPURIOUS_DEFERRED	0x80000000u

static void report_nobody_cared(struct uwq__irq_desc *desc)
{
	char buf[2048], fn[UWQ_FN_NAME_LEN];
	int len;

	len = snprintf(buf, sizeof(buf), "uwq: irq %d: nobody cared; handlers:", desc->irq);
	for (struct uwq__irq_action *a = desc->actions; a && len < (int)sizeof(buf) - 200; a = a->next) {
		if (a->handler)
			len += snprintf(buf + len, sizeof(buf) - (size_t)len, " [%s]",
					uwq__fn_name((const void *)a->handler, fn, sizeof(fn)));
		if (a->thread_fn)
			len += snprintf(buf + len, sizeof(buf) - (size_t)len, " threaded [%s]",
					uwq__fn_name((const void *)a->thread_fn, fn, sizeof(fn)));
	}
	len += snprintf(buf + len, sizeof(buf) - (size_t)len, "; disabling irq %d\n", desc->irq);
	if (len > (int)sizeof(buf))
		len = (int)sizeof(buf);
	if (write(STDERR_FILENO, buf, (size_t)len) < 0)
		return;
}

void uwq__note_interrupt(struct uwq__irq_desc *desc, unsigned ret)
{
	/* Relaxed check first: set only when an action was installed. */
	if (__builtin_expect(READ_ONCE(desc->spurious_reset), 0) && atomic_xchg(&desc->spurious_reset, 0)) {
		desc->irq_count = 0;
		desc->irqs_unhandled = 0;
	}
	if (ret & UWQ_IRQ_WAKE_THREAD) {
		if (ret == UWQ_IRQ_WAKE_THREAD) {
			unsigned handled;

			if (!(desc->threads_handled_last & SPURIOUS_DEFERRED)) {
				desc->threads_handled_last |= SPURIOUS_DEFERRED;
				return;
			}
			handled = atomic_load_sc(&desc->threads_handled) | SPURIOUS_DEFERRED;
			if (handled != desc->threads_handled_last) {
				ret = UWQ_IRQ_HANDLED;
				desc->threads_handled_last = handled;
			} else {
				ret = UWQ_IRQ_NONE;
			}
		} else {
			desc->threads_handled_last &= ~SPURIOUS_DEFERRED;
		}
	}
	if (ret == UWQ_IRQ_NONE) {
		uint64_t now = uwq__now_ns();

		if (now - desc->last_unhandled > UNHANDLED_RESET_NS)
			desc->irqs_unhandled = 1;
		else
			desc->irqs_unhandled++;
		desc->last_unhandled = now;
		__atomic_add_fetch(&desc->unhandled_total, 1, __ATOMIC_RELAXED);
	}
	if (!desc->irqs_unhandled)
		return;
	if (++desc->irq_count < SPURIOUS_WINDOW)
		return;
	desc->irq_count = 0;
	if (desc->irqs_unhandled > SPURIOUS_LIMIT) {
		pthread_mutex_lock(&desc->lock);
		report_nobody_cared(desc);
		desc->spurious_disabled = true;
		desc->depth++;
		uwq__irq_mask_locked(desc);
		pthread_mutex_unlock(&desc->lock);
	}
	desc->irqs_unhandled = 0;
}
