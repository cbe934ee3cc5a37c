/* SPDX-License-Identifier: MIT */
/*
 * uwq/export.h - the layout of the live statistics segment that
 * uwq_export_start() publishes and `uwq-top` reads.
 *
 * The segment is the POSIX shared memory object "/uwq.<pid>"
 * (/dev/shm/uwq.<pid>), mode 0600, owned by the process's user. It starts
 * with struct uwq_export_header; the arrays of pools, workqueues and lines
 * are at the header's offsets, each element `*_size` bytes (readers use
 * the sizes, so later versions may append fields). Version 1.
 *
 * Consistency is a seqlock: the writer makes `seq` odd, writes, then makes
 * it even again. A reader loads `seq` (acquire), retries while it is odd,
 * copies what it needs (with acquire loads, or plain copies followed by an
 * acquire fence) and loads `seq` again; the copy is consistent if both
 * loads are equal. The writer never waits for
 * readers, so a reader can never slow the process down.
 */
#ifndef UWQ_EXPORT_H
#define UWQ_EXPORT_H

#include <stdint.h>
#include <uwq/stats.h>

#define UWQ_EXPORT_MAGIC	0x65717775u	/* "uwqe", little-endian */
#define UWQ_EXPORT_VERSION	1u

struct uwq_export_header {
	uint32_t	magic;
	uint32_t	version;
	uint32_t	size;		/* bytes in the segment */
	uint32_t	seq;		/* seqlock: odd while being written */
	int32_t		pid;
	uint32_t	interval_ms;	/* refresh period */
	uint64_t	snapshot_ns;	/* CLOCK_MONOTONIC of the snapshot */
	uint64_t	snapshots;	/* snapshots written so far */
	uint32_t	nr_cpus;
	uint32_t	flags;		/* UWQ_EXPORT_TRUNCATED */
	uint32_t	nr_pools, max_pools, pool_size, pools_off;
	uint32_t	nr_wqs, max_wqs, wq_size, wqs_off;
	uint32_t	nr_lines, max_lines, line_size, lines_off;
};

#define UWQ_EXPORT_TRUNCATED	1u	/* more objects than room: some left out */

/*
 * A pool: its statistics, what a watcher should flag, and its CPU time:
 * cpu_ns is the CPU time its worker threads used while the segment was
 * published, read from their thread CPU clocks at each snapshot (time
 * spent waiting for a CPU or asleep is not in it). Appended after the
 * first release: a segment whose pool_size ends before it has none.
 */
struct uwq_export_pool {
	struct uwq_pool_stats	s;
	uint64_t		stall_ns;	/* work pending and no item started for this long */
	uint32_t		hogs;		/* workers running a CPU-intensive item now */
	uint32_t		blocked;	/* workers blocked inside an item now */
	uint64_t		cpu_ns;		/* CPU time of its worker threads */
};

struct uwq_export_wq {
	struct uwq_wq_stats	s;
};

struct uwq_export_line {
	struct uwq_irq_stats	s;
};

#endif /* UWQ_EXPORT_H */
