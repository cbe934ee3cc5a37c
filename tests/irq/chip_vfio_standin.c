/* SPDX-License-Identifier: MIT */
/*
 * VFIO chip against a stand-in (docs/design.md §4; irq.h
 * uwq_irq_create_vfio): the test plays the VFIO driver by interposing ioctl()
 * (the executable's definition wins over libc's for the library's calls). For
 * the stand-in device fd it answers VFIO_DEVICE_SET_IRQS as the kernel would:
 * it keeps the trigger eventfd, counts masks and unmasks, and "interrupts" by
 * signalling that eventfd. Checked: the trigger is installed for the given
 * index and vector; each signal is one event; an INTx line, which VFIO masks
 * when it fires, is unmasked after the primary, and on a oneshot line only
 * after the thread handler; destroy removes the trigger.
 */
#include <linux/vfio.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <uwq.h>

#include "util.h"

static int fake_fd = -1;
static atomic_int trigger_fd = -1, unmasks, masks, removed, index_seen = -1, vector_seen = -1;

int ioctl(int fd, unsigned long req, ...);
int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != fake_fd || req != VFIO_DEVICE_SET_IRQS)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	{
		struct vfio_irq_set *set = arg;
		uint32_t action = set->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
		uint32_t data = set->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
		int32_t efd;

		atomic_store(&index_seen, (int)set->index);
		atomic_store(&vector_seen, (int)set->start);
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER && data == VFIO_IRQ_SET_DATA_EVENTFD) {
			memcpy(&efd, set->data, sizeof(efd));
			atomic_store(&trigger_fd, efd);
		} else if (action == VFIO_IRQ_SET_ACTION_TRIGGER && set->count == 0) {
			atomic_store(&removed, 1);
		} else if (action == VFIO_IRQ_SET_ACTION_MASK) {
			atomic_fetch_add(&masks, 1);
		} else if (action == VFIO_IRQ_SET_ACTION_UNMASK) {
			atomic_fetch_add(&unmasks, 1);
		}
	}
	return 0;
}

static void device_interrupt(void)
{
	uint64_t one = 1;

	CHECK(write(atomic_load(&trigger_fd), &one, sizeof(one)) == sizeof(one), "signal: %s", strerror(errno));
}

static atomic_int primaries, threads, gate;

static uwq_irqreturn_t v_primary(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&primaries, 1);
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t v_plain(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&primaries, 1);
	return UWQ_IRQ_HANDLED;
}

static uwq_irqreturn_t v_thread(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	atomic_fetch_add(&threads, 1);
	return UWQ_IRQ_HANDLED;
}

int main(void)
{
	int p[2], irq, u;

	CHECK(pipe(p) == 0, "pipe");
	fake_fd = p[0];

	PHASE("MSI-X vector 3: an edge, no unmask per event");
	irq = uwq_irq_create_vfio(fake_fd, VFIO_PCI_MSIX_IRQ_INDEX, 3);
	CHECK(irq > 0, "create: %d", irq);
	CHECK(atomic_load(&trigger_fd) >= 0 && atomic_load(&index_seen) == VFIO_PCI_MSIX_IRQ_INDEX &&
	      atomic_load(&vector_seen) == 3, "trigger not installed for index/vector");
	CHECK((uwq_request_irq(irq, v_plain, 0, "msix", NULL)) == 0, "request failed");
	u = atomic_load(&unmasks);
	for (int i = 1; i <= 5; i++) {
		device_interrupt();
		WAIT_UNTIL(atomic_load(&primaries) == i, "event %d not delivered", i);
	}
	CHECK(atomic_load(&unmasks) == u, "MSI-X unmasked per event");
	CHECK(uwq_free_irq(irq, NULL), "free");
	CHECK(uwq_irq_destroy(irq) == 0, "destroy");
	CHECK(atomic_load(&removed) == 1, "destroy did not remove the trigger");

	PHASE("INTx, oneshot: unmasked only after the thread handler");
	atomic_store(&primaries, 0);
	atomic_store(&trigger_fd, -1);
	irq = uwq_irq_create_vfio(fake_fd, VFIO_PCI_INTX_IRQ_INDEX, 0);
	CHECK(irq > 0, "create intx: %d", irq);
	CHECK((uwq_request_threaded_irq(irq, v_primary, v_thread, UWQ_IRQF_ONESHOT, "intx", NULL)) == 0, "request failed");
	u = atomic_load(&unmasks);
	device_interrupt();
	WAIT_UNTIL(atomic_load(&primaries) == 1, "INTx event not delivered");
	{
		int other = uwq_irq_create_eventfd();

		CHECK(other > 0, "other line");
		CHECK((uwq_request_irq(other, v_plain, 0, "other", &other)) == 0, "request failed");
		CHECK(uwq_irq_raise(other) == 0, "raise");
		WAIT_UNTIL(atomic_load(&primaries) == 2, "dispatcher not alive");
		CHECK(uwq_free_irq(other, &other), "free other");
		CHECK(uwq_irq_destroy(other) == 0, "destroy other");
	}
	CHECK(atomic_load(&unmasks) == u, "INTx unmasked while the oneshot thread runs");
	atomic_store(&gate, 1);
	WAIT_UNTIL(atomic_load(&threads) == 1, "thread handler did not run");
	WAIT_UNTIL(atomic_load(&unmasks) == u + 1, "INTx not unmasked after the thread handler");
	CHECK(uwq_free_irq(irq, NULL), "free");
	CHECK(uwq_irq_destroy(irq) == 0, "destroy");
	close(p[0]);
	close(p[1]);
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}
