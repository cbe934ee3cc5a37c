/* SPDX-License-Identifier: MIT */
/*
 * list.h - intrusive circular doubly-linked lists.
 *
 * struct uwq__list links uwq's own objects (workers, waiters, queues).
 * Work items link through their own next/prev fields; a work list is a
 * sentinel struct uwq_work, so unlinking needs no knowledge of which list
 * (pool worklist, pwq inactive list or a worker's scheduled list) holds it.
 */
#ifndef UWQ_INTERNAL_LIST_H
#define UWQ_INTERNAL_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <uwq/workqueue.h>

struct uwq__list {
	struct uwq__list *next, *prev;
};

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static inline void list_init(struct uwq__list *h) { h->next = h->prev = h; }
static inline bool list_empty(const struct uwq__list *h) { return h->next == h; }

static inline void list_add_between(struct uwq__list *n, struct uwq__list *p, struct uwq__list *nx)
{
	n->next = nx;
	n->prev = p;
	p->next = n;
	nx->prev = n;
}
static inline void list_add(struct uwq__list *n, struct uwq__list *h) { list_add_between(n, h, h->next); }
static inline void list_add_tail(struct uwq__list *n, struct uwq__list *h) { list_add_between(n, h->prev, h); }
static inline void list_del(struct uwq__list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}

#define list_for_each(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)
#define list_for_each_safe(pos, tmp, head) \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); (pos) = (tmp), (tmp) = (pos)->next)

/* Work lists: a sentinel struct uwq_work. */
static inline void wlist_init(struct uwq_work *h) { h->next = h->prev = h; }
static inline bool wlist_empty(const struct uwq_work *h) { return h->next == h; }
static inline struct uwq_work *wlist_first(const struct uwq_work *h) { return h->next; }
static inline void wlist_add_tail(struct uwq_work *w, struct uwq_work *h)
{
	w->next = h;
	w->prev = h->prev;
	h->prev->next = w;
	h->prev = w;
}
static inline void wlist_del(struct uwq_work *w)
{
	w->prev->next = w->next;
	w->next->prev = w->prev;
	w->next = w->prev = NULL;
}

#endif
