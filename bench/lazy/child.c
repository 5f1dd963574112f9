/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/child.c — the Java and Rust harnesses as child processes,
 * started once and driven step by step over pipes, so their steps can be
 * interleaved with the C steps while the JVM stays warm.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

int child_start(struct child *c, const char *lang, const char *cmd)
{
	int down[2], up[2];
	memset(c, 0, sizeof *c);
	c->lang = lang;
	c->pid = -1;
	if (pipe(down) != 0 || pipe(up) != 0) {
		fprintf(stderr, "bench: %s: pipe: %s\n", lang, strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bench: %s: fork: %s\n", lang, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(down[0], 0);
		dup2(up[1], 1);
		close(down[0]);
		close(down[1]);
		close(up[0]);
		close(up[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(down[0]);
	close(up[1]);
	c->pid = pid;
	c->to = fdopen(down[1], "w");
	c->from = fdopen(up[0], "r");
	if (!c->to || !c->from) {
		fprintf(stderr, "bench: %s: fdopen failed\n", lang);
		child_stop(c);
		return -1;
	}
	char line[512];
	if (!fgets(line, sizeof line, c->from) || strncmp(line, "ready ", 6) != 0) {
		fprintf(stderr, "bench: %s: skipped (the harness did not start: %s)\n", lang, cmd);
		child_stop(c);
		return -1;
	}
	line[strcspn(line, "\n")] = '\0';
	size_t n = strnlen(line + 6, sizeof c->desc - 1);
	memcpy(c->desc, line + 6, n);
	c->desc[n] = '\0';
	return 0;
}

int child_run(struct child *c, const char *scenario, const char *impl, int consumers,
	      const char *payload, double seconds, struct step_result *out)
{
	char line[512];
	if (!c->to)
		return -1;
	if (fprintf(c->to, "run %s %s %d %s %.6f\n", scenario, impl, consumers, payload, seconds) < 0 ||
	    fflush(c->to) != 0) {
		fprintf(stderr, "bench: %s: the harness went away\n", c->lang);
		child_stop(c);
		return -1;
	}
	if (!fgets(line, sizeof line, c->from)) {
		fprintf(stderr, "bench: %s: the harness went away during %s/%s\n", c->lang, impl, payload);
		child_stop(c);
		return -1;
	}
	memset(out, 0, sizeof *out);
	unsigned long long v[8];
	if (sscanf(line, "result %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
		line[strcspn(line, "\n")] = '\0';
		fprintf(stderr, "bench: %s: %s\n", c->lang, line);
		return -1;
	}
	out->cpu_ns = v[0];
	out->wall_ns = v[1];
	out->ops = v[2];
	out->prod_ns = v[3];
	out->prod_iters = v[4];
	out->transforms = v[5];
	out->hits = v[6];
	out->xform_ns = v[7];
	return 0;
}

void child_stop(struct child *c)
{
	if (c->to) {
		fputs("quit\n", c->to);
		fclose(c->to);
		c->to = NULL;
	}
	if (c->from) {
		fclose(c->from);
		c->from = NULL;
	}
	if (c->pid > 0) {
		int st;
		while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
			;
		c->pid = -1;
	}
}
