/*
 * bench/reclaim liburcu rows: the membarrier flavour (urcu-memb) with its
 * read side inlined (_LGPL_SOURCE), call_rcu for deferral (worker threads
 * run the callbacks after grace periods), rcu_barrier to drain.  Two rows:
 * the default single call_rcu worker (urcu-memb), and one worker per CPU
 * (urcu-memb-pcpu, create_all_cpu_call_rcu_data, liburcu's scalable setup).
 */
#define _LGPL_SOURCE
#include <stddef.h>
#include <urcu/urcu-memb.h>

#include "reclaim.h"

struct rc_urcu_obj {
	struct rc_hdr h;
	struct rcu_head head;
	char pad[RC_OBJ_SIZE - sizeof(struct rc_hdr) - sizeof(struct rcu_head)];
};
_Static_assert(sizeof(struct rc_urcu_obj) == RC_OBJ_SIZE, "object size");

static void rc_urcu_cb(struct rcu_head *head)
{
	rc_destroy(&((struct rc_urcu_obj *)((char *)head - offsetof(struct rc_urcu_obj, head)))->h);
}

static void rc_urcu_setup(void)
{
	urcu_memb_register_thread(); /* the driver thread calls urcu_memb_barrier() */
}

static void rc_urcu_setup_percpu(void)
{
	rc_urcu_setup();
	if (urcu_memb_create_all_cpu_call_rcu_data(0) != 0) {
		fprintf(stderr, "bench_reclaim: create_all_cpu_call_rcu_data failed\n");
		exit(2);
	}
}

static void *rc_urcu_thread_init(bool writer)
{
	(void)writer;
	urcu_memb_register_thread(); /* call_rcu requires a registered thread */
	return NULL;
}

static uint64_t rc_urcu_writer(void *ctx)
{
	(void)ctx;
	uint64_t n = 0;
	while (!rc_stopped()) {
		for (int i = 0; i < RC_BATCH; i++) {
			struct rc_hdr *o = rc_new(sizeof(struct rc_urcu_obj), n + (uint64_t)i);
			/* Acq_rel: release publishes o's magic to the reader's acquire
			 * load in rc_urcu_reader(); acquire takes ownership of old. */
			struct rc_hdr *old = atomic_exchange_explicit(&rc_slot, o, memory_order_acq_rel);
			if (old != NULL)
				urcu_memb_call_rcu(&((struct rc_urcu_obj *)old)->head, rc_urcu_cb);
		}
		n += RC_BATCH;
	}
	return n;
}

static uint64_t rc_urcu_reader(void *ctx)
{
	(void)ctx;
	uint64_t n = 0, last = 0;
	while (!rc_reader_stopped(&last)) {
		for (int i = 0; i < RC_READ_BATCH; i++) {
			urcu_memb_read_lock();
			/* Acquire: pairs with the release half of the writers' exchange. */
			rc_check(atomic_load_explicit(&rc_slot, memory_order_acquire));
			urcu_memb_read_unlock();
		}
		n += RC_READ_BATCH;
	}
	return n;
}

static void rc_urcu_thread_fini(void *ctx, bool writer)
{
	(void)ctx;
	(void)writer;
	urcu_memb_unregister_thread();
}

static void rc_urcu_drain(void)
{
	urcu_memb_barrier(); /* every call_rcu callback has run on return */
}

const struct rc_impl rc_urcu = {
	"urcu-memb", rc_urcu_setup, rc_urcu_thread_init, rc_urcu_writer,
	rc_urcu_reader, rc_urcu_thread_fini, rc_urcu_drain, NULL,
};

const struct rc_impl rc_urcu_percpu = {
	"urcu-memb-pcpu", rc_urcu_setup_percpu, rc_urcu_thread_init, rc_urcu_writer,
	rc_urcu_reader, rc_urcu_thread_fini, rc_urcu_drain, NULL,
};
