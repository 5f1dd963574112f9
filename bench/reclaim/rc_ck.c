/* SPDX-License-Identifier: MIT */
/*
 * bench/reclaim ck_epoch rows: ck_epoch_call (intrusive, per-record stacks)
 * with ck_epoch_poll, ConcurrencyKit's non-blocking reclamation, polled after
 * every call (ck_epoch-p1) or after every 64 calls (ck_epoch-p64); and the
 * grace-period row, ck_epoch_synchronize.  ck_epoch_begin/end/call are
 * inline functions of <ck_epoch.h> (its fastest configuration: nothing to
 * choose); poll, synchronize and barrier are in libck.
 *
 * Each row has its own ck_epoch_t, so rows sharing a process (the
 * interleaved slices) never see each other's records.
 */
#include <ck_epoch.h>
#include <stddef.h>

#include "reclaim.h"

struct rc_ck_obj {
	struct bench_obj h;
	ck_epoch_entry_t entry;
	RC_PAD(ck_epoch_entry_t);
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
	bench_obj_free(&((struct rc_ck_obj *)((char *)e - offsetof(struct rc_ck_obj, entry)))->h);
}

static struct rc_ck_ctx *rc_ck_ctx_new(ck_epoch_t *ep, unsigned poll_every)
{
	struct rc_ck_ctx *c = malloc(sizeof *c);
	ck_epoch_record_t *r = aligned_alloc(CK_MD_CACHELINE, sizeof *r);
	if (c == NULL || r == NULL) {
		perror("tern-bench reclaim: malloc");
		exit(2);
	}
	ck_epoch_register(ep, r, NULL);
	*c = (struct rc_ck_ctx){.r = r, .poll_every = poll_every};
	return c;
}

/* Per row: the epoch's setup and the threads' records. */
#define RC_CK_EPOCH(sfx, ep, poll)                       \
	static void rc_ck_setup##sfx(void)               \
	{                                                \
		ck_epoch_init(&ep);                      \
	}                                                \
	static void *rc_ck_thread_init##sfx(bool writer) \
	{                                                \
		(void)writer;                            \
		return rc_ck_ctx_new(&ep, poll);         \
	}
RC_CK_EPOCH(1, rc_ck_epoch1, 1)
RC_CK_EPOCH(64, rc_ck_epoch64, 64)
RC_CK_EPOCH(_gp, rc_ck_epoch_gp, 1)

/* ck_epoch_call, then ck_epoch_poll every poll_every calls. */
static inline void rc_ck_defer(struct rc_ck_ctx *c, struct bench_obj *old)
{
	ck_epoch_call(c->r, &((struct rc_ck_obj *)old)->entry, rc_ck_cb);
	if (++c->since_poll >= c->poll_every) {
		c->since_poll = 0;
		ck_epoch_poll(c->r);
	}
}

RC_WRITER(rc_ck_writer, struct rc_ck_obj, rc_ck_defer(ctx, old_))
RC_READER(rc_ck_reader, ck_epoch_record_t *r = ((struct rc_ck_ctx *)ctx)->r, ck_epoch_begin(r, NULL),
	  ck_epoch_end(r, NULL))

static void rc_ck_defer_one(void *ctx, struct bench_obj *obj)
{
	rc_ck_defer(ctx, obj);
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

/* Every writer dispatched its own callbacks in rc_ck_thread_fini(). */
static void rc_ck_drain(void)
{
}

/* The driver's own record (driver_thread): ck_epoch_barrier() takes a record
 * and dispatches only that record's callbacks, after a grace period; no call
 * reaches another live thread's pending callbacks. */
static void rc_ck_barrier(void *driver_ctx)
{
	ck_epoch_barrier(((struct rc_ck_ctx *)driver_ctx)->r);
}

static void rc_ck_synchronize(void *ctx)
{
	ck_epoch_synchronize(((struct rc_ck_ctx *)ctx)->r);
}

#define RC_CK_ROW(nm, sfx)                                                                             \
	{                                                                                              \
		.name = nm, .setup = rc_ck_setup##sfx, .thread_init = rc_ck_thread_init##sfx,          \
		.writer_loop = rc_ck_writer, .reader_loop = rc_ck_reader, .thread_fini = rc_ck_thread_fini, \
		.drain = rc_ck_drain, .defer_one = rc_ck_defer_one, .barrier = rc_ck_barrier,          \
		.barrier_desc = "ck_epoch_barrier(own record)", .driver_thread = true,                  \
	}
const struct rc_impl rc_ck_poll1 = RC_CK_ROW("ck_epoch-p1", 1);
const struct rc_impl rc_ck_poll64 = RC_CK_ROW("ck_epoch-p64", 64);

const struct rc_gp_impl rc_gp_ck = {
	.name = "ck_epoch",
	.call = "ck_epoch_synchronize",
	.setup = rc_ck_setup_gp,
	.thread_init = rc_ck_thread_init_gp,
	.reader_loop = rc_ck_reader,
	.synchronize = rc_ck_synchronize,
	.thread_fini = rc_ck_thread_fini,
};
