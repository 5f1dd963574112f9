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

PIN_DEFINE_LOOP(pin_loop_tern, tern_epoch_pin(); tern_epoch_unpin())
