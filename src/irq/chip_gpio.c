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
 * seqno is 32 bits and wraps; a step back (2^31 or more ahead, modulo
 * 2^32) resynchronises without counting (uwq__seq_advance()). Parsing is
 * uwq__gpio_parse(), fuzzed by fuzz/fuzz_chip_events.c.
 * CONCURRENCY: ack on the dispatcher under desc->lock.
 */
#include <errno.h>
#include <linux/gpio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/fault.h"
#include "internal/irq.h"

struct gpio_data {
	int		fd;
	struct uwq__seq	seq;	/* the last record's seqno */
};

static int gpio_fd(void *data)
{
	return ((struct gpio_data *)data)->fd;
}

int uwq__gpio_parse(struct uwq__seq *s, const void *buf, size_t n, uint64_t *missed)
{
	const size_t rec = sizeof(struct gpio_v2_line_event);
	size_t k = n / rec;

	if (n == 0 || n % rec)
		return -EIO;
	for (size_t i = 0; i < k; i++) {
		struct gpio_v2_line_event ev;

		memcpy(&ev, (const char *)buf + i * rec, rec);
		*missed += uwq__seq_advance(s, ev.seqno);	/* lost in the kernel */
	}
	*missed += k - 1;	/* merged into this one event */
	return 1;
}

static int gpio_ack(void *data, uint64_t *missed)
{
	struct gpio_data *d = data;
	struct gpio_v2_line_event ev[16];
	ssize_t n = read(d->fd, ev, sizeof(ev));

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return uwq__gpio_parse(&d->seq, ev, (size_t)n, missed);
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
