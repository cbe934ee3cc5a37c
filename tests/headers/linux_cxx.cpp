// SPDX-License-Identifier: MIT
// The kernel-spelling headers (include/uwq/linux/) compile as C++ with
// -Wall -Wextra -Werror.
#include <uwq/linux/interrupt.h>
#include <uwq/linux/workqueue.h>

static void fn(struct work_struct *w) { (void)w; }

int uwq_linux_cxx_check();
int uwq_linux_cxx_check()
{
	static struct delayed_work dw;
	INIT_DELAYED_WORK(&dw, fn);
	return queue_delayed_work(system_wq, &dw, msecs_to_jiffies(1)) + (IRQ_HANDLED == UWQ_IRQ_HANDLED);
}
