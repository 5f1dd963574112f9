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

PIN_DEFINE_LOOP(pin_loop_urcu_memb, urcu_memb_read_lock(); urcu_memb_read_unlock())
