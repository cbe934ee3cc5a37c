/* SPDX-License-Identifier: MIT */
/*
 * uwq/stats.h - what the pools and queues are doing.
 */
#ifndef UWQ_STATS_H
#define UWQ_STATS_H

#include <stdio.h>
#include <uwq/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * uwq_dump() - print every started pool and every workqueue to @f.
 *
 * Format (one block each, stable; fields are "key=value"):
 *   pool <id>: cpus=<cpu|unbound(n)> nice=<n> workers=<n> idle=<n> running=<n> pending=<n> created=<n> reaped=<n>
 *     in-flight: <tid>:<function> [<ms>ms][ blocked| blocked(detected)| cpu-intensive]
 *   workqueue <name>: flags=0x<hex> max_active=<n> queued=<n> started=<n> completed=<n> active=<n>
 *     inactive=<n> cm_wakeups=<n> cpu_intensive=<n> mayday=<n> rescued=<n>   (one line)
 * Context: any thread; takes each pool's lock briefly.
 * Return: nothing. NULL @f is a no-op.
 */
UWQ_API void uwq_dump(FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* UWQ_STATS_H */
