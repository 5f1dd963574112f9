/* SPDX-License-Identifier: MIT */
/*
 * bench/common/child.h — the child-process protocol of every bench driver.
 * A child is a process the driver talks to in lines: it writes requests to
 * the child's stdin (`to`) and reads its stdout (`from`).  The Java and
 * Rust harnesses of the lazy scenario stay up for a whole run (request
 * "run ...", reply "result ..."); bench/pin's forced-fence binary and
 * bench/reclaim's per-row processes print their lines and exit.
 */
#ifndef TERN_BENCH_CHILD_H
#define TERN_BENCH_CHILD_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

struct bench_child {
	const char *name; /* for messages */
	pid_t pid;
	FILE *to, *from;
};

/* Starts argv[0] (a path) with argv; => 0, or -1 after a message. */
int bench_child_start(struct bench_child *c, const char *name, char *const argv[]);
/* Starts `cmd` with /bin/sh -c. */
/* The scenario the driver runs (tern-bench SCENARIO ...), set by bench/main.c. */
extern const char *bench_scenario;
/* Starts `bin SCENARIO args...` (bin NULL: this binary, /proc/self/exe);
 * args is NULL-terminated, at most 29 entries. */
int bench_child_start_self(struct bench_child *c, const char *name, const char *bin, char *const args[]);
int bench_child_start_sh(struct bench_child *c, const char *name, const char *cmd);
/* The next line of the child's output (newline removed) into buf; => buf, or NULL at its end. */
char *bench_child_line(struct bench_child *c, char *buf, size_t len);
/* Sends a request line; => 0, or -1 (the child went away). */
int bench_child_send(struct bench_child *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Closes the pipes (the child sees end of input), waits; ru (may be NULL)
 * gets its resource usage.  => 0 if it exited with status 0, else -1. */
int bench_child_finish(struct bench_child *c, struct rusage *ru);

#endif /* TERN_BENCH_CHILD_H */
