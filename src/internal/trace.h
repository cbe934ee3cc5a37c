/* SPDX-License-Identifier: MIT */
/*
 * trace.h - USDT tracepoints (provider "uwq"), named after the kernel's
 * workqueue and irq tracepoints where one exists.
 *
 * A probe compiles to one `nop` plus a note in .note.stapsdt that perf,
 * bpftrace and systemtap read; its arguments are computed only where
 * they are already in registers, and nothing runs unless a tracer
 * attaches (it then replaces the nop with a breakpoint). Built when
 * <sys/sdt.h> (Debian: systemtap-sdt-dev) is found and UWQ_TRACEPOINTS is
 * ON (the default); otherwise every probe is empty. docs/tracing.md lists
 * the probes and their arguments; the bpftrace scripts of tools/ use them.
 */
#ifndef UWQ_INTERNAL_TRACE_H
#define UWQ_INTERNAL_TRACE_H

#ifdef UWQ_HAVE_SDT
#include <sys/sdt.h>
#define UWQ_TRACE1(name, a)			DTRACE_PROBE1(uwq, name, a)
#define UWQ_TRACE2(name, a, b)			DTRACE_PROBE2(uwq, name, a, b)
#define UWQ_TRACE3(name, a, b, c)		DTRACE_PROBE3(uwq, name, a, b, c)
#define UWQ_TRACE4(name, a, b, c, d)		DTRACE_PROBE4(uwq, name, a, b, c, d)
#define UWQ_TRACE5(name, a, b, c, d, e)		DTRACE_PROBE5(uwq, name, a, b, c, d, e)
#else
#define UWQ_TRACE1(name, a)			((void)0)
#define UWQ_TRACE2(name, a, b)			((void)0)
#define UWQ_TRACE3(name, a, b, c)		((void)0)
#define UWQ_TRACE4(name, a, b, c, d)		((void)0)
#define UWQ_TRACE5(name, a, b, c, d, e)		((void)0)
#endif

#endif
