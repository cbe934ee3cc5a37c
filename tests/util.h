/* SPDX-License-Identifier: MIT */
/*
 * tests/util.h - helpers shared by the test programs (header-only).
 *
 * Rules the tests follow (STYLE.md "Tests"):
 *  - exit 0 pass, 1 fail, 77 skip;
 *  - never sleep() to synchronise: WAIT_UNTIL polls a predicate up to a
 *    deadline and, on timeout, prints what it saw and fails;
 *  - everything shared with a work function is atomic.
 *
 * Failing (CHECK, WAIT_UNTIL, FAIL) ends the process with _exit(1), from any
 * thread: exit() could run library destructors that wait for the very
 * workers a failed test left blocked, turning a named failure into a hang.
 * While stderr is captured, the failure message goes to the real stderr.
 * A watchdog thread (started before main) fails a program still running
 * after UTIL_TEST_BUDGET_NS, naming the last PHASE(): so a test stuck inside
 * a uwq call that never returns still ends as a named failure.
 */
#ifndef UWQ_TESTS_UTIL_H
#define UWQ_TESTS_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define TEST_PASS	0
#define TEST_FAIL	1
#define TEST_SKIP	77

/* How long any single wait may take before the test fails (ns). */
#ifndef UTIL_WAIT_NS
#define UTIL_WAIT_NS	(20ull * 1000 * 1000 * 1000)
#endif
/* How long a work function held by a test's gate waits for it (ns). */
#define UTIL_GATE_WAIT_NS	(2 * UTIL_WAIT_NS)

#define NSEC_PER_USEC	1000ull
#define NSEC_PER_MSEC	1000000ull
#define NSEC_PER_SEC	1000000000ull

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

/* The real stderr while capture_stderr_begin() is in effect, else -1. */
static _Atomic int util_real_stderr = -1;
/* The capture file's fd in that time, so a failure can show what was captured. */
static _Atomic int util_capture_fd = -1;

/** now_ns() - CLOCK_MONOTONIC in nanoseconds (the clock uwq's timers use). */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static inline pid_t util_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static inline int util_err_fd(void)
{
	int fd = atomic_load(&util_real_stderr);

	return fd >= 0 ? fd : STDERR_FILENO;
}

static inline void util_vreport(const char *file, int line, const char *prefix,
				 const char *fmt, va_list ap)
{
	char buf[2048];
	int n;

	n = snprintf(buf, sizeof(buf), "%s:%d: %s", file, line, prefix);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof(buf))
		vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	n = (int)strlen(buf);
	if (n > 0 && buf[n - 1] != '\n' && (size_t)n + 1 < sizeof(buf)) {
		buf[n++] = '\n';
		buf[n] = '\0';
	}
	fflush(stdout);
	fflush(stderr);
	if (write(util_err_fd(), buf, (size_t)n) < 0) {
		/* nowhere left to report to */
	}
}

__attribute__((noreturn, format(printf, 3, 4)))
static inline void util_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	int cfd = atomic_load(&util_capture_fd);

	if (cfd >= 0) {
		char buf[4096];
		ssize_t n;
		off_t off = 0;
		static const char hdr[] = "---- stderr captured so far ----\n";

		if (write(util_err_fd(), hdr, sizeof(hdr) - 1) < 0)
			_exit(TEST_FAIL);
		while ((n = pread(cfd, buf, sizeof(buf), off)) > 0) {
			if (write(util_err_fd(), buf, (size_t)n) < 0)
				break;
			off += n;
		}
	}
	va_start(ap, fmt);
	util_vreport(file, line, "FAIL: ", fmt, ap);
	va_end(ap);
	_exit(TEST_FAIL);
}

__attribute__((format(printf, 3, 4)))
static inline void util_note(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_vreport(file, line, "", fmt, ap);
	va_end(ap);
}

/** FAIL(fmt, ...) - report file:line and the message, exit 1. */
#define FAIL(...)	util_fail(__FILE__, __LINE__, __VA_ARGS__)

/** NOTE(fmt, ...) - an informational line on (the real) stderr. */
#define NOTE(...)	util_note(__FILE__, __LINE__, __VA_ARGS__)

