/* SPDX-License-Identifier: MIT */
/*
 * symbols.h - names for functions dladdr() cannot name: the ELF symbol
 * table (.symtab) of the object they live in (core/symbols.c).
 */
#ifndef UWQ_INTERNAL_SYMBOLS_H
#define UWQ_INTERNAL_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uwq__symtab_func {
	uintptr_t	start;	/* st_value: an address as linked, before the load bias */
	uintptr_t	size;	/* st_size; 0 names @start alone */
	uint32_t	name;	/* offset in strtab, < strsz */
};

/* One object's STT_FUNC symbols. */
struct uwq__symtab {
	size_t			nfuncs;
	struct uwq__symtab_func	*funcs;
	char			*strtab;	/* strsz bytes and a NUL */
	size_t			strsz;
};

/*
 * Read the defined STT_FUNC symbols of the ELF file open at @fd, @fsize
 * bytes long, into @t (malloc'd; uwq__symtab_free() releases them). Every
 * offset and size from the file is checked against @fsize first.
 * Return: the number of symbols read; 0 for a file without a usable
 * .symtab (stripped, not ELF of this machine's class, malformed, or out
 * of memory), @t then empty.
 */
size_t uwq__symtab_load(int fd, uint64_t fsize, struct uwq__symtab *t);
void uwq__symtab_free(struct uwq__symtab *t);

/*
 * Write "name" or "name+0xoff" for the function holding @addr (a run-time
 * address; @bias is its object's load bias) into @buf.
 * Return: true if a symbol of @t holds @addr.
 */
bool uwq__symtab_find(const struct uwq__symtab *t, uintptr_t bias, uintptr_t addr, char *buf,
		      size_t len);

/*
 * The same for @addr in whichever loaded object maps it, through a
 * per-object cache; safe from any thread, and in a fork()ed child.
 * Return: 1 named; 0 not named (unmapped, unreadable, no symbol holds
 * it); -1 the object has no symbol table (reported once per object).
 */
int uwq__symtab_name(const void *addr, char *buf, size_t len);

#endif
