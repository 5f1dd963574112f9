/* SPDX-License-Identifier: MIT */
/*
 * bench/pin liburcu-mb row: the full-memory-barrier flavour, read side
 * inlined (_LGPL_SOURCE).
 */
#define _LGPL_SOURCE
#include <urcu/urcu-mb.h>

#include "loops.h"

#ifdef PIN_PRIMARY /* once per binary, not once per placement variant */
void *pin_urcu_mb_thread_init(void)
{
	urcu_mb_register_thread();
	return NULL;
}
#endif

PIN_DEFINE_LOOP(pin_loop_urcu_mb, urcu_mb_read_lock(); urcu_mb_read_unlock())
