/* SPDX-License-Identifier: MIT */
/* The kernel-spelling headers (include/uwq/linux/) compile as C11 with
 * -Wall -Wextra -Werror. */
#include <uwq/linux/async.h>
#include <uwq/linux/interrupt.h>
#include <uwq/linux/workqueue.h>

struct dev {
	int id;
	struct work_struct work;
};

static void fn(struct work_struct *w) { (void)w; }

/* container_of() is uwq_container_of(). */
static int dev_id(struct work_struct *w)
{
	return container_of(w, struct dev, work)->id;
}

static struct dev d;
static DECLARE_WORK(w0, fn);
static ASYNC_DOMAIN(dom);

static void afn(void *data, async_cookie_t cookie) { (void)data; (void)cookie; }

int uwq_linux_c_check(void);
int uwq_linux_c_check(void)
{
	struct workqueue_struct *wq = alloc_workqueue("x%d", WQ_UNBOUND, 0, 1);

	destroy_workqueue(wq);
	async_synchronize_cookie_domain(async_schedule_domain(afn, NULL, &dom), &dom);
	async_synchronize_full();
	return queue_work(system_wq, &w0) + (IRQ_NONE == UWQ_IRQ_NONE) + dev_id(&d.work);
}
