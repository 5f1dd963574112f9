# SPDX-License-Identifier: MIT
# mk/bench-epoch.mk — epoch microbenchmarks (bench/pin, bench/reclaim).
#
#   make bench-pin            ns per pin+unpin pair: tern (membarrier and forced-fence
#                             builds), liburcu-memb, liburcu-mb, ck_epoch, relaxed-load
#                             floor; table on stdout, $(BENCH_OUT)/pin.csv
#   make bench-reclaim        deferred objects/s, peak pending, peak RSS: tern defer and
#                             call, ck_epoch call+poll (two poll rates), liburcu
#                             call_rcu (default and per-CPU workers), interleaved in
#                             short slices inside one process (ratios to the best
#                             peer per round); grace-period latency (tern_epoch_synchronize,
#                             synchronize_rcu, ck_epoch_synchronize, 1 and 2 readers);
#                             the idle-thread row (a thread defers 1,000 objects and
#                             sleeps; a barrier from another thread).  Tables and
#                             targets on stdout; $(BENCH_OUT)/reclaim.csv,
#                             reclaim-gp.csv, reclaim-idle.csv
#   make bench-epoch-smoke    both, for a fraction of a second; checks the CSVs
#                             (run by `make test`)
#
# BENCH_PIN_ARGS / BENCH_RECLAIM_ARGS pass options (--rounds=N --ms=M ...).
# Everything is compiled with -O2 -DNDEBUG, tern included: it links
# $(BENCH_LIB) and, for the forced-fence row, $(BENCH_LIB_FENCE) (library
# variants of the Makefile's tern_variant, never touching $(BUILD)/obj).

BENCH_EPOCH_AVAILABLE := 1

