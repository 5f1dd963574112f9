/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/main.c — tern-bench, the driver of `make bench`:
 *
 *   tern-bench run --out RAW.csv [options]    measure, one raw row per step (run.c)
 *   tern-bench report [options] RAW.csv...    medians, ratios, table, CSV, JSON (report.c)
 *   tern-bench list                           implementation names, for checks (impls.c)
 */
#include "runner.h"

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {{"run", lazy_run_main}, {"report", lazy_report_main}, {"list", lazy_list_main}};
	for (size_t i = 0; argc >= 2 && i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "usage: tern-bench run --out RAW.csv [--scenarios lazy,breakdown] [--seconds S]\n"
			"         [--rounds R] [--consumers 1,2,4,8] [--breakdown-consumers N]\n"
			"         [--malloc NAME] [--java CMD] [--rust CMD] [--only a,b]\n"
			"       tern-bench report [--csv F] [--json F] [--dat-lazy F] [--dat-breakdown F]\n"
			"         [--meta k=v]... RAW.csv...\n"
			"       tern-bench list\n");
	return 2;
}
