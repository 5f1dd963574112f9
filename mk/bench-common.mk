# SPDX-License-Identifier: MIT
# mk/bench-common.mk — the benchmark driver's common modules (bench/common/:
# options, clocks, statistics, CSV and machine description, child processes,
# the target table), compiled into every bench binary.  Read before the other
# mk/bench*.mk files (they are included in sorted order).
BENCH_COMMON_SRCS := $(sort $(wildcard bench/common/*.c))
BENCH_COMMON_HDRS := $(sort $(wildcard bench/common/*.h))
