# SPDX-License-Identifier: MIT
# mk/reliability.mk — sanitizers, valgrind and the soak test (issue 7).
#
#   make check-asan        every Criterion suite under AddressSanitizer +
#                          UndefinedBehaviorSanitizer + LeakSanitizer, then a
#                          short soak under the same sanitizers
#   make check-tsan        every suite under ThreadSanitizer, forced-fence
#                          build (TSan cannot see membarrier), then a soak
#   make check-valgrind    every suite under memcheck
#   make soak SECONDS=N    1 writer + readers on the epoch GC, AtomicCell and
#                          LazyTransform for N seconds (tests/soak/soak.c)
#   make soak-selftest     the soak's verdict catches an injected stall/leak
#
# Each check builds its own library and test binaries in $(BUILD)/<tool>/ by
# running this Makefile again with BUILD and EXTRA_CFLAGS/EXTRA_LDFLAGS set
# (every tests/*/test_*.c and every TEST_BINS_EXTRA binary, exactly what
# `make test` runs), runs them with tools/run-tests, and then reads the
# sanitizer / valgrind log files.  The logs are what decides: a report made
# after a test's result was sent (LeakSanitizer runs at exit, TSan exits 66
# at exit, valgrind's leak check runs at exit) does not fail the Criterion
# run, so a run passes only when every suite passes AND no report exists.
#
# Knobs: REL_ASAN_SCALE, REL_TSAN_SCALE, REL_VG_SCALE (TERN_TEST_SCALE of the
# concurrency tests in each run), REL_SOAK_SAN_SECONDS (soak length under the
# sanitizers), REL_ASAN_CC / REL_TSAN_CC (compilers of those builds),
# REL_VG_EXCLUDE (binaries valgrind skips), SOAK_FLAGS (extra soak options).

.PHONY: check-asan check-tsan check-valgrind soak soak-selftest reliability-bins

REL_ASAN_DIR := $(BUILD)/asan
REL_TSAN_DIR := $(BUILD)/tsan
REL_VG_DIR := $(BUILD)/valgrind

REL_ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# gcc 12's -fsanitize=null reports "member access within null pointer" for
# accesses to extern _Thread_local objects (tern__epoch_self): the inserted
# null check branches on stale flags (`lea` sets none), a known gcc bug, so
# some tern_epoch_pin() calls "fail" at random.  clang has no such bug and
# keeps every check enabled, so the ASan/UBSan build uses clang.
REL_ASAN_CC ?= clang
REL_TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
# gcc 12 refuses atomic_thread_fence under -fsanitize=thread with -Werror
# (-Wtsan: "not supported"); clang instruments it without a warning.  The
# limitation is the same for both (see docs/RELIABILITY.md, "Tool notes"), so the
# TSan build uses clang rather than silencing the warning.
REL_TSAN_CC ?= clang

REL_ASAN_SCALE ?= 0.25
REL_TSAN_SCALE ?= 0.25
REL_VG_SCALE ?= 0.05
# Binaries left out of the valgrind run (patterns on the names in
# $(BUILD)/tests/): the single-header builds run the same code as the
# library builds (they are checked under ASan and TSan) and would double the
# slowest check.  The torture suite is left out too: its fork children
# _exit() on purpose with the parent's threads' objects still allocated
# (and, as documented, with garbage a dead thread was rearranging leaked),
# which memcheck reports as leaks; ASan/UBSan and TSan run it in full.
REL_VG_EXCLUDE ?= single_% epoch_test_torture
REL_SOAK_SAN_SECONDS ?= 8

# `make soak` length in seconds (SECONDS=N on the command line).
SECONDS ?= 60
SOAK_FLAGS ?=

REL_SOAK_BIN := $(BUILD)/soak/soak

$(REL_SOAK_BIN): tests/soak/soak.c $(LIB_A) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $< -o $@ $(LIB_A) -pthread $(EXTRA_LDFLAGS)

