/* SPDX-License-Identifier: MIT */
/*
 * A kernel-style driver compiled against uwq's kernel spellings (the
 * headers in include/uwq/linux/): the code between the markers is written
 * as a kernel driver would be (probe, a threaded IRQ handler requested
 * with IRQF_NO_AUTOEN and enabled once the driver is ready, a reset run
 * on the device's CPU with work_on_cpu(), deferred rx work queued near the
 * device's node with queue_work_node() on its own workqueue, a delayed
 * watchdog-timeout work, teardown in kernel order) and uses only <linux/workqueue.h> and <linux/interrupt.h>
 * names. The test harness below plays the bus: it creates a software line,
 * probes, raises "interrupts", and checks that every rx event was
 * processed, the timeout work ran and was re-armed with mod_delayed_work,
 * and that remove() leaves nothing running.
 */
#include <linux/interrupt.h>
#include <linux/workqueue.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "util.h"

/* ---- driver code, kernel style ---- */
struct mydev {
	int			irq;
	struct workqueue_struct	*wq;
	struct work_struct	rx_work;
	struct delayed_work	timeout_work;
	atomic_int		status;		/* device register: 1 = rx ready */
	atomic_int		rx_pending;
	atomic_int		rx_done;
	atomic_int		timeouts;
	int			cpu;		/* where the device's interrupts go */
	int			node;
	atomic_int		resets;
};

static long mydev_reset(void *arg)
{
	struct mydev *dev = arg;

	atomic_fetch_add(&dev->resets, 1);
	return 0;
}

static void mydev_rx_work(struct work_struct *work)
{
	struct mydev *dev = container_of(work, struct mydev, rx_work);
	int n = atomic_exchange(&dev->rx_pending, 0);

	atomic_fetch_add(&dev->rx_done, n);
	/* rx activity pushes the watchdog timeout back */
	mod_delayed_work(dev->wq, &dev->timeout_work, msecs_to_jiffies(50));
}

static void mydev_timeout(struct work_struct *work)
{
	struct mydev *dev = container_of(to_delayed_work(work), struct mydev, timeout_work);

	atomic_fetch_add(&dev->timeouts, 1);
}

static irqreturn_t mydev_hardirq(int irq, void *dev_id)
{
	struct mydev *dev = dev_id;

	(void)irq;
	if (!atomic_exchange(&dev->status, 0))
		return IRQ_NONE;
	return IRQ_WAKE_THREAD;
}

static irqreturn_t mydev_thread(int irq, void *dev_id)
{
	struct mydev *dev = dev_id;

	(void)irq;
	atomic_fetch_add(&dev->rx_pending, 1);
	queue_work_node(dev->node, dev->wq, &dev->rx_work);
	return IRQ_HANDLED;
}

static int mydev_probe(struct mydev *dev, int irq)
{
	int ret;

	dev->irq = irq;
	dev->wq = alloc_workqueue("mydev%d", WQ_MEM_RECLAIM, 0, irq);
	if (!dev->wq)
		return -ENOMEM;
	INIT_WORK(&dev->rx_work, mydev_rx_work);
	INIT_DELAYED_WORK(&dev->timeout_work, mydev_timeout);
	ret = work_on_cpu(dev->cpu, mydev_reset, dev);
	if (ret) {
		destroy_workqueue(dev->wq);
		return ret;
	}
	/* Requested disabled: no interrupt before the driver is ready. */
	ret = request_threaded_irq(irq, mydev_hardirq, mydev_thread, IRQF_ONESHOT | IRQF_NO_AUTOEN, "mydev", dev);
	if (ret) {
		destroy_workqueue(dev->wq);
		return ret;
	}
	queue_delayed_work(dev->wq, &dev->timeout_work, msecs_to_jiffies(20));
	enable_irq(irq);
	return 0;
}

static void mydev_remove(struct mydev *dev)
{
	free_irq(dev->irq, dev);
	cancel_work_sync(&dev->rx_work);
	cancel_delayed_work_sync(&dev->timeout_work);
	destroy_workqueue(dev->wq);
}
/* ---- end of driver code ---- */

static DECLARE_WORK(static_work, mydev_rx_work);	/* DECLARE_WORK compiles */

int main(void)
{
	struct mydev *dev = calloc(1, sizeof(*dev));
	int irq = uwq_irq_create_eventfd(), events = 50;

	CHECK(dev && irq > 0, "set-up");
	CHECK(work_pending(&static_work) == false, "DECLARE_WORK item pending");
	dev->cpu = sched_getcpu();
	dev->node = 0;
	CHECK(mydev_probe(dev, irq) == 0, "probe failed");
	CHECK(atomic_load(&dev->resets) == 1, "work_on_cpu() reset ran %d times", atomic_load(&dev->resets));
	WAIT_UNTIL(atomic_load(&dev->timeouts) >= 1, "timeout work never ran");
	for (int i = 1; i <= events; i++) {
		atomic_store(&dev->status, 1);
		CHECK(uwq_irq_raise(irq) == 0, "raise");
		WAIT_UNTIL(atomic_load(&dev->rx_done) == i, "rx event %d not processed (%d)", i,
			   atomic_load(&dev->rx_done));
	}
	mydev_remove(dev);
	CHECK(!work_busy(&dev->rx_work) && !delayed_work_pending(&dev->timeout_work), "work left after remove");
	CHECK(uwq_irq_destroy(irq) == 0, "destroy line");
	free(dev);
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}
