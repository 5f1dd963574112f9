/* SPDX-License-Identifier: MIT */
/*
 * bench/reclaim tern rows: tern_epoch_defer (destructor + pointer, batched in
 * the library's bags) and tern_epoch_call (intrusive entry, never allocates),
 * both in the default domain; and the grace-period row,
 * tern_epoch_synchronize.
 *
 * In the interleaved slices both rows share the default domain (the fastest
 * configuration: no domain lookup on pin or defer), so sealed garbage one
 * row leaves at the end of its slice may be destroyed by the other row's
 * collections; every object is still counted to the row that allocated it.
 * At thread exit tern hands the thread's garbage to the orphan list, which
 * the drain's tern_epoch_barrier destroys: thread_fini has nothing to do.
 */
#include <stddef.h>
#include <tern/epoch.h>

#include "reclaim.h"

struct rc_tern_obj {
	struct bench_obj h;
	struct tern_epoch_entry entry;
	RC_PAD(struct tern_epoch_entry);
};
_Static_assert(sizeof(struct rc_tern_obj) == RC_OBJ_SIZE, "object size");

static void rc_tern_destroy(void *obj)
{
	bench_obj_free(obj);
}

static void rc_tern_entry_fn(struct tern_epoch_entry *e)
{
	bench_obj_free(&((struct rc_tern_obj *)((char *)e - offsetof(struct rc_tern_obj, entry)))->h);
}

static void *rc_tern_thread_init(bool writer)
{
	(void)writer;
	tern_epoch_pin(); /* registers the thread outside the timed window */
	tern_epoch_unpin();
	return NULL;
}

RC_WRITER(rc_tern_defer_writer, struct rc_tern_obj, tern_epoch_defer(old_, rc_tern_destroy))
RC_WRITER(rc_tern_call_writer, struct rc_tern_obj,
	  tern_epoch_call(&((struct rc_tern_obj *)old_)->entry, rc_tern_entry_fn))
RC_READER(rc_tern_reader, (void)0, tern_epoch_pin(), tern_epoch_unpin())

static void rc_tern_thread_fini(void *ctx, bool writer)
{
	(void)ctx;
	(void)writer;
}

static void rc_tern_drain(void)
{
	tern_epoch_barrier();
}

static void rc_tern_defer_one(void *ctx, struct bench_obj *obj)
{
	(void)ctx;
	tern_epoch_defer(obj, rc_tern_destroy);
}

static void rc_tern_call_one(void *ctx, struct bench_obj *obj)
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

#define RC_TERN_ROW(nm, writer, one)                                                                  \
	{                                                                                             \
		.name = nm, .thread_init = rc_tern_thread_init, .writer_loop = writer,                \
		.reader_loop = rc_tern_reader, .thread_fini = rc_tern_thread_fini, .drain = rc_tern_drain, \
		.report = rc_tern_report, .defer_one = one, .barrier = rc_tern_barrier,               \
		.barrier_desc = "tern_epoch_barrier",                                                 \
	}
const struct rc_impl rc_tern_defer = RC_TERN_ROW("tern-defer", rc_tern_defer_writer, rc_tern_defer_one);
const struct rc_impl rc_tern_call = RC_TERN_ROW("tern-call", rc_tern_call_writer, rc_tern_call_one);

const struct rc_gp_impl rc_gp_tern = {
	.name = "tern",
	.call = "tern_epoch_synchronize",
	.thread_init = rc_tern_thread_init,
	.reader_loop = rc_tern_reader,
	.synchronize = rc_tern_synchronize,
	.thread_fini = rc_tern_thread_fini,
};