soak: $(REL_SOAK_BIN)
	$(REL_SOAK_BIN) --seconds $(SECONDS) $(SOAK_FLAGS)

# The verdict can fail: a reader that stays pinned (pending objects and RSS
# grow) and a writer that drops objects (accounting) must both be caught.
soak-selftest: $(REL_SOAK_BIN)
	@out=$$($(REL_SOAK_BIN) --seconds 3 --quiet --inject-stall 2>&1); rc=$$?; echo "$$out"; \
	if [ $$rc -eq 0 ] || ! grep -q 'FAIL: pending objects grow' <<<"$$out"; then \
	  echo "tern: soak-selftest: an injected stall was not detected"; exit 1; fi
	@out=$$($(REL_SOAK_BIN) --seconds 2 --quiet --inject-leak 2>&1); rc=$$?; echo "$$out"; \
	if [ $$rc -eq 0 ] || ! grep -q 'FAIL: objects lost or leaked' <<<"$$out"; then \
	  echo "tern: soak-selftest: an injected leak was not detected"; exit 1; fi
	@echo "tern: soak-selftest: both injected faults detected"

# Prints the test binaries of this BUILD but REL_BINS_EXCLUDE (used below).
REL_BINS_EXCLUDE ?=
reliability-bins:
	@echo '$(strip $(filter-out $(addprefix $(BUILD)/tests/,$(REL_BINS_EXCLUDE)),$(TEST_BINS) $(TEST_BINS_EXTRA)))'

# $(call rel_build,DIR,CC,CFLAGS,LDFLAGS): library, suites and soak in DIR.
define rel_build
	$(MAKE) --no-print-directory BUILD=$(1) CC=$(2) EXTRA_CFLAGS="$(3)" \
	  EXTRA_LDFLAGS="$(4)" tests-build $(1)/soak/soak
endef

# $(call rel_suites,DIR,ENV): runs every suite of DIR through tools/run-tests
# with the environment ENV; output in DIR/logs/suites.out, exit status in
# DIR/logs/suites.rc (judged by rel_verdict, after the reports are shown).
define rel_suites
	@bins=$$($(MAKE) -s --no-print-directory BUILD=$(1) reliability-bins); \
	echo "env $(2) tools/run-tests <$$(echo $$bins | wc -w) suites>"; \
	env $(2) tools/run-tests $$bins 2>&1 | tee $(1)/logs/suites.out; \
	echo $${PIPESTATUS[0]} >$(1)/logs/suites.rc
endef

# $(call rel_soak,DIR,ENV): a short soak under the same tool; soak.out/.rc.
define rel_soak
	@echo "env $(2) $(1)/soak/soak --seconds $(REL_SOAK_SAN_SECONDS) --no-rss-check"; \
	env $(2) $(1)/soak/soak --seconds $(REL_SOAK_SAN_SECONDS) --no-rss-check 2>&1 | \
	  tee $(1)/logs/soak.out; \
	echo $${PIPESTATUS[0]} >$(1)/logs/soak.rc
endef

