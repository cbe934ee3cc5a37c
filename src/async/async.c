/* SPDX-License-Identifier: MIT */
/*
 * async.c - asynchronous function calls with cookies and domains
 * (kernel/async.c; uwq/async.h).
 *
 * DESIGN: each call is an entry, allocated, carrying a work item queued on
 * uwq_system_unbound_wq (the kernel's modern async is also plain work on
 * the unbound queue). Entries sit on two lists in cookie order, their
 * domain's and a global one; cookies only grow and entries are appended
 * under one lock, so each list's head is its lowest cookie still running.
 * Waiting for cookie c means waiting until that head is >= c, on one
 * condition variable broadcast whenever an entry completes; a worker that
 * waits is marked blocked first (uwq_blocking_begin), so the pool keeps
 * running the predecessors it waits for. As in the kernel, when the entry
 * cannot be allocated or 32768 calls are pending, the call runs at once in
 * the caller, with a fresh cookie.
 * Rejected: per-domain condition variables (completions are rare next to
 * the work they carry; one broadcast is simpler and never loses a waiter).
 * CONCURRENCY: async_lock guards the lists, next_cookie and pending, and
 * is held while queueing (async_lock -> pool->lock).
 * INVARIANTS: 1. every list is sorted by cookie; 2. an entry is on both
 * lists from scheduling until its function has returned; 3. entries are
 * queued in cookie order.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <uwq/async.h>
#include <uwq/workqueue.h>

#include "internal/fault.h"
#include "internal/list.h"
#include "internal/log.h"
#include "internal/wq.h"

#define MAX_PENDING	32768

struct entry {
	struct uwq_work		work;
	struct entry		*dnext, *dprev;	/* domain list */
	struct entry		*gnext, *gprev;	/* global list */
	uwq_async_cookie_t	cookie;
	uwq_async_func_t	fn;
	void			*data;
	struct uwq_async_domain	*domain;
};

static pthread_mutex_t async_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t async_done = PTHREAD_COND_INITIALIZER;
static uwq_async_cookie_t next_cookie = 1;
static struct entry *ghead, *gtail;
static int pending;
static struct uwq_async_domain dfl_domain = UWQ_ASYNC_DOMAIN_INIT;

static void unlink_entry(struct entry *e)
{
	struct uwq_async_domain *d = e->domain;

	if (e->dprev)
		e->dprev->dnext = e->dnext;
	else
		d->head = e->dnext;
	if (e->dnext)
		e->dnext->dprev = e->dprev;
	else
		d->tail = e->dprev;
	if (e->gprev)
		e->gprev->gnext = e->gnext;
	else
		ghead = e->gnext;
	if (e->gnext)
		e->gnext->gprev = e->gprev;
	else
		gtail = e->gprev;
}

/* The async call this thread runs, if any (a wait for it would hang). */
static __thread struct entry *running;

static void run_entry(struct uwq_work *w)
{
	struct entry *e = container_of(w, struct entry, work);

	running = e;
	e->fn(e->data, e->cookie);
	running = NULL;
	pthread_mutex_lock(&async_lock);
	unlink_entry(e);
	pending--;
	pthread_cond_broadcast(&async_done);
	pthread_mutex_unlock(&async_lock);
	free(e);	/* a work function may free its own item */
}

uwq_async_cookie_t uwq_async_schedule_domain(uwq_async_func_t fn, void *data, struct uwq_async_domain *domain)
{
	struct entry *e;
	uwq_async_cookie_t cookie;

	if (!fn)
		return 0;
	if (!domain)
		domain = &dfl_domain;
	e = uwq__zalloc(sizeof(*e));
	pthread_mutex_lock(&async_lock);
	cookie = next_cookie++;
	if (!e || pending >= MAX_PENDING) {
		pthread_mutex_unlock(&async_lock);
		free(e);
		fn(data, cookie);	/* the kernel's synchronous fallback */
		return cookie;
	}
	e->cookie = cookie;
	e->fn = fn;
	e->data = data;
	e->domain = domain;
	e->dnext = e->gnext = NULL;
	e->dprev = domain->tail;
	if (domain->tail)
		((struct entry *)domain->tail)->dnext = e;
	else
		domain->head = e;
	domain->tail = e;
	e->gprev = gtail;
	if (gtail)
		gtail->gnext = e;
	else
		ghead = e;
	gtail = e;
	pending++;
	uwq_work_init(&e->work, run_entry);
	/*
	 * Queued under the lock, so the queue's FIFO order is cookie order:
	 * the lowest unfinished cookie then always starts before any higher
	 * one that waits for it, and waits cannot deadlock even when the
	 * pool is at its worker cap. Lock order: async_lock -> pool->lock.
	 */
	uwq_queue_work(uwq_system_unbound_wq, &e->work);
	pthread_mutex_unlock(&async_lock);
	return cookie;
}

uwq_async_cookie_t uwq_async_schedule(uwq_async_func_t fn, void *data)
{
	return uwq_async_schedule_domain(fn, data, NULL);
}

/* Lowest cookie still running in @domain, or in all domains if NULL. */
static uwq_async_cookie_t lowest(struct uwq_async_domain *domain)
{
	struct entry *head = domain ? domain->head : ghead;

	return head ? head->cookie : UINT64_MAX;
}

static void wait_below(uwq_async_cookie_t cookie, struct uwq_async_domain *domain)
{
	static int reported;	/* A */

	/* From an async call: waiting for itself (or anything after it in
	 * its domain) would never end; wait for what came before it. */
	if (running && cookie > running->cookie && (!domain || domain == running->domain)) {
		if (!__atomic_exchange_n(&reported, 1, __ATOMIC_RELAXED))
			uwq__log("async synchronise from async call %llu would wait for itself; waiting only for the calls before it",
				 (unsigned long long)running->cookie);
		cookie = running->cookie;
	}
	pthread_mutex_lock(&async_lock);
	if (lowest(domain) < cookie) {
		uwq_blocking_begin();	/* a worker waiting for predecessors */
		while (lowest(domain) < cookie)
			pthread_cond_wait(&async_done, &async_lock);
		uwq_blocking_end();
	}
	pthread_mutex_unlock(&async_lock);
}

void uwq_async_synchronize_cookie_domain(uwq_async_cookie_t cookie, struct uwq_async_domain *domain)
{
	wait_below(cookie, domain ? domain : &dfl_domain);
}

void uwq_async_synchronize_cookie(uwq_async_cookie_t cookie)
{
	wait_below(cookie, &dfl_domain);
}

void uwq_async_synchronize_full_domain(struct uwq_async_domain *domain)
{
	wait_below(UINT64_MAX, domain ? domain : &dfl_domain);
}

void uwq_async_synchronize_full(void)
{
	wait_below(UINT64_MAX, NULL);
}

/*
 * fork.c: the async lock is held across fork(), so the child sees whole
 * lists. Calls pending at fork() run in the parent only: the child empties
 * their domains and its synchronisations do not wait for them. Cookies go
 * on increasing, so the parent's are all "before" the child's.
 */
void uwq__async_atfork(int stage)
{
	if (stage == 0) {
		pthread_mutex_lock(&async_lock);
	} else if (stage == 1) {
		pthread_mutex_unlock(&async_lock);
	} else {
		for (struct entry *e = ghead; e; e = e->gnext)
			e->domain->head = e->domain->tail = NULL;
		ghead = gtail = NULL;
		pending = 0;
		pthread_mutex_init(&async_lock, NULL);
		pthread_cond_init(&async_done, NULL);
	}
}
