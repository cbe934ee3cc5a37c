/* SPDX-License-Identifier: MIT */
/*
 * fault.c - named fault-injection sites for tests (see internal/fault.h).
 *
 * DESIGN: a site is an atomic countdown plus an errno, and a countdown of
 * operations to let through first; the hot path of a site pays one relaxed
 * load while no fault is armed. Release builds
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
	[UWQ_FAULT_THREAD_CREATE] = "thread_create",
	[UWQ_FAULT_CREATE_HOLD] = "create_hold",
};

#ifdef UWQ_FAULT_INJECTION
static struct {
	int count;	/* A: failures left; -1 forever */
	int err;	/* A */
	int skip;	/* A: operations to let through before them */
} sites[UWQ_FAULT_NR];

int uwq__fault(enum uwq__fault_site site)
{
	int c = READ_ONCE(sites[site].count), s;

	if (c == 0)
		return 0;
	s = READ_ONCE(sites[site].skip);
	while (s > 0)
		if (atomic_cas(&sites[site].skip, &s, s - 1))
			return 0;
	while (c != 0) {
		if (c < 0)
			return READ_ONCE(sites[site].err);
		if (atomic_cas(&sites[site].count, &c, c - 1))
			return READ_ONCE(sites[site].err);
	}
	return 0;
}
#endif

static int site_index(const char *site)
{
	for (int i = 0; i < UWQ_FAULT_NR; i++)
		if (site && !strcmp(site, site_names[i]))
			return i;
	return -EINVAL;
}

int uwq__fault_inject_nth(const char *site, int err, int skip, int count)
{
	int i = site_index(site);

	if (i < 0)
		return i;
#ifdef UWQ_FAULT_INJECTION
	WRITE_ONCE(sites[i].err, err);
	__atomic_store_n(&sites[i].skip, skip > 0 ? skip : 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sites[i].count, count, __ATOMIC_SEQ_CST);
	return 0;
#else
	(void)err;
	(void)skip;
	(void)count;
	return -ENOSYS;
#endif
}

int uwq__fault_inject(const char *site, int err, int count)
{
	return uwq__fault_inject_nth(site, err, 0, count);
}

int uwq__fault_left(const char *site)
{
	int i = site_index(site);

	if (i < 0)
		return i;
#ifdef UWQ_FAULT_INJECTION
	return __atomic_load_n(&sites[i].count, __ATOMIC_SEQ_CST);
#else
	return -ENOSYS;
#endif
}