# $(call rel_verdict,DIR,WHAT): prints every sanitizer log file written in
# DIR/logs (log_path=DIR/logs/<tool>.<pid>) and fails if there is one, if a
# report reached the captured output anyway, or if a suite or the soak
# failed.
define rel_verdict
	@logs=$$(find $(1)/logs -type f \( -name 'asan.*' -o -name 'ubsan.*' -o -name 'tsan.*' \) -size +0 | sort); \
	for f in $$logs; do echo "---- $$f"; cat "$$f"; done; \
	bad=0; \
	if [ -n "$$logs" ]; then \
	  echo "tern: $(2): $$(echo $$logs | wc -w) sanitizer report file(s) in $(1)/logs (above)"; bad=1; \
	fi; \
	if grep -E -n 'ERROR: (Address|Leak|Thread|UndefinedBehavior)Sanitizer|WARNING: ThreadSanitizer|runtime error:' \
	     $(1)/logs/*.out; then \
	  echo "tern: $(2): sanitizer report in the output (above)"; bad=1; \
	fi; \
	for r in suites soak; do \
	  if [ "$$(cat $(1)/logs/$$r.rc 2>/dev/null)" != 0 ]; then echo "tern: $(2): $$r failed"; bad=1; fi; \
	done; \
	[ $$bad -eq 0 ] || exit 1; \
	echo "tern: $(2): every suite and the soak passed; no sanitizer reports"
endef

# ---------------------------------------------------------------- ASan

# One LeakSanitizer suppression, for Criterion itself: its runner process
# (the parent that forks the test workers and never runs test code) leaks a
# 48-byte calloc'd block in some runs.  `criterion_run_all_tests` is on the
# stack of every runner allocation and of no worker allocation (workers enter
# tests through BoxFort's main, not through it), so the suppression cannot
# hide a leak made by a test or by tern.  Matching it needs full stacks:
# libcriterion has no frame pointers, hence fast_unwind_on_malloc=0.
REL_LSAN_SUPP := $(REL_ASAN_DIR)/lsan.supp

REL_ASAN_ENV = ASAN_OPTIONS=log_path=$(abspath $(REL_ASAN_DIR))/logs/asan:detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1 \
  UBSAN_OPTIONS=log_path=$(abspath $(REL_ASAN_DIR))/logs/ubsan:print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions=$(abspath $(REL_LSAN_SUPP)):print_suppressions=0:report_objects=1 \
  TERN_TEST_SCALE=$(REL_ASAN_SCALE)

check-asan:
	$(call rel_build,$(REL_ASAN_DIR),$(REL_ASAN_CC),$(REL_ASAN_FLAGS),$(REL_ASAN_FLAGS))
	@rm -rf $(REL_ASAN_DIR)/logs && mkdir -p $(REL_ASAN_DIR)/logs
	@printf '# Criterion runner process (see mk/reliability.mk)\nleak:criterion_run_all_tests\n' >$(REL_LSAN_SUPP)
	$(call rel_suites,$(REL_ASAN_DIR),$(REL_ASAN_ENV))
	$(call rel_soak,$(REL_ASAN_DIR),$(REL_ASAN_ENV))
	$(call rel_verdict,$(REL_ASAN_DIR),check-asan)

# ---------------------------------------------------------------- TSan

# Criterion cannot place its shared arena under TSan without this preload
# (Criterion issue #274; see tests/soak/tsan_arena_preload.c).
REL_TSAN_PRELOAD := $(REL_TSAN_DIR)/tsan_arena_preload.so

$(REL_TSAN_PRELOAD): tests/soak/tsan_arena_preload.c
	@mkdir -p $(dir $@)
	$(REL_TSAN_CC) -std=c11 -O2 $(WARN) -shared -fPIC $< -o $@ -ldl -pthread

REL_TSAN_ENV = TSAN_OPTIONS="log_path=$(abspath $(REL_TSAN_DIR))/logs/tsan second_deadlock_stack=1 history_size=4" \
  LD_PRELOAD=$(abspath $(REL_TSAN_PRELOAD)) TERN_TEST_SCALE=$(REL_TSAN_SCALE)

check-tsan: $(REL_TSAN_PRELOAD)
	$(call rel_build,$(REL_TSAN_DIR),$(REL_TSAN_CC),$(REL_TSAN_FLAGS) -DTERN_EPOCH_FORCE_FENCE,$(REL_TSAN_FLAGS))
	@rm -rf $(REL_TSAN_DIR)/logs && mkdir -p $(REL_TSAN_DIR)/logs
	$(call rel_suites,$(REL_TSAN_DIR),$(REL_TSAN_ENV))
	$(call rel_soak,$(REL_TSAN_DIR),$(REL_TSAN_ENV))
	$(call rel_verdict,$(REL_TSAN_DIR),check-tsan)

# ------------------------------------------------------------ valgrind

# Every suite binary is run as `valgrind <options> binary`, following
# Criterion's fork+exec'd test workers (--trace-children) and the forks the
# tests make themselves; one log file per process.
REL_VG_OPTS = --trace-children=yes --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect --track-origins=yes --num-callers=30 \
  --log-file=$(abspath $(REL_VG_DIR))/logs/vg.%p

check-valgrind:
	$(call rel_build,$(REL_VG_DIR),$(CC),,)
	@rm -rf $(REL_VG_DIR)/logs $(REL_VG_DIR)/run && mkdir -p $(REL_VG_DIR)/logs $(REL_VG_DIR)/run
	@for b in $$($(MAKE) -s --no-print-directory BUILD=$(REL_VG_DIR) \
	    REL_BINS_EXCLUDE='$(REL_VG_EXCLUDE)' reliability-bins); do \
	  w=$(REL_VG_DIR)/run/$$(basename $$b); \
	  printf '#!/bin/sh\nexec valgrind %s %s "$$@"\n' "$(REL_VG_OPTS)" "$(abspath .)/$$b" > $$w; \
	  chmod +x $$w; \
	done
	@echo "TERN_TEST_SCALE=$(REL_VG_SCALE) tools/run-tests <valgrind wrappers in $(REL_VG_DIR)/run>"
	@TERN_TEST_SCALE=$(REL_VG_SCALE) tools/run-tests $(REL_VG_DIR)/run/* 2>&1 | tee $(REL_VG_DIR)/logs/suites.out; \
	exit $${PIPESTATUS[0]}
	@# Every process: 0 errors (leak records count as errors).  The one
	@# exception: a death-test child killed on purpose by tern__assert_fail()
	@# still owns its heap at abort(), so there only leak records may appear.
	@bad=0; n=0; \
	for f in $(REL_VG_DIR)/logs/vg.*; do \
	  n=$$((n + 1)); \
	  errs=$$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$$f" | tail -n 1); \
	  if [ -z "$$errs" ]; then echo "---- $$f (no summary)"; cat "$$f"; bad=1; continue; fi; \
	  [ "$$errs" -eq 0 ] && continue; \
	  if grep -q 'Process terminating with default action of signal 6' "$$f" && \
	     grep -q 'tern__assert_fail' "$$f"; then \
	    leaks=$$(grep -c 'are \(definitely\|indirectly\) lost in loss record' "$$f"); \
	    [ "$$errs" -eq "$$leaks" ] && continue; \
	  fi; \
	  echo "---- $$f"; cat "$$f"; bad=1; \
	done; \
	if [ $$bad -ne 0 ]; then echo "tern: check-valgrind: memcheck errors or leaks (above)"; exit 1; fi; \
	echo "tern: check-valgrind: $$n processes, 0 errors, 0 bytes definitely or indirectly lost"

# ------------------------------------------------------------------ CI

ci-extra::
	$(MAKE) --no-print-directory check-asan
	$(MAKE) --no-print-directory check-tsan
	$(MAKE) --no-print-directory check-valgrind
	$(MAKE) --no-print-directory soak SECONDS=20
	$(MAKE) --no-print-directory soak-selftest

# ------------------------------------------------------ release misuse

# The misuse suite once more against a library and test built with NDEBUG
# (run by `make test`): the death tests skip, and the setup calls must still
# reject NULL with EINVAL without any assertion.
REL_NDEBUG_DIR := $(BUILD)/ndebug
REL_NDEBUG_LIB := $(REL_NDEBUG_DIR)/libtern.a

$(eval $(call tern_variant,$(REL_NDEBUG_DIR),-DNDEBUG))

$(BUILD)/tests/misuse_test_misuse_ndebug: tests/misuse/test_misuse.c $(REL_NDEBUG_LIB) $(HDRS) $(TEST_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -DNDEBUG $< -o $@ $(REL_NDEBUG_LIB) $(TEST_LIBS)

TEST_BINS_EXTRA += $(BUILD)/tests/misuse_test_misuse_ndebug
