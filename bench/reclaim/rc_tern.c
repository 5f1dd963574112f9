/*
 * bench/reclaim tern rows: tern_epoch_defer (destructor + pointer, batched in
 * the library's bags) and tern_epoch_call (intrusive entry, never allocates).
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
	while (!rc_stopped()) {
		for (int i = 0; i < RC_BATCH; i++) {
			struct rc_hdr *o = rc_new(sizeof(struct rc_tern_obj), n + (uint64_t)i);
			/* Acq_rel: release publishes o's magic to the reader's acquire
			 * load in rc_tern_reader(); acquire takes ownership of old. */
			struct rc_hdr *old = atomic_exchange_explicit(&rc_slot, o, memory_order_acq_rel);
			if (old != NULL)
				tern_epoch_defer(old, rc_tern_destroy);
		}
		n += RC_BATCH;
	}
	return n;
}

static uint64_t rc_tern_call_writer(void *ctx)
{
	(void)ctx;
	uint64_t n = 0;
	while (!rc_stopped()) {
		for (int i = 0; i < RC_BATCH; i++) {
			struct rc_hdr *o = rc_new(sizeof(struct rc_tern_obj), n + (uint64_t)i);
			/* Acq_rel: release publishes o's magic to the reader's acquire
			 * load in rc_tern_reader(); acquire takes ownership of old. */
			struct rc_hdr *old = atomic_exchange_explicit(&rc_slot, o, memory_order_acq_rel);
			if (old != NULL)
				tern_epoch_call(&((struct rc_tern_obj *)old)->entry, rc_tern_entry_fn);
		}
		n += RC_BATCH;
	}
	return n;
}

static uint64_t rc_tern_reader(void *ctx)
{
	(void)ctx;
	uint64_t n = 0, last = 0;
	while (!rc_reader_stopped(&last)) {
		for (int i = 0; i < RC_READ_BATCH; i++) {
			tern_epoch_pin();
			/* Acquire: pairs with the release half of the writers' exchange. */
			rc_check(atomic_load_explicit(&rc_slot, memory_order_acquire));
			tern_epoch_unpin();
		}
		n += RC_READ_BATCH;
	}
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
	"tern-defer", rc_tern_setup, rc_tern_thread_init, rc_tern_defer_writer,
	rc_tern_reader, rc_tern_thread_fini, rc_tern_drain, rc_tern_report,
};

const struct rc_impl rc_tern_call = {
	"tern-call", rc_tern_setup, rc_tern_thread_init, rc_tern_call_writer,
	rc_tern_reader, rc_tern_thread_fini, rc_tern_drain, rc_tern_report,
};
