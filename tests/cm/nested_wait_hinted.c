/* SPDX-License-Identifier: MIT */
/*
 * Nested waits with hints do not deadlock (docs/design.md §3 "Concurrency
 * management": a worker that blocks always finds another to hand its CPU
 * to, so the CPU keeps doing queued work; the hints take the worker out of
 * the running count at once; a deadlock when all workers block is a bug;
 * header: uwq_blocking_begin()):
 * on a process limited to 2 CPUs, 8 parent items on uwq_system_wq first
 * meet (all 8 blocked at once in sem_wait on a rendezvous semaphore), then
 * each queues a child item on the same queue and waits for it in sem_wait,
 * each wait between uwq_blocking_begin() and uwq_blocking_end(). Every
 * parent and every child completes, each once, the children on their
 * parent's CPU. Run twice: all parents on one CPU's pool, then spread over
 * both CPUs. nested_wait_unhinted.c is the same without hints.
 */

#define HINTED		1
#include "nested_wait.h"
