/* SPDX-License-Identifier: MIT */
/*
 * A line raised by a signal (docs/design.md §4: signalfd; irq.h
 * uwq_irq_create_signal): with SIGUSR1 blocked in every thread, each
 * kill() of the process becomes one event on the line, handled on the
 * dispatcher, never by a signal handler. Bad signal numbers are -EINVAL.
 */
#include <signal.h>
#include <uwq.h>

#include "util.h"

static atomic_int calls;

static uwq_irqreturn_t sig_primary(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&calls, 1);
	return UWQ_IRQ_HANDLED;
}

int main(void)
{
	sigset_t set;
	int irq;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0, "sigmask");
	CHECK(uwq_irq_create_signal(0) == -EINVAL, "signal 0 accepted");
	CHECK(uwq_irq_create_signal(-5) == -EINVAL, "signal -5 accepted");
	irq = uwq_irq_create_signal(SIGUSR1);
	CHECK(irq > 0, "uwq_irq_create_signal: %d", irq);
	CHECK(uwq_request_irq(irq, sig_primary, 0, "sigusr1", NULL) == 0, "request failed");
	for (int i = 1; i <= 10; i++) {
		CHECK(kill(getpid(), SIGUSR1) == 0, "kill");
		WAIT_UNTIL(atomic_load(&calls) == i, "signal %d not handled (%d calls)", i, atomic_load(&calls));
	}
	CHECK(uwq_free_irq(irq, NULL), "free failed");
	CHECK(uwq_irq_destroy(irq) == 0, "destroy failed");
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}
