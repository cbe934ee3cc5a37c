/* SPDX-License-Identifier: MIT */
/*
 * Growth follows need (docs/design.md §3 "Concurrency management"): a pool
 * whose items block with hints makes about as many workers as keep its
 * CPUs busy, not a worker per block. On 2 CPUs with a cap of 64 workers,
 * 1,000 items of 2 ms hinted sleep + 0.5 ms CPU (about 10 busy workers
 * needed) all run, once each, and the unbound pool ends with at most half
 * its cap of workers (nothing is reaped, so that is its peak). A pool
 * that makes a worker for every block reaches the cap here.
 */
#include "growth.h"

#define NITEMS	1000

static struct mix_item items[NITEMS];

int main(void)
{
	int workers;

	growth_setup();
	PHASE("the mix");
	workers = run_mix(items, NITEMS);
	NOTE("%d items of 2 ms hinted sleep + 0.5 ms CPU: %d unbound workers (cap %d)", NITEMS, workers, CAP);
	CHECK(workers <= CAP / 2, "the pool made %d workers for a mix that keeps 2 CPUs busy with about 10 (cap %d)",
	      workers, CAP);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
