/*
 * bench/reclaim ck_epoch rows: ck_epoch_call (intrusive, per-record stacks)
 * with ck_epoch_poll, ConcurrencyKit's non-blocking reclamation, polled after
 * every call (ck_epoch-p1) or after every 64 calls (ck_epoch-p64).
 */
#include <ck_epoch.h>
#include <stddef.h>

#include "reclaim.h"

struct rc_ck_obj {
	struct rc_hdr h;
	ck_epoch_entry_t entry;
	char pad[RC_OBJ_SIZE - sizeof(struct rc_hdr) - sizeof(ck_epoch_entry_t)];
};
_Static_assert(sizeof(struct rc_ck_obj) == RC_OBJ_SIZE, "object size");

static ck_epoch_t rc_ck_epoch;
static unsigned rc_ck_poll_every = 1; /* set by the row's setup */

static void rc_ck_cb(ck_epoch_entry_t *e)
{
	rc_destroy(&((struct rc_ck_obj *)((char *)e - offsetof(struct rc_ck_obj, entry)))->h);
}

static void rc_ck_setup1(void)
{
	ck_epoch_init(&rc_ck_epoch);
	rc_ck_poll_every = 1;
}

static void rc_ck_setup64(void)
{
	ck_epoch_init(&rc_ck_epoch);
	rc_ck_poll_every = 64;
}

static void *rc_ck_thread_init(bool writer)
{
	(void)writer;
	ck_epoch_record_t *r = aligned_alloc(CK_MD_CACHELINE, sizeof *r);
	if (r == NULL) {
		perror("aligned_alloc");
		exit(2);
	}
	ck_epoch_register(&rc_ck_epoch, r, NULL);
	return r;
}

static uint64_t rc_ck_writer(void *ctx)
{
	ck_epoch_record_t *r = ctx;
	uint64_t n = 0;
	unsigned since_poll = 0;
	while (!rc_stopped()) {
		for (int i = 0; i < RC_BATCH; i++) {
			struct rc_hdr *o = rc_new(sizeof(struct rc_ck_obj), n + (uint64_t)i);
			/* Acq_rel: release publishes o's magic to the reader's acquire
			 * load in rc_ck_reader(); acquire takes ownership of old. */
			struct rc_hdr *old = atomic_exchange_explicit(&rc_slot, o, memory_order_acq_rel);
			if (old != NULL) {
				ck_epoch_call(r, &((struct rc_ck_obj *)old)->entry, rc_ck_cb);
				if (++since_poll >= rc_ck_poll_every) {
					since_poll = 0;
					ck_epoch_poll(r);
				}
			}
		}
		n += RC_BATCH;
	}
	return n;
}

static uint64_t rc_ck_reader(void *ctx)
{
	ck_epoch_record_t *r = ctx;
	uint64_t n = 0, last = 0;
	while (!rc_reader_stopped(&last)) {
		for (int i = 0; i < RC_READ_BATCH; i++) {
			ck_epoch_begin(r, NULL);
			/* Acquire: pairs with the release half of the writers' exchange. */
			rc_check(atomic_load_explicit(&rc_slot, memory_order_acquire));
			ck_epoch_end(r, NULL);
		}
		n += RC_READ_BATCH;
	}
	return n;
}

static void rc_ck_thread_fini(void *ctx, bool writer)
{
	ck_epoch_record_t *r = ctx;
	if (writer)
		ck_epoch_barrier(r); /* waits for a grace period and dispatches everything */
	ck_epoch_unregister(r);
	/* The record stays allocated: ConcurrencyKit may recycle it. */
}

static void rc_ck_drain(void)
{
	/* Every writer dispatched its own callbacks in rc_ck_thread_fini(). */
}

const struct rc_impl rc_ck_poll1 = {
	"ck_epoch-p1", rc_ck_setup1, rc_ck_thread_init, rc_ck_writer,
	rc_ck_reader, rc_ck_thread_fini, rc_ck_drain, NULL,
};

const struct rc_impl rc_ck_poll64 = {
	"ck_epoch-p64", rc_ck_setup64, rc_ck_thread_init, rc_ck_writer,
	rc_ck_reader, rc_ck_thread_fini, rc_ck_drain, NULL,
};
