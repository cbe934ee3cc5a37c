/* SPDX-License-Identifier: MIT */
/*
 * uwq serves the process's CPUs whichever thread touches it first
 * (workqueue.h, "Which CPUs uwq serves"): a thread pinned to one CPU makes
 * the first uwq call, as an interrupt thread may. Still every CPU of the
 * process gets a bound pool, an unbound queue of scope system runs its
 * items on a worker allowed on all of them, and the service threads the
 * pinned thread caused to start (the timer, a rescuer, the monitor if it
 * runs) are not pinned either. Once, such a first caller left a program
 * with a one-CPU unbound pool.
 */
#include <uwq/workqueue.h>

#include "util.h"

static cpu_set_t process_cpus;
static int pinned_cpu;
static struct uwq_workqueue *wq;
static struct uwq_work item;
static struct uwq_delayed_work later;
static cpu_set_t item_cpus;	/* written by item_fn before item_ran */
static atomic_int item_ran, later_ran;

static void item_fn(struct uwq_work *w)
{
	(void)w;
	if (sched_getaffinity(0, sizeof(item_cpus), &item_cpus) != 0)
		CPU_ZERO(&item_cpus);
	atomic_store(&item_ran, 1);	/* seq-cst: publishes item_cpus */
}

static void later_fn(struct uwq_work *w)
{
	(void)w;
	atomic_store(&later_ran, 1);
}

/* Pins itself to one CPU, then makes the process's first uwq calls. */
static void *pinned_first_user(void *arg)
{
	struct uwq_workqueue_attrs *attrs;
	cpu_set_t one;
	int err;

	(void)arg;
	CPU_ZERO(&one);
	CPU_SET(pinned_cpu, &one);
	err = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	CHECK(err == 0, "pinning to CPU %d: %s", pinned_cpu, strerror(err));
	wq = uwq_alloc_workqueue("pinned_first", UWQ_UNBOUND | UWQ_MEM_RECLAIM, 0);
	CHECK(wq, "uwq_alloc_workqueue: %s", strerror(errno));
	attrs = uwq_alloc_workqueue_attrs();
	CHECK(attrs, "uwq_alloc_workqueue_attrs: %s", strerror(errno));
	attrs->affn_scope = UWQ_AFFN_SYSTEM;
	err = uwq_apply_workqueue_attrs(wq, attrs);
	CHECK(err == 0, "uwq_apply_workqueue_attrs: %d", err);
	uwq_free_workqueue_attrs(attrs);
	uwq_work_init(&item, item_fn);
	CHECK(uwq_queue_work(wq, &item), "queue_work");
	uwq_delayed_work_init(&later, later_fn);
	CHECK(uwq_queue_delayed_work(uwq_system_wq, &later, NSEC_PER_MSEC), "queue_delayed_work");
	return NULL;
}

static void list_cpus(const cpu_set_t *set, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && n + 8 < len; c++)
		if (CPU_ISSET(c, set))
			n += (size_t)snprintf(buf + n, len - n, "%s%d", n ? "," : "", c);
}

/* Every "uwq-" service thread except the dispatcher (pinned by design) runs on @want. */
static int check_service_threads(const cpu_set_t *want)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	char comm[64], got[256], exp[256];
	int seen = 0;

	CHECK(d, "opendir /proc/self/task: %s", strerror(errno));
	list_cpus(want, exp, sizeof(exp));
	while ((de = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atoi(de->d_name);
		cpu_set_t set;

		if (tid <= 0 || !task_comm(tid, comm, sizeof(comm)))
			continue;
		if (strncmp(comm, "uwq-", 4) != 0 || strcmp(comm, "uwq-irqd") == 0)
			continue;
		CHECK(sched_getaffinity(tid, sizeof(set), &set) == 0, "sched_getaffinity(%s): %s", comm,
		      strerror(errno));
		list_cpus(&set, got, sizeof(got));
		CHECK(CPU_EQUAL(&set, want), "%s runs on CPUs {%s}, the process's are {%s}", comm, got, exp);
		seen++;
	}
	closedir(d);
	return seen;
}

int main(void)
{
	struct uwq_workqueue_attrs bound;
	char got[256], exp[256];
	int cpus[CPU_SETSIZE], n;

	unsetenv("UWQ_SYSFS_ROOT");	/* the real CPUs, not a fake tree's */
	n = affinity_cpus(cpus, CPU_SETSIZE);
	if (n < 2)
		SKIP("the process may run on %d CPU: pinning one thread would not narrow it", n);
	CHECK(sched_getaffinity(0, sizeof(process_cpus), &process_cpus) == 0, "sched_getaffinity");
	list_cpus(&process_cpus, exp, sizeof(exp));
	pinned_cpu = cpus[0];

	PHASE("first use from a pinned thread");
	join_thread(start_thread(pinned_first_user, NULL));
	WAIT_UNTIL(atomic_load(&item_ran) && atomic_load(&later_ran), "item ran %d, delayed item ran %d",
		   atomic_load(&item_ran), atomic_load(&later_ran));

	PHASE("bound pools");
	CHECK(uwq_workqueue_get_attrs(uwq_system_wq, &bound) == 0, "get_attrs");
	list_cpus(&bound.cpumask, got, sizeof(got));
	CHECK(CPU_EQUAL(&bound.cpumask, &process_cpus),
	      "uwq serves CPUs {%s}; the process's are {%s} (the first caller was pinned to %d)", got, exp,
	      pinned_cpu);
	for (int i = 0; i < n; i++) {
		cpu_set_t pod;

		CHECK(uwq_workqueue_cpu_pod(uwq_system_wq, cpus[i], &pod) == 0, "no bound pool for CPU %d",
		      cpus[i]);
	}

	PHASE("unbound worker");
	list_cpus(&item_cpus, got, sizeof(got));
	CHECK(CPU_EQUAL(&item_cpus, &process_cpus), "the unbound item ran on a worker allowed CPUs {%s}, want {%s}",
	      got, exp);

	PHASE("service threads");
	/* The timer fired, so it named itself; the rescuer names itself too. */
	WAIT_UNTIL(count_tasks_named("uwq-timer") == 1 && count_tasks_named("uwq-R-pinned_fi") == 1,
		   "uwq-timer threads: %d, uwq-R-pinned_fi threads: %d", count_tasks_named("uwq-timer"),
		   count_tasks_named("uwq-R-pinned_fi"));
	CHECK(check_service_threads(&process_cpus) >= 2, "the timer and the rescuer were not checked");

	uwq_destroy_workqueue(wq);
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}
