# SPDX-License-Identifier: MIT
# mk/lazy.mk — the LazyTransform example (issue 4).
#
#   make example-lazy     build and run examples/lazy_exercise.c, the exercise
#                         as a user writes it (also the README's example)
#
# `make test` runs it (test-extra), compiled as a user would compile it:
# -std=c11 -pedantic, no _GNU_SOURCE.  If README.md carries the marker line
#   <!-- example: examples/lazy_exercise.c -->
# the C block that follows it must be the file verbatim (checked here too),
# so the README example is the one that was built and run.

LAZY_EXAMPLE := $(BUILD)/examples/lazy_exercise

$(LAZY_EXAMPLE): examples/lazy_exercise.c $(LIB_A) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(OPT) $(WARN) -pedantic -pthread -Iinclude $(EXTRA_CFLAGS) $< -o $@ $(LIB_A) -pthread $(EXTRA_LDFLAGS)

.PHONY: example-lazy example-lazy-readme
example-lazy: $(LAZY_EXAMPLE)
	$(LAZY_EXAMPLE)

example-lazy-readme:
	@if grep -q '<!-- example: examples/lazy_exercise.c -->' README.md; then \
	  awk '/<!-- example: examples\/lazy_exercise.c -->/ {m=1; next} \
	       m==1 && /^```c$$/ {m=2; next} m==2 && /^```$$/ {exit} m==2 {print}' README.md \
	    | diff -u <(grep -v '^/\* SPDX-License-Identifier' examples/lazy_exercise.c) - \
	    && echo "README example matches examples/lazy_exercise.c" \
	    || { echo "README.md: the LazyTransform example differs from examples/lazy_exercise.c"; exit 1; }; \
	fi

test-extra:: example-lazy example-lazy-readme
