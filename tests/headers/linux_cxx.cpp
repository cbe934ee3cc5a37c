// SPDX-License-Identifier: MIT
// The kernel-spelling headers (include/uwq/linux/) compile as C++ with
// -Wall -Wextra -Werror.
#include <uwq/linux/interrupt.h>
#include <uwq/linux/workqueue.h>

struct dev {
	int id;
	struct work_struct work;
};

static void fn(struct work_struct *w) { (void)w; }

// container_of() is uwq_container_of().
static int dev_id(struct work_struct *w)
{
	return container_of(w, struct dev, work)->id;
}

static struct dev d;

int uwq_linux_cxx_check();
int uwq_linux_cxx_check()
{
	static struct delayed_work dw;
	INIT_DELAYED_WORK(&dw, fn);
	return queue_delayed_work(system_wq, &dw, msecs_to_jiffies(1)) + (IRQ_HANDLED == UWQ_IRQ_HANDLED) +
	       dev_id(&d.work);
}
