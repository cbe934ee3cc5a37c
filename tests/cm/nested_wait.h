/* SPDX-License-Identifier: MIT */
/*
 * nested_wait.h - the body shared by nested_wait_hinted.c and
 * nested_wait_unhinted.c, which define HINTED (1 or 0) before including it.
 */
#include <semaphore.h>
#include <uwq/workqueue.h>

#include "util.h"

#define NPARENTS	8
#define MAX_CPUS	1024

struct parent;

struct child {
	struct uwq_work	w;
	struct parent	*parent;
	atomic_int	runs;
	atomic_int	cpu;
};

struct parent {
	struct uwq_work	w;
	struct child	child;
	sem_t		done_sem;	/* the child posts it */
	atomic_int	runs;
	atomic_int	cpu;
	atomic_int	stage;		/* 1 started, 2 met, 3 child queued, 4 child seen */
};

static struct parent parents[NPARENTS];
static sem_t meet_sem;			/* the last parent to arrive posts it NPARENTS times */
static atomic_int arrived, parents_done, children_done;

static void wait_sem(sem_t *s)
{
	if (HINTED)
		uwq_blocking_begin();
	while (sem_wait(s) != 0)
		CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
	if (HINTED)
		uwq_blocking_end();
}

static void child_fn(struct uwq_work *w)
{
	struct child *c = container_of(w, struct child, w);

	atomic_store(&c->cpu, sched_getcpu());
	atomic_fetch_add(&c->runs, 1);
	atomic_fetch_add(&children_done, 1);
	CHECK(sem_post(&c->parent->done_sem) == 0, "sem_post: %s", strerror(errno));
}

static void parent_fn(struct uwq_work *w)
{
	struct parent *p = container_of(w, struct parent, w);

	atomic_store(&p->cpu, sched_getcpu());
	atomic_fetch_add(&p->runs, 1);
	atomic_store(&p->stage, 1);
	/* Rendezvous: every parent is blocked here before any goes on. */
	if (atomic_fetch_add(&arrived, 1) + 1 == NPARENTS)
		for (int i = 0; i < NPARENTS; i++)
			CHECK(sem_post(&meet_sem) == 0, "sem_post: %s", strerror(errno));
	wait_sem(&meet_sem);
	atomic_store(&p->stage, 2);
	/* Bound queue: the child goes to this worker's CPU's pool. */
	CHECK(uwq_queue_work(uwq_system_wq, &p->child.w), "queueing a child failed");
	atomic_store(&p->stage, 3);
	wait_sem(&p->done_sem);
	atomic_store(&p->stage, 4);
	atomic_fetch_add(&parents_done, 1);
}

static void stages(char *buf, size_t len)
{
	size_t off = 0;

	for (int i = 0; i < NPARENTS && off + 8 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%d:%d/%d ", i,
					atomic_load(&parents[i].stage),
					atomic_load(&parents[i].child.runs));
}

static void run(const char *what, const int *cpus, int ncpus)
{
	char st[256];

	PHASE(what);
	atomic_store(&arrived, 0);
	atomic_store(&parents_done, 0);
	atomic_store(&children_done, 0);
	CHECK(sem_init(&meet_sem, 0, 0) == 0, "sem_init: %s", strerror(errno));
	for (int i = 0; i < NPARENTS; i++) {
		struct parent *p = &parents[i];

		uwq_work_init(&p->w, parent_fn);
		uwq_work_init(&p->child.w, child_fn);
		p->child.parent = p;
		atomic_store(&p->runs, 0);
		atomic_store(&p->cpu, -1);
		atomic_store(&p->stage, 0);
		atomic_store(&p->child.runs, 0);
		atomic_store(&p->child.cpu, -1);
		CHECK(sem_init(&p->done_sem, 0, 0) == 0, "sem_init: %s", strerror(errno));
	}
	for (int i = 0; i < NPARENTS; i++)
		CHECK(uwq_queue_work_on(cpus[i % ncpus], uwq_system_wq, &parents[i].w),
		      "%s: queueing parent %d failed", what, i);

	WAIT_UNTIL(atomic_load(&parents_done) == NPARENTS &&
		   atomic_load(&children_done) == NPARENTS,
		   "%s: %d parents arrived, %d parents and %d children done (hints: %d); "
		   "parent:stage/child runs = %s", what, atomic_load(&arrived),
		   atomic_load(&parents_done), atomic_load(&children_done), HINTED,
		   (stages(st, sizeof(st)), st));
	CHECK(uwq_flush_workqueue(uwq_system_wq) == 0, "flush_workqueue failed");

	for (int i = 0; i < NPARENTS; i++) {
		struct parent *p = &parents[i];
		int want = cpus[i % ncpus];

		CHECK(atomic_load(&p->runs) == 1, "%s: parent %d ran %d times", what, i,
		      atomic_load(&p->runs));
		CHECK(atomic_load(&p->child.runs) == 1, "%s: child %d ran %d times", what, i,
		      atomic_load(&p->child.runs));
		CHECK(atomic_load(&p->cpu) == want, "%s: parent %d queued for CPU %d ran on CPU %d",
		      what, i, want, atomic_load(&p->cpu));
		CHECK(atomic_load(&p->child.cpu) == want,
		      "%s: child %d (parent on CPU %d) ran on CPU %d", what, i, want,
		      atomic_load(&p->child.cpu));
		sem_destroy(&p->done_sem);
	}
	sem_destroy(&meet_sem);
	NOTE("%s: all %d parents and children done; %d uwq/ threads", what, NPARENTS,
	     count_tasks_named("uwq/"));
}

int main(void)
{
	static int cpus[MAX_CPUS];
	int n = limit_cpus(2, cpus, MAX_CPUS);	/* two CPUs at most */

	run("all parents on one CPU", cpus, 1);
	run("parents spread over the CPUs", cpus, n);

	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
