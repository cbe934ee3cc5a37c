/* SPDX-License-Identifier: MIT */
/* The public headers (include/uwq.h) compile as strict C11 with -Wall -Wextra -Werror. */
#include <uwq.h>

static void fn(struct uwq_work *w) { (void)w; }
static struct uwq_work static_work = UWQ_WORK_INITIALIZER(static_work, fn);
static struct uwq_delayed_work static_dwork = UWQ_DELAYED_WORK_INITIALIZER(static_dwork, fn);

int uwq_headers_c_check(void);
int uwq_headers_c_check(void)
{
	return uwq_queue_work(uwq_system_wq, &static_work) + uwq_work_pending(&static_dwork.work);
}
