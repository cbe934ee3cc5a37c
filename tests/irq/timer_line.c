/* SPDX-License-Identifier: MIT */
/*
 * A periodic timer line fires repeatedly until it is freed and destroyed
 * (include/uwq/irq.h uwq_irq_create_timer(): "a periodic line (timerfd)";
 * uwq_free_irq(): "detach the action: waits for its handlers to finish";
 * docs/design.md §4 chips, timerfd):
 *  - uwq_irq_create_timer(2 ms) with a counting primary: it is called
 *    repeatedly (at least 5 times), with its irq and dev_id;
 *  - while the line is disabled it is not called; enabled again, it fires
 *    again;
 *  - after uwq_free_irq() returns the primary is never called again, and
 *    after uwq_irq_destroy() nothing of it runs: checked while a second,
 *    identical timer line ticks 10 more times (events, not durations).
 */
#include "irqtest.h"

#define PERIOD_NS	(2 * NSEC_PER_MSEC)

struct tick {
	int		irq;
	atomic_int	calls;
	atomic_int	bad_args;
};

static uwq_irqreturn_t tick_primary(int irq, void *dev_id)
{
	struct tick *t = dev_id;

	if (irq != t->irq)
		atomic_fetch_add(&t->bad_args, 1);
	atomic_fetch_add(&t->calls, 1);
	return UWQ_IRQ_HANDLED;
}

static struct tick t1, clk;

static void wait_ticks(int n, const char *what)
{
	int base = atomic_load(&clk.calls);

	WAIT_UNTIL(atomic_load(&clk.calls) >= base + n, "%s: the clock line stopped (%d ticks)",
		   what, atomic_load(&clk.calls) - base);
}

int main(void)
{
	int c;

	t1.irq = uwq_irq_create_timer(PERIOD_NS);
	CHECK(t1.irq >= 1, "create_timer returned %d (%s)", t1.irq,
	      t1.irq < 0 ? strerror(-t1.irq) : "");
	clk.irq = uwq_irq_create_timer(PERIOD_NS);
	CHECK(clk.irq >= 1 && clk.irq != t1.irq, "create_timer returned %d", clk.irq);
	CHECK_RC(uwq_request_irq(t1.irq, tick_primary, 0, "timer", &t1), "request_irq(timer)");
	CHECK_RC(uwq_request_irq(clk.irq, tick_primary, 0, "clock", &clk), "request_irq(clock)");

	PHASE("ticking");
	WAIT_UNTIL(atomic_load(&t1.calls) >= 5, "timer line fired %d times", atomic_load(&t1.calls));
	CHECK(atomic_load(&t1.bad_args) == 0, "timer primary got the wrong irq");

	PHASE("disabled");
	uwq_disable_irq(t1.irq);
	c = atomic_load(&t1.calls);
	wait_ticks(10, "timer disabled");
	CHECK(atomic_load(&t1.calls) == c, "disabled timer line was called %d times",
	      atomic_load(&t1.calls) - c);
	uwq_enable_irq(t1.irq);
	WAIT_UNTIL(atomic_load(&t1.calls) >= c + 3, "timer line did not fire again after enable "
		   "(%d calls)", atomic_load(&t1.calls) - c);

	PHASE("freed");
	CHECK(uwq_free_irq(t1.irq, &t1) != NULL, "free returned NULL");
	c = atomic_load(&t1.calls);
	wait_ticks(10, "timer freed");
	CHECK(atomic_load(&t1.calls) == c, "freed timer primary was called %d more times",
	      atomic_load(&t1.calls) - c);
	CHECK_RC(uwq_irq_destroy(t1.irq), "destroy(timer)");
	wait_ticks(10, "timer destroyed");
	CHECK(atomic_load(&t1.calls) == c, "destroyed timer primary was called");
	CHECK_ERR(uwq_irq_destroy(t1.irq), EINVAL);

	PHASE("teardown");
	CHECK(uwq_free_irq(clk.irq, &clk) != NULL, "free returned NULL");
	CHECK_RC(uwq_irq_destroy(clk.irq), "destroy(clock)");
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
