/* SPDX-License-Identifier: MIT */
/*
 * Worker threads are named (docs/design.md §2: uwq/<pool>:<n>, so top -H
 * and gdb show them; header: "uwq/0:1", "uwq/1:2H" for high priority,
 * "uwq/u0:3" for unbound pools):
 *  - while an item runs, some thread in /proc/self/task/x/comm starts "uwq/";
 *  - the running worker's own name (from /proc and pthread_getname_np)
 *    starts "uwq/" and has the form uwq/<pool>:<n>, with an "H" suffix on a
 *    high-priority pool and a "u" pool prefix on an unbound one.
 */
#include <ctype.h>
#include <uwq/workqueue.h>

#include "util.h"

struct probe {
	struct uwq_work	w;
	char		proc_name[32];	/* written by the worker before `done` */
	char		pt_name[32];
	int		pt_err;
	atomic_int	started;
	atomic_int	gate;
	atomic_int	done;
};

static void probe_fn(struct uwq_work *w)
{
	struct probe *p = container_of(w, struct probe, w);

	if (!task_comm(util_gettid(), p->proc_name, sizeof(p->proc_name)))
		strcpy(p->proc_name, "<unreadable>");
	p->pt_err = pthread_getname_np(pthread_self(), p->pt_name, sizeof(p->pt_name));
	atomic_store(&p->started, 1);
	uwq_blocking_begin();
	GATE_WAIT(atomic_load(&p->gate), "gate never opened");
	uwq_blocking_end();
	atomic_store(&p->done, 1);
}

/* "uwq/<pool>:<n>[H]": <pool> is digits or "u" digits, <n> digits. */
static bool well_formed(const char *name)
{
	const char *p = name + 4;

	if (strncmp(name, "uwq/", 4) != 0)
		return false;
	if (*p == 'u')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p++ != ':' || !isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == 'H')
		p++;
	return *p == '\0';
}

static void probe(struct uwq_workqueue *wq, const char *what, bool highpri, bool unbound)
{
	struct probe p;
	size_t len;
	int n;

	PHASE(what);
	memset(&p, 0, sizeof(p));
	uwq_work_init(&p.w, probe_fn);
	CHECK(uwq_queue_work(wq, &p.w), "%s: queueing failed", what);
	WAIT_UNTIL(atomic_load(&p.started), "%s: item never ran", what);

	n = count_tasks_named("uwq/");
	CHECK(n >= 1, "%s: no thread named uwq/... while an item runs", what);

	atomic_store(&p.gate, 1);
	WAIT_UNTIL(atomic_load(&p.done), "%s: item never finished", what);
	uwq_flush_work(&p.w);

	NOTE("%s: worker \"%s\" (pthread_getname_np \"%s\"), %d uwq/ threads",
	     what, p.proc_name, p.pt_name, n);
	CHECK(strncmp(p.proc_name, "uwq/", 4) == 0,
	      "%s: worker's /proc comm is \"%s\"", what, p.proc_name);
	CHECK(p.pt_err == 0, "%s: pthread_getname_np: %s", what, strerror(p.pt_err));
	CHECK(strcmp(p.pt_name, p.proc_name) == 0, "%s: pthread_getname_np \"%s\" != comm \"%s\"",
	      what, p.pt_name, p.proc_name);
	CHECK(well_formed(p.proc_name), "%s: \"%s\" is not uwq/<pool>:<n>[H]", what, p.proc_name);
	len = strlen(p.proc_name);
	CHECK((p.proc_name[len - 1] == 'H') == highpri,
	      "%s: \"%s\": high-priority pools end in H, others do not", what, p.proc_name);
	CHECK((p.proc_name[4] == 'u') == unbound,
	      "%s: \"%s\": unbound pools are named uwq/u<n>:..., bound ones uwq/<cpu>:...",
	      what, p.proc_name);
}

int main(void)
{
	char me[32];

	CHECK(task_comm(util_gettid(), me, sizeof(me)), "cannot read own comm");
	CHECK(strncmp(me, "uwq/", 4) != 0, "the main thread is named \"%s\"", me);

	probe(uwq_system_wq, "system_wq", false, false);
	probe(uwq_system_highpri_wq, "system_highpri_wq", true, false);
	probe(uwq_system_unbound_wq, "system_unbound_wq", false, true);
	probe(uwq_system_long_wq, "system_long_wq", false, false);

	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	return TEST_PASS;
}
