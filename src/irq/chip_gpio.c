/* SPDX-License-Identifier: MIT */
/*
 * chip_gpio.c - GPIO character-device line events (uAPI v2,
 * include/uapi/linux/gpio.h: struct gpio_v2_line_event).
 *
 * DESIGN: the fd of a line request with edge detection is readable while
 * event records are queued. The ack reads every whole record available (up
 * to 16 per read) so one dispatch handles a burst; the records' seqno
 * (per request, from 1) is checked for gaps, which are counted as lost
 * events (the kernel's kfifo overflowed), and records after the first are
 * counted as merged. The handler learns of an event, not of each edge:
 * like a real edge interrupt, a driver re-reads its device state. A short
 * read that is not a whole record is an error (-EIO), never a guess.
 * CONCURRENCY: ack on the dispatcher under desc->lock.
 */
#include <errno.h>
#include <linux/gpio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal/fault.h"
#include "internal/irq.h"

struct gpio_data {
	int		fd;
	uint32_t	last_seqno;	/* 0: none yet */
};

static int gpio_fd(void *data)
{
	return ((struct gpio_data *)data)->fd;
}

static int gpio_ack(void *data, uint64_t *missed)
{
	struct gpio_data *d = data;
	struct gpio_v2_line_event ev[16];
	ssize_t n = read(d->fd, ev, sizeof(ev));
	size_t k;

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0 || n % (ssize_t)sizeof(ev[0]))
		return -EIO;
	k = (size_t)n / sizeof(ev[0]);
	for (size_t i = 0; i < k; i++) {
		if (d->last_seqno && ev[i].seqno > d->last_seqno + 1)
			*missed += ev[i].seqno - d->last_seqno - 1;	/* lost in the kernel */
		d->last_seqno = ev[i].seqno;
	}
	*missed += k - 1;	/* merged into this one event */
	return 1;
}

static void gpio_release(void *data)
{
	free(data);
}

static const struct uwq_irq_chip gpio_chip = {
	.name = "gpio", .fd = gpio_fd, .ack = gpio_ack, .release = gpio_release,
};

int uwq_irq_create_gpio(int line_request_fd)
{
	struct gpio_data *d;
	int irq;

	if (line_request_fd < 0)
		return -EINVAL;
	d = uwq__zalloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->fd = line_request_fd;
	irq = uwq__irq_create(&gpio_chip, d, false, false);
	if (irq < 0)
		free(d);
	return irq;
}
