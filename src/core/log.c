/* SPDX-License-Identifier: MIT */
/*
 * log.c - uwq's reports: one line on stderr per event, "uwq: " first.
 *
 * DESIGN: reports are for humans and for tests that count them, so each is
 * written with a single write(2) (lines from several threads never
 * interleave) and names work functions by symbol (dladdr, in libc since
 * glibc 2.34, so no libdl dependency).
 * CONCURRENCY: none; callers may hold pool locks (write(2) never takes one).
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal/log.h"

void uwq__log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	memcpy(buf, "uwq: ", 5);
	va_start(ap, fmt);
	n = vsnprintf(buf + 5, sizeof(buf) - 6, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += 5;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	while (n > 0) {
		ssize_t r = write(STDERR_FILENO, buf, (size_t)n);

		if (r <= 0)
			break;
		n -= (int)r;
	}
}

const char *uwq__fn_name(const void *fn, char *buf, size_t len)
{
	Dl_info info;
	void *addr;

	/* A function pointer and a data pointer have the same size on every
	 * Linux ABI; memcpy keeps -pedantic quiet about the conversion. */
	memcpy(&addr, &fn, sizeof(addr));
	if (addr && dladdr(addr, &info) && info.dli_sname && info.dli_saddr == addr)
		snprintf(buf, len, "%s", info.dli_sname);
	else if (addr && dladdr(addr, &info) && info.dli_fname)
		snprintf(buf, len, "%p (%s+%#lx)", addr, strrchr(info.dli_fname, '/') ?
			 strrchr(info.dli_fname, '/') + 1 : info.dli_fname,
			 (unsigned long)((char *)addr - (char *)info.dli_fbase));
	else
		snprintf(buf, len, "%p", addr);
	return buf;
}