/** CHECK(cond, fmt, ...) - if !cond: report file:line, the condition and the message; exit 1. */
#define CHECK(cond, ...) do {							\
	if (!(cond)) {								\
		util_note(__FILE__, __LINE__, "FAIL: CHECK(%s)", #cond);	\
		util_fail(__FILE__, __LINE__, __VA_ARGS__);			\
	}									\
} while (0)

/** SKIP(fmt, ...) - say why and exit 77. */
#define SKIP(...) do {								\
	util_note(__FILE__, __LINE__, "SKIP: " __VA_ARGS__);			\
	_exit(TEST_SKIP);							\
} while (0)

/*
 * util_pause() - one step of a poll loop: yield for the first polls, then
 * sleep ~100 µs so a poller on a loaded 2-CPU machine leaves the CPU to the
 * threads it is waiting for. Not synchronisation: the predicate decides.
 */
static inline void util_pause(unsigned *spins)
{
	if (*spins < 64) {
		(*spins)++;
		sched_yield();
	} else {
		struct timespec ts = { 0, 100 * 1000 };

		nanosleep(&ts, NULL);
	}
}

/**
 * WAIT_UNTIL(cond, fmt, ...) - poll @cond until it holds; after UTIL_WAIT_NS
 * print "timed out waiting for <cond>: <fmt...>" (evaluated at that moment,
 * so it shows the state seen) and exit 1.
 */
#define WAIT_UNTIL(cond, ...)	WAIT_UNTIL_FOR(UTIL_WAIT_NS, cond, __VA_ARGS__)

/*
 * GATE_WAIT(cond, fmt, ...) - WAIT_UNTIL for work functions held by a gate
 * the test opens. Its deadline is longer, so when something goes wrong the
 * test's own wait (which prints the interesting state) fails first.
 */
#define GATE_WAIT(cond, ...)	WAIT_UNTIL_FOR(UTIL_GATE_WAIT_NS, cond, __VA_ARGS__)

#define WAIT_UNTIL_FOR(ns, cond, ...) do {					\
	uint64_t wu_deadline_ = now_ns() + (ns);				\
	unsigned wu_spins_ = 0;							\
	while (!(cond)) {							\
		if (now_ns() > wu_deadline_) {					\
			util_note(__FILE__, __LINE__,				\
				  "FAIL: timed out waiting for %s", #cond);	\
			util_fail(__FILE__, __LINE__, __VA_ARGS__);		\
		}								\
		util_pause(&wu_spins_);						\
	}									\
} while (0)

/** burn_us() - spin on the CPU for @us microseconds (to create overlap; never asserted on). */
static inline void burn_us(unsigned us)
{
	uint64_t end = now_ns() + (uint64_t)us * NSEC_PER_USEC;

	while (now_ns() < end)
		__asm__ __volatile__("" ::: "memory");
}

/**
 * affinity_cpus() - the CPUs of the process's affinity mask, ascending.
 * Return: how many (at most @max) were written to @cpus.
 */
static inline int affinity_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int n = 0;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		FAIL("sched_getaffinity: %s", strerror(errno));
	for (int cpu = 0; cpu < CPU_SETSIZE && n < max; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[n++] = cpu;
	CHECK(n > 0, "empty affinity mask");
	return n;
}

/**
 * limit_cpus() - restrict the process to the first @max CPUs of its
 * affinity mask (before the first uwq call: pools come from the mask).
 * Return: how many CPUs it has now, written to @cpus (at most @size).
 */
static inline int limit_cpus(int max, int *cpus, int size)
{
	int n = affinity_cpus(cpus, size);

	if (n > max) {
		cpu_set_t set;

		CPU_ZERO(&set);
		for (int i = 0; i < max; i++)
			CPU_SET(cpus[i], &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			FAIL("sched_setaffinity: %s", strerror(errno));
		n = affinity_cpus(cpus, size);
		CHECK(n == max, "affinity has %d CPUs after restricting to %d", n, max);
	}
	return n;
}

/* ---- threads ---------------------------------------------------------- */

static inline pthread_t start_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, fn, arg);

	if (err)
		FAIL("pthread_create: %s", strerror(err));
	return t;
}

static inline void *join_thread(pthread_t t)
{
	void *ret = NULL;
	int err = pthread_join(t, &ret);

	if (err)
		FAIL("pthread_join: %s", strerror(err));
	return ret;
}

