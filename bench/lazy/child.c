/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/child.c — the Java and Rust harnesses as child processes
 * (bench/common/child.h), started once and driven step by step over pipes,
 * so their steps can be interleaved with the C steps while the JVM stays warm.
 */
#include "runner.h"

int lazy_child_start(struct lazy_child *c, const char *lang, const char *cmd)
{
	char line[512];
	memset(c, 0, sizeof *c);
	if (bench_child_start_sh(&c->c, lang, cmd) != 0)
		return -1;
	if (!bench_child_line(&c->c, line, sizeof line) || strncmp(line, "ready ", 6) != 0) {
		fprintf(stderr, "bench: %s: skipped (the harness did not start: %s)\n", lang, cmd);
		lazy_child_stop(c);
		return -1;
	}
	snprintf(c->desc, sizeof c->desc, "%.255s", line + 6);
	fprintf(stderr, "bench: %s: %s\n", lang, c->desc);
	return 0;
}

int lazy_child_run(struct lazy_child *c, const char *scenario, const char *impl, int consumers,
		   const char *payload, double seconds, struct lazy_result *out)
{
	char line[512];
	if (bench_child_send(&c->c, "run %s %s %d %s %.6f\n", scenario, impl, consumers, payload, seconds) != 0 ||
	    !bench_child_line(&c->c, line, sizeof line)) {
		fprintf(stderr, "bench: %s: the harness went away during %s/%s\n", c->c.name, impl, payload);
		lazy_child_stop(c);
		return -1;
	}
	unsigned long long v[9] = {0};
	/* result cpu wall ops prod_ns prod_iters transforms hits xform_ns xreads */
	if (sscanf(line, "result %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &v[6], &v[7], &v[8]) != 9) {
		fprintf(stderr, "bench: %s: %s\n", c->c.name, line);
		return -1;
	}
	*out = (struct lazy_result){.cpu_ns = v[0], .wall_ns = v[1], .ops = v[2], .prod_ns = v[3], .prod_iters = v[4],
				    .transforms = v[5], .hits = v[6], .xform_ns = v[7], .xreads = v[8]};
	return 0;
}

void lazy_child_stop(struct lazy_child *c)
{
	bench_child_send(&c->c, "quit\n");
	bench_child_finish(&c->c, NULL);
}
