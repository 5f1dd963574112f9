# SPDX-License-Identifier: MIT
# mk/bench.mk — the benchmark harness (issue 5).
#
#   make bench         scenario 1 (the seed's LazyTransform benchmark: tern, the
#                      seed's lock versions, liburcu, ck_epoch, the floor, Java,
#                      Rust/crossbeam) and scenario 2 (the seed's breakdown, glibc
#                      malloc and jemalloc); then bench-pin and bench-reclaim
#                      (mk/bench-epoch.mk; scenario 3) and bench-containers
#                      (mk/bench-containers.mk; scenario 4: queue, stack and
#                      hash map against liburcu, ck and locks).  Table on the terminal;
#                      $(BENCH_OUT)/latest.{csv,json,png} (default build/bench-results;
#                      make bench-publish copies them to the tracked bench/results).
#   make bench-smoke   every implementation for a fraction of a second; checks
#                      the output is well-formed (part of make ci-extra).
#
# Scenario 1's targets (issue 5, and issue 11's tern-qsbr row: online
# consumers, no pin per read) are data, lazy_targets[] in bench/lazy/impls.c,
# evaluated and printed by `tern-bench report` (and in latest.json).
#
# Variables:
#   BENCH_SECONDS      length of one measurement step (default 0.18)
#   BENCH_ROUNDS       rounds, each running every step once (default 7)
#   BENCH_CONSUMERS    consumer counts of the lazy sweep (default 1,2,4,8)
#   MALLOC             glibc | jemalloc: run everything with that allocator only.
#                      Default: scenario 1 and 2 with glibc, scenario 2 again
#                      with jemalloc (LD_PRELOAD).
#   BENCH_ONLY         comma-separated implementation names to run (default all)
#
# The C harness is compiled with -O2 -DNDEBUG into $(BUILD)/bench and links
# $(BENCH_LIB), tern built the same way (the Makefile's tern_variant).
# The Java row is compiled with javac into $(BUILD)/bench/java, the Rust rows
# built offline by cargo (Debian's crates, bench/rust/.cargo/config.toml) into
# $(BUILD)/bench/rust; a missing toolchain skips its rows with a message.

BL_DIR := $(BUILD)/bench
BL_OPT := $(BENCH_OPT)
# Intel's JCC erratum (Skylake-derived CPUs, such as the development VM's): a
# jump that crosses or ends on a 32-byte boundary keeps its loop out of the
# decoded-uop cache, so a read loop's cost would depend on where the linker
# happened to place it (about 0.5 ns per read on the floor row, +40%).
# The assembler pads jumps away from those boundaries when it can (clang's
# driver flag, else GNU as's); elsewhere nothing is added.
BL_JCC := $(shell for f in -mbranches-within-32B-boundaries -Wa,-mbranches-within-32B-boundaries; do \
	    echo 'int x;' | $(CC) $$f -x c -c - -o /dev/null 2>/dev/null && { echo $$f; break; }; done)
BL_CFLAGS = -std=c11 $(BL_OPT) $(WARN) -pthread -Iinclude -D_GNU_SOURCE $(BL_JCC) $(EXTRA_CFLAGS)
BL_PEER_LIBS := -lurcu-memb -lurcu-common -lck -lm

BL_LIB_A := $(BENCH_LIB)
BL_SRCS := $(sort $(wildcard bench/lazy/*.c)) $(BENCH_COMMON_SRCS)
BL_HDRS := $(wildcard bench/lazy/*.h) $(BENCH_COMMON_HDRS)
BL_BIN := $(BL_DIR)/tern-bench

$(BL_BIN): $(BL_SRCS) $(BL_HDRS) $(HDRS) $(BL_LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(BL_CFLAGS) $(BL_SRCS) -o $@ $(BL_LIB_A) $(BL_PEER_LIBS) $(EXTRA_LDFLAGS)

BENCH_SECONDS ?= 0.18
BENCH_ROUNDS ?= 7
BENCH_CONSUMERS ?= 1,2,4,8
BENCH_ONLY ?=
MALLOC ?=

BL_ENV = BENCH_BIN=$(BL_BIN) BENCH_DIR=$(BL_DIR) CC="$(CC)" MALLOC="$(MALLOC)" \
	 BENCH_ONLY="$(BENCH_ONLY)" BENCH_CONSUMERS="$(BENCH_CONSUMERS)"

.PHONY: bench bench-build bench-smoke bench-lazy
bench-build: $(BL_BIN)

# The C, Java and Rust scenarios, then the epoch microbenchmarks (scenario 3)
# and the containers (scenario 4) when mk/bench-epoch.mk and
# mk/bench-containers.mk provide them.
bench: deps-bench
	@$(MAKE) --no-print-directory bench-lazy
ifeq ($(BENCH_EPOCH_AVAILABLE),1)
	@echo "bench: scenario 3 (epoch pin and reclamation: make bench-pin bench-reclaim)"
	@$(MAKE) --no-print-directory bench-pin bench-reclaim
endif
ifeq ($(BENCH_CONTAINERS_AVAILABLE),1)
	@echo "bench: scenario 4 (queue, stack and hash map: make bench-containers)"
	@$(MAKE) --no-print-directory bench-containers
endif

bench-lazy: $(BL_BIN)
	@$(BL_ENV) BENCH_SECONDS=$(BENCH_SECONDS) BENCH_ROUNDS=$(BENCH_ROUNDS) \
	  tools/bench-run $(BENCH_OUT)

# Every implementation for a fraction of a second, into $(BL_DIR)/smoke; then
# tools/bench-check verifies the CSV, JSON and chart.
bench-smoke: deps-bench
	@$(MAKE) --no-print-directory $(BL_BIN)
	@$(BL_ENV) BENCH_SECONDS=0.03 BENCH_ROUNDS=1 BENCH_CONSUMERS=1,2 BENCH_SMOKE=1 \
	  tools/bench-run $(BL_DIR)/smoke > $(BL_DIR)/smoke.log 2>&1 || \
	  { cat $(BL_DIR)/smoke.log; echo "bench-smoke: tools/bench-run failed"; exit 1; }
	@tools/bench-check $(BL_DIR)/smoke

# The peers are not test dependencies: the smoke runs in CI (ci-extra).
ci-extra:: bench-smoke

# Copies the last `make bench` results into the tracked bench/results.
.PHONY: bench-publish
bench-publish:
	@test -f $(BENCH_OUT)/latest.csv || { echo "bench-publish: no results in $(BENCH_OUT); run make bench"; exit 1; }
	mkdir -p bench/results
	cp -R $(BENCH_OUT)/. bench/results/
	@echo "bench-publish: $(BENCH_OUT) copied to bench/results; commit it"