/*
 * task_state() - the state letter of thread @tid of this process, from
 * /proc/self/task/<tid>/stat ('R', 'S', 'D', ...), or '?' if unreadable.
 */
static inline char task_state(pid_t tid)
{
	char path[64], buf[512];
	ssize_t n;
	char *p;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');		/* comm may hold spaces and parens */
	if (!p || p[1] != ' ')
		return '?';
	return p[2];
}

/*
 * wait_task_blocked() - wait until thread @tid sleeps in the kernel ('S' or
 * 'D'), for at most @timeout_ns. A thread that announced "I am about to call
 * a blocking uwq function" and is then seen asleep is inside that call's
 * wait: preemption shows as 'R', so this is not a timing guess.
 * Return: true if seen asleep; false on timeout (say so and go on: a
 * spinning wait is not an error, it only makes the test less sharp).
 */
static inline bool wait_task_blocked(pid_t tid, uint64_t timeout_ns)
{
	uint64_t deadline = now_ns() + timeout_ns;
	unsigned spins = 0;
	char st;

	while ((st = task_state(tid)) != 'S' && st != 'D') {
		if (now_ns() > deadline) {
			util_note(__FILE__, __LINE__,
				  "note: thread %d not seen asleep (state '%c'); going on",
				  (int)tid, st);
			return false;
		}
		util_pause(&spins);
	}
	return true;
}

/* task_comm() - thread @tid's name into @buf (newline stripped); false if gone. */
static inline bool task_comm(pid_t tid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return true;
}

/* bound_pool_threads() - threads of bound pool @cpu's normal-priority workers: "uwq/<cpu>:<n>", no H. */
static inline int bound_pool_threads(int cpu)
{
	char prefix[32], comm[64];
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	CHECK(d, "opendir /proc/self/task: %s", strerror(errno));
	snprintf(prefix, sizeof(prefix), "uwq/%d:", cpu);
	while ((de = readdir(d)) != NULL) {
		size_t len;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (!task_comm((pid_t)atoi(de->d_name), comm, sizeof(comm)))
			continue;
		len = strlen(comm);
		if (strncmp(comm, prefix, strlen(prefix)) == 0 && comm[len - 1] != 'H')
			n++;
	}
	closedir(d);
	return n;
}

/* count_tasks_named() - how many threads of this process have a name starting with @prefix. */
static inline int count_tasks_named(const char *prefix)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	char comm[64];
	int n = 0;

	if (!d)
		FAIL("opendir /proc/self/task: %s", strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (task_comm((pid_t)atoi(de->d_name), comm, sizeof(comm)) &&
		    strncmp(comm, prefix, strlen(prefix)) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* count_fds() - how many file descriptors this process has open. */
static inline int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		FAIL("opendir /proc/self/fd: %s", strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* ---- watchdog ------------------------------------------------------------ */

/*
 * Every test program gets a watchdog thread (started before main): if the
 * program still runs after UTIL_TEST_BUDGET_NS - say because the main thread
 * is stuck inside a uwq call that never returns, where no WAIT_UNTIL can
 * help - it prints the last PHASE() and every thread's name, state and
 * kernel wait channel, and fails the test. The budget is below the ctest
 * timeout (60 s) so the hang is reported by the test itself.
 */
#ifndef UTIL_TEST_BUDGET_NS
#define UTIL_TEST_BUDGET_NS	(50ull * NSEC_PER_SEC)
#endif

static const char *_Atomic util_phase = "start";

/** PHASE(name) - say what the test does now (shown if it hangs). */
#define PHASE(name)	atomic_store(&util_phase, (const char *)(name))

static inline void util_dump_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char comm[64] = "?", wchan[64] = "?", path[96];
		pid_t tid;
		ssize_t n;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		tid = (pid_t)atoi(de->d_name);
		task_comm(tid, comm, sizeof(comm));
		snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", (int)tid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, wchan, sizeof(wchan) - 1);
			wchan[n > 0 ? n : 0] = '\0';
			close(fd);
		}
		dprintf(util_err_fd(), "  thread %d \"%s\" state %c wchan %s\n", (int)tid, comm,
			task_state(tid), wchan);
	}
	closedir(d);
}

