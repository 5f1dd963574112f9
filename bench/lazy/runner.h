/* SPDX-License-Identifier: MIT */
/* bench/lazy/runner.h — measurement steps, child processes (Java, Rust), report. */
#ifndef TERN_BENCH_RUNNER_H
#define TERN_BENCH_RUNNER_H

#include <sys/types.h>

#include "../common/child.h"
#include "harness.h"

/* One step: cpu/wall/ops/hits summed over the consumer threads, xform_ns
 * the part of cpu_ns spent transforming; prod_ns is the median wall time of
 * one set_source call. */
struct step_result {
	uint64_t cpu_ns, wall_ns, ops, hits, xform_ns;
	uint64_t prod_ns, prod_iters, transforms;
	uint64_t xreads; /* of ops, reads that ran a transform (C rows; 0 from a child) */
};

void run_lazy_step(const struct lazy_impl *impl, int consumers, double seconds,
		   struct step_result *out);
void run_breakdown_step(const struct breakdown_impl *impl, int payload, int consumers,
			double seconds, struct step_result *out);

/* A Java or Rust harness driven over pipes (protocol in bench/rust/src/main.rs). */
struct child {
	struct bench_child c;
	char desc[256];
};

/* Starts `cmd` with /bin/sh and waits for its "ready" line.  => 0 or -1 (message printed). */
int child_start(struct child *c, const char *lang, const char *cmd);
/* => 0 and *out, or -1 (message printed). */
int child_run(struct child *c, const char *scenario, const char *impl, int consumers,
	      const char *payload, double seconds, struct step_result *out);
void child_stop(struct child *c);

/* `tern-bench report ...` */
int report_main(int argc, char **argv);

#endif /* TERN_BENCH_RUNNER_H */
