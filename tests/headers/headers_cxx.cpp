// SPDX-License-Identifier: MIT
// The public headers (include/uwq.h) compile as C++ with -Wall -Wextra -Werror.
#include <uwq.h>

static void fn(struct uwq_work *w) { (void)w; }

int uwq_headers_cxx_check();
int uwq_headers_cxx_check()
{
	static struct uwq_work w = UWQ_WORK_INITIALIZER(w, fn);
	static struct uwq_delayed_work dw = UWQ_DELAYED_WORK_INITIALIZER(dw, fn);
	uwq_work_init(&w, fn);
	return uwq_queue_work(uwq_system_wq, &w) + uwq_cancel_delayed_work(&dw);
}
