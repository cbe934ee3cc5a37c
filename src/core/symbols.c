/* SPDX-License-Identifier: MIT */
/*
 * symbols.c - names of static functions for reports, from the ELF symbol
 * table (.symtab) of the object they live in.
 *
 * DESIGN: dladdr() searches the dynamic symbol table only: the exported
 * functions of shared objects, and those of the program when it is linked
 * with -rdynamic. Static functions are never there; a report naming the
 * work function `bad` of a static callback showed "0x563e9dabf2f0
 * (prog+0x32f0)". Their names are in .symtab, which the linker keeps
 * unless told to strip (-s, strip(1), install -s) but the loader never
 * maps. So the file is opened again (/proc/self/exe for the program: the
 * mapped inode even if the path was replaced or argv[0] was relative; the
 * loader's path for a shared object), its section headers read with
 * pread() into malloc'd buffers, and its defined STT_FUNC symbols kept. An
 * address is named by the innermost symbol whose [st_value, st_value +
 * st_size) holds it once the load bias (link_map l_addr: 0 for ET_EXEC,
 * the load address for ET_DYN, PIE included) is taken off. Every offset
 * and size read from the file is checked against the file's size before it
 * is used: a truncated or malformed file yields no names, never a crash.
 * A lookup scans the table linearly rather than sorting it: reports are
 * rare. Measured (warm page cache): libuwq, 276 functions, 0.1-0.2 ms to
 * read once, 0.3 us a lookup; a 100 MB library of 106k functions
 * (librustc_driver), 100 ms to read once, 200 us a lookup.
 *
 * A stripped object has no .symtab: reports then name its static
 * functions by address and offset in the object, and one line, once per
 * object, says why and what to do: build and install without -s / strip
 * (or keep an unstripped copy and run `addr2line -f -e <copy> <offset>`).
 *
 * Cache. An object's table is read once: slots[] holds up to NSLOTS of
 * them, keyed by the file's device, inode, size and mtime and by the load
 * bias, so an object replaced on disk, or unloaded and another loaded at
 * its address, is read afresh. The file is opened and fstat()ed on every
 * lookup to find the key (reports are rare). With every slot taken a table
 * is read, used once and freed.
 *
 * CONCURRENCY: no lock. A lookup that misses builds a table privately and
 * publishes it with a CAS into the first empty slot (seq-cst; its partner
 * is the acquire load in lookup(), which sees the table's contents
 * written). Slots fill in order and are never emptied, so two threads
 * publishing the same key meet at the same slot; the loser frees its copy.
 * Without a lock a report in a fork()ed child can never wait for a lock
 * another thread of its parent held. Tables live until exit. Callers may
 * hold pool locks: this takes none of uwq's; its one call out is
 * uwq__log().
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal/atomic.h"
#include "internal/log.h"
#include "internal/symbols.h"

#define NSLOTS	16

#if UINTPTR_MAX == UINT64_MAX
#define ELFCLASS_NATIVE	ELFCLASS64
#define SYM_TYPE	ELF64_ST_TYPE
#else
#define ELFCLASS_NATIVE	ELFCLASS32
#define SYM_TYPE	ELF32_ST_TYPE
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ELFDATA_NATIVE	ELFDATA2LSB
#else
#define ELFDATA_NATIVE	ELFDATA2MSB
#endif

struct cached {
	dev_t			dev;
	ino_t			ino;
	off_t			size;
	struct timespec		mtime;
	uintptr_t		bias;
	struct uwq__symtab	t;	/* empty: the object has no usable .symtab */
};

static struct cached *slots[NSLOTS];	/* CAS from NULL once, then read-only */

/* Is [off, off + len) inside a file of @fsize bytes? */
static bool in_file(uint64_t off, uint64_t len, uint64_t fsize)
{
	return off <= fsize && len <= fsize - off;
}

static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		done += (size_t)r;
	}
	return true;
}

/* @len bytes of the file at @off into a new buffer, with a spare byte. */
static void *read_alloc(int fd, uint64_t off, uint64_t len, uint64_t fsize)
{
	char *p;

	if (!in_file(off, len, fsize) || len > SIZE_MAX - 1)
		return NULL;
	p = malloc((size_t)len + 1);
	if (p && !read_at(fd, p, (size_t)len, off)) {
		free(p);
		p = NULL;
	}
	return p;
}

void uwq__symtab_free(struct uwq__symtab *t)
{
	free(t->funcs);
	free(t->strtab);
	memset(t, 0, sizeof(*t));
}

