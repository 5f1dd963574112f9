# SPDX-License-Identifier: MIT
# tern — lock-free concurrency primitives with epoch-based reclamation.
#
#   make            libtern.a and libtern.so.MAJOR.MINOR in $(BUILD)/
#   make test       build and run every suite (needs a C compiler, make, pkg-config
#                   and Criterion; as root, installs what is missing: make deps-test)
#   make bench      the benchmark harness (installs its peers: make deps-bench); results
#                   in $(BUILD)/bench-results; make bench-publish copies them to bench/results
#   make deps       every Debian package of test, bench and ci-extra (deps-test, deps-bench, deps-ci)
#   make install    PREFIX=/usr/local DESTDIR=   headers (tern.h, tern/*.h, the
#                   C++ tern.hpp), libraries, tern.pc, and the CMake package
#                   $(LIBDIR)/cmake/tern (find_package(tern); make check-cmake)
#   make single     regenerate dist/tern.h and dist/tern_lightlock.h
#   make check-asan / check-tsan / check-valgrind / check-model / soak SECONDS=N
#   make check-cmake / check-aarch64 / check-nonlinux   CMake package, aarch64
#                   under qemu-user, the non-Linux fallback (mk/cmake.mk, mk/cross.mk)
#   make ci-extra   everything .ci/run adds after make test (mk/*.mk)
#
# Variables: CC (gcc or clang), BUILD (output dir), OPT (optimisation flags),
# EXTRA_CFLAGS / EXTRA_LDFLAGS (added to every compile / link, e.g. sanitizers).

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
SHELL := /bin/bash

VERSION_MAJOR := 0
VERSION_MINOR := 1
VERSION_PATCH := 0
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
CMAKEDIR ?= $(LIBDIR)/cmake/tern
BUILD ?= build
OPT ?= -O2 -g
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=
# Where `make bench` writes its results (bench-publish copies them to bench/results).
BENCH_OUT ?= $(BUILD)/bench-results

WARN := -Wall -Wextra -Werror
LIB_CFLAGS = -std=c11 $(OPT) $(WARN) -pthread -Iinclude -fPIC -fvisibility=hidden $(EXTRA_CFLAGS)
TEST_CFLAGS = -std=c11 $(OPT) $(WARN) -pthread -Iinclude -D_GNU_SOURCE $(EXTRA_CFLAGS)
TEST_LIBS = -lcriterion -pthread $(EXTRA_LDFLAGS)

SRCS := $(sort $(wildcard src/*/*.c))
OBJS := $(SRCS:%.c=$(BUILD)/obj/%.o)
HDRS := include/tern.h $(sort $(wildcard include/tern/*.h))
# Private headers of src/ (parts of one translation unit, e.g. src/epoch/).
PRIV_HDRS := $(sort $(wildcard src/*/*.h))

LIB_A := $(BUILD)/libtern.a
SONAME := libtern.so.$(VERSION_MAJOR)
LIB_SO := $(BUILD)/libtern.so.$(VERSION_MAJOR).$(VERSION_MINOR)

