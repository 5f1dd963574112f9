/* SPDX-License-Identifier: MIT */
/*
 * bench/pin tern row: tern_epoch_pin/unpin from include/tern/epoch.h, inlined.
 * Compiled once normally (membarrier mode) and once with
 * -DTERN_EPOCH_FORCE_FENCE (forced-fence mode, against a tern built the same
 * way).
 */
#include <tern/epoch.h>

#include "loops.h"

#ifdef PIN_PRIMARY /* once per binary, not once per placement variant */
void *pin_tern_thread_init(void)
{
	/* The first pin registers the thread; keep that out of the timed loops. */
	tern_epoch_pin();
	tern_epoch_unpin();
	return NULL;
}

int pin_tern_uses_membarrier(void)
{
	return tern_epoch_uses_membarrier();
}
#endif

__attribute__((noinline)) uint64_t PIN_LOOP_NAME(pin_loop_tern)(uint64_t n, void *ctx)
{
	(void)ctx;
	PIN_PLACE_LOOP();
	for (uint64_t i = 0; i < n; i++) {
		tern_epoch_pin();
		tern_epoch_unpin();
	}
	return n;
}
