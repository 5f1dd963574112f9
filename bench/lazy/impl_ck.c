/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/impl_ck.c — the LazyTransform on ConcurrencyKit's ck_epoch,
 * in its fastest documented configuration: the inline ck_epoch_begin /
 * ck_epoch_end with a NULL section (no per-section reference counts), one
 * record per thread, ck_epoch_call to defer and ck_epoch_poll (non-blocking)
 * by the deferring thread, outside its section.  The container is the
 * peers' (harness.h).
 *
 * And the breakdown row: ck_epoch_begin + acquire load + ck_epoch_end.
 */
#include <ck_epoch.h>
#include <ck_pr.h>

#include "harness.h"

struct ck_val {
	ck_epoch_entry_t entry;
	struct bench_str str;
};

CK_EPOCH_CONTAINER(struct ck_val, entry, ck_val_of_entry)

static ck_epoch_t ck_global;
static pthread_once_t ck_once = PTHREAD_ONCE_INIT;
static _Thread_local ck_epoch_record_t *ck_self;

static void ck_global_init(void)
{
	ck_epoch_init(&ck_global);
}

/* Registers the calling thread (records are recycled across runs). */
static void ck_register_self(void)
{
	pthread_once(&ck_once, ck_global_init);
	ck_epoch_record_t *r = ck_epoch_recycle(&ck_global, NULL);
	if (!r) {
		r = aligned_alloc(CK_MD_CACHELINE, sizeof *r);
		if (!r)
			abort();
		ck_epoch_register(&ck_global, r, NULL);
	}
	ck_self = r;
}

static void ck_unregister_self(void)
{
	ck_epoch_barrier(ck_self); /* runs this record's pending callbacks */
	ck_epoch_unregister(ck_self);
	ck_self = NULL;
}

static void ck_free_val(ck_epoch_entry_t *e)
{
	free(ck_val_of_entry(e));
}

static void ck_retire(void *old)
{
	ck_epoch_call(ck_self, &((struct ck_val *)old)->entry, ck_free_val);
}

LAZY_PEER_DEFINE(ck, struct ck_val, ck_retire, ck_epoch_record_t *rec = ck_self, ck_epoch_begin(rec, NULL),
		 ck_epoch_end(rec, NULL), ck_epoch_poll(rec))

#define CK_HOOKS { .thread_enter = ck_register_self, .thread_exit = ck_unregister_self }
LAZY_PEER_IMPL(ck, "ck-epoch", "ConcurrencyKit ck_epoch, inline begin/end, ck_epoch_call + ck_epoch_poll",
	       lazy_peer_destroy, CK_HOOKS);

BD_DEFINE(ck, "ck-epoch", "ck_epoch_begin + acquire load + ck_epoch_end", CK_HOOKS, ck_epoch_begin(ck_self, NULL),
	  ck_epoch_end(ck_self, NULL))
