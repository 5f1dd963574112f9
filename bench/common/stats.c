/* SPDX-License-Identifier: MIT */
/* bench/common/stats.c — per-thread transform time (see bench_transform()). */
#include "bench.h"

_Thread_local uint64_t bench_transform_cpu_ns;
