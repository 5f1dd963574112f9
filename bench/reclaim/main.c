/* SPDX-License-Identifier: MIT */
/* bench/reclaim/main.c — the bench_reclaim binary (reclaim.c describes it). */
#include "reclaim.h"

int main(int argc, char **argv)
{
	return reclaim_main(argc, argv);
}
