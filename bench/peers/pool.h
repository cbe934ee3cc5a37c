/* SPDX-License-Identifier: MIT */
/*
 * pool.h - the one interface every pool in the peer comparison sits
 * behind. bench/peer_bench.c drives it; bench/peers/<pool>.c implement it.
 *
 * The harness owns the tasks: one array, allocated and touched before the
 * clock starts, each slot a struct bench_task followed by task_priv bytes
 * that belong to the adapter (its work item: a struct uwq_work, a uv_work_t,
 * a list link). Pools whose API allocates per submission (GLib, oneTBB,
 * OpenMP) do so; the others never allocate. The adapter's worker calls
 * bench_task_run(), which runs the task and counts it done: completion is
 * the harness's own counter, the same for every pool.
 */
#ifndef BENCH_POOL_H
#define BENCH_POOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bench_task {
	void		(*fn)(struct bench_task *t);	/* the scenario's body */
	uint64_t	t_submit;	/* CLOCK_MONOTONIC ns, stamped before submit */
	uint64_t	t_start;	/* stamped by fn, when it measures latency */
	uint32_t	idx;
	uint32_t	arg;
	int32_t		tid;		/* S6: the thread that ran it (tail timelines) */
	uint32_t	pad;
	/* the adapter's task_priv bytes follow, 8-byte aligned */
};

/* The adapter's bytes in @t, and back. */
static inline void *bench_task_priv(struct bench_task *t)
{
	return t + 1;
}

static inline struct bench_task *bench_task_of(void *priv)
{
	return (struct bench_task *)priv - 1;
}

/* Run @t and count it done. Called by the adapter's worker, once per submit. */
void bench_task_run(struct bench_task *t);

#define BENCH_POOL_HINTED	(1u << 0)	/* block_begin/block_end do something */

struct bench_pool_ops {
	const char	*name;		/* variant, as given on the command line */
	const char	*about;		/* its configuration, one line for the report */
	size_t		task_priv;	/* bytes the adapter uses after each task */
	unsigned	flags;
	/* Start the pool with @nthreads workers (a variant may ignore it and say
	 * so in @about). Return 0 or -errno. */
	int		(*init)(int nthreads);
	/* Queue @t; from any thread the harness submits from, including from a
	 * running task. Return 0 or -errno. */
	int		(*submit)(struct bench_task *t);
	/* Optional: run @nsub submitting drivers concurrently, in contexts from
	 * which submit() is legal, and return when they have returned (OpenMP:
	 * inside a parallel region, whose end also waits for every task). NULL:
	 * driver 0 in the calling thread, the others in new threads. */
	void		(*run)(int nsub, void (*driver)(int idx, void *arg), void *arg);
	/* Optional: anything the pool needs after the harness saw every task
	 * done (none of the adapters needs it today). */
	void		(*wait_all)(void);
	void		(*shutdown)(void);
	/* Optional: a task is about to block / stopped blocking. */
	void		(*block_begin)(void);
	void		(*block_end)(void);
	/* The library's version, for the report. */
	const char	*(*version)(void);
};

/* Each adapter file defines this, NULL-terminated: its variants. */
extern const struct bench_pool_ops *const bench_pools[];

#ifdef __cplusplus
}
#endif

#endif /* BENCH_POOL_H */
