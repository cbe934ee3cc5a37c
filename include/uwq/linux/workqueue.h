/* SPDX-License-Identifier: MIT */
/*
 * uwq/linux/workqueue.h - the kernel's workqueue spellings over uwq.
 * Opt-in, never included by <uwq.h>. Add include/uwq to
 * the include path and a driver's `#include <linux/workqueue.h>` finds it.
 *
 * Renames only, plus the kernel's time unit: jiffies here are milliseconds
 * (HZ is 1000), so msecs_to_jiffies() is the identity and a delay in
 * jiffies becomes delay * 1,000,000 ns. alloc_workqueue() formats its name
 * like the kernel's (truncated to 31 characters).
 */
#ifndef UWQ_LINUX_WORKQUEUE_H
#define UWQ_LINUX_WORKQUEUE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <uwq/workqueue.h>

#ifndef HZ
#define HZ 1000
#endif

#ifndef container_of
#define container_of(ptr, type, member) uwq_container_of(ptr, type, member)
#endif

#define work_struct		uwq_work
#define delayed_work		uwq_delayed_work
#define workqueue_struct	uwq_workqueue
typedef uwq_work_fn work_func_t;

#define WQ_UNBOUND		UWQ_UNBOUND
#define WQ_FREEZABLE		UWQ_FREEZABLE
#define WQ_MEM_RECLAIM		UWQ_MEM_RECLAIM
#define WQ_HIGHPRI		UWQ_HIGHPRI
#define WQ_CPU_INTENSIVE	UWQ_CPU_INTENSIVE
#define WQ_MAX_ACTIVE		UWQ_MAX_ACTIVE
#define WQ_DFL_ACTIVE		UWQ_DFL_ACTIVE
#define WORK_BUSY_PENDING	UWQ_WORK_BUSY_PENDING
#define WORK_BUSY_RUNNING	UWQ_WORK_BUSY_RUNNING

#define system_wq		uwq_system_wq
#define system_highpri_wq	uwq_system_highpri_wq
#define system_long_wq		uwq_system_long_wq
#define system_unbound_wq	uwq_system_unbound_wq
#define system_freezable_wq	uwq_system_freezable_wq

#define INIT_WORK(w, fn)		uwq_work_init((w), (fn))
#define INIT_DELAYED_WORK(dw, fn)	uwq_delayed_work_init((dw), (fn))
#define DECLARE_WORK(n, fn)		struct uwq_work n = UWQ_WORK_INITIALIZER(n, fn)
#define DECLARE_DELAYED_WORK(n, fn)	struct uwq_delayed_work n = UWQ_DELAYED_WORK_INITIALIZER(n, fn)
#define to_delayed_work(w)		uwq_to_delayed_work(w)

static inline unsigned long msecs_to_jiffies(unsigned int m) { return m; }
static inline unsigned long usecs_to_jiffies(unsigned int u) { return (u + 999) / 1000; }
static inline unsigned int jiffies_to_msecs(unsigned long j) { return (unsigned int)j; }
#define UWQ_JIFFIES_NS(j)	((uint64_t)(j) * 1000000ull)

#define queue_work(wq, w)			uwq_queue_work((wq), (w))
#define queue_work_on(cpu, wq, w)		uwq_queue_work_on((cpu), (wq), (w))
#define queue_work_node(node, wq, w)		uwq_queue_work_node((node), (wq), (w))
#define work_on_cpu(cpu, fn, arg)		uwq_work_on_cpu((cpu), (fn), (arg))
#define queue_delayed_work(wq, dw, j)		uwq_queue_delayed_work((wq), (dw), UWQ_JIFFIES_NS(j))
#define mod_delayed_work(wq, dw, j)		uwq_mod_delayed_work((wq), (dw), UWQ_JIFFIES_NS(j))
#define schedule_work(w)			uwq_schedule_work(w)
#define schedule_delayed_work(dw, j)		uwq_queue_delayed_work(uwq_system_wq, (dw), UWQ_JIFFIES_NS(j))
#define flush_work(w)				uwq_flush_work(w)
#define flush_delayed_work(dw)			uwq_flush_delayed_work(dw)
#define flush_workqueue(wq)			((void)uwq_flush_workqueue(wq))
#define drain_workqueue(wq)			((void)uwq_drain_workqueue(wq))
#define destroy_workqueue(wq)			uwq_destroy_workqueue(wq)
#define cancel_work(w)				uwq_cancel_work(w)
#define cancel_work_sync(w)			uwq_cancel_work_sync(w)
#define cancel_delayed_work(dw)			uwq_cancel_delayed_work(dw)
#define cancel_delayed_work_sync(dw)		uwq_cancel_delayed_work_sync(dw)
#define work_pending(w)				uwq_work_pending(w)
#define delayed_work_pending(dw)		uwq_work_pending(&(dw)->work)
#define work_busy(w)				uwq_work_busy(w)
#define current_work()				uwq_current_work()
#define workqueue_set_max_active(wq, n)		((void)uwq_workqueue_set_max_active((wq), (n)))

/* The kernel formats the name: alloc_workqueue("%s_wq", flags, 0, name). */
static inline struct uwq_workqueue *uwq__linux_alloc_wq(int ordered, const char *fmt, unsigned flags,
							int max_active, ...)
{
	char name[32];
	va_list ap;

	va_start(ap, max_active);
	vsnprintf(name, sizeof(name), fmt ? fmt : "", ap);
	va_end(ap);
	return ordered ? uwq_alloc_ordered_workqueue(name, flags) : uwq_alloc_workqueue(name, flags, max_active);
}

#define alloc_workqueue(fmt, flags, max_active, ...) \
	uwq__linux_alloc_wq(0, (fmt), (flags), (max_active), ##__VA_ARGS__)
#define alloc_ordered_workqueue(fmt, flags, ...) \
	uwq__linux_alloc_wq(1, (fmt), (flags), 1, ##__VA_ARGS__)
#define create_singlethread_workqueue(name) \
	uwq_alloc_ordered_workqueue((name), UWQ_MEM_RECLAIM)

#endif /* UWQ_LINUX_WORKQUEUE_H */
