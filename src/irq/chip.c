/* SPDX-License-Identifier: MIT */
/*
 * chip.c - built-in chips: the software line (eventfd), any pollable fd,
 * and the periodic line (timerfd). UIO, GPIO, VFIO and signalfd chips have
 * files of their own (chip_<source>.c).
 *
 * DESIGN: a chip tells the dispatcher which fd to poll and how to
 * acknowledge an event. eventfd: reading the counter acknowledges every
 * raise so far, so raises not yet read merge into one event, and the merged
 * ones are counted as missed. timerfd: reading returns the expirations
 * since the last read; all but one are missed periods. A plain fd has
 * nothing to acknowledge: a level line's handler must make it unreadable,
 * an edge line fires on readiness edges (EPOLLET). uwq owns the eventfd
 * and timerfd it creates (closed at destroy), never a caller's fd.
 * uwq__seq_advance() here is the gap counting that the UIO count and the
 * GPIO seqno share (32-bit, wrapping; internal/irq.h).
 * CONCURRENCY: ack runs on the dispatcher under desc->lock; raise is one
 * write(2) from any thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "internal/fault.h"
#include "internal/irq.h"

uint64_t uwq__seq_advance(struct uwq__seq *s, uint32_t now)
{
	uint32_t step = now - s->last;	/* modulo 2^32 */
	bool seen = s->seen;

	s->seen = true;
	s->last = now;
	if (!seen || step == 0 || step >= 1u << 31)
		return 0;
	return step - 1;
}

struct fd_chip_data {
	int	fd;
	bool	owned;
};

static int fd_of(void *data)
{
	return ((struct fd_chip_data *)data)->fd;
}

static int counter_ack(void *data, uint64_t *missed)
{
	uint64_t n;

	if (read(fd_of(data), &n, sizeof(n)) != sizeof(n))
		return errno == EAGAIN ? 0 : -errno;
	if (n > 1)
		*missed += n - 1;
	return 1;
}

static void fd_release(void *data)
{
	struct fd_chip_data *d = data;

	if (d->owned)
		close(d->fd);
	free(d);
}

static const struct uwq_irq_chip eventfd_chip = {
	.name = "eventfd", .fd = fd_of, .ack = counter_ack, .release = fd_release,
};
static const struct uwq_irq_chip timer_chip = {
	.name = "timerfd", .fd = fd_of, .ack = counter_ack, .release = fd_release,
};
static const struct uwq_irq_chip level_fd_chip = {
	.name = "fd-level", .fd = fd_of, .release = fd_release, .flags = UWQ_IRQCHIP_LEVEL,
};
static const struct uwq_irq_chip edge_fd_chip = {
	.name = "fd-edge", .fd = fd_of, .release = fd_release,
};

static int create_on(const struct uwq_irq_chip *chip, int fd, bool owned, bool edge, bool is_eventfd)
{
	struct fd_chip_data *d = uwq__zalloc(sizeof(*d));
	int irq;

	if (!d) {
		if (owned)
			close(fd);
		return -ENOMEM;
	}
	d->fd = fd;
	d->owned = owned;
	irq = uwq__irq_create(chip, d, edge, is_eventfd);
	if (irq < 0)
		fd_release(d);
	return irq;
}

int uwq_irq_create_eventfd(void)
{
	int fd = uwq__fault_syscall(UWQ_FAULT_EVENTFD) ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	return create_on(&eventfd_chip, fd, true, false, true);
}

int uwq_irq_create_fd(int fd, unsigned trigger)
{
	if (fd < 0 || (trigger != UWQ_IRQ_LEVEL && trigger != UWQ_IRQ_EDGE))
		return -EINVAL;
	return create_on(trigger == UWQ_IRQ_EDGE ? &edge_fd_chip : &level_fd_chip, fd, false,
			 trigger == UWQ_IRQ_EDGE, false);
}

int uwq_irq_create_timer(uint64_t period_ns)
{
	struct itimerspec its;
	int fd;

	if (!period_ns)
		return -EINVAL;
	fd = uwq__fault_syscall(UWQ_FAULT_TIMERFD) ? -1 : timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	its.it_interval.tv_sec = (time_t)(period_ns / 1000000000u);
	its.it_interval.tv_nsec = (long)(period_ns % 1000000000u);
	its.it_value = its.it_interval;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return create_on(&timer_chip, fd, true, false, false);
}

int uwq__irq_raise_fd(void *chip_data)
{
	uint64_t one = 1;

	return write(fd_of(chip_data), &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}
