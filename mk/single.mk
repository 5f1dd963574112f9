# SPDX-License-Identifier: MIT
# mk/single.mk — the single drop-in header dist/tern.h, C++ use, packaging.
#
#   make single          regenerate dist/tern.h with tools/amalgamate, and the
#                        standalone header-only components (dist/tern_lightlock.h);
#                        commit them
#   make check-single    dist/tern.h is exactly what the sources generate (the
#                        " * Source commit:" banner line excepted: committing
#                        changes HEAD), and the single header's forms behave
#                        (tests/single/check-forms: misspelled
#                        TERN_IMPLEMENTATION fails the link, TERN_STATIC, ...)
#   make check-cxx       tests/cxx/use_tern.cpp with g++ -std=c++23 and
#                        -std=c++17 (and clang++ when installed), against
#                        include/tern.h + libtern.a and against dist/tern.h;
#                        tests/cxx/use_tern_hpp.cpp (the RAII header
#                        include/tern.hpp) in C++11, C++17 and C++23
#                        -fno-exceptions, against both as well
#   make check-examples  examples/lazy_exercise.c built and run three ways:
#                        installed libtern.a via pkg-config, installed
#                        libtern.so via pkg-config, dist/tern.h copied next to it
#   make check-symbols   libtern.so exports only tern_*, and every TERN_API name
#   make test            also builds every tests/*/test_*.c against the single
#                        header ($(BUILD)/tests/single_*, via TEST_BINS_EXTRA)
#
# The suites use a header generated from the current sources into
# $(BUILD)/single, never the committed dist/tern.h: `make test` then tests
# what the sources say whether or not `make single` was run, and never writes
# a tracked file.  check-single makes the committed file equal to that one,
# so in CI the committed dist/tern.h is the tested one.  check-cxx,
# check-examples and check-forms use the committed dist/tern.h itself.