# Every tests/<component>/test_*.c is one Criterion binary.
TEST_SRCS := $(sort $(wildcard tests/*/test_*.c))
TEST_BINS := $(foreach s,$(TEST_SRCS),$(BUILD)/tests/$(notdir $(patsubst %/,%,$(dir $(s))))_$(basename $(notdir $(s))))
TEST_COMMON := $(wildcard tests/common/*.h)

.PHONY: all lib test check deps deps-test deps-bench deps-ci check-spdx check-lines clean install uninstall \
	tests-build test-extra ci-extra
all: lib
lib: $(LIB_A) $(LIB_SO)

$(BUILD)/obj/%.o: %.c $(HDRS) $(PRIV_HDRS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(LIB_A): $(OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(LIB_SO): $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,$(SONAME) -pthread -o $@ $^ $(EXTRA_LDFLAGS)
	ln -sf $(notdir $@) $(BUILD)/$(SONAME)
	ln -sf $(notdir $@) $(BUILD)/libtern.so

# tests/<comp>/test_<name>.c -> $(BUILD)/tests/<comp>_test_<name>
define test_rule
$(BUILD)/tests/$(notdir $(patsubst %/,%,$(dir $(1))))_$(basename $(notdir $(1))): $(1) $(LIB_A) $(HDRS) $(TEST_COMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(TEST_CFLAGS) $(1) -o $$@ $(LIB_A) $$(TEST_LIBS)
endef
$(foreach s,$(TEST_SRCS),$(eval $(call test_rule,$(s))))

# Library variants, the one mechanism: $(call tern_variant,DIR,FLAGS[,OPT])
# defines DIR/libtern.a, the library built by a recursive make with
# BUILD=DIR, FLAGS added to EXTRA_CFLAGS and OPT (if given) in place of the
# default.  The forced-fence and NDEBUG test builds (mk/epoch.mk,
# mk/reliability.mk) and every benchmark (mk/bench*.mk: BENCH_LIB, and
# BENCH_LIB_FENCE for the forced-fence pin row) use it.
define tern_variant
$(1)/libtern.a: $$(SRCS) $$(HDRS) $$(PRIV_HDRS)
	+$$(MAKE) --no-print-directory BUILD=$(1) EXTRA_CFLAGS="$$(EXTRA_CFLAGS) $(2)" $(if $(3),OPT="$(3)") $(1)/libtern.a
endef
BENCH_OPT := -O2 -DNDEBUG -g
BENCH_LIB := $(BUILD)/bench-lib/libtern.a
BENCH_LIB_FENCE := $(BUILD)/bench-lib-fence/libtern.a
$(eval $(call tern_variant,$(BUILD)/bench-lib,,$(BENCH_OPT)))
$(eval $(call tern_variant,$(BUILD)/bench-lib-fence,-DTERN_EPOCH_FORCE_FENCE,$(BENCH_OPT)))

# mk/*.mk may add Criterion binaries (with their own build rules) to
# TEST_BINS_EXTRA, recipes to the double-colon targets test-extra (run by
# `make test` before the suites) and ci-extra (run by .ci/run after it).
TEST_BINS_EXTRA :=

# Further targets (bench, sanitizers, single header, model, ...) live in mk/.
-include $(sort $(wildcard mk/*.mk))

tests-build: $(TEST_BINS) $(TEST_BINS_EXTRA)

test: deps-test
	$(MAKE) --no-print-directory tests-build test-extra
	tools/run-tests $(TEST_BINS) $(TEST_BINS_EXTRA)

test-extra::
	@:
ci-extra:: deps-ci check-spdx check-lines

check: test

deps:
	@tools/deps all
deps-test:
	@tools/deps test
deps-bench:
	@tools/deps bench
deps-ci:
	@tools/deps ci

# Every source, header, script and build file names its licence (LICENSE);
# no C line is longer than 120 columns (.clang-format).
check-spdx:
	@tools/check-spdx
check-lines:
	@tools/check-lines

install: lib
	install -d $(DESTDIR)$(INCLUDEDIR)/tern $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 include/tern.h include/tern.hpp $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(wildcard include/tern/*.h) $(DESTDIR)$(INCLUDEDIR)/tern/
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libtern.a
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/$(notdir $(LIB_SO))
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(LIBDIR)/libtern.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    tern.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/tern.pc
	install -d $(DESTDIR)$(CMAKEDIR)
	@# The CMake package: paths relative to its own directory (relocatable).
	rel_lib=$$(realpath -m -s --relative-to=$(CMAKEDIR) $(LIBDIR)); \
	rel_inc=$$(realpath -m -s --relative-to=$(CMAKEDIR) $(INCLUDEDIR)); \
	ptr=$$(echo __SIZEOF_POINTER__ | $(CC) -E -P -x c - | tr -d ' \n'); \
	for f in ternConfig ternConfigVersion; do \
	  sed -e "s|@VERSION@|$(VERSION)|g" -e "s|@VERSION_MAJOR@|$(VERSION_MAJOR)|g" \
	      -e "s|@VERSION_MINOR@|$(VERSION_MINOR)|g" -e "s|@LIBDIR@|$(LIBDIR)|g" \
	      -e "s|@REL_LIBDIR@|$$rel_lib|g" -e "s|@REL_INCLUDEDIR@|$$rel_inc|g" \
	      -e "s|@SIZEOF_VOID_P@|$$ptr|g" cmake/$$f.cmake.in > $(DESTDIR)$(CMAKEDIR)/$$f.cmake || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/tern.h $(DESTDIR)$(INCLUDEDIR)/tern.hpp
	rm -rf $(DESTDIR)$(INCLUDEDIR)/tern
	rm -f $(DESTDIR)$(LIBDIR)/libtern.a $(DESTDIR)$(LIBDIR)/libtern.so \
	      $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/$(notdir $(LIB_SO)) \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/tern.pc
	rm -rf $(DESTDIR)$(CMAKEDIR)

clean:
	rm -rf $(BUILD)
