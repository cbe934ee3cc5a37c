/* SPDX-License-Identifier: MIT */
/* The public headers (include/uwq.h) compile as strict C11 with -Wall -Wextra -Werror. */
#include <uwq.h>

static void fn(struct uwq_work *w) { (void)w; }
static struct uwq_work static_work = UWQ_WORK_INITIALIZER(static_work, fn);
static struct uwq_delayed_work static_dwork = UWQ_DELAYED_WORK_INITIALIZER(static_dwork, fn);

/* uwq_container_of(): plain, nested and const members. */
struct frame {
	int id;
	struct uwq_work work;
	struct { int x; struct uwq_delayed_work dw; } inner;
};

static int frame_id(struct uwq_work *w)
{
	return uwq_container_of(w, struct frame, work)->id;
}

static int frame_id_nested(struct uwq_work *w)
{
	struct uwq_delayed_work *dw = uwq_to_delayed_work(w);

	return uwq_container_of(dw, struct frame, inner.dw)->id;
}

static int frame_id_const(const struct uwq_work *w)
{
	return uwq_container_of(w, struct frame, work)->id;
}

int uwq_headers_c_check(void);
int uwq_headers_c_check(void)
{
	static struct frame f;

	return uwq_queue_work(uwq_system_wq, &static_work) + uwq_work_pending(&static_dwork.work) +
	       frame_id(&f.work) + frame_id_nested(&f.inner.dw.work) + frame_id_const(&f.work) +
	       (uwq_container_of((void *)&f.work, struct frame, work) == &f);
}
