/* SPDX-License-Identifier: MIT */
/*
 * uwq/async.h - asynchronous function calls with cookies and domains
 * (the kernel's kernel/async.c).
 *
 * uwq_async_schedule() runs fn(data, cookie) later on uwq_system_unbound_wq
 * and returns its cookie: a number that grows with each call. Waiting for a
 * cookie waits for every call scheduled before it (in the domain), so an
 * async function can wait for all its predecessors by passing its own
 * cookie, without waiting for itself: independent work runs out of order
 * while its visible effects are retired in order. When memory is short or
 * 32768 calls are pending, the call runs synchronously, still with a fresh
 * cookie, as the kernel's does.
 */
#ifndef UWQ_ASYNC_H
#define UWQ_ASYNC_H

#include <stdint.h>
#include <uwq/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t uwq_async_cookie_t;
typedef void (*uwq_async_func_t)(void *data, uwq_async_cookie_t cookie);

/*
 * struct uwq_async_domain - a scope for synchronisation. Define one with
 * UWQ_ASYNC_DOMAIN_INIT; its fields are private. Calls scheduled with no
 * domain (uwq_async_schedule()) belong to the default domain.
 */
struct uwq_async_domain {
	void	*head, *tail;	/* private: pending entries, cookie order */
};
#define UWQ_ASYNC_DOMAIN_INIT { 0, 0 }

/**
 * uwq_async_schedule() - run @fn(@data, cookie) asynchronously.
 * Context: any thread. Return: the call's cookie (>= 1). @fn NULL: 0.
 */
UWQ_API uwq_async_cookie_t uwq_async_schedule(uwq_async_func_t fn, void *data);

/** uwq_async_schedule_domain() - uwq_async_schedule() in @domain. */
UWQ_API uwq_async_cookie_t uwq_async_schedule_domain(uwq_async_func_t fn, void *data,
						     struct uwq_async_domain *domain);

/**
 * uwq_async_synchronize_cookie() - wait until every call of the default
 * domain scheduled before @cookie (smaller cookies) has returned.
 * Context: thread context; blocks (an async function may pass its own
 * cookie).
 */
UWQ_API void uwq_async_synchronize_cookie(uwq_async_cookie_t cookie);

/** uwq_async_synchronize_cookie_domain() - the same within @domain. */
UWQ_API void uwq_async_synchronize_cookie_domain(uwq_async_cookie_t cookie, struct uwq_async_domain *domain);

/** uwq_async_synchronize_full() - wait for every call of every domain. */
UWQ_API void uwq_async_synchronize_full(void);

/** uwq_async_synchronize_full_domain() - wait for every call of @domain. */
UWQ_API void uwq_async_synchronize_full_domain(struct uwq_async_domain *domain);

#ifdef __cplusplus
}
#endif

#endif /* UWQ_ASYNC_H */