SINGLE_H := dist/tern.h
# Components that are header-only get a standalone single header too
# (tools/amalgamate --header-only fails if one stops being header-only).
SINGLE_HEADER_ONLY := lightlock
SINGLE_HO_H := $(SINGLE_HEADER_ONLY:%=dist/tern_%.h)
SINGLE_DIR := $(BUILD)/single
SINGLE_GEN := $(SINGLE_DIR)/include/tern.h
SINGLE_INPUTS := $(sort include/tern.h $(wildcard include/tern/*.h src/*/*.c src/*/*.h tools/single/*.in))
# Every "tern/<component>.h" resolves to the single header in the suites.
SINGLE_SHIMS := $(patsubst include/%,$(SINGLE_DIR)/include/%,$(wildcard include/tern/*.h))
SINGLE_TEST_CFLAGS = $(filter-out -Iinclude,$(TEST_CFLAGS)) -I$(SINGLE_DIR)/include
# The implementation unit gets no -D_GNU_SOURCE: the header must supply it.
SINGLE_IMPL_CFLAGS = $(filter-out -Iinclude -D_GNU_SOURCE,$(TEST_CFLAGS)) -I$(SINGLE_DIR)/include

.PHONY: single check-single check-single-fresh check-single-forms check-cxx \
	check-examples check-symbols

single:
	tools/amalgamate -o $(SINGLE_H)
	$(foreach c,$(SINGLE_HEADER_ONLY),tools/amalgamate --header-only tern/$(c).h -o dist/tern_$(c).h &&) true
	@echo "single: $(SINGLE_H) $(SINGLE_HO_H) regenerated; commit them"

$(SINGLE_GEN): $(SINGLE_INPUTS) tools/amalgamate
	@mkdir -p $(dir $@)
	tools/amalgamate -o $@

$(SINGLE_DIR)/include/tern/%.h:
	@mkdir -p $(dir $@)
	printf '/* Test shim (mk/single.mk): every tern header is the single header. */\n#include "../tern.h"\n' >$@

$(SINGLE_DIR)/impl.o: tests/single/impl.c $(SINGLE_GEN)
	@mkdir -p $(dir $@)
	$(CC) $(SINGLE_IMPL_CFLAGS) -c $< -o $@

# tests/<comp>/test_<name>.c -> $(BUILD)/tests/single_<comp>_test_<name>
define single_test_rule
$(BUILD)/tests/single_$(notdir $(patsubst %/,%,$(dir $(1))))_$(basename $(notdir $(1))): $(1) $(SINGLE_DIR)/impl.o $(SINGLE_GEN) $(SINGLE_SHIMS) $(TEST_COMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(SINGLE_TEST_CFLAGS) $(1) $(SINGLE_DIR)/impl.o -o $$@ $$(TEST_LIBS)
endef
$(foreach s,$(TEST_SRCS),$(eval $(call single_test_rule,$(s))))
SINGLE_TEST_BINS := $(foreach s,$(TEST_SRCS),$(BUILD)/tests/single_$(notdir $(patsubst %/,%,$(dir $(s))))_$(basename $(notdir $(s))))
TEST_BINS_EXTRA += $(SINGLE_TEST_BINS)

# ---- freshness of the committed header, and the forms it supports
check-single: check-single-fresh check-single-forms

check-single-fresh:
	@set -e; tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT; \
	tools/amalgamate -o "$$tmp/tern.h"; \
	$(foreach c,$(SINGLE_HEADER_ONLY),tools/amalgamate --header-only tern/$(c).h -o "$$tmp/tern_$(c).h";) \
	for f in $(SINGLE_H) $(SINGLE_HO_H); do \
	  new="$$tmp/$${f#dist/}"; \
	  if [ ! -f "$$f" ]; then echo "check-single: $$f is missing: run 'make single' and commit it" >&2; exit 1; fi; \
	  if diff -u --label "$$f" --label 'tools/amalgamate (now)' \
	       <(grep -v '^ \*   Source commit:' "$$f") <(grep -v '^ \*   Source commit:' "$$new") >"$$tmp/diff"; then \
	    echo "check-single: $$f is up to date (inputs $$(sed -n 's/^ \*   Inputs SHA-256: \(.\{16\}\).*/\1/p' "$$f")...)"; \
	  else \
	    head -n 60 "$$tmp/diff"; \
	    echo "check-single: $$f differs from what the sources generate: run 'make single' and commit it" >&2; \
	    exit 1; \
	  fi; \
	done

check-single-forms:
	CC=$(CC) tests/single/check-forms $(SINGLE_H) $(SINGLE_HO_H)

# ---- C++
SINGLE_CXX_FLAGS = $(OPT) -Wall -Wextra -Werror -pthread
SINGLE_CXX_DIR := $(SINGLE_DIR)/cxx

$(SINGLE_CXX_DIR)/impl_dist.o: tests/single/impl.c $(SINGLE_H)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(OPT) $(WARN) -pthread -Idist -c $< -o $@

# The C side of the layout comparison, against each header.
$(SINGLE_CXX_DIR)/layout_lib.o: tests/cxx/layout.c tests/cxx/layout.h $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(OPT) $(WARN) -pthread -Iinclude -c $< -o $@
$(SINGLE_CXX_DIR)/layout_dist.o: tests/cxx/layout.c tests/cxx/layout.h $(SINGLE_H)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(OPT) $(WARN) -pthread -Idist -c $< -o $@

# tern.hpp: each compiler in these standards (one without exceptions),
# against include/ + libtern.a and against dist/tern.h with tern.hpp copied
# next to it (the single-header way to use it).  "c++23" is spelled c++2b
# for a clang++ that does not know it yet.
CXX_HPP_VARIANTS := c++11 c++17 c++23:-fno-exceptions

check-cxx: $(LIB_A) $(SINGLE_CXX_DIR)/impl_dist.o $(SINGLE_CXX_DIR)/layout_lib.o $(SINGLE_CXX_DIR)/layout_dist.o
	@set -e; \
	mkdir -p $(SINGLE_CXX_DIR)/hpp_dist; \
	cp $(SINGLE_H) include/tern.hpp $(SINGLE_CXX_DIR)/hpp_dist/; \
	for cxx in g++ clang++; do \
	  if ! command -v $$cxx >/dev/null 2>&1; then \
	    [ $$cxx = g++ ] && { echo "check-cxx: g++ not found" >&2; exit 1; }; \
	    echo "check-cxx: $$cxx not installed, skipped"; continue; \
	  fi; \
	  std23=c++23; $$cxx -std=c++23 -x c++ -fsyntax-only /dev/null 2>/dev/null || std23=c++2b; \
	  tag=$$(echo $$cxx | tr -c 'a-z0-9\n' _); \
	  for std in $$std23 c++17; do \
	    echo "check-cxx: $$cxx -std=$$std use_tern.cpp, include/tern.h + libtern.a"; \
	    $$cxx -std=$$std $(SINGLE_CXX_FLAGS) -Iinclude tests/cxx/use_tern.cpp -o $(SINGLE_CXX_DIR)/use_tern_lib_$$tag \
	      $(SINGLE_CXX_DIR)/layout_lib.o $(LIB_A); \
	    $(SINGLE_CXX_DIR)/use_tern_lib_$$tag; \
	  done; \
	  echo "check-cxx: $$cxx -std=$$std23 use_tern.cpp, dist/tern.h + its implementation compiled as C"; \
	  $$cxx -std=$$std23 $(SINGLE_CXX_FLAGS) -Idist tests/cxx/use_tern.cpp -o $(SINGLE_CXX_DIR)/use_tern_dist_$$tag \
	    $(SINGLE_CXX_DIR)/layout_dist.o $(SINGLE_CXX_DIR)/impl_dist.o; \
	  $(SINGLE_CXX_DIR)/use_tern_dist_$$tag; \
	  for v in $(CXX_HPP_VARIANTS); do \
	    std=$${v%%:*}; [ $$std = c++23 ] && std=$$std23; \
	    extra=; case $$v in *:*) extra=$${v#*:};; esac; \
	    echo "check-cxx: $$cxx -std=$$std $$extra use_tern_hpp.cpp, include/ + libtern.a and dist/"; \
	    $$cxx -std=$$std $$extra $(SINGLE_CXX_FLAGS) -Iinclude tests/cxx/use_tern_hpp.cpp \
	      -o $(SINGLE_CXX_DIR)/use_tern_hpp_lib_$$tag $(LIB_A); \
	    $(SINGLE_CXX_DIR)/use_tern_hpp_lib_$$tag; \
	    $$cxx -std=$$std $$extra $(SINGLE_CXX_FLAGS) -I$(SINGLE_CXX_DIR)/hpp_dist tests/cxx/use_tern_hpp.cpp \
	      -o $(SINGLE_CXX_DIR)/use_tern_hpp_dist_$$tag $(SINGLE_CXX_DIR)/impl_dist.o; \
	    $(SINGLE_CXX_DIR)/use_tern_hpp_dist_$$tag; \
	  done; \
	done

# ---- examples, three ways (the script stages `make install` itself)
check-examples: lib
	+CC=$(CC) BUILD=$(BUILD) MAKE=$(MAKE) examples/check-three-ways

# ---- symbol hygiene of the libraries
check-symbols: $(LIB_SO) $(LIB_A)
	tools/check-symbols $(LIB_SO) $(LIB_A)

ci-extra:: check-single check-cxx check-examples check-symbols

# The single-header suites alone: build, or build and run.
.PHONY: single-tests check-single-tests
single-tests: $(SINGLE_TEST_BINS)
check-single-tests: single-tests
	tools/run-tests $(SINGLE_TEST_BINS)
