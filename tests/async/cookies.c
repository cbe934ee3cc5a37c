/* SPDX-License-Identifier: MIT */
/*
 * Async calls (uwq/async.h, after the kernel's kernel/async.c): cookies grow;
 * uwq_async_synchronize_cookie(c) returns only when every call with a
 * smaller cookie has returned. 4 threads schedule 400 calls each that run
 * in any order (random short burns) but "retire" in order: each waits for
 * its predecessors with its own cookie, then appends its cookie to a log,
 * which must come out strictly increasing, with every call retired once.
 * Domains scope the waits: with a call of domain B held on a gate,
 * synchronize_full_domain(A) still returns, and synchronize_full() does
 * not until B's call ends. uwq_async_synchronize_full() then leaves
 * nothing running.
 */
#include <uwq/async.h>
#include <uwq/workqueue.h>

#include "util.h"

#define THREADS	4
#define PER	400

static atomic_ullong log_[THREADS * PER];
static atomic_int nlog, started, bad_order;
static atomic_ullong last_retired;

static void retire_in_order(void *data, uwq_async_cookie_t cookie)
{
	(void)data;
	atomic_fetch_add(&started, 1);
	burn_us((unsigned)(cookie * 7919 % 50));
	uwq_async_synchronize_cookie(cookie);	/* predecessors only, not itself */
	if (atomic_exchange(&last_retired, cookie) >= cookie)
		atomic_fetch_add(&bad_order, 1);
	log_[atomic_fetch_add(&nlog, 1)] = cookie;
}

static void *scheduler(void *arg)
{
	uwq_async_cookie_t prev = 0;

	(void)arg;
	for (int i = 0; i < PER; i++) {
		uwq_async_cookie_t c = uwq_async_schedule(retire_in_order, NULL);

		CHECK(c > prev, "cookies do not grow in one thread: %llu after %llu", (unsigned long long)c,
		      (unsigned long long)prev);
		prev = c;
	}
	return NULL;
}

static atomic_int gate, b_done, a_done;

static void b_call(void *data, uwq_async_cookie_t cookie)
{
	(void)data;
	(void)cookie;
	GATE_WAIT(atomic_load(&gate), "gate never opened");
	atomic_store(&b_done, 1);
}

static void a_call(void *data, uwq_async_cookie_t cookie)
{
	(void)data;
	(void)cookie;
	atomic_fetch_add(&a_done, 1);
}

int main(void)
{
	static struct uwq_async_domain dom_a = UWQ_ASYNC_DOMAIN_INIT, dom_b = UWQ_ASYNC_DOMAIN_INIT;
	pthread_t t[THREADS];

	CHECK(uwq_async_schedule(NULL, NULL) == 0, "NULL function accepted");
	for (int i = 0; i < THREADS; i++)
		t[i] = start_thread(scheduler, NULL);
	for (int i = 0; i < THREADS; i++)
		join_thread(t[i]);
	uwq_async_synchronize_full();
	CHECK(atomic_load(&nlog) == THREADS * PER, "%d retired, want %d", atomic_load(&nlog), THREADS * PER);
	CHECK(atomic_load(&bad_order) == 0, "%d retirements out of cookie order", atomic_load(&bad_order));
	for (int i = 1; i < THREADS * PER; i++)
		CHECK(log_[i] > log_[i - 1], "log not increasing at %d: %llu then %llu", i,
		      (unsigned long long)log_[i - 1], (unsigned long long)log_[i]);

	PHASE("domains");
	uwq_async_schedule_domain(b_call, NULL, &dom_b);
	for (int i = 0; i < 10; i++)
		uwq_async_schedule_domain(a_call, NULL, &dom_a);
	uwq_async_synchronize_full_domain(&dom_a);
	CHECK(atomic_load(&a_done) == 10, "domain A not complete: %d", atomic_load(&a_done));
	CHECK(!atomic_load(&b_done), "domain B's call ended although its gate is closed");
	atomic_store(&gate, 1);
	uwq_async_synchronize_full();
	CHECK(atomic_load(&b_done), "synchronize_full returned before domain B's call ended");
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}
