/* SPDX-License-Identifier: MIT */
/*
 * bench/pin liburcu-memb row: the membarrier flavour, read side inlined
 * (_LGPL_SOURCE, as liburcu documents for LGPL-compatible code), so
 * rcu_read_lock/unlock are the static inline _urcu_memb_read_lock/unlock.
 */
#define _LGPL_SOURCE
#include <urcu/urcu-memb.h>

#include "loops.h"

#ifdef PIN_PRIMARY /* once per binary, not once per placement variant */
void *pin_urcu_memb_thread_init(void)
{
	urcu_memb_register_thread();
	return NULL;
}

int pin_urcu_memb_has_sys_membarrier(void)
{
	return urcu_memb_has_sys_membarrier;
}
#endif

__attribute__((noinline)) uint64_t PIN_LOOP_NAME(pin_loop_urcu_memb)(uint64_t n, void *ctx)
{
	(void)ctx;
	PIN_PLACE_LOOP();
	for (uint64_t i = 0; i < n; i++) {
		urcu_memb_read_lock();
		urcu_memb_read_unlock();
	}
	return n;
}
