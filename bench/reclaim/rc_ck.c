/* SPDX-License-Identifier: MIT */
/*
 * bench/reclaim ck_epoch rows: ck_epoch_call (intrusive, per-record stacks)
 * with ck_epoch_poll, ConcurrencyKit's non-blocking reclamation, polled after
 * every call (ck_epoch-p1) or after every 64 calls (ck_epoch-p64); and the
 * grace-period row, ck_epoch_synchronize.  ck_epoch_begin/end/call are
 * inline functions of <ck_epoch.h> (its fastest configuration: nothing to
 * choose); poll, synchronize and barrier are in libck.
 *
 * Each row has its own ck_epoch_t, so rows sharing a process (reclaim.c's
 * interleaved slices) never see each other's records.
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

/* One thread's state in one row. */
struct rc_ck_ctx {
	ck_epoch_record_t *r;
	unsigned poll_every;
	unsigned since_poll;
};

static ck_epoch_t rc_ck_epoch1, rc_ck_epoch64, rc_ck_epoch_gp;

static void rc_ck_cb(ck_epoch_entry_t *e)
{
	rc_destroy(&((struct rc_ck_obj *)((char *)e - offsetof(struct rc_ck_obj, entry)))->h);
}

static void rc_ck_setup1(void)
{
	ck_epoch_init(&rc_ck_epoch1);
}

static void rc_ck_setup64(void)
{
	ck_epoch_init(&rc_ck_epoch64);
}

static void rc_ck_setup_gp(void)
{
	ck_epoch_init(&rc_ck_epoch_gp);
}

static struct rc_ck_ctx *rc_ck_ctx_new(ck_epoch_t *ep, unsigned poll_every)
{
	struct rc_ck_ctx *c = malloc(sizeof *c);
	ck_epoch_record_t *r = aligned_alloc(CK_MD_CACHELINE, sizeof *r);
	if (c == NULL || r == NULL) {
		perror("bench_reclaim: malloc");
		exit(2);
	}
	ck_epoch_register(ep, r, NULL);
	*c = (struct rc_ck_ctx){.r = r, .poll_every = poll_every};
	return c;
}

static void *rc_ck_thread_init1(bool writer)
{
	(void)writer;
	return rc_ck_ctx_new(&rc_ck_epoch1, 1);
}

static void *rc_ck_thread_init64(bool writer)
{
	(void)writer;
	return rc_ck_ctx_new(&rc_ck_epoch64, 64);
}

static void *rc_ck_thread_init_gp(bool syncer)
{
	(void)syncer;
	return rc_ck_ctx_new(&rc_ck_epoch_gp, 1);
}

/* ck_epoch_call, then ck_epoch_poll every poll_every calls. */
static inline void rc_ck_defer(struct rc_ck_ctx *c, struct rc_hdr *old)
{
	ck_epoch_call(c->r, &((struct rc_ck_obj *)old)->entry, rc_ck_cb);
	if (++c->since_poll >= c->poll_every) {
		c->since_poll = 0;
		ck_epoch_poll(c->r);
	}
}

static uint64_t rc_ck_writer(void *ctx)
{
	struct rc_ck_ctx *c = ctx;
	uint64_t n = 0;
	do { /* at least one batch, however late the thread starts */
		for (int i = 0; i < RC_BATCH; i++) {
			struct rc_hdr *o = rc_new(sizeof(struct rc_ck_obj), n + (uint64_t)i);
			/* Acq_rel: release publishes o's magic to the reader's acquire
			 * load in rc_ck_reader(); acquire takes ownership of old. */
			struct rc_hdr *old = atomic_exchange_explicit(&rc_slot, o, memory_order_acq_rel);
			if (old != NULL)
				rc_ck_defer(c, old);
		}
		n += RC_BATCH;
	} while (!rc_stopped());
	return n;
}

static void rc_ck_defer_one(void *ctx, struct rc_hdr *obj)
{
	rc_ck_defer(ctx, obj);
}

static uint64_t rc_ck_reader(void *ctx)
{
	ck_epoch_record_t *r = ((struct rc_ck_ctx *)ctx)->r;
	uint64_t n = 0, last = 0;
	do {
		for (int i = 0; i < RC_READ_BATCH; i++) {
			ck_epoch_begin(r, NULL);
			/* Acquire: pairs with the release half of the writers' exchange. */
			rc_check(atomic_load_explicit(&rc_slot, memory_order_acquire));
			ck_epoch_end(r, NULL);
		}
		n += RC_READ_BATCH;
	} while (!rc_reader_stopped(&last));
	return n;
}

static void rc_ck_thread_fini(void *ctx, bool writer)
{
	struct rc_ck_ctx *c = ctx;
	if (writer)
		ck_epoch_barrier(c->r); /* waits for a grace period and dispatches everything */
	ck_epoch_unregister(c->r);
	/* The record stays allocated: ConcurrencyKit may recycle it. */
	free(c);
}

static void rc_ck_drain(void)
{
	/* Every writer dispatched its own callbacks in rc_ck_thread_fini(). */
}

/* The driver's own record: ck_epoch_barrier() takes a record and dispatches
 * only that record's callbacks (after a grace period); there is no call
 * that reaches another thread's pending callbacks while it lives. */
static void *rc_ck_driver_init1(void)
{
	return rc_ck_ctx_new(&rc_ck_epoch1, 1);
}

static void *rc_ck_driver_init64(void)
{
	return rc_ck_ctx_new(&rc_ck_epoch64, 64);
}

static void rc_ck_barrier(void *driver_ctx)
{
	ck_epoch_barrier(((struct rc_ck_ctx *)driver_ctx)->r);
}

static void rc_ck_synchronize(void *ctx)
{
	ck_epoch_synchronize(((struct rc_ck_ctx *)ctx)->r);
}

const struct rc_impl rc_ck_poll1 = {
	.name = "ck_epoch-p1",
	.setup = rc_ck_setup1,
	.thread_init = rc_ck_thread_init1,
	.writer_loop = rc_ck_writer,
	.reader_loop = rc_ck_reader,
	.thread_fini = rc_ck_thread_fini,
	.drain = rc_ck_drain,
	.defer_one = rc_ck_defer_one,
	.barrier = rc_ck_barrier,
	.barrier_desc = "ck_epoch_barrier(own record)",
	.driver_init = rc_ck_driver_init1,
};

const struct rc_impl rc_ck_poll64 = {
	.name = "ck_epoch-p64",
	.setup = rc_ck_setup64,
	.thread_init = rc_ck_thread_init64,
	.writer_loop = rc_ck_writer,
	.reader_loop = rc_ck_reader,
	.thread_fini = rc_ck_thread_fini,
	.drain = rc_ck_drain,
	.defer_one = rc_ck_defer_one,
	.barrier = rc_ck_barrier,
	.barrier_desc = "ck_epoch_barrier(own record)",
	.driver_init = rc_ck_driver_init64,
};

const struct rc_gp_impl rc_gp_ck = {
	.name = "ck_epoch",
	.call = "ck_epoch_synchronize",
	.setup = rc_ck_setup_gp,
	.thread_init = rc_ck_thread_init_gp,
	.reader_loop = rc_ck_reader,
	.synchronize = rc_ck_synchronize,
	.thread_fini = rc_ck_thread_fini,
};
