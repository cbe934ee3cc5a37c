/* SPDX-License-Identifier: MIT */
/*
 * chip_uio.c - UIO devices (/dev/uioN, Documentation/driver-api/uio-howto).
 *
 * DESIGN: a UIO fd becomes readable when the device interrupts; read()
 * returns the 4-byte total interrupt count, and the kernel driver keeps the
 * interrupt disabled until user space writes a 4-byte 1 (irqcontrol). So
 * the chip is MASK_ON_ACK: the ack reads the count (a jump of more than one
 * since the last read is counted as missed interrupts), the line is then
 * masked, and unmasking writes 1: after the primaries, or, on a oneshot
 * line, after the last thread handler, exactly the kernel's oneshot.
 * Masking for disable_irq() writes 0. The count is 32 bits and wraps; a
 * step back (a reset) resynchronises without counting: uwq__uio_parse(),
 * fuzzed by fuzz/fuzz_chip_events.c.
 * CONCURRENCY: ack on the dispatcher under desc->lock; mask/unmask under
 * desc->lock from any thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/fault.h"
#include "internal/irq.h"
#include "internal/log.h"

struct uio_data {
	int		fd;
	bool		owned;
	struct uwq__seq	seq;		/* the last count read */
};

static int uio_fd(void *data)
{
	return ((struct uio_data *)data)->fd;
}

int uwq__uio_parse(struct uwq__seq *s, const void *buf, size_t n, uint64_t *missed)
{
	uint32_t count;

	if (n != sizeof(count))
		return -EIO;
	memcpy(&count, buf, sizeof(count));
	*missed += uwq__seq_advance(s, count);
	return 1;
}

static int uio_ack(void *data, uint64_t *missed)
{
	struct uio_data *d = data;
	uint32_t count;
	ssize_t n = read(d->fd, &count, sizeof(count));

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return uwq__uio_parse(&d->seq, &count, (size_t)n, missed);
}

static void uio_control(void *data, uint32_t on)
{
	ssize_t n = write(((struct uio_data *)data)->fd, &on, sizeof(on));

	if (n != sizeof(on))
		uwq__log("uio: cannot %s the device's interrupt: write(%u) to the UIO fd: %s; %s", on ? "enable" : "disable",
			 (unsigned)on, n < 0 ? strerror(errno) : "short write",
			 on ? "the line stays silent until the next unmask" : "it may fire while the line is masked");
}

static void uio_mask(void *data)
{
	uio_control(data, 0);
}

static void uio_unmask(void *data)
{
	uio_control(data, 1);
}

static void uio_release(void *data)
{
	struct uio_data *d = data;

	if (d->owned)
		close(d->fd);
	free(d);
}

static const struct uwq_irq_chip uio_chip = {
	.name = "uio", .fd = uio_fd, .ack = uio_ack, .mask = uio_mask, .unmask = uio_unmask,
	.release = uio_release, .flags = UWQ_IRQCHIP_MASK_ON_ACK,
};

static int create(int fd, bool owned)
{
	struct uio_data *d = uwq__zalloc(sizeof(*d));
	int irq;

	if (!d) {
		if (owned)
			close(fd);
		return -ENOMEM;
	}
	d->fd = fd;
	d->owned = owned;
	irq = uwq__irq_create(&uio_chip, d, false, false);
	if (irq < 0)
		uio_release(d);
	return irq;
}

int uwq_irq_create_uio_fd(int fd)
{
	if (fd < 0)
		return -EINVAL;
	return create(fd, false);
}

int uwq_irq_create_uio(const char *path)
{
	int fd;

	if (!path)
		return -EINVAL;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	return create(fd, true);
}
