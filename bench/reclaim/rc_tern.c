/* SPDX-License-Identifier: MIT */
/*
 * bench/reclaim tern rows: tern_epoch_defer (destructor + pointer, batched in
 * the library's bags) and tern_epoch_call (intrusive entry, never allocates),
 * both in the default domain; and the grace-period row,
 * tern_epoch_synchronize.
 *
 * In reclaim.c's interleaved slices both rows share the default domain (the
 * fastest configuration: no domain lookup on pin or defer), so sealed
 * garbage one row leaves at the end of its slice may be destroyed by the
 * other row's collections; every object is still counted to the row that
 * allocated it.
 */
#include <stddef.h>
#include <tern/epoch.h>

#include "reclaim.h"

struct rc_tern_obj {
	struct rc_hdr h;
	struct tern_epoch_entry entry;
	char pad[RC_OBJ_SIZE - sizeof(struct rc_hdr) - sizeof(struct tern_epoch_entry)];
};
_Static_assert(sizeof(struct rc_tern_obj) == RC_OBJ_SIZE, "object size");

static void rc_tern_destroy(void *obj)
{
	rc_destroy(obj);
}

static void rc_tern_entry_fn(struct tern_epoch_entry *e)
{
	rc_destroy(&((struct rc_tern_obj *)((char *)e - offsetof(struct rc_tern_obj, entry)))->h);
}

static void rc_tern_setup(void)
{
}

static void *rc_tern_thread_init(bool writer)
{
	(void)writer;
	/* Registers the thread outside the timed window. */
	tern_epoch_pin();
	tern_epoch_unpin();
	return NULL;
}

static uint64_t rc_tern_defer_writer(void *ctx)
{
	(void)ctx;
	uint64_t n = 0;
	do { /* at least one batch, however late the thread starts */
		for (int i = 0; i < RC_BATCH; i++) {
			struct rc_hdr *o = rc_new(sizeof(struct rc_tern_obj), n + (uint64_t)i);
			/* Acq_rel: release publishes o's magic to the reader's acquire
			 * load in rc_tern_reader(); acquire takes ownership of old. */
			struct rc_hdr *old = atomic_exchange_explicit(&rc_slot, o, memory_order_acq_rel);
			if (old != NULL)
				tern_epoch_defer(old, rc_tern_destroy);
		}
		n += RC_BATCH;
	} while (!rc_stopped());
	return n;
}

static uint64_t rc_tern_call_writer(void *ctx)
{
	(void)ctx;
	uint64_t n = 0;
	do { /* at least one batch, however late the thread starts */
		for (int i = 0; i < RC_BATCH; i++) {
			struct rc_hdr *o = rc_new(sizeof(struct rc_tern_obj), n + (uint64_t)i);
			/* Acq_rel: release publishes o's magic to the reader's acquire
			 * load in rc_tern_reader(); acquire takes ownership of old. */
			struct rc_hdr *old = atomic_exchange_explicit(&rc_slot, o, memory_order_acq_rel);
			if (old != NULL)
				tern_epoch_call(&((struct rc_tern_obj *)old)->entry, rc_tern_entry_fn);
		}
		n += RC_BATCH;
	} while (!rc_stopped());
	return n;
}

static uint64_t rc_tern_reader(void *ctx)
{
	(void)ctx;
	uint64_t n = 0, last = 0;
	do {
		for (int i = 0; i < RC_READ_BATCH; i++) {
			tern_epoch_pin();
			/* Acquire: pairs with the release half of the writers' exchange. */
			rc_check(atomic_load_explicit(&rc_slot, memory_order_acquire));
			tern_epoch_unpin();
		}
		n += RC_READ_BATCH;
	} while (!rc_reader_stopped(&last));
	return n;
}

static void rc_tern_thread_fini(void *ctx, bool writer)
{
	(void)ctx;
	(void)writer;
	/* Nothing: at thread exit tern hands the thread's garbage to the
	 * orphan list, which rc_tern_drain()'s barrier destroys. */
}

static void rc_tern_drain(void)
{
	tern_epoch_barrier();
}

static void rc_tern_defer_one(void *ctx, struct rc_hdr *obj)
{
	(void)ctx;
	tern_epoch_defer(obj, rc_tern_destroy);
}

static void rc_tern_call_one(void *ctx, struct rc_hdr *obj)
{
	(void)ctx;
	tern_epoch_call(&((struct rc_tern_obj *)obj)->entry, rc_tern_entry_fn);
}

/* tern_epoch_barrier() from any thread: every object deferred before the
 * call, by any thread, is destroyed on return (rcu_barrier's contract). */
static void rc_tern_barrier(void *driver_ctx)
{
	(void)driver_ctx;
	tern_epoch_barrier();
}

static void *rc_tern_driver_init(void)
{
	return NULL;
}

static void rc_tern_synchronize(void *ctx)
{
	(void)ctx;
	tern_epoch_synchronize();
}

static void rc_tern_report(FILE *out)
{
	struct tern_epoch_stats st;
	tern_epoch_stats(&st);
	fprintf(out, "epoch %llu, advances %llu, failed advances %llu, destroyed %llu, pending %llu",
		(unsigned long long)st.epoch, (unsigned long long)st.advances,
		(unsigned long long)st.failed_advances, (unsigned long long)st.destroyed,
		(unsigned long long)st.pending);
}

const struct rc_impl rc_tern_defer = {
	.name = "tern-defer",
	.setup = rc_tern_setup,
	.thread_init = rc_tern_thread_init,
	.writer_loop = rc_tern_defer_writer,
	.reader_loop = rc_tern_reader,
	.thread_fini = rc_tern_thread_fini,
	.drain = rc_tern_drain,
	.report = rc_tern_report,
	.defer_one = rc_tern_defer_one,
	.barrier = rc_tern_barrier,
	.barrier_desc = "tern_epoch_barrier",
	.driver_init = rc_tern_driver_init,
};

const struct rc_impl rc_tern_call = {
	.name = "tern-call",
	.setup = rc_tern_setup,
	.thread_init = rc_tern_thread_init,
	.writer_loop = rc_tern_call_writer,
	.reader_loop = rc_tern_reader,
	.thread_fini = rc_tern_thread_fini,
	.drain = rc_tern_drain,
	.report = rc_tern_report,
	.defer_one = rc_tern_call_one,
	.barrier = rc_tern_barrier,
	.barrier_desc = "tern_epoch_barrier",
	.driver_init = rc_tern_driver_init,
};

const struct rc_gp_impl rc_gp_tern = {
	.name = "tern",
	.call = "tern_epoch_synchronize",
	.setup = rc_tern_setup,
	.thread_init = rc_tern_thread_init,
	.reader_loop = rc_tern_reader,
	.synchronize = rc_tern_synchronize,
	.thread_fini = rc_tern_thread_fini,
};
