/* SPDX-License-Identifier: MIT */
/*
 * The kernel's synchronous fallback (kernel/async.c; uwq/async.h): when
 * 32768 calls are pending, the next call runs at once in the caller, with
 * a fresh cookie, instead of queueing without bound. Calls are held on a
 * gate until the limit is reached; the next one must run on the calling
 * thread before uwq_async_schedule() returns, and every held call then
 * runs once.
 */
#include <uwq/async.h>
#include <uwq/workqueue.h>

#include "util.h"

#define LIMIT	32768

static atomic_int gate, ran, ran_inline;
static pid_t caller;

static void held(void *data, uwq_async_cookie_t cookie)
{
	(void)data;
	(void)cookie;
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	atomic_fetch_add(&ran, 1);
}

static void inline_call(void *data, uwq_async_cookie_t cookie)
{
	(void)data;
	(void)cookie;
	if (util_gettid() == caller)
		atomic_store(&ran_inline, 1);
}

int main(void)
{
	uwq_async_cookie_t last = 0, c;

	caller = util_gettid();
	for (int i = 0; i < LIMIT; i++)
		last = uwq_async_schedule(held, NULL);
	c = uwq_async_schedule(inline_call, NULL);
	CHECK(c == last + 1, "fallback cookie %llu, want %llu", (unsigned long long)c, (unsigned long long)last + 1);
	CHECK(atomic_load(&ran_inline), "the call over the limit did not run in the caller before returning");
	atomic_store(&gate, 1);
	uwq_async_synchronize_full();
	CHECK(atomic_load(&ran) == LIMIT, "%d held calls ran, want %d", atomic_load(&ran), LIMIT);
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}
