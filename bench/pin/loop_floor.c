/* SPDX-License-Identifier: MIT */
/* bench/pin floor: one relaxed load of a shared word per iteration. */
#include <stdatomic.h>

#include "loops.h"

#ifdef PIN_PRIMARY /* once per binary, not once per placement variant */
/* External linkage: a static word never stored to lets clang fold the loads. */
_Atomic uint64_t pin_floor_word;
#endif

__attribute__((noinline)) uint64_t PIN_LOOP_NAME(pin_loop_floor)(uint64_t n, void *ctx)
{
	(void)ctx;
	uint64_t sum = 0;
	PIN_PLACE_LOOP();
	for (uint64_t i = 0; i < n; i++) {
		/* Relaxed: this is the floor being measured; nothing is ordered by it. */
		sum += atomic_load_explicit(&pin_floor_word, memory_order_relaxed);
		/* Compiler barrier only (no instruction), as every pin below has
		 * one: keeps the compiler from merging the loads (clang does). */
		atomic_signal_fence(memory_order_seq_cst);
	}
	return sum + n;
}
