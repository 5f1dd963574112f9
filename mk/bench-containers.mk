# SPDX-License-Identifier: MIT
# mk/bench-containers.mk — the containers scenario of make bench (issue 12):
# tern's queue, stack and hash map against liburcu (cds_lfq, cds_wfcq,
# cds_lfs, cds_lfht), ConcurrencyKit (ck_fifo_mpmc, ck_stack, ck_hs) and
# lock baselines; bench/containers/containers.c describes the method.
#
#   make bench-containers         ~30-40 s; tables (medians, [p10-p90], ratios
#                                 to the best peer, targets met/MISSED) on
#                                 stdout, $(BENCH_OUT)/containers.csv
#   make bench-containers-smoke   every row for a few milliseconds; checks the
#                                 CSV (part of make ci-extra, not make test:
#                                 the peers are not test dependencies)
#
# BENCH_CONTAINERS_ARGS passes options (--rounds=N --slice-ms=M --impls=a,b
# --benches=a,b ...).  The driver is compiled with -O2 -DNDEBUG and linked
# with tern's bench build of the library (mk/bench.mk's libtern-bench.a,
# every source at -O2 -DNDEBUG, never touching $(BUILD)/obj).

BENCH_CONTAINERS_AVAILABLE := 1

BC_DIR := $(BUILD)/bench-containers
BC_BIN := $(BC_DIR)/bench_containers
BC_LIB_A := $(BENCH_LIB)
BC_CFLAGS = -std=c11 -O2 -DNDEBUG -g $(WARN) -pthread -Iinclude -D_GNU_SOURCE $(EXTRA_CFLAGS)
BC_PEER_LIBS := -lurcu-cds -lurcu-memb -lurcu-common -lck
BC_SRCS := $(sort $(wildcard bench/containers/*.c)) $(BENCH_COMMON_SRCS)
BC_HDRS := bench/containers/containers.h $(BENCH_COMMON_HDRS)

# The rows the CSV must have, per container.
BC_QUEUES := tern_queue urcu-lfq urcu-wfcq ck_fifo_mpmc mutex-queue
BC_STACKS := tern_stack urcu-lfs urcu-lfs-mutex ck_stack mutex-stack
BC_MAPS := tern_map tern_map-typed tern_map-typed-ct urcu-lfht ck_hs rwlock-map
BC_BENCHES := queue-1p1c queue-2p2c stack-1t stack-2t map-mix-1t map-mix-2t map-read-2t
bc_check = bench/containers/check-csv.sh $(1) "$(BC_BENCHES)" "$(BC_QUEUES)" "$(BC_STACKS)" "$(BC_MAPS)"

BENCH_CONTAINERS_ARGS ?=

$(BC_BIN): $(BC_SRCS) $(BC_HDRS) $(HDRS) $(BC_LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(BC_CFLAGS) $(BC_SRCS) -o $@ $(BC_LIB_A) $(BC_PEER_LIBS) $(EXTRA_LDFLAGS)

.PHONY: bench-containers bench-containers-smoke bench-containers-build
bench-containers-build: $(BC_BIN)

# deps first (it may install the peers' packages), then build, then run.
bench-containers: deps-bench
	@$(MAKE) --no-print-directory bench-containers-build
	@mkdir -p $(BENCH_OUT)
	$(BC_BIN) --csv=$(BENCH_OUT)/containers.csv $(BENCH_CONTAINERS_ARGS)
	@$(call bc_check,$(BENCH_OUT)/containers.csv)

# A fraction of a second; output goes to $(BC_DIR).
bench-containers-smoke: deps-bench
	@$(MAKE) --no-print-directory bench-containers-build
	@$(BC_BIN) --rounds=1 --warmup=0 --warm-ms=1 --slice-ms=2 --csv=$(BC_DIR)/smoke.csv > $(BC_DIR)/smoke.txt || \
	  { cat $(BC_DIR)/smoke.txt; echo "bench-containers-smoke: bench_containers failed"; exit 1; }
	@grep -q '^targets' $(BC_DIR)/smoke.txt
	@$(call bc_check,$(BC_DIR)/smoke.csv)
	@echo "bench-containers-smoke: containers.csv well-formed ($(words $(BC_BENCHES)) benches, $(words $(BC_QUEUES) $(BC_STACKS) $(BC_MAPS)) rows)"

ci-extra:: bench-containers-smoke
