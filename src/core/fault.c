/* SPDX-License-Identifier: MIT */
/*
 * fault.c - named fault-injection sites for tests (see internal/fault.h).
 *
 * DESIGN: a site is an atomic countdown plus an errno; the hot path of a
 * site pays one relaxed load while no fault is armed. Release builds
 * compile the sites out and keep only the hook, which answers -ENOSYS so
 * that tests skip instead of failing.
 * CONCURRENCY: all fields atomic; arming races with use only in tests,
 * which arm before the operation they want to fail.
 */
#include <errno.h>
#include <string.h>

#include "internal/atomic.h"
#include "internal/fault.h"

static const char *const site_names[UWQ_FAULT_NR] = {
	[UWQ_FAULT_WORKER_CREATE] = "worker_create",
	[UWQ_FAULT_ALLOC] = "alloc",
	[UWQ_FAULT_EVENTFD] = "eventfd",
	[UWQ_FAULT_TIMERFD] = "timerfd",
	[UWQ_FAULT_EPOLL] = "epoll",
};

#ifdef UWQ_FAULT_INJECTION
static struct {
	int count;	/* A: failures left; -1 forever */
	int err;	/* A */
} sites[UWQ_FAULT_NR];

int uwq__fault(enum uwq__fault_site site)
{
	int c = READ_ONCE(sites[site].count);

	while (c != 0) {
		if (c < 0)
			return READ_ONCE(sites[site].err);
		if (atomic_cas(&sites[site].count, &c, c - 1))
			return READ_ONCE(sites[site].err);
	}
	return 0;
}
#endif

int uwq__fault_inject(const char *site, int err, int count)
{
	for (int i = 0; i < UWQ_FAULT_NR; i++) {
		if (!site || strcmp(site, site_names[i]))
			continue;
#ifdef UWQ_FAULT_INJECTION
		WRITE_ONCE(sites[i].err, err);
		__atomic_store_n(&sites[i].count, count, __ATOMIC_SEQ_CST);
		return 0;
#else
		(void)err;
		(void)count;
		return -ENOSYS;
#endif
	}
	return -EINVAL;
}
