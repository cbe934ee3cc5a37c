/* SPDX-License-Identifier: MIT */
/* A program built against the installed uwq (find_package or pkg-config). */
#include <stdio.h>
#include <uwq.h>

static int ran;

static void fn(struct uwq_work *w)
{
	(void)w;
	__atomic_store_n(&ran, 1, __ATOMIC_RELEASE);
}

int main(void)
{
	struct uwq_work w;

	uwq_work_init(&w, fn);
	if (!uwq_queue_work(uwq_system_wq, &w))
		return 1;
	uwq_flush_work(&w);
	if (!__atomic_load_n(&ran, __ATOMIC_ACQUIRE))
		return 1;
	puts("consumer: ok");
	return uwq_shutdown() ? 1 : 0;
}
