/* SPDX-License-Identifier: MIT */
/*
 * tests/common/tern_test.h — helpers shared by the Criterion suites.
 */
#ifndef TERN_TEST_H
#define TERN_TEST_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Scale of the concurrency tests: TERN_TEST_SCALE=0.1 makes them 10x shorter
 * (sanitizer and valgrind runs), the default is 1. */
static inline double tern_test_scale(void)
{
	const char *s = getenv("TERN_TEST_SCALE");
	double v = s ? atof(s) : 1.0;
	return v > 0 ? v : 1.0;
}

static inline unsigned long tern_test_iters(unsigned long base)
{
	unsigned long n = (unsigned long)((double)base * tern_test_scale());
	return n ? n : 1;
}

struct tern_test_death {
	bool aborted;     /* the child died of SIGABRT */
	int status;       /* raw wait status */
	char output[4096]; /* what the child wrote to stderr */
};

/*
 * Runs fn(arg) in a forked child with stderr captured.  => whether the child
 * was killed by SIGABRT, and its stderr.  Used by the death tests: misuse in
 * a debug build must abort with a message naming the call.
 */
static inline struct tern_test_death tern_test_expect_abort(void (*fn)(void *), void *arg)
{
	struct tern_test_death d;
	memset(&d, 0, sizeof d);
	int p[2];
	if (pipe(p) != 0) {
		perror("pipe");
		abort();
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		abort();
	}
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], STDERR_FILENO);
		signal(SIGABRT, SIG_DFL);
		fn(arg);
		_exit(0); /* misuse went unnoticed */
	}
	close(p[1]);
	size_t len = 0;
	ssize_t n;
	while ((n = read(p[0], d.output + len, sizeof d.output - 1 - len)) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			len += (size_t)n;
	close(p[0]);
	d.output[len] = '\0';
	while (waitpid(pid, &d.status, 0) < 0 && errno == EINTR)
		;
	d.aborted = WIFSIGNALED(d.status) && WTERMSIG(d.status) == SIGABRT;
	return d;
}

/* Starts n threads running fn(arg_i), arg_i = base + i*stride (NULL if base is
 * NULL: arithmetic on a null pointer is undefined); joins them. */
static inline void tern_test_run_threads(unsigned n, void *(*fn)(void *), void *base, size_t stride)
{
	pthread_t *t = calloc(n, sizeof *t);
	if (!t)
		abort();
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, base ? (char *)base + i * stride : NULL) != 0)
			abort();
	for (unsigned i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
}

#ifdef CRITERION_H_
/*
 * The death test of every suite: runs fn in a child, which must die of
 * SIGABRT with `msg` in its stderr (the message names the call: pass
 * "tern_x_y" or "tern_x_y: what went wrong").  The child's own leaks at
 * abort() are expected (valgrind's verdict in mk/reliability.mk knows death
 * tests).  Skipped under NDEBUG, where the checks are compiled out.
 */
static inline void tern_test_expect_death(void (*fn)(void *), const char *msg)
{
#ifdef NDEBUG
	(void)fn;
	(void)msg;
	cr_skip_test("misuse checks are compiled out under NDEBUG");
#else
	struct tern_test_death d = tern_test_expect_abort(fn, NULL);
	const char *how = WIFSIGNALED(d.status) ? strsignal(WTERMSIG(d.status)) : "exited normally";
	cr_assert(d.aborted, "misuse did not abort (%s, status %d; expected \"%s\"); stderr: %s", how, d.status, msg,
		  d.output);
	cr_assert_not_null(strstr(d.output, msg), "the message does not contain \"%s\": %s", msg, d.output);
#endif
}

/*
 * TERN_DEATH(suite, name, msg) { body }: Test(suite, name), a death test
 * whose body runs in the child (tern_test_expect_death: it must die of
 * SIGABRT with `msg` in its stderr).  Each test states only what differs:
 * the misuse and the message.
 */
#define TERN_DEATH(suite, name, msg)                                     \
	static void suite##_##name##_death_child(void);                  \
	static void suite##_##name##_death_run(void *arg)                \
	{                                                                \
		(void)arg;                                               \
		suite##_##name##_death_child();                          \
	}                                                                \
	Test(suite, name)                                                \
	{                                                                \
		tern_test_expect_death(suite##_##name##_death_run, msg); \
	}                                                                \
	static void suite##_##name##_death_child(void)

/* TERN_DEATH_DOES(suite, name, msg, statement): a TERN_DEATH whose body is
 * one statement. */
#define TERN_DEATH_DOES(suite, name, msg, ...) \
	TERN_DEATH(suite, name, msg)           \
	{                                      \
		__VA_ARGS__;                   \
	}
#endif /* CRITERION_H_ */

#endif /* TERN_TEST_H */
