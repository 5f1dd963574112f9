# SPDX-License-Identifier: MIT
# mk/readme.mk — the README's examples are programs that build and run (issue 13).
#
#   make check-readme   tools/check-readme: every ```c block of README.md is
#                       marked <!-- example: examples/FILE.c --> and equals
#                       that file (or its /* tour:begin */ ... /* tour:end */
#                       excerpt); every referenced example, every
#                       examples/tour_*.c and examples/lazy_exercise.c is
#                       compiled against $(LIB_A) and run; README.md stays
#                       under 350 lines.
#
# `make test` runs it (test-extra); it needs only the C compiler.

.PHONY: check-readme
check-readme: $(LIB_A)
	@CC="$(CC)" BUILD="$(BUILD)" EXTRA_CFLAGS="$(EXTRA_CFLAGS)" EXTRA_LDFLAGS="$(EXTRA_LDFLAGS)" \
	  tools/check-readme

test-extra:: check-readme
