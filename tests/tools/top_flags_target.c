/* SPDX-License-Identifier: MIT */
/*
 * top_flags_target - a process for uwq-top to flag (top_flags.sh; uwq/export.h,
 * the live export). Its pools may have 2 workers each. On one CPU's
 * pool, a CPU-intensive queue runs two items that hold their workers until
 * stdin reaches end of file, and a third item waits behind them: the pool
 * has 2 hogs at once and, a second later, a stall (work pending, no item
 * started). The export is started with uwq_export_start(100), not the
 * environment. Then everything ends normally: exit 0, segment removed.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uwq.h>

static atomic_int stop;

static void hold(struct uwq_work *w)
{
	(void)w;
	while (!atomic_load(&stop)) {
		struct timespec ts = { 0, 10 * 1000000 };

		nanosleep(&ts, NULL);
	}
}

static void quick(struct uwq_work *w)
{
	(void)w;
}

int main(void)
{
	static struct uwq_work w[3];
	struct uwq_config cfg;
	struct uwq_workqueue *wq;
	cpu_set_t set;
	int cpu = 0, err;
	char c;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		while (cpu < CPU_SETSIZE - 1 && !CPU_ISSET(cpu, &set))
			cpu++;
	uwq_config_defaults(&cfg);
	cfg.max_workers = 2;
	err = uwq_configure(&cfg);
	wq = uwq_alloc_workqueue("hog", UWQ_CPU_INTENSIVE, 0);
	if (err || !wq) {
		fprintf(stderr, "top_flags_target: set-up failed (%d)\n", err);
		return 1;
	}
	uwq_work_init(&w[0], hold);
	uwq_work_init(&w[1], hold);
	uwq_work_init(&w[2], quick);
	for (int i = 0; i < 3; i++)
		uwq_queue_work_on(cpu, wq, &w[i]);
	err = uwq_export_start(100);
	if (err) {
		fprintf(stderr, "top_flags_target: uwq_export_start: %s\n", strerror(-err));
		return 1;
	}
	printf("top_flags_target: holding cpu %d's pool\n", cpu);
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	atomic_store(&stop, 1);
	uwq_flush_workqueue(wq);
	uwq_destroy_workqueue(wq);
	return uwq_shutdown() ? 1 : 0;
}