size_t uwq__symtab_load(int fd, uint64_t fsize, struct uwq__symtab *t)
{
	ElfW(Ehdr) eh;
	ElfW(Shdr) *sh = NULL, *symsh, *strsh;
	ElfW(Sym) *syms = NULL;
	size_t i, n;

	memset(t, 0, sizeof(*t));
	if (!in_file(0, sizeof(eh), fsize) || !read_at(fd, &eh, sizeof(eh), 0) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS_NATIVE ||
	    eh.e_ident[EI_DATA] != ELFDATA_NATIVE || eh.e_shentsize != sizeof(*sh) || eh.e_shnum == 0)
		return 0;
	sh = read_alloc(fd, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(*sh), fsize);
	if (!sh)
		return 0;
	for (i = 0; i < eh.e_shnum && sh[i].sh_type != SHT_SYMTAB; i++)
		;
	if (i == eh.e_shnum || sh[i].sh_entsize != sizeof(*syms) || sh[i].sh_link >= eh.e_shnum)
		goto out;
	symsh = &sh[i];
	strsh = &sh[symsh->sh_link];
	n = symsh->sh_size / sizeof(*syms);
	if (strsh->sh_type != SHT_STRTAB || n == 0)
		goto out;
	syms = read_alloc(fd, symsh->sh_offset, (uint64_t)n * sizeof(*syms), fsize);
	t->strtab = read_alloc(fd, strsh->sh_offset, strsh->sh_size, fsize);
	t->funcs = syms ? malloc(n * sizeof(*t->funcs)) : NULL;
	if (!syms || !t->strtab || !t->funcs)
		goto out;
	t->strsz = strsh->sh_size;
	t->strtab[t->strsz] = '\0';
	for (i = 0; i < n; i++) {
		const ElfW(Sym) *s = &syms[i];

		if (SYM_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF ||
		    s->st_name == 0 || s->st_name >= t->strsz)
			continue;
		t->funcs[t->nfuncs++] = (struct uwq__symtab_func){
			(uintptr_t)s->st_value, (uintptr_t)s->st_size, (uint32_t)s->st_name };
	}
out:
	free(sh);
	free(syms);
	if (!t->nfuncs)
		uwq__symtab_free(t);
	return t->nfuncs;
}

bool uwq__symtab_find(const struct uwq__symtab *t, uintptr_t bias, uintptr_t addr, char *buf,
		      size_t len)
{
	const struct uwq__symtab_func *best = NULL;
	uintptr_t a = addr - bias;	/* wraps for an address below the object: no match */

	for (size_t i = 0; i < t->nfuncs; i++) {
		const struct uwq__symtab_func *f = &t->funcs[i];

		if (a < f->start || (a - f->start >= f->size && !(f->size == 0 && a == f->start)))
			continue;
		if (!best || f->start > best->start)
			best = f;	/* innermost */
	}
	if (!best)
		return false;
	if (a == best->start)
		snprintf(buf, len, "%s", t->strtab + best->name);
	else
		snprintf(buf, len, "%s+%#lx", t->strtab + best->name, (unsigned long)(a - best->start));
	return true;
}

static bool same_key(const struct cached *a, const struct cached *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->bias == b->bias &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/*
 * The cached table for @key, else NULL when @mine is NULL. Otherwise:
 * @mine published in the first free slot (*published), or the equal table
 * another thread published first (@mine freed), or @mine itself when every
 * slot is taken (*owned: the caller frees it after use).
 */
static struct cached *lookup(const struct cached *key, struct cached *mine, bool *published,
			     bool *owned)
{
	*published = *owned = false;
	for (int i = 0; i < NSLOTS; i++) {
		/* Acquire: pairs with the CAS below; the table's contents are seen. */
		struct cached *cur = load_acquire(&slots[i]);

		if (!cur) {
			if (!mine)
				return NULL;
			if (atomic_cas(&slots[i], &cur, mine)) {
				*published = true;
				return mine;
			}
		}
		if (same_key(cur, key)) {
			if (mine) {
				uwq__symtab_free(&mine->t);
				free(mine);
			}
			return cur;
		}
	}
	*owned = mine != NULL;
	return mine;
}

int uwq__symtab_name(const void *addr, char *buf, size_t len)
{
	struct link_map *lm = NULL;
	struct cached key, *c;
	bool published, owned;
	const char *path;
	struct stat st;
	Dl_info info;
	int fd, ret;

	if (!dladdr1(addr, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm || !lm->l_name)
		return 0;
	/* The program's link_map has an empty name; dli_fname is then argv[0]. */
	path = lm->l_name[0] ? lm->l_name : "/proc/self/exe";
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && !lm->l_name[0] && info.dli_fname)
		fd = open(path = info.dli_fname, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	memset(&key, 0, sizeof(key));
	key.dev = st.st_dev;
	key.ino = st.st_ino;
	key.size = st.st_size;
	key.mtime = st.st_mtim;
	key.bias = (uintptr_t)lm->l_addr;
	c = lookup(&key, NULL, &published, &owned);
	if (!c && (c = malloc(sizeof(*c)))) {
		*c = key;
		uwq__symtab_load(fd, (uint64_t)st.st_size, &c->t);
		c = lookup(&key, c, &published, &owned);
		if (published && !c->t.nfuncs)
			uwq__log("%s has no symbol table (stripped?): reports name its static functions by address; build it without -s and do not strip it to see their names",
				 info.dli_fname && info.dli_fname[0] ? info.dli_fname : path);
	}
	close(fd);
	if (!c)
		return 0;
	if (!c->t.nfuncs)
		ret = -1;
	else
		ret = uwq__symtab_find(&c->t, c->bias, (uintptr_t)addr, buf, len) ? 1 : 0;
	if (owned) {
		uwq__symtab_free(&c->t);
		free(c);
	}
	return ret;
}
