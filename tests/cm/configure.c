/* SPDX-License-Identifier: MIT */
/*
 * The concurrency-management tunables (docs/design.md §3 "Concurrency
 * management": the monitor tick, the CPU-intensive threshold, the worker
 * cap, the idle reserve and timeout, the watchdog, the mayday timer and the
 * creation cooldown) are set with uwq_configure() before first use; header
 * uwq/workqueue.h "struct uwq_config":
 *  - uwq_config_defaults(NULL) is a no-op; with no UWQ_* variable set it
 *    gives the documented defaults (20000 ns spin, max_workers 0, reserve 2,
 *    idle 60 s, tick 1 ms, 10 ms CPU-intensive, 30 s watchdog, mayday
 *    10/100 ms, cooldown 1000 ms, reserved fields zero);
 *  - each field's UWQ_* variable overrides its default, in its unit;
 *  - uwq_configure(NULL), max_workers 1 or negative, a negative reserve and
 *    a non-zero reserved field are -EINVAL;
 *  - a valid config before first use is accepted (0); after first use
 *    uwq_configure() is -EBUSY; after uwq_shutdown() it is 0 again, and uwq
 *    starts again with it.
 */
#include <uwq/workqueue.h>

#include "util.h"

static const char *const env_names[] = {
	"UWQ_IDLE_SPIN_NS", "UWQ_MAX_WORKERS", "UWQ_IDLE_RESERVE", "UWQ_IDLE_TIMEOUT_MS",
	"UWQ_MONITOR_TICK_US", "UWQ_CPU_INTENSIVE_THRESH_US", "UWQ_WATCHDOG_THRESH_MS",
	"UWQ_MAYDAY_INITIAL_MS", "UWQ_MAYDAY_INTERVAL_MS", "UWQ_CREATE_COOLDOWN_MS",
};

struct item {
	struct uwq_work	w;
	atomic_int	runs;
};

static void item_fn(struct uwq_work *w)
{
	atomic_fetch_add(&container_of(w, struct item, w)->runs, 1);
}

/* Queue one item on uwq_system_wq and wait for it: uwq is in use after this. */
static void use_uwq(const char *when)
{
	struct item it;

	memset(&it, 0, sizeof(it));
	uwq_work_init(&it.w, item_fn);
	CHECK(uwq_queue_work(uwq_system_wq, &it.w), "%s: queueing failed", when);
	WAIT_UNTIL(atomic_load(&it.runs) == 1, "%s: item never ran", when);
	uwq_flush_work(&it.w);
}

static void check_defaults(const struct uwq_config *c)
{
	CHECK(c->idle_spin_ns == 20000, "idle_spin_ns %llu", (unsigned long long)c->idle_spin_ns);
	CHECK(c->max_workers == 0, "max_workers %d", c->max_workers);
	CHECK(c->idle_reserve == 2, "idle_reserve %d", c->idle_reserve);
	CHECK(c->idle_timeout_ns == 60 * NSEC_PER_SEC, "idle_timeout_ns %llu",
	      (unsigned long long)c->idle_timeout_ns);
	CHECK(c->monitor_tick_ns == 1 * NSEC_PER_MSEC, "monitor_tick_ns %llu",
	      (unsigned long long)c->monitor_tick_ns);
	CHECK(c->cpu_intensive_ns == 10 * NSEC_PER_MSEC, "cpu_intensive_ns %llu",
	      (unsigned long long)c->cpu_intensive_ns);
	CHECK(c->watchdog_ns == 30 * NSEC_PER_SEC, "watchdog_ns %llu",
	      (unsigned long long)c->watchdog_ns);
	CHECK(c->mayday_initial_ns == 10 * NSEC_PER_MSEC, "mayday_initial_ns %llu",
	      (unsigned long long)c->mayday_initial_ns);
	CHECK(c->mayday_interval_ns == 100 * NSEC_PER_MSEC, "mayday_interval_ns %llu",
	      (unsigned long long)c->mayday_interval_ns);
	CHECK(c->create_cooldown_ns == 1000 * NSEC_PER_MSEC, "create_cooldown_ns %llu",
	      (unsigned long long)c->create_cooldown_ns);
	for (size_t i = 0; i < ARRAY_SIZE(c->reserved); i++)
		CHECK(c->reserved[i] == 0, "reserved[%zu] = %llu", i,
		      (unsigned long long)c->reserved[i]);
}

