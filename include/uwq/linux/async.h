/* SPDX-License-Identifier: MIT */
/*
 * uwq/linux/async.h - the kernel's async spellings over uwq.
 * Opt-in, never included by <uwq.h>. Renames only.
 */
#ifndef UWQ_LINUX_ASYNC_H
#define UWQ_LINUX_ASYNC_H

#include <uwq/async.h>

typedef uwq_async_cookie_t async_cookie_t;
typedef uwq_async_func_t async_func_t;
#define async_domain			uwq_async_domain
#define ASYNC_DOMAIN(name)		struct uwq_async_domain name = UWQ_ASYNC_DOMAIN_INIT
#define ASYNC_DOMAIN_EXCLUSIVE(name)	struct uwq_async_domain name = UWQ_ASYNC_DOMAIN_INIT

#define async_schedule(fn, data)			uwq_async_schedule((fn), (data))
#define async_schedule_domain(fn, data, d)		uwq_async_schedule_domain((fn), (data), (d))
#define async_synchronize_full()			uwq_async_synchronize_full()
#define async_synchronize_full_domain(d)		uwq_async_synchronize_full_domain(d)
#define async_synchronize_cookie(c)			uwq_async_synchronize_cookie(c)
#define async_synchronize_cookie_domain(c, d)		uwq_async_synchronize_cookie_domain((c), (d))

#endif /* UWQ_LINUX_ASYNC_H */
