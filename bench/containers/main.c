/* SPDX-License-Identifier: MIT */
/* bench/containers/main.c — the bench_containers binary (containers.c describes it). */
#include "containers.h"

int main(int argc, char **argv)
{
	return containers_main(argc, argv);
}