static void env_overrides(void)
{
	struct uwq_config c;

	PHASE(__func__);
	CHECK(setenv("UWQ_IDLE_SPIN_NS", "5", 1) == 0, "setenv");
	CHECK(setenv("UWQ_MAX_WORKERS", "7", 1) == 0, "setenv");
	CHECK(setenv("UWQ_IDLE_RESERVE", "3", 1) == 0, "setenv");
	CHECK(setenv("UWQ_IDLE_TIMEOUT_MS", "250", 1) == 0, "setenv");
	CHECK(setenv("UWQ_MONITOR_TICK_US", "500", 1) == 0, "setenv");
	CHECK(setenv("UWQ_CPU_INTENSIVE_THRESH_US", "2000", 1) == 0, "setenv");
	CHECK(setenv("UWQ_WATCHDOG_THRESH_MS", "400", 1) == 0, "setenv");
	CHECK(setenv("UWQ_MAYDAY_INITIAL_MS", "3", 1) == 0, "setenv");
	CHECK(setenv("UWQ_MAYDAY_INTERVAL_MS", "30", 1) == 0, "setenv");
	CHECK(setenv("UWQ_CREATE_COOLDOWN_MS", "60", 1) == 0, "setenv");
	uwq_config_defaults(&c);
	CHECK(c.idle_spin_ns == 5, "UWQ_IDLE_SPIN_NS=5 gave %llu", (unsigned long long)c.idle_spin_ns);
	CHECK(c.max_workers == 7, "UWQ_MAX_WORKERS=7 gave %d", c.max_workers);
	CHECK(c.idle_reserve == 3, "UWQ_IDLE_RESERVE=3 gave %d", c.idle_reserve);
	CHECK(c.idle_timeout_ns == 250 * NSEC_PER_MSEC, "UWQ_IDLE_TIMEOUT_MS=250 gave %llu ns",
	      (unsigned long long)c.idle_timeout_ns);
	CHECK(c.monitor_tick_ns == 500 * NSEC_PER_USEC, "UWQ_MONITOR_TICK_US=500 gave %llu ns",
	      (unsigned long long)c.monitor_tick_ns);
	CHECK(c.cpu_intensive_ns == 2 * NSEC_PER_MSEC,
	      "UWQ_CPU_INTENSIVE_THRESH_US=2000 gave %llu ns", (unsigned long long)c.cpu_intensive_ns);
	CHECK(c.watchdog_ns == 400 * NSEC_PER_MSEC, "UWQ_WATCHDOG_THRESH_MS=400 gave %llu ns",
	      (unsigned long long)c.watchdog_ns);
	CHECK(c.mayday_initial_ns == 3 * NSEC_PER_MSEC, "UWQ_MAYDAY_INITIAL_MS=3 gave %llu ns",
	      (unsigned long long)c.mayday_initial_ns);
	CHECK(c.mayday_interval_ns == 30 * NSEC_PER_MSEC, "UWQ_MAYDAY_INTERVAL_MS=30 gave %llu ns",
	      (unsigned long long)c.mayday_interval_ns);
	CHECK(c.create_cooldown_ns == 60 * NSEC_PER_MSEC, "UWQ_CREATE_COOLDOWN_MS=60 gave %llu ns",
	      (unsigned long long)c.create_cooldown_ns);
	for (size_t i = 0; i < ARRAY_SIZE(env_names); i++)
		CHECK(unsetenv(env_names[i]) == 0, "unsetenv %s", env_names[i]);
	uwq_config_defaults(&c);
	check_defaults(&c);
}

