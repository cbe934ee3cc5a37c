// SPDX-License-Identifier: MIT
// The public headers (include/uwq.h) compile as C++ with -Wall -Wextra -Werror.
#include <uwq.h>

static void fn(struct uwq_work *w) { (void)w; }

struct frame {
	int id;
	struct uwq_work work;
	struct inner { int x; struct uwq_delayed_work dw; } in;
};

static int frame_id(struct uwq_work *w)
{
	return uwq_container_of(w, struct frame, work)->id;
}

int uwq_headers_cxx_check();
int uwq_headers_cxx_check()
{
	static struct frame f;
	if (uwq_container_of(&f.in.dw, struct frame, in.dw) != &f)
		return -1;
	static struct uwq_work w = UWQ_WORK_INITIALIZER(w, fn);
	static struct uwq_delayed_work dw = UWQ_DELAYED_WORK_INITIALIZER(dw, fn);
	uwq_work_init(&w, fn);
	return uwq_queue_work(uwq_system_wq, &w) + uwq_cancel_delayed_work(&dw) + frame_id(&f.work);
}
