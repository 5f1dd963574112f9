/* SPDX-License-Identifier: MIT */
/* bench/common/child.c — child processes driven over pipes (child.h). */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

int bench_child_start(struct bench_child *c, const char *name, char *const argv[])
{
	int down[2], up[2];
	memset(c, 0, sizeof *c);
	c->name = name;
	c->pid = -1;
	if (pipe(down) != 0 || pipe(up) != 0) {
		fprintf(stderr, "bench: %s: pipe: %s\n", name, strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bench: %s: fork: %s\n", name, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(down[0], 0);
		dup2(up[1], 1);
		close(down[0]);
		close(down[1]);
		close(up[0]);
		close(up[1]);
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	close(down[0]);
	close(up[1]);
	c->pid = pid;
	c->to = fdopen(down[1], "w");
	c->from = fdopen(up[0], "r");
	if (!c->to || !c->from) {
		fprintf(stderr, "bench: %s: fdopen failed\n", name);
		bench_child_finish(c, NULL);
		return -1;
	}
	return 0;
}

const char *bench_scenario = "";

int bench_child_start_self(struct bench_child *c, const char *name, const char *bin, char *const args[])
{
	char *argv[32];
	size_t n = 0;
	argv[n++] = (char *)(bin ? bin : "/proc/self/exe");
	argv[n++] = (char *)bench_scenario;
	for (size_t i = 0; args[i] != NULL; i++) {
		if (n == sizeof argv / sizeof argv[0] - 1) {
			fprintf(stderr, "bench: %s: too many arguments for a child\n", name);
			return -1;
		}
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	return bench_child_start(c, name, argv);
}

int bench_child_start_sh(struct bench_child *c, const char *name, const char *cmd)
{
	char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
	return bench_child_start(c, name, argv);
}

char *bench_child_line(struct bench_child *c, char *buf, size_t len)
{
	if (c->from == NULL || fgets(buf, (int)len, c->from) == NULL)
		return NULL;
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

int bench_child_send(struct bench_child *c, const char *fmt, ...)
{
	if (c->to == NULL)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	int rc = vfprintf(c->to, fmt, ap);
	va_end(ap);
	return rc < 0 || fflush(c->to) != 0 ? -1 : 0;
}

int bench_child_finish(struct bench_child *c, struct rusage *ru)
{
	int st = -1;
	if (c->to) {
		fclose(c->to);
		c->to = NULL;
	}
	if (c->from) {
		fclose(c->from);
		c->from = NULL;
	}
	if (c->pid > 0) {
		struct rusage dummy;
		while (wait4(c->pid, &st, 0, ru ? ru : &dummy) < 0 && errno == EINTR)
			;
		c->pid = -1;
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}