static void invalid_configs(void)
{
	struct uwq_config c;

	PHASE(__func__);
	CHECK(uwq_configure(NULL) == -EINVAL, "uwq_configure(NULL) did not give -EINVAL");

	uwq_config_defaults(&c);
	c.max_workers = 1;
	CHECK(uwq_configure(&c) == -EINVAL, "max_workers 1 accepted");
	c.max_workers = -1;
	CHECK(uwq_configure(&c) == -EINVAL, "max_workers -1 accepted");

	uwq_config_defaults(&c);
	c.idle_reserve = -1;
	CHECK(uwq_configure(&c) == -EINVAL, "idle_reserve -1 accepted");

	for (size_t i = 0; i < ARRAY_SIZE(c.reserved); i++) {
		uwq_config_defaults(&c);
		c.reserved[i] = 1;
		CHECK(uwq_configure(&c) == -EINVAL, "non-zero reserved[%zu] accepted", i);
	}
}

int main(void)
{
	struct uwq_config c, saved;
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(env_names); i++)
		CHECK(unsetenv(env_names[i]) == 0, "unsetenv %s", env_names[i]);

	/* A NULL config is ignored; defaults fill every field. */
	PHASE("defaults");
	uwq_config_defaults(NULL);
	memset(&c, 0xa5, sizeof(c));
	uwq_config_defaults(&c);
	check_defaults(&c);

	env_overrides();
	invalid_configs();

	/* Valid before first use: accepted, and the boundaries are valid. */
	PHASE("configure before first use");
	uwq_config_defaults(&c);
	c.max_workers = 2;		/* the smallest cap allowed */
	c.idle_reserve = 0;
	CHECK((err = uwq_configure(&c)) == 0, "valid config refused before first use: %d", err);
	uwq_config_defaults(&c);
	c.monitor_tick_ns = 2 * NSEC_PER_MSEC;
	saved = c;
	CHECK((err = uwq_configure(&c)) == 0, "second valid config refused before first use: %d",
	      err);
	CHECK(memcmp(&c, &saved, sizeof(c)) == 0, "uwq_configure() changed its argument");

	/* After first use: -EBUSY, whatever the config. */
	PHASE("configure after first use");
	use_uwq("first use");
	CHECK((err = uwq_configure(&c)) == -EBUSY, "uwq_configure after first use gave %d", err);
	uwq_config_defaults(&c);
	CHECK((err = uwq_configure(&c)) == -EBUSY,
	      "uwq_configure (defaults) after first use gave %d", err);

	/* A user queue keeps uwq running: still -EBUSY. */
	{
		struct uwq_workqueue *wq = uwq_alloc_workqueue("cm_configure", 0, 0);

		CHECK(wq, "alloc failed: %s", strerror(errno));
		CHECK(uwq_shutdown() == -EBUSY, "uwq_shutdown with a live queue did not refuse");
		CHECK((err = uwq_configure(&c)) == -EBUSY,
		      "uwq_configure after a refused shutdown gave %d", err);
		uwq_destroy_workqueue(wq);
	}

	/* After shutdown: accepted again, and uwq starts again with it. */
	PHASE("configure after shutdown");
	CHECK(uwq_shutdown() == 0, "uwq_shutdown failed");
	uwq_config_defaults(&c);
	c.idle_timeout_ns = 500 * NSEC_PER_MSEC;
	c.max_workers = 16;
	CHECK((err = uwq_configure(&c)) == 0, "uwq_configure after uwq_shutdown gave %d", err);
	use_uwq("use after reconfigure");
	CHECK((err = uwq_configure(&c)) == -EBUSY, "uwq_configure after second start gave %d", err);
	CHECK(uwq_shutdown() == 0, "second uwq_shutdown failed");

	/* Shutdown with nothing started is fine too, and configure still works. */
	uwq_config_defaults(&c);
	CHECK((err = uwq_configure(&c)) == 0, "uwq_configure after second shutdown gave %d", err);
	CHECK(uwq_shutdown() == 0, "uwq_shutdown with nothing started failed");
	return TEST_PASS;
}
