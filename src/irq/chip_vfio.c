/* SPDX-License-Identifier: MIT */
/*
 * chip_vfio.c - VFIO device interrupts (Documentation/driver-api/vfio.rst,
 * include/uapi/linux/vfio.h: VFIO_DEVICE_SET_IRQS).
 *
 * DESIGN: VFIO signals an interrupt vector through an eventfd the user
 * hands it (ACTION_TRIGGER); the line polls that eventfd and its ack reads
 * the counter (merged signals are counted as missed). Masking and
 * unmasking are the device's own, through ACTION_MASK/ACTION_UNMASK with
 * no data. INTx is level-triggered and VFIO masks it itself when it fires,
 * so an INTx line is MASK_ON_ACK: it is unmasked after the primaries, or
 * after the oneshot threads, as the kernel's oneshot does. MSI and MSI-X
 * vectors are edges and need no unmask per event.
 * At destroy the trigger is removed (DATA_NONE | ACTION_TRIGGER, count 0)
 * and the eventfd closed; the caller keeps the device fd.
 * CONCURRENCY: ack on the dispatcher under desc->lock; mask/unmask under
 * desc->lock from any thread.
 */
#include <errno.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal/fault.h"
#include "internal/irq.h"
#include "internal/log.h"

struct vfio_data {
	int		device_fd;
	int		efd;
	unsigned	index, vector;
};

static int set_irqs(struct vfio_data *d, uint32_t flags, uint32_t count, int32_t *fd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)(void *)buf;

	memset(buf, 0, sizeof(buf));
	set->argsz = (uint32_t)(sizeof(*set) + (fd ? sizeof(int32_t) : 0));
	set->flags = flags;
	set->index = d->index;
	set->start = d->vector;
	set->count = count;
	if (fd)
		memcpy(set->data, fd, sizeof(*fd));
	return ioctl(d->device_fd, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}

static int vfio_fd(void *data)
{
	return ((struct vfio_data *)data)->efd;
}

static int vfio_ack(void *data, uint64_t *missed)
{
	uint64_t n;

	if (read(vfio_fd(data), &n, sizeof(n)) != sizeof(n))
		return errno == EAGAIN ? 0 : -errno;
	if (n > 1)
		*missed += n - 1;
	return 1;
}

static void vfio_mask(void *data)
{
	struct vfio_data *d = data;
	int err = set_irqs(d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, 1, NULL);

	if (err)
		uwq__log("vfio: cannot mask interrupt %u of index %u: VFIO_DEVICE_SET_IRQS(ACTION_MASK): %s", d->vector,
			 d->index, strerror(-err));
}

static void vfio_unmask(void *data)
{
	struct vfio_data *d = data;
	int err = set_irqs(d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 1, NULL);

	if (err)
		uwq__log("vfio: cannot unmask interrupt %u of index %u: VFIO_DEVICE_SET_IRQS(ACTION_UNMASK): %s", d->vector,
			 d->index, strerror(-err));
}

static void vfio_release(void *data)
{
	struct vfio_data *d = data;

	set_irqs(d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, NULL);
	close(d->efd);
	free(d);
}

static const struct uwq_irq_chip vfio_intx_chip = {
	.name = "vfio-intx", .fd = vfio_fd, .ack = vfio_ack, .mask = vfio_mask, .unmask = vfio_unmask,
	.release = vfio_release, .flags = UWQ_IRQCHIP_MASK_ON_ACK,
};
static const struct uwq_irq_chip vfio_msi_chip = {
	.name = "vfio-msi", .fd = vfio_fd, .ack = vfio_ack, .mask = vfio_mask, .unmask = vfio_unmask,
	.release = vfio_release,
};

int uwq_irq_create_vfio(int device_fd, unsigned index, unsigned vector)
{
	struct vfio_data *d;
	int32_t efd;
	int err, irq;

	if (device_fd < 0)
		return -EINVAL;
	d = uwq__zalloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->device_fd = device_fd;
	d->index = index;
	d->vector = vector;
	d->efd = uwq__fault_syscall(UWQ_FAULT_EVENTFD) ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->efd < 0) {
		err = -errno;
		free(d);
		return err;
	}
	efd = d->efd;
	err = set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1, &efd);
	if (err) {
		close(d->efd);
		free(d);
		return err;
	}
	irq = uwq__irq_create(index == VFIO_PCI_INTX_IRQ_INDEX ? &vfio_intx_chip : &vfio_msi_chip, d, false,
			      false);
	if (irq < 0)
		vfio_release(d);
	return irq;
}
