# SPDX-License-Identifier: MIT
# mk/lazy.mk — the LazyTransform example (issue 4).
#
#   make example-lazy     build and run examples/lazy_exercise.c, the exercise
#                         as a user writes it (-std=c11 -pedantic, no _GNU_SOURCE)
#
# `make test` builds and runs it through tools/check-readme (mk/readme.mk),
# which also checks that the README shows it verbatim.

LAZY_EXAMPLE := $(BUILD)/examples/lazy_exercise

$(LAZY_EXAMPLE): examples/lazy_exercise.c $(LIB_A) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(OPT) $(WARN) -pedantic -pthread -Iinclude $(EXTRA_CFLAGS) $< -o $@ $(LIB_A) -pthread $(EXTRA_LDFLAGS)

.PHONY: example-lazy
example-lazy: $(LAZY_EXAMPLE)
	$(LAZY_EXAMPLE)
