/* SPDX-License-Identifier: MIT */
/*
 * rescuer.c - forward progress when workers cannot be created
 * (kernel/workqueue.c: init_rescuer, send_mayday, rescuer_thread).
 *
 * DESIGN
 * Creating a worker can fail (EAGAIN from RLIMIT_NPROC or threads-max,
 * ENOMEM in a memory cgroup). Work that would free those resources must not
 * wait behind the failed creation. As in the kernel, every UWQ_MEM_RECLAIM
 * queue gets a rescuer thread at creation ("uwq-R-<queue>"). When a pool's
 * creation keeps failing, the monitor's mayday timer (10 ms after the first
 * failure, then every 100 ms: pool->mayday_at) calls uwq__send_mayday(),
 * which puts each pwq with items on the pool's worklist whose queue has a
 * rescuer on that rescuer's mayday list. The rescuer attaches to the pool
 * as a pseudo-worker that never counts in nr_running, takes every item of
 * that pwq off the worklist (respecting non-reentrancy), runs them, and if
 * the pool still cannot create workers and the pwq still has items,
 * re-queues the pwq at once. Other queues' items wait for creation to work
 * again (the monitor retries after the cooldown): nothing lost, nothing run
 * twice.
 *
 * CONCURRENCY
 * mayday_lock (a leaf, taken under pool->lock) guards every rescuer's
 * mayday list, pwq->mayday_node/on_mayday and rescuer->stop. The rescuer's
 * worker.pool changes only between rescues, on its own thread.
 *
 * INVARIANTS
 *  1. pwq->on_mayday <=> pwq is on its queue's rescuer's list.
 *  2. A pwq on a mayday list belongs to a queue that is not yet freed:
 *     destroy stops the rescuer only after draining.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal/fault.h"
#include "internal/futex.h"
#include "internal/log.h"
#include "internal/wq.h"

struct uwq__rescuer {
	struct uwq__worker	worker;		/* pseudo-worker; pool set while attached */
	pthread_t		thread;
	struct uwq__list	mayday;		/* mayday_lock: pwqs */
	int			wake;		/* A: futex word, bumped per mayday */
	bool			stop;		/* mayday_lock */
	struct uwq_workqueue	*wq;
};

static pthread_mutex_t mayday_lock = PTHREAD_MUTEX_INITIALIZER;

void uwq__send_mayday(struct uwq__pool *pool)
{
	struct uwq_work *w;

	for (w = pool->worklist.next; w != &pool->worklist; w = w->next) {
		struct uwq__pwq *pwq = w->pwq;
		struct uwq__rescuer *r = pwq->wq->rescuer;

		if (!r)
			continue;
		pthread_mutex_lock(&mayday_lock);
		if (!pwq->on_mayday) {
			pwq->on_mayday = true;
			list_add_tail(&pwq->mayday_node, &r->mayday);
			pwq->stat_mayday++;
			atomic_add_fetch(&r->wake, 1);
			futex_wake(&r->wake, 1);
		}
		pthread_mutex_unlock(&mayday_lock);
	}
}

/* Run every item of @pwq waiting on its pool (pool->lock held). */
static void rescue(struct uwq__rescuer *r, struct uwq__pwq *pwq)
{
	struct uwq__pool *pool = pwq->pool;
	struct uwq__worker *me = &r->worker;
	struct uwq_work *w, *next;
	bool more = false;

	for (w = pool->worklist.next; w != &pool->worklist; w = next) {
		struct uwq__pwq *xpwq;
		struct uwq__worker *x;

		next = w->next;
		if (w->pwq != pwq)
			continue;
		x = uwq__busy_find_pwq(w, w->func, &xpwq);
		if (x && xpwq->pool == pool) {
			wlist_del(w);
			wlist_add_tail(w, &x->scheduled);
		} else if (!x) {
			wlist_del(w);
			wlist_add_tail(w, &me->scheduled);
		}
	}
	uwq__process_scheduled(me);
	for (w = pool->worklist.next; w != &pool->worklist; w = w->next)
		if (w->pwq == pwq)
			more = true;
	if (more && uwq__need_to_create_worker(pool)) {
		pthread_mutex_lock(&mayday_lock);
		if (!pwq->on_mayday) {
			pwq->on_mayday = true;
			list_add_tail(&pwq->mayday_node, &r->mayday);
		}
		pthread_mutex_unlock(&mayday_lock);
	}
	uwq__kick_pool(pool);
}

static void *rescuer_thread(void *arg)
{
	struct uwq__rescuer *r = arg;
	char name[40];

	snprintf(name, sizeof(name), "uwq-R-%s", r->wq->name);
	name[15] = '\0';
	pthread_setname_np(pthread_self(), name);
	r->worker.tid = gettid();
	uwq__current_worker = &r->worker;
	if (setpriority(PRIO_PROCESS, (id_t)r->worker.tid, -20) != 0)
		(void)0;	/* best effort, as high-priority workers (pool.c warns once) */

	pthread_mutex_lock(&mayday_lock);
	for (;;) {
		struct uwq__pwq *pwq;

		if (list_empty(&r->mayday)) {
			int v;

			if (r->stop)
				break;
			v = atomic_load_sc(&r->wake);
			pthread_mutex_unlock(&mayday_lock);
			futex_wait(&r->wake, v);
			pthread_mutex_lock(&mayday_lock);
			continue;
		}
		pwq = container_of(r->mayday.next, struct uwq__pwq, mayday_node);
		list_del(&pwq->mayday_node);
		pwq->on_mayday = false;
		pthread_mutex_unlock(&mayday_lock);

		r->worker.pool = pwq->pool;
		pthread_mutex_lock(&pwq->pool->lock);
		rescue(r, pwq);
		pthread_mutex_unlock(&pwq->pool->lock);

		pthread_mutex_lock(&mayday_lock);
	}
	pthread_mutex_unlock(&mayday_lock);
	return NULL;
}

int uwq__rescuer_create(struct uwq_workqueue *wq)
{
	struct uwq__rescuer *r = uwq__zalloc(sizeof(*r));
	pthread_attr_t attr;
	sigset_t all;
	int err;

	if (!r)
		return -ENOMEM;
	r->wq = wq;
	r->worker.flags = WORKER_RESCUER | WORKER_PREP;
	r->worker.m_stat_fd = -1;
	r->worker.cpuclock = CLOCK_THREAD_CPUTIME_ID;
	wlist_init(&r->worker.scheduled);
	list_init(&r->worker.idle_node);
	list_init(&r->worker.all_node);
	list_init(&r->mayday);
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setsigmask_np(&attr, &all);
	err = uwq__thread_create(&r->thread, &attr, rescuer_thread, r);
	pthread_attr_destroy(&attr);
	if (err) {
		free(r);
		return -err;
	}
	wq->rescuer = r;
	return 0;
}

void uwq__rescuer_destroy(struct uwq_workqueue *wq)
{
	struct uwq__rescuer *r = wq->rescuer;

	if (!r)
		return;
	pthread_mutex_lock(&mayday_lock);
	r->stop = true;
	atomic_add_fetch(&r->wake, 1);
	futex_wake(&r->wake, 1);
	pthread_mutex_unlock(&mayday_lock);
	pthread_join(r->thread, NULL);
	free(r);
	wq->rescuer = NULL;
}

/* fork.c: the parent's rescuers and their lists are not the child's. */
void uwq__mayday_atfork_child(void)
{
	pthread_mutex_init(&mayday_lock, NULL);
}
