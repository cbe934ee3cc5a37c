/* SPDX-License-Identifier: MIT */
/*
 * The primary handler runs once per delivered event, in the dispatcher
 * (include/uwq/irq.h "the primary handler runs in the dispatcher thread
 * ("uwq-irqd", hard interrupt context)"; docs/design.md §4: the primary
 * never runs in the thread that raised the line; return values as the
 * kernel's include/linux/irqreturn.h):
 *  - N raises, each waiting until the previous one was handled, give
 *    exactly N primary calls;
 *  - every call gets the line number and the dev_id given at request;
 *  - every call runs on the thread named "uwq-irqd", never on the raising
 *    thread, and always on the same thread.
 */
#include "irqtest.h"

#define N	200

static atomic_int calls;
static atomic_int bad_args;
static atomic_int bad_name;
static atomic_int on_raiser;
static atomic_int dispatcher_tid;
static atomic_int other_tid;
static atomic_int raiser_tid;
static atomic_int line;
static char seen_name[IRQ_COMM_LEN];	/* written before `calls` is bumped */

static int dev;

static uwq_irqreturn_t counting_primary(int irq, void *dev_id)
{
	char name[IRQ_COMM_LEN];
	int tid = (int)util_gettid();
	int expected = 0;

	if (irq != atomic_load(&line) || dev_id != &dev)
		atomic_fetch_add(&bad_args, 1);
	self_name(name);
	if (strcmp(name, "uwq-irqd") != 0) {
		if (atomic_fetch_add(&bad_name, 1) == 0)
			memcpy(seen_name, name, sizeof(name));
	}
	if (tid == atomic_load(&raiser_tid))
		atomic_fetch_add(&on_raiser, 1);
	if (!atomic_compare_exchange_strong(&dispatcher_tid, &expected, tid) && expected != tid)
		atomic_store(&other_tid, tid);
	atomic_fetch_add(&calls, 1);
	return UWQ_IRQ_HANDLED;
}

int main(void)
{
	struct probe p;
	int irq;

	atomic_store(&raiser_tid, (int)util_gettid());
	probe_init(&p);
	irq = new_eventfd_line();
	atomic_store(&line, irq);
	CHECK_RC(uwq_request_irq(irq, counting_primary, 0, "handled", &dev), "request_irq");

	PHASE("raising");
	for (int i = 1; i <= N; i++) {
		CHECK_RC(uwq_irq_raise(irq), "raise");
		WAIT_UNTIL(atomic_load(&calls) >= i, "raise %d: primary called %d times", i,
			   atomic_load(&calls));
	}
	probe_roundtrip(&p, 3);
	CHECK(atomic_load(&calls) == N, "%d raises gave %d primary calls", N, atomic_load(&calls));
	CHECK(atomic_load(&bad_args) == 0, "%d calls had the wrong irq or dev_id",
	      atomic_load(&bad_args));
	CHECK(atomic_load(&bad_name) == 0, "%d calls ran on a thread named \"%s\", not \"uwq-irqd\"",
	      atomic_load(&bad_name), seen_name);
	CHECK(atomic_load(&on_raiser) == 0, "%d calls ran on the raising thread",
	      atomic_load(&on_raiser));
	CHECK(atomic_load(&other_tid) == 0, "primary ran on two threads (%d and %d)",
	      atomic_load(&dispatcher_tid), atomic_load(&other_tid));
	CHECK(count_tasks_named("uwq-irqd") == 1, "%d threads named uwq-irqd, want 1",
	      count_tasks_named("uwq-irqd"));

	PHASE("teardown");
	CHECK(uwq_free_irq(irq, &dev) != NULL, "free_irq returned NULL");
	CHECK_RC(uwq_irq_destroy(irq), "destroy");
	probe_fini(&p);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
