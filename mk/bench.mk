# SPDX-License-Identifier: MIT
# mk/bench.mk — tern-bench, the one benchmark driver (bench/main.c: one
# subcommand per scenario, the common machinery in bench/common/), and
# `make bench`.
#
#   make bench            every scenario, then a summary on the terminal:
#     bench-lazy          scenarios 1-2: the LazyTransform benchmark (tern,
#                         the lock versions, liburcu, ck_epoch, the floor,
#                         Java, Rust/crossbeam) and the breakdown, glibc malloc
#                         and again with jemalloc (tools/bench-run);
#                         $(BENCH_OUT)/latest.{txt,csv,json,png}
#     bench-pin           scenario 3: ns per pin+unpin pair; $(BENCH_OUT)/pin.csv
#     bench-reclaim       scenario 3: deferred objects/s, grace periods, the
#                         idle thread; $(BENCH_OUT)/reclaim{,-gp,-idle}.csv
#     bench-containers    scenario 4: queue, stack and hash map against
#                         liburcu, ck and locks; $(BENCH_OUT)/containers.csv
#   make bench-smoke      every scenario and row for a fraction of a second;
#                         checks every output is well-formed (in ci-extra)
#   make bench-publish    copies $(BENCH_OUT) (default build/bench-results) to
#                         the tracked bench/results
#
# The targets are data next to their scenario (lazy_targets[] in
# bench/lazy/impls.c, the tables in bench/pin/pin.c, bench/reclaim/reclaim.c
# and bench/containers/containers.c), printed met/MISSED in each table.
#
# Variables:
#   BENCH_SECONDS      length of one lazy step (default 0.18)
#   BENCH_ROUNDS       lazy rounds, each running every step once (default 7)
#   BENCH_CONSUMERS    consumer counts of the lazy sweep (default 1,2,4,8)
#   MALLOC             glibc | jemalloc: run the lazy scenarios with that
#                      allocator only (default: glibc, then the breakdown
#                      again with jemalloc via LD_PRELOAD)
#   BENCH_ONLY         comma-separated lazy implementation names (default all)
#   BENCH_PIN_ARGS, BENCH_RECLAIM_ARGS, BENCH_CONTAINERS_ARGS
#                      options of those scenarios (tern-bench SCENARIO --help)
#
# tern-bench is compiled with $(BENCH_OPT) and linked with $(BENCH_LIB), tern
# built the same way (the Makefile's tern_variant); tern-bench-fence, the
# same driver with only the pin scenario, with TERN_EPOCH_FORCE_FENCE and
# $(BENCH_LIB_FENCE).  Java is compiled with javac into $(BENCH_DIR)/java and
# the Rust rows built offline by cargo (Debian's crates,
# bench/rust/.cargo/config.toml) into $(BENCH_DIR)/rust; a missing toolchain
# skips its rows with a message.

BENCH_DIR := $(BUILD)/bench
BENCH_BIN := $(BENCH_DIR)/tern-bench
BENCH_BIN_FENCE := $(BENCH_DIR)/tern-bench-fence
BENCH_CFLAGS = -std=c11 $(BENCH_OPT) $(WARN) -pthread -Iinclude -D_GNU_SOURCE $(EXTRA_CFLAGS)
# Intel's JCC erratum (Skylake-derived CPUs, such as the development VM's): a
# jump that crosses or ends on a 32-byte boundary keeps its loop out of the
# decoded-uop cache, so a read loop's cost would depend on where the linker
# happened to place it (about 0.5 ns per read on the lazy floor row, +40%).
# The assembler pads jumps away from those boundaries when it can (clang's
# driver flag, else GNU as's).  Not for bench/pin's loops, which place
# themselves (bench/pin/loops.h).
BENCH_JCC := $(shell for f in -mbranches-within-32B-boundaries -Wa,-mbranches-within-32B-boundaries; do \
	    echo 'int x;' | $(CC) $$f -x c -c - -o /dev/null 2>/dev/null && { echo $$f; break; }; done)
