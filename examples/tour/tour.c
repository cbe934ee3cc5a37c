/* SPDX-License-Identifier: MIT */
/*
 * tour - a walk through the workqueue API (`make demo`).
 *
 * 1. The system workqueues, with no set-up: one item on each.
 * 2. An ordered queue fed by three threads: one item at a time, in order.
 * 3. Items that block (with the hint) on a bound queue: the pool lets
 *    others run meanwhile instead of stalling.
 * 4. Delayed work: a delay, mod_delayed_work to pull it in, cancellation.
 * 5. uwq_dump(): pools and queues as the library sees them.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <uwq.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t t0;

static double ms(void)
{
	return (double)(now_ns() - t0) / 1e6;
}

/* 1. system workqueues */
struct hello {
	struct uwq_work work;
	const char *wq;
};

static void hello_fn(struct uwq_work *w)
{
	struct hello *h = uwq_container_of(w, struct hello, work);
	char name[16] = "";

	pthread_getname_np(pthread_self(), name, sizeof(name));
	printf("  %7.2f ms  hello from %-18s on thread %s\n", ms(), h->wq, name);
}

/* 2. ordered queue */
#define PER_THREAD 5
struct step {
	struct uwq_work work;
	int thread, seq;
};
static struct step steps[3][PER_THREAD];
static int order[3 * PER_THREAD];
static atomic_int nr_done;

static void step_fn(struct uwq_work *w)
{
	struct step *s = uwq_container_of(w, struct step, work);

	order[atomic_fetch_add(&nr_done, 1)] = s->thread * 100 + s->seq;
}

static struct uwq_workqueue *ordered;

static void *submitter(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (int i = 0; i < PER_THREAD; i++) {
		steps[t][i].thread = t;
		steps[t][i].seq = i;
		uwq_work_init(&steps[t][i].work, step_fn);
		uwq_queue_work(ordered, &steps[t][i].work);
	}
	return NULL;
}

/* 3. blocking items */
struct napper {
	struct uwq_work work;
	int id;
};

static void nap_fn(struct uwq_work *w)
{
	struct napper *n = uwq_container_of(w, struct napper, work);
	struct timespec ts = { 0, 20 * 1000000 };

	printf("  %7.2f ms  napper %d starts (20 ms sleep, hinted)\n", ms(), n->id);
	uwq_blocking_begin();
	nanosleep(&ts, NULL);
	uwq_blocking_end();
}

/* 4. delayed work */
static uint64_t armed_at;
static void late_fn(struct uwq_work *w)
{
	(void)w;
	printf("  %7.2f ms  delayed item ran %.1f ms after it was armed\n", ms(),
	       (double)(now_ns() - armed_at) / 1e6);
}

static void never_fn(struct uwq_work *w)
{
	(void)w;
	printf("  this line never prints: the item was cancelled\n");
}

int main(void)
{
	static struct hello hellos[5];
	static struct napper nappers[4];
	struct uwq_delayed_work late, never;
	struct uwq_workqueue *const wqs[5] = { uwq_system_wq, uwq_system_highpri_wq, uwq_system_long_wq,
					       uwq_system_unbound_wq, uwq_system_freezable_wq };
	const char *names[5] = { "events", "events_highpri", "events_long", "events_unbound", "events_freezable" };
	pthread_t th[3];
	uint64_t start;
	bool ok = true;

	t0 = now_ns();
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("1. the system workqueues, no set-up:\n");
	for (int i = 0; i < 5; i++) {
		hellos[i].wq = names[i];
		uwq_work_init(&hellos[i].work, hello_fn);
		uwq_queue_work(wqs[i], &hellos[i].work);
	}
	for (int i = 0; i < 5; i++)
		uwq_flush_work(&hellos[i].work);

	printf("2. an ordered queue fed by 3 threads (%d items each):\n", PER_THREAD);
	ordered = uwq_alloc_ordered_workqueue("tour_ordered", 0);
	for (int t = 0; t < 3; t++)
		pthread_create(&th[t], NULL, submitter, (void *)(intptr_t)t);
	for (int t = 0; t < 3; t++)
		pthread_join(th[t], NULL);
	uwq_flush_workqueue(ordered);
	printf("  ran:");
	for (int i = 0; i < 3 * PER_THREAD; i++)
		printf(" %d.%d", order[i] / 100, order[i] % 100);
	for (int t = 0; t < 3; t++) {
		int last = -1;

		for (int i = 0; i < 3 * PER_THREAD; i++)
			if (order[i] / 100 == t) {
				ok &= order[i] % 100 == last + 1;
				last = order[i] % 100;
			}
	}
	printf("\n  each thread's items in its own order: %s\n", ok ? "yes" : "NO");
	uwq_destroy_workqueue(ordered);

	printf("3. four items that each sleep 20 ms, all queued on one CPU's pool:\n");
	start = now_ns();
	for (int i = 0; i < 4; i++) {
		nappers[i].id = i;
		uwq_work_init(&nappers[i].work, nap_fn);
		uwq_queue_work_on(0, uwq_system_wq, &nappers[i].work);
	}
	for (int i = 0; i < 4; i++)
		uwq_flush_work(&nappers[i].work);
	printf("  all four done after %.1f ms (one thread would need 80 ms)\n", (double)(now_ns() - start) / 1e6);

	printf("4. delayed work:\n");
	uwq_delayed_work_init(&late, late_fn);
	uwq_delayed_work_init(&never, never_fn);
	armed_at = now_ns();
	uwq_queue_delayed_work(uwq_system_wq, &late, 5000ull * 1000000);
	printf("  armed for 5 s; mod_delayed_work to 30 ms returns %s (it was pending)\n",
	       uwq_mod_delayed_work(uwq_system_wq, &late, 30ull * 1000000) ? "true" : "false");
	uwq_queue_delayed_work(uwq_system_wq, &never, 50ull * 1000000);
	printf("  second item armed for 50 ms; cancel returns %s\n",
	       uwq_cancel_delayed_work_sync(&never) ? "true" : "false");
	while (uwq_work_busy(&late.work))
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	uwq_flush_delayed_work(&late);

	printf("5. uwq_dump():\n");
	uwq_dump(stdout);
	return uwq_shutdown() == 0 && ok ? 0 : 1;
}
