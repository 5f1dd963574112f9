/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/impl_urcu.c — the LazyTransform on liburcu, memb flavour, in
 * its fastest documented configuration: _LGPL_SOURCE, so rcu_read_lock and
 * rcu_read_unlock inline (with membarrier available the read side is a TLS
 * load and store and compiler barriers); old values are reclaimed with
 * call_rcu (liburcu's worker thread runs the grace periods).  The container
 * is the peers' (harness.h): its value load is an acquire load, the same
 * instruction as rcu_dereference on x86-64.
 *
 * And the breakdown row: rcu_read_lock + acquire load + rcu_read_unlock.
 */
#define _LGPL_SOURCE 1
#include <urcu/urcu-memb.h>

#include "harness.h"

struct urcu_val {
	struct rcu_head head;
	struct bench_str str;
};

static void urcu_free_val(struct rcu_head *head)
{
	free(caa_container_of(head, struct urcu_val, head));
}

static void urcu_retire(void *old)
{
	urcu_memb_call_rcu(&((struct urcu_val *)old)->head, urcu_free_val);
}

static void urcu_destroy(void *obj)
{
	urcu_memb_barrier(); /* every call_rcu callback has run */
	lazy_peer_destroy(obj);
}

LAZY_PEER_DEFINE(urcu, struct urcu_val, urcu_retire, (void)0, urcu_memb_read_lock(), urcu_memb_read_unlock(),
		 (void)0)

#define URCU_HOOKS { .thread_enter = urcu_memb_register_thread, .thread_exit = urcu_memb_unregister_thread }
LAZY_PEER_IMPL(urcu, "urcu-memb", "liburcu memb flavour, _LGPL_SOURCE inline read side, call_rcu", urcu_destroy,
	       URCU_HOOKS);

BD_DEFINE(urcu, "urcu-memb", "rcu_read_lock + acquire load + rcu_read_unlock (memb, inline)", URCU_HOOKS,
	  urcu_memb_read_lock(), urcu_memb_read_unlock())
