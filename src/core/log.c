/* SPDX-License-Identifier: MIT */
/*
 * log.c - uwq's reports: one line on stderr per event, "uwq: " first.
 *
 * DESIGN: reports are for humans and for tests that count them, so each is
 * written with a single write(2) (lines from several threads never
 * interleave) and names work functions by symbol. uwq__fn_name() asks, in
 * order:
 *  1. dladdr() (in libc since glibc 2.34, so no libdl dependency): an
 *     exported function by its bare name, "cm_hog_fn". A program's own
 *     functions are exported only when it is linked with -rdynamic (CMake:
 *     ENABLE_EXPORTS), and static ones never are;
 *  2. the object's ELF symbol table (symbols.c): any function, static ones
 *     included, with the object it lives in, since static names need not
 *     be unique: "frame_done (myprog)", "frame_done+0x1c (libfoo.so.1)";
 *  3. the address, and the object with the offset in it, "0x563e9dabf2f0
 *     (myprog+0x32f0)", when the object is stripped (built with -s or run
 *     through strip(1)). A line once per such object says so: build it
 *     without -s and do not strip it to see names, or turn the offset into
 *     a name with `addr2line -f -e <unstripped copy> 0x32f0`.
 * CONCURRENCY: none here; symbols.c publishes its cache without a lock.
 * Callers may hold pool locks: neither write(2) nor a lookup takes one of
 * uwq's.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal/log.h"
#include "internal/symbols.h"

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
	char name[UWQ_FN_NAME_LEN];
	const char *obj;
	Dl_info info;
	void *addr;

	/* A function pointer and a data pointer have the same size on every
	 * Linux ABI; memcpy keeps -pedantic quiet about the conversion. */
	memcpy(&addr, &fn, sizeof(addr));
	if (!addr || !dladdr(addr, &info) || !info.dli_fname) {
		snprintf(buf, len, "%p", addr);
		return buf;
	}
	if (info.dli_sname && info.dli_saddr == addr) {
		snprintf(buf, len, "%s", info.dli_sname);
		return buf;
	}
	obj = strrchr(info.dli_fname, '/') ? strrchr(info.dli_fname, '/') + 1 : info.dli_fname;
	if (uwq__symtab_name(addr, name, sizeof(name)) == 1)
		snprintf(buf, len, "%s (%s)", name, obj);
	else
		snprintf(buf, len, "%p (%s+%#lx)", addr, obj,
			 (unsigned long)((char *)addr - (char *)info.dli_fbase));
	return buf;
}
