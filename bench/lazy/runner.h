/* SPDX-License-Identifier: MIT */
/* bench/lazy/runner.h — measurement steps (runner.c) and the subcommands of tern-bench. */
#ifndef TERN_BENCH_RUNNER_H
#define TERN_BENCH_RUNNER_H

#include "harness.h"

/* One step: cpu/wall/ops/hits summed over the consumer threads; xform_ns
 * the part of cpu_ns spent on the transform path and xreads the reads that
 * ran it (bench/common/bench.h); prod_ns the median wall time of one
 * set_source call. */
struct lazy_result {
	uint64_t cpu_ns, wall_ns, ops, hits, xform_ns, xreads;
	uint64_t prod_ns, prod_iters, transforms;
};

void lazy_run_step(const struct lazy_impl *impl, int consumers, double seconds, struct lazy_result *out);
void lazy_run_breakdown_step(const struct breakdown_impl *impl, int payload, int consumers, double seconds,
			     struct lazy_result *out);

/* The subcommands of tern-bench: run, report, list. */
int lazy_run_main(int argc, char **argv);
int lazy_report_main(int argc, char **argv);
int lazy_list_main(int argc, char **argv);

#endif /* TERN_BENCH_RUNNER_H */
