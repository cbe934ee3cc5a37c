/* SPDX-License-Identifier: MIT */
/*
 * trace_target: a fixed, known amount of work for tests/tools/trace_counts.sh,
 * which counts uwq's USDT probes with bpftrace. Waits for a line on stdin
 * (the tracer is attached by then), then:
 *  - queues N_PLAIN empty items on an unbound queue and N_BOUND on a
 *    per-CPU queue, and N_HINTED items that each make one hinted wait;
 *  - raises an eventfd line N_IRQ times, each after the previous thread
 *    run finished (so no two raises merge);
 * flushes, frees everything and prints the counts it expects, one
 * "name count" per line, for the script to compare.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <uwq/irq.h>
#include <uwq/workqueue.h>

#define N_PLAIN		1000
#define N_BOUND		500
#define N_HINTED	10
#define N_IRQ		20

static atomic_int thread_runs;

static void empty_fn(struct uwq_work *w)
{
	(void)w;
}

static void hinted_fn(struct uwq_work *w)
{
	struct timespec ts = { 0, 200000 };

	(void)w;
	uwq_blocking_begin();
	nanosleep(&ts, NULL);
	uwq_blocking_end();
}

static uwq_irqreturn_t primary(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return UWQ_IRQ_WAKE_THREAD;
}

static uwq_irqreturn_t thread_fn(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&thread_runs, 1);
	return UWQ_IRQ_HANDLED;
}

int main(void)
{
	static struct uwq_work plain[N_PLAIN], bound[N_BOUND], hinted[N_HINTED];
	struct uwq_workqueue *uq = uwq_alloc_workqueue("trace_unbound", UWQ_UNBOUND, 0);
	struct uwq_workqueue *bq = uwq_alloc_workqueue("trace_bound", 0, 0);
	char line[16];
	int irq;

	if (!uq || !bq)
		return 1;
	irq = uwq_irq_create_eventfd();
	if (irq < 0 || uwq_request_threaded_irq(irq, primary, thread_fn, 0, "trace_line", &irq) != 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (int i = 0; i < N_PLAIN; i++) {
		uwq_work_init(&plain[i], empty_fn);
		uwq_queue_work(uq, &plain[i]);
	}
	for (int i = 0; i < N_BOUND; i++) {
		uwq_work_init(&bound[i], empty_fn);
		uwq_queue_work(bq, &bound[i]);
	}
	for (int i = 0; i < N_HINTED; i++) {
		uwq_work_init(&hinted[i], hinted_fn);
		uwq_queue_work(uq, &hinted[i]);
	}
	for (int i = 0; i < N_IRQ; i++) {
		uwq_irq_raise(irq);
		while (atomic_load(&thread_runs) != i + 1) {
			struct timespec ts = { 0, 100000 };

			nanosleep(&ts, NULL);
		}
	}
	uwq_flush_workqueue(uq);
	uwq_flush_workqueue(bq);
	uwq_free_irq(irq, &irq);
	uwq_irq_destroy(irq);
	uwq_destroy_workqueue(uq);
	uwq_destroy_workqueue(bq);
	uwq_shutdown();
	printf("workqueue_queue_work %d\n", N_PLAIN + N_BOUND + N_HINTED);
	printf("workqueue_activate_work %d\n", N_PLAIN + N_BOUND + N_HINTED);
	printf("workqueue_execute_start %d\n", N_PLAIN + N_BOUND + N_HINTED);
	printf("workqueue_execute_end %d\n", N_PLAIN + N_BOUND + N_HINTED);
	printf("execute_start_unbound %d\n", N_PLAIN + N_HINTED);
	printf("worker_sleeping_hinted %d\n", N_HINTED);
	printf("worker_waking_hinted %d\n", N_HINTED);
	printf("irq_handler_entry %d\n", N_IRQ);
	printf("irq_handler_exit %d\n", N_IRQ);
	printf("irq_thread_wake %d\n", N_IRQ);
	printf("irq_thread_run %d\n", N_IRQ);
	printf("irq_thread_exit %d\n", N_IRQ);
	return 0;
}