BE_DIR := $(BUILD)/bench-epoch
BE_HAVE_TERN := $(if $(wildcard src/epoch/*.c),1)
BE_OPT := -O2 -DNDEBUG
BE_CFLAGS = -std=c11 $(BE_OPT) $(WARN) -pthread -Iinclude -D_GNU_SOURCE \
	    $(if $(BE_HAVE_TERN),-DBENCH_HAVE_TERN)
BE_PEER_LIBS := -lurcu-memb -lurcu-mb -lurcu-common -lck

# tern as every benchmark links it (Makefile: tern_variant), and its
# forced-fence build for the pin row of that name.
BE_LIB_A := $(BENCH_LIB)
BE_LIB_FENCE_A := $(BENCH_LIB_FENCE)

BE_PIN := $(BE_DIR)/bench_pin
BE_PIN_FENCE := $(BE_DIR)/bench_pin_fence
BE_RECLAIM := $(BE_DIR)/bench_reclaim
BE_PIN_HDRS := bench/pin/loops.h $(BENCH_COMMON_HDRS)

# bench/pin compiles each loop file once per code placement (bench/pin/loops.h):
# the loop starts 0, 16, 32 or 48 bytes after a 64-byte boundary, with the
# compiler's own loop/jump alignment padding turned off so the phase holds.
BE_VARIANTS := v0 v1 v2 v3
BE_SKIP_v0 := 0
BE_SKIP_v1 := 16
BE_SKIP_v2 := 32
BE_SKIP_v3 := 48
BE_PLACE_FLAGS = -falign-loops=1 $(if $(findstring clang,$(shell $(CC) --version 2>/dev/null)),,-falign-jumps=1 -falign-labels=1)
BE_PIN_LOOPS := loop_floor loop_urcu_memb loop_urcu_mb loop_ck $(if $(BE_HAVE_TERN),loop_tern)
BE_PIN_FENCE_LOOPS := loop_floor loop_tern
define be_variant_rules
$(BE_DIR)/pin/%_$(1).o: bench/pin/%.c $(BE_PIN_HDRS) $(HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BE_CFLAGS) $$(BE_PLACE_FLAGS) -DPIN_SKIP=$(BE_SKIP_$(1)) -DPIN_VARIANT=_$(1) \
		$(if $(filter v0,$(1)),-DPIN_PRIMARY) -c $$< -o $$@
$(BE_DIR)/pin-fence/%_$(1).o: bench/pin/%.c $(BE_PIN_HDRS) $(HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BE_CFLAGS) -DTERN_EPOCH_FORCE_FENCE $$(BE_PLACE_FLAGS) -DPIN_SKIP=$(BE_SKIP_$(1)) \
		-DPIN_VARIANT=_$(1) $(if $(filter v0,$(1)),-DPIN_PRIMARY) -c $$< -o $$@
endef
$(foreach v,$(BE_VARIANTS),$(eval $(call be_variant_rules,$(v))))
BE_PIN_OBJS = $(foreach l,$(BE_PIN_LOOPS),$(foreach v,$(BE_VARIANTS),$(BE_DIR)/pin/$(l)_$(v).o))
BE_PIN_FENCE_OBJS = $(foreach l,$(BE_PIN_FENCE_LOOPS),$(foreach v,$(BE_VARIANTS),$(BE_DIR)/pin-fence/$(l)_$(v).o))

$(BE_PIN): bench/pin/pin.c $(BENCH_COMMON_SRCS) $(BE_PIN_OBJS) $(BE_PIN_HDRS) $(HDRS) $(if $(BE_HAVE_TERN),$(BE_LIB_A))
	@mkdir -p $(dir $@)
	$(CC) $(BE_CFLAGS) bench/pin/pin.c $(BENCH_COMMON_SRCS) $(BE_PIN_OBJS) -o $@ $(if $(BE_HAVE_TERN),$(BE_LIB_A)) $(BE_PEER_LIBS)

$(BE_PIN_FENCE): bench/pin/pin.c $(BENCH_COMMON_SRCS) $(BE_PIN_FENCE_OBJS) $(BE_PIN_HDRS) $(HDRS) $(BE_LIB_FENCE_A)
	@mkdir -p $(dir $@)
	$(CC) $(BE_CFLAGS) -DTERN_EPOCH_FORCE_FENCE bench/pin/pin.c $(BENCH_COMMON_SRCS) $(BE_PIN_FENCE_OBJS) -o $@ $(BE_LIB_FENCE_A)

BE_RECLAIM_SRCS := bench/reclaim/main.c bench/reclaim/reclaim.c bench/reclaim/rc_ck.c bench/reclaim/rc_urcu.c \
		   $(if $(BE_HAVE_TERN),bench/reclaim/rc_tern.c) $(BENCH_COMMON_SRCS)

$(BE_RECLAIM): $(BE_RECLAIM_SRCS) bench/reclaim/reclaim.h $(BENCH_COMMON_HDRS) $(HDRS) \
	       $(if $(BE_HAVE_TERN),$(BE_LIB_A))
	@mkdir -p $(dir $@)
	$(CC) $(BE_CFLAGS) $(BE_RECLAIM_SRCS) -o $@ $(if $(BE_HAVE_TERN),$(BE_LIB_A)) $(BE_PEER_LIBS)

BE_BINS := $(BE_PIN) $(BE_RECLAIM) $(if $(BE_HAVE_TERN),$(BE_PIN_FENCE))
BE_FENCE_ARG := $(if $(BE_HAVE_TERN),--fence-bin=$(BE_PIN_FENCE))
BE_PIN_IMPLS := floor urcu-memb urcu-mb ck_epoch $(if $(BE_HAVE_TERN),tern tern-fence)
BE_RECLAIM_IMPLS := ck_epoch-p1 ck_epoch-p64 urcu-memb urcu-memb-pcpu $(if $(BE_HAVE_TERN),tern-defer tern-call)
BE_GP_IMPLS := urcu-memb ck_epoch $(if $(BE_HAVE_TERN),tern)
# Checks the three CSVs of bench_reclaim written to $(1).csv, $(1)-gp.csv, $(1)-idle.csv.
be_check_reclaim = bench/pin/check-csv.sh reclaim $(1).csv "$(BE_RECLAIM_IMPLS)" "1 2" && \
	bench/pin/check-csv.sh reclaim-gp $(1)-gp.csv "$(BE_GP_IMPLS)" "1 2" && \
	bench/pin/check-csv.sh reclaim-idle $(1)-idle.csv "$(BE_RECLAIM_IMPLS)" "-"
BENCH_PIN_ARGS ?=
BENCH_RECLAIM_ARGS ?=

.PHONY: bench-pin bench-reclaim bench-epoch-smoke bench-epoch-build
bench-epoch-build: $(BE_BINS)

# deps first (it may install the peers' packages), then build, then run.
bench-pin: deps-bench
	@$(MAKE) --no-print-directory bench-epoch-build
	@mkdir -p $(BENCH_OUT)
	$(BE_PIN) $(BE_FENCE_ARG) --csv=$(BENCH_OUT)/pin.csv $(BENCH_PIN_ARGS)
	@bench/pin/check-csv.sh pin $(BENCH_OUT)/pin.csv "$(BE_PIN_IMPLS)" "1 2"

bench-reclaim: deps-bench
	@$(MAKE) --no-print-directory bench-epoch-build
	@mkdir -p $(BENCH_OUT)
	$(BE_RECLAIM) --csv=$(BENCH_OUT)/reclaim.csv $(BENCH_RECLAIM_ARGS)
	@$(call be_check_reclaim,$(BENCH_OUT)/reclaim)

# A fraction of a second each; output goes to $(BE_DIR).
bench-epoch-smoke: bench-epoch-build
	@$(BE_PIN) $(BE_FENCE_ARG) --rounds=1 --ms=2 --csv=$(BE_DIR)/smoke-pin.csv > $(BE_DIR)/smoke-pin.txt
	@grep -q '^2 reader threads' $(BE_DIR)/smoke-pin.txt
	@bench/pin/check-csv.sh pin $(BE_DIR)/smoke-pin.csv "$(BE_PIN_IMPLS)" "1 2"
	@$(BE_RECLAIM) --rounds=1 --warmup=0 --warm-ms=2 --slice-ms=4 --rss-ms=0 --idle-ms=5 --idle-objs=200 --idle-rounds=1 \
	  --csv=$(BE_DIR)/smoke-reclaim.csv > $(BE_DIR)/smoke-reclaim.txt
	@grep -q '^2 writers + 1 reader' $(BE_DIR)/smoke-reclaim.txt
	@grep -q '^2 readers ' $(BE_DIR)/smoke-reclaim.txt
	@grep -q '^bench/reclaim idle:' $(BE_DIR)/smoke-reclaim.txt
	@$(call be_check_reclaim,$(BE_DIR)/smoke-reclaim)
	@echo "bench-epoch-smoke: pin and reclaim output well-formed ($(words $(BE_PIN_IMPLS)) + $(words $(BE_RECLAIM_IMPLS)) + $(words $(BE_GP_IMPLS)) gp + $(words $(BE_RECLAIM_IMPLS)) idle rows)"

ci-extra:: bench-epoch-smoke
