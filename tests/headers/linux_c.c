/* SPDX-License-Identifier: MIT */
/* The kernel-spelling headers compile as C11 with -Wall -Wextra -Werror (DESIGN.md §6). */
#include <uwq/linux/interrupt.h>
#include <uwq/linux/workqueue.h>

static void fn(struct work_struct *w) { (void)w; }
static DECLARE_WORK(w0, fn);

int uwq_linux_c_check(void);
int uwq_linux_c_check(void)
{
	struct workqueue_struct *wq = alloc_workqueue("x%d", WQ_UNBOUND, 0, 1);

	destroy_workqueue(wq);
	return queue_work(system_wq, &w0) + (IRQ_NONE == UWQ_IRQ_NONE);
}
