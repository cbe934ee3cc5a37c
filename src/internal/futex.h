/* SPDX-License-Identifier: MIT */
/*
 * futex.h - private futex wait/wake on an int word (process-private).
 */
#ifndef UWQ_INTERNAL_FUTEX_H
#define UWQ_INTERNAL_FUTEX_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleep while *addr == val. Spurious returns are possible: callers recheck. */
static inline void futex_wait(int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

/* As futex_wait(), for at most rel_ns nanoseconds. */
static inline void futex_wait_ns(int *addr, int val, uint64_t rel_ns)
{
	struct timespec ts = { (time_t)(rel_ns / 1000000000u), (long)(rel_ns % 1000000000u) };

	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

static inline void futex_wake(int *addr, int n)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

#endif
