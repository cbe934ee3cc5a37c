/* SPDX-License-Identifier: MIT */
/*
 * Nested waits with hints do not deadlock (DESIGN.md §2 "Concurrency
 * management": "when a running worker blocks, the pool wakes or creates
 * another so the CPU keeps doing queued work"; the explicit hints "act at
 * once"; "deadlock when all workers block" is a bug; header:
 * uwq_blocking_begin()):
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
