/* SPDX-License-Identifier: MIT */
/*
 * uwq/linux/interrupt.h - the kernel's interrupt spellings over uwq.
 * Opt-in, never included by <uwq.h>. Renames only.
 */
#ifndef UWQ_LINUX_INTERRUPT_H
#define UWQ_LINUX_INTERRUPT_H

#include <uwq/irq.h>

typedef uwq_irqreturn_t irqreturn_t;
typedef uwq_irq_handler_t irq_handler_t;

#define IRQ_NONE		UWQ_IRQ_NONE
#define IRQ_HANDLED		UWQ_IRQ_HANDLED
#define IRQ_WAKE_THREAD		UWQ_IRQ_WAKE_THREAD
#define IRQ_RETVAL(x)		((x) ? UWQ_IRQ_HANDLED : UWQ_IRQ_NONE)

#define IRQF_SHARED		UWQ_IRQF_SHARED
#define IRQF_ONESHOT		UWQ_IRQF_ONESHOT
#define IRQF_NO_THREAD		UWQ_IRQF_NO_THREAD
#define IRQF_NO_AUTOEN		UWQ_IRQF_NO_AUTOEN
#define IRQF_COND_ONESHOT	UWQ_IRQF_COND_ONESHOT

#define request_irq(irq, h, flags, name, dev)	uwq_request_irq((irq), (h), (flags), (name), (dev))
#define request_threaded_irq(irq, h, t, flags, name, dev) \
	uwq_request_threaded_irq((irq), (h), (t), (flags), (name), (dev))
#define free_irq(irq, dev)			uwq_free_irq((irq), (dev))
#define disable_irq(irq)			uwq_disable_irq(irq)
#define disable_irq_nosync(irq)			uwq_disable_irq_nosync(irq)
#define enable_irq(irq)				uwq_enable_irq(irq)
#define synchronize_irq(irq)			uwq_synchronize_irq(irq)
#define irq_wake_thread(irq, dev)		uwq_irq_wake_thread((irq), (dev))
#define irq_set_affinity(irq, mask)		uwq_irq_set_affinity((irq), (mask))

#endif /* UWQ_LINUX_INTERRUPT_H */
