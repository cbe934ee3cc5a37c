/* SPDX-License-Identifier: MIT */
/*
 * fault.h - fault injection at named sites, for tests of rare paths
 * (STYLE.md "Tests"). Compiled in when UWQ_FAULT_INJECTION is defined
 * (every build type but Release); otherwise uwq__fault() is constant 0.
 */
#ifndef UWQ_INTERNAL_FAULT_H
#define UWQ_INTERNAL_FAULT_H

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <uwq/common.h>

#include "internal/cpus.h"	/* uwq__thread_create(): the "thread_create" site */

enum uwq__fault_site {
	UWQ_FAULT_WORKER_CREATE,	/* pthread_create of a pool worker */
	UWQ_FAULT_ALLOC,		/* allocations made for an API call */
	UWQ_FAULT_EVENTFD,		/* eventfd() of lines and the dispatcher */
	UWQ_FAULT_TIMERFD,		/* timerfd_create() of timer lines */
	UWQ_FAULT_EPOLL,		/* epoll_create1() of the dispatcher */
	UWQ_FAULT_THREAD_CREATE,	/* pthread_create of every other uwq thread */
	UWQ_FAULT_CREATE_HOLD,		/* a worker's creation waits before it is counted */
	UWQ_FAULT_NR
};

#ifdef UWQ_FAULT_INJECTION
/* The errno to fail with at @site now, or 0 to go ahead. */
int uwq__fault(enum uwq__fault_site site);
#else
static inline int uwq__fault(enum uwq__fault_site site)
{
	(void)site;
	return 0;
}
#endif

/* calloc(1, @size), failing with ENOMEM at the "alloc" site. */
static inline void *uwq__zalloc(size_t size)
{
	if (uwq__fault(UWQ_FAULT_ALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return calloc(1, size);
}

/* For a system call at @site: -1 with errno set when failing, else 0. */
static inline int uwq__fault_syscall(enum uwq__fault_site site)
{
	int err = uwq__fault(site);

	if (!err)
		return 0;
	errno = err;
	return -1;
}

/*
 * Test hook, exported but not in the public headers: make the next @count
 * operations at @site ("worker_create", "alloc", "eventfd", "timerfd",
 * "epoll", "thread_create"; "create_hold" holds instead: see pool.c) fail with @err (count -1: until
 * called again with count 0). Returns 0, -EINVAL for an unknown site, or
 * -ENOSYS when built without fault injection.
 */
UWQ_API int uwq__fault_inject(const char *site, int err, int count);

/*
 * Test hooks: as uwq__fault_inject(), but the next @skip operations at
 * @site go ahead before the @count failures (fail a call's second or later
 * allocation); and how many armed failures are left at @site (0 once they
 * were all taken; -EINVAL, -ENOSYS as above).
 */
UWQ_API int uwq__fault_inject_nth(const char *site, int err, int skip, int count);
UWQ_API int uwq__fault_left(const char *site);

#endif
