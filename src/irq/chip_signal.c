/* SPDX-License-Identifier: MIT */
/*
 * chip_signal.c - a line raised by a signal (signalfd).
 *
 * DESIGN: signalfd turns a blocked signal into readable records; the ack
 * reads every queued record (up to 16 per read), and all but the first
 * count as merged. Standard signals do not queue, so raises before the
 * read merge in the kernel already, like an eventfd's. The caller must
 * block the signal in every thread (documented), else it is delivered to a
 * handler instead; uwq's own threads block every signal.
 * CONCURRENCY: ack on the dispatcher under desc->lock.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "internal/fault.h"
#include "internal/irq.h"

struct signal_data {
	int	fd;
};

static int signal_fd(void *data)
{
	return ((struct signal_data *)data)->fd;
}

static int signal_ack(void *data, uint64_t *missed)
{
	struct signalfd_siginfo si[16];
	ssize_t n = read(signal_fd(data), si, sizeof(si));

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n < (ssize_t)sizeof(si[0]))
		return 0;
	*missed += (uint64_t)n / sizeof(si[0]) - 1;
	return 1;
}

static void signal_release(void *data)
{
	close(signal_fd(data));
	free(data);
}

static const struct uwq_irq_chip signal_chip = {
	.name = "signalfd", .fd = signal_fd, .ack = signal_ack, .release = signal_release,
};

int uwq_irq_create_signal(int signo)
{
	struct signal_data *d;
	sigset_t set;
	int irq;

	sigemptyset(&set);
	if (signo <= 0 || sigaddset(&set, signo))
		return -EINVAL;
	d = uwq__zalloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->fd < 0) {
		int err = -errno;

		free(d);
		return err;
	}
	irq = uwq__irq_create(&signal_chip, d, false, false);
	if (irq < 0)
		signal_release(d);
	return irq;
}
