/* SPDX-License-Identifier: MIT */
/*
 * Nested waits without hints do not deadlock (docs/design.md §3
 * "Concurrency management": without any hint, blocking is learnt by the
 * monitor, which inspects running workers; a deadlock when all workers
 * block is a bug; as in the kernel's kernel/workqueue.c, when the only
 * running worker blocks with work queued, an idle worker is woken at once,
 * so the CPU never idles while work is queued):
 * on a process limited to 2 CPUs, 8 parent items on uwq_system_wq first
 * meet (all 8 blocked at once in sem_wait on a rendezvous semaphore), then
 * each queues a child item on the same queue and waits for it in sem_wait,
 * with no uwq call and no uwq_blocking_begin() around either wait. Every
 * parent and every child completes, each once, the children on their
 * parent's CPU. Run twice: all parents on one CPU's pool, then spread over
 * both CPUs. nested_wait_hinted.c is the same with hints.
 */

#define HINTED		0
#include "nested_wait.h"