BENCH_PEER_LIBS := -lurcu-cds -lurcu-memb -lurcu-mb -lurcu-common -lck -lm
BENCH_HDRS := $(wildcard bench/*/*.h) $(HDRS)
BENCH_COMMON_SRCS := $(sort $(wildcard bench/common/*.c))
BENCH_SRCS := bench/main.c bench/pin/pin.c $(BENCH_COMMON_SRCS) \
	      $(sort $(wildcard bench/lazy/*.c bench/reclaim/*.c bench/containers/*.c))

# bench/pin compiles each loop file once per code placement (bench/pin/loops.h):
# the loop starts 0, 16, 32 or 48 bytes after a 64-byte boundary, with the
# compiler's own loop/jump alignment padding turned off so the phase holds.
PIN_VARIANTS := v0 v1 v2 v3
PIN_SKIP_v0 := 0
PIN_SKIP_v1 := 16
PIN_SKIP_v2 := 32
PIN_SKIP_v3 := 48
PIN_PLACE_FLAGS = -falign-loops=1 $(if $(findstring clang,$(shell $(CC) --version 2>/dev/null)),,-falign-jumps=1 -falign-labels=1)
PIN_LOOPS := loop_floor loop_urcu_memb loop_urcu_mb loop_ck loop_tern
PIN_FENCE_LOOPS := loop_floor loop_tern
# $(call pin_objs,DIR,LOOPS): the objects of every placement of LOOPS.
pin_objs = $(foreach l,$(2),$(foreach v,$(PIN_VARIANTS),$(BENCH_DIR)/$(1)/$(l)_$(v).o))
# $(call pin_rules,DIR,VARIANT,EXTRA_FLAGS)
define pin_rules
$(BENCH_DIR)/$(1)/%_$(2).o: bench/pin/%.c $(BENCH_HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BENCH_CFLAGS) $(3) $$(PIN_PLACE_FLAGS) -DPIN_SKIP=$(PIN_SKIP_$(2)) -DPIN_VARIANT=_$(2) \
		$(if $(filter v0,$(2)),-DPIN_PRIMARY) -c $$< -o $$@
endef
$(foreach v,$(PIN_VARIANTS),$(eval $(call pin_rules,pin,$(v),)))
$(foreach v,$(PIN_VARIANTS),$(eval $(call pin_rules,pin-fence,$(v),-DTERN_EPOCH_FORCE_FENCE)))

$(BENCH_BIN): $(BENCH_SRCS) $(call pin_objs,pin,$(PIN_LOOPS)) $(BENCH_HDRS) $(BENCH_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(BENCH_JCC) $(BENCH_SRCS) $(call pin_objs,pin,$(PIN_LOOPS)) -o $@ \
		$(BENCH_LIB) $(BENCH_PEER_LIBS) $(EXTRA_LDFLAGS)

$(BENCH_BIN_FENCE): bench/main.c bench/pin/pin.c $(BENCH_COMMON_SRCS) $(call pin_objs,pin-fence,$(PIN_FENCE_LOOPS)) \
		    $(BENCH_HDRS) $(BENCH_LIB_FENCE)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -DTERN_EPOCH_FORCE_FENCE bench/main.c bench/pin/pin.c $(BENCH_COMMON_SRCS) \
		$(call pin_objs,pin-fence,$(PIN_FENCE_LOOPS)) -o $@ $(BENCH_LIB_FENCE) -lm $(EXTRA_LDFLAGS)

BENCH_SECONDS ?= 0.18
BENCH_ROUNDS ?= 7
BENCH_CONSUMERS ?= 1,2,4,8
BENCH_ONLY ?=
MALLOC ?=
BENCH_PIN_ARGS ?=
BENCH_RECLAIM_ARGS ?=
BENCH_CONTAINERS_ARGS ?=

BENCH_RUN_ENV = BENCH_BIN=$(BENCH_BIN) BENCH_DIR=$(BENCH_DIR) CC="$(CC)" MALLOC="$(MALLOC)" \
	 BENCH_ONLY="$(BENCH_ONLY)" BENCH_CONSUMERS="$(BENCH_CONSUMERS)"

# The rows each CSV must have (bench/pin/check-csv.sh, bench/containers/check-csv.sh).
PIN_IMPLS := floor urcu-memb urcu-mb ck_epoch tern tern-fence
RECLAIM_IMPLS := ck_epoch-p1 ck_epoch-p64 urcu-memb urcu-memb-pcpu tern-defer tern-call
GP_IMPLS := urcu-memb ck_epoch tern
CT_QUEUES := tern_queue urcu-lfq urcu-wfcq ck_fifo_mpmc mutex-queue
CT_STACKS := tern_stack urcu-lfs urcu-lfs-mutex ck_stack mutex-stack
CT_MAPS := tern_map tern_map-typed tern_map-typed-ct urcu-lfht ck_hs rwlock-map
CT_BENCHES := queue-1p1c queue-2p2c stack-1t stack-2t map-mix-1t map-mix-2t map-read-2t
# $(call check_pin,FILE) $(call check_reclaim,STEM) $(call check_containers,FILE)
check_pin = bench/pin/check-csv.sh pin $(1) "$(PIN_IMPLS)" "1 2"
check_reclaim = bench/pin/check-csv.sh reclaim $(1).csv "$(RECLAIM_IMPLS)" "1 2" && \
	bench/pin/check-csv.sh reclaim-gp $(1)-gp.csv "$(GP_IMPLS)" "1 2" && \
	bench/pin/check-csv.sh reclaim-idle $(1)-idle.csv "$(RECLAIM_IMPLS)" "-"
check_containers = bench/containers/check-csv.sh $(1) "$(CT_BENCHES)" "$(CT_QUEUES)" "$(CT_STACKS)" "$(CT_MAPS)"

.PHONY: bench bench-build bench-lazy bench-pin bench-reclaim bench-containers bench-smoke bench-publish
bench-build: $(BENCH_BIN) $(BENCH_BIN_FENCE)

# deps first (it may install the peers' packages), then build, then run.
bench: deps-bench
	@$(MAKE) --no-print-directory bench-build
	@$(MAKE) --no-print-directory bench-lazy bench-pin bench-reclaim bench-containers

bench-lazy: $(BENCH_BIN)
	@$(BENCH_RUN_ENV) BENCH_SECONDS=$(BENCH_SECONDS) BENCH_ROUNDS=$(BENCH_ROUNDS) tools/bench-run $(BENCH_OUT)

bench-pin: $(BENCH_BIN) $(BENCH_BIN_FENCE)
	@mkdir -p $(BENCH_OUT)
	$(BENCH_BIN) pin --fence-bin=$(BENCH_BIN_FENCE) --csv=$(BENCH_OUT)/pin.csv $(BENCH_PIN_ARGS)
	@$(call check_pin,$(BENCH_OUT)/pin.csv)

bench-reclaim: $(BENCH_BIN)
	@mkdir -p $(BENCH_OUT)
	$(BENCH_BIN) reclaim --csv=$(BENCH_OUT)/reclaim.csv $(BENCH_RECLAIM_ARGS)
	@$(call check_reclaim,$(BENCH_OUT)/reclaim)

bench-containers: $(BENCH_BIN)
	@mkdir -p $(BENCH_OUT)
	$(BENCH_BIN) containers --csv=$(BENCH_OUT)/containers.csv $(BENCH_CONTAINERS_ARGS)
	@$(call check_containers,$(BENCH_OUT)/containers.csv)

# Every scenario for a fraction of a second, into $(BENCH_DIR)/smoke*; each
# output checked (tools/bench-check: the lazy CSV, JSON and chart).
BENCH_SMOKE_DIR := $(BENCH_DIR)/smoke
BENCH_SMOKE_CONSUMERS := 1,2
# $(call smoke,NAME,COMMAND): runs COMMAND > NAME.txt, shows it on failure.
smoke = $(1) > $(BENCH_SMOKE_DIR)/$(2).txt 2>&1 || \
	{ cat $(BENCH_SMOKE_DIR)/$(2).txt; echo "bench-smoke: $(2) failed"; exit 1; }
bench-smoke: deps-bench
	@$(MAKE) --no-print-directory bench-build
	@mkdir -p $(BENCH_SMOKE_DIR)
	@$(call smoke,$(BENCH_RUN_ENV) BENCH_SECONDS=0.03 BENCH_ROUNDS=1 BENCH_CONSUMERS=$(BENCH_SMOKE_CONSUMERS) BENCH_SMOKE=1 \
	  tools/bench-run $(BENCH_SMOKE_DIR)/lazy,lazy)
	@tools/bench-check $(BENCH_SMOKE_DIR)/lazy
	@$(call smoke,$(BENCH_BIN) pin --fence-bin=$(BENCH_BIN_FENCE) --rounds=1 --ms=2 \
	  --csv=$(BENCH_SMOKE_DIR)/pin.csv,pin)
	@grep -q '^2 reader threads' $(BENCH_SMOKE_DIR)/pin.txt
	@$(call check_pin,$(BENCH_SMOKE_DIR)/pin.csv)
	@$(call smoke,$(BENCH_BIN) reclaim --rounds=1 --warmup=0 --warm-ms=2 --slice-ms=4 --rss-ms=0 --idle-ms=5 \
	  --idle-objs=200 --idle-rounds=1 --csv=$(BENCH_SMOKE_DIR)/reclaim.csv,reclaim)
	@grep -q '^2 writers + 1 reader' $(BENCH_SMOKE_DIR)/reclaim.txt
	@grep -q '^2 readers ' $(BENCH_SMOKE_DIR)/reclaim.txt
	@grep -q '^bench/reclaim idle:' $(BENCH_SMOKE_DIR)/reclaim.txt
	@$(call check_reclaim,$(BENCH_SMOKE_DIR)/reclaim)
	@$(call smoke,$(BENCH_BIN) containers --rounds=1 --warmup=0 --warm-ms=1 --slice-ms=2 \
	  --csv=$(BENCH_SMOKE_DIR)/containers.csv,containers)
	@grep -q '^targets' $(BENCH_SMOKE_DIR)/containers.txt
	@$(call check_containers,$(BENCH_SMOKE_DIR)/containers.csv)
	@echo "bench-smoke: every scenario's output well-formed (lazy, pin $(words $(PIN_IMPLS)) rows," \
	  "reclaim $(words $(RECLAIM_IMPLS)) + $(words $(GP_IMPLS)) gp + idle, containers $(words $(CT_BENCHES)) benches)"

# The peers are not test dependencies: the smoke runs in CI (ci-extra).
ci-extra:: bench-smoke

# Copies the last `make bench` results into the tracked bench/results.
bench-publish:
	@test -f $(BENCH_OUT)/latest.csv || { echo "bench-publish: no results in $(BENCH_OUT); run make bench"; exit 1; }
	mkdir -p bench/results
	cp -R $(BENCH_OUT)/. bench/results/
	@echo "bench-publish: $(BENCH_OUT) copied to bench/results; commit it"