static inline void *util_watchdog(void *arg)
{
	uint64_t deadline = now_ns() + UTIL_TEST_BUDGET_NS;

	(void)arg;
	while (now_ns() < deadline) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);	/* a timeout, not synchronisation */
	}
	dprintf(util_err_fd(), "threads at the deadline:\n");
	util_dump_threads();
	util_fail(__FILE__, __LINE__, "still running after %llu s (hung?) in phase \"%s\"",
		  (unsigned long long)(UTIL_TEST_BUDGET_NS / NSEC_PER_SEC),
		  atomic_load(&util_phase));
}

__attribute__((constructor))
static void util_watchdog_start(void)
{
	pthread_attr_t attr;
	pthread_t t;

	sigset_t all;

	/* Block every signal: tests that raise lines with signals need the
	 * signal blocked in all threads (see uwq_irq_create_signal()). */
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setsigmask_np(&attr, &all);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, util_watchdog, NULL) == 0)
		pthread_setname_np(t, "test-watchdog");
	pthread_attr_destroy(&attr);
}

/* ---- stderr capture --------------------------------------------------- */

/*
 * capture_stderr_begin() / capture_stderr_end() - redirect fd 2 to a
 * temporary file around a region and return what was written there
 * (malloc'd, NUL-terminated; free() it). The captured text is echoed to the
 * real stderr afterwards so test logs still show it. Not nestable.
 */
static FILE *util_capture_file;

static inline void capture_stderr_begin(void)
{
	int saved;

	CHECK(atomic_load(&util_real_stderr) < 0, "capture_stderr_begin() nested");
	fflush(stderr);
	util_capture_file = tmpfile();
	if (!util_capture_file)
		FAIL("tmpfile: %s", strerror(errno));
	saved = dup(STDERR_FILENO);
	if (saved < 0)
		FAIL("dup: %s", strerror(errno));
	atomic_store(&util_capture_fd, fileno(util_capture_file));
	atomic_store(&util_real_stderr, saved);
	if (dup2(fileno(util_capture_file), STDERR_FILENO) < 0)
		FAIL("dup2: %s", strerror(errno));
}

static inline char *capture_stderr_end(void)
{
	int saved = atomic_load(&util_real_stderr);
	long len;
	char *buf;
	size_t got;

	CHECK(saved >= 0, "capture_stderr_end() without begin");
	fflush(stderr);
	if (dup2(saved, STDERR_FILENO) < 0)
		FAIL("dup2: %s", strerror(errno));
	atomic_store(&util_real_stderr, -1);
	atomic_store(&util_capture_fd, -1);
	close(saved);

	if (fseek(util_capture_file, 0, SEEK_END) != 0)
		FAIL("fseek: %s", strerror(errno));
	len = ftell(util_capture_file);
	CHECK(len >= 0, "ftell: %s", strerror(errno));
	rewind(util_capture_file);
	buf = malloc((size_t)len + 1);
	CHECK(buf != NULL, "out of memory");
	got = fread(buf, 1, (size_t)len, util_capture_file);
	buf[got] = '\0';
	fclose(util_capture_file);
	util_capture_file = NULL;

	if (got) {
		fprintf(stderr, "---- captured stderr (%zu bytes) ----\n%s", got, buf);
		if (buf[got - 1] != '\n')
			fputc('\n', stderr);
		fprintf(stderr, "---- end of captured stderr ----\n");
	}
	return buf;
}

/* count_lines_containing() - lines of @text that contain @needle. */
static inline int count_lines_containing(const char *text, const char *needle)
{
	int n = 0;

	while (*text) {
		const char *eol = strchr(text, '\n');
		size_t len = eol ? (size_t)(eol - text) : strlen(text);
		const char *hit = strstr(text, needle);

		if (hit && hit + strlen(needle) <= text + len)
			n++;
		text += len + (eol ? 1 : 0);
	}
	return n;
}

/* count_lines_starting() - lines of @text that begin with @prefix. */
static inline int count_lines_starting(const char *text, const char *prefix)
{
	size_t plen = strlen(prefix);
	int n = 0;

	while (*text) {
		const char *eol = strchr(text, '\n');
		size_t len = eol ? (size_t)(eol - text) : strlen(text);

		if (len >= plen && strncmp(text, prefix, plen) == 0)
			n++;
		text += len + (eol ? 1 : 0);
	}
	return n;
}

#endif /* UWQ_TESTS_UTIL_H */
