/* SPDX-License-Identifier: MIT */
/*
 * log.h - one-line reports on stderr, each starting "uwq: ".
 */
#ifndef UWQ_INTERNAL_LOG_H
#define UWQ_INTERNAL_LOG_H

#include <stddef.h>

/* Write one line "uwq: <message>\n" with a single write(2). */
void uwq__log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The name of @fn: exported (dladdr), else from its object's symbol table
 * with the object, else its address and offset; written into @buf. */
const char *uwq__fn_name(const void *fn, char *buf, size_t len);

#define UWQ_FN_NAME_LEN 96

#endif
