/* SPDX-License-Identifier: MIT */
/*
 * bench/main.c — tern-bench, the one benchmark driver of `make bench`.
 *
 *   tern-bench SCENARIO [options]      (tern-bench help: the list)
 *
 * Each scenario is a file (or a directory of adapters) under bench/ with one
 * entry point; the common machinery — options, clocks, statistics, CSV,
 * child processes, the slice engine and the target table — is bench/common.
 * A scenario that re-executes itself (a child process per configuration)
 * runs `/proc/self/exe SCENARIO ...` (bench_child_start_self()).
 *
 * tern-bench-fence is the same driver built with TERN_EPOCH_FORCE_FENCE and
 * linked with tern's forced-fence build; it has only the pin scenario, whose
 * tern-fence row it measures as a child of `tern-bench pin`.
 */
#include <stdio.h>
#include <string.h>

#include "common/child.h"

int pin_main(int argc, char **argv);
#ifndef TERN_EPOCH_FORCE_FENCE
int lazy_run_main(int argc, char **argv);
int lazy_report_main(int argc, char **argv);
int lazy_list_main(int argc, char **argv);
int reclaim_main(int argc, char **argv);
int containers_main(int argc, char **argv);
#endif

static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *what;
} scenarios[] = {
#ifndef TERN_EPOCH_FORCE_FENCE
    {"run", lazy_run_main, "scenarios 1-2: LazyTransform and breakdown, raw rows (bench/lazy)"},
    {"report", lazy_report_main, "scenarios 1-2: medians, ratios, targets, CSV/JSON/chart data"},
    {"list", lazy_list_main, "scenarios 1-2: the C implementations"},
#endif
    {"pin", pin_main, "scenario 3: ns per pin+unpin pair (bench/pin)"},
#ifndef TERN_EPOCH_FORCE_FENCE
    {"reclaim", reclaim_main, "scenario 3: deferred objects/s, grace periods, idle thread (bench/reclaim)"},
    {"containers", containers_main, "scenario 4: queue, stack and hash map (bench/containers)"},
#endif
};
#define NSCENARIO (sizeof scenarios / sizeof scenarios[0])

int main(int argc, char **argv)
{
	for (size_t i = 0; argc >= 2 && i < NSCENARIO; i++)
		if (strcmp(argv[1], scenarios[i].name) == 0) {
			bench_scenario = scenarios[i].name;
			return scenarios[i].main(argc - 1, argv + 1);
		}
	FILE *f = argc >= 2 && strcmp(argv[1], "help") == 0 ? stdout : stderr;
	fprintf(f, "usage: %s SCENARIO [options]   (SCENARIO --help: its options)\n", argv[0]);
	for (size_t i = 0; i < NSCENARIO; i++)
		fprintf(f, "  %-11s %s\n", scenarios[i].name, scenarios[i].what);
	return f == stdout ? 0 : 2;
}
