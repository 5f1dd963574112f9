/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/harness.h — what an implementation of the lazy and breakdown
 * scenarios provides, and the pieces the adapters (impl_*.c) share, so
 * that each states only what differs: its read-side section and how it
 * reclaims a replaced value.
 *
 * Scenario "lazy" (the exercise's benchmark): one producer calls set_source()
 * with a random blob and then works for ~10,000 multiplications; N consumers
 * read the transformed value in a loop and check it against "longer".
 *
 * Scenario "breakdown" (the exercise's list): a payload published once, read by
 * N consumers; each read pins (or enters a read-side section), loads the
 * pointer and takes what the payload kind says (see lazy_payloads[]).
 *
 * Every consumer loop is a function with the read inlined (an indirect call
 * per read would cost more than the read).
 */
#ifndef TERN_BENCH_HARNESS_H
#define TERN_BENCH_HARNESS_H

#include "../common/bench.h"
#include "../common/target.h"

/* Per-thread hooks, outside the clock; any may be NULL. */
struct lazy_hooks {
	void (*thread_enter)(void);   /* every thread of a step, before the clock starts */
	void (*thread_exit)(void);    /* every thread, after the clock stops */
	void (*consumer_enter)(void); /* consumers only, after thread_enter */
	void (*consumer_exit)(void);  /* consumers only, before thread_exit */
};

struct lazy_impl {
	const char *name;
	const char *desc;
	void *(*create)(void);
	void (*destroy)(void *obj);                                /* after every thread is joined */
	void (*set_source)(void *obj, const struct bench_blob *b); /* producer */
	void (*consume)(struct bench_thread *t);                   /* BENCH_LOOP until stop */
	uint64_t (*transforms)(void *obj);                         /* transforms done so far */
	struct lazy_hooks hooks;
};

/* ---- memory ------------------------------------------------------------------- */

static inline void *lazy_alloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		abort();
	return p;
}

static inline void *lazy_dup(const void *src, size_t n)
{
	return memcpy(lazy_alloc(n), src, n);
}

/* ---- the peers' container (liburcu, ck_epoch, floor) ------------------------------
 * The same as tern's: a source and a value pointer, readers test the source
 * with a plain load, transform under a try-lock (bench_trylock, tern's
 * algorithm) and read the value with an acquire load.  Sources are only
 * ever dereferenced by the thread that exchanged them out, so they are
 * freed at once; a replaced value goes to the adapter's retire(). */

struct lazy_peer {
	struct bench_blob *_Atomic source;
	void *_Atomic value; /* the adapter's value type, with a `struct bench_str str` member */
	bench_trylock_t transform_lock;
	uint64_t transforms; /* under transform_lock */
};

void *lazy_peer_create(void);
void lazy_peer_destroy(void *obj); /* frees the source, the value and the container */
void lazy_peer_set_source(void *obj, const struct bench_blob *b);
uint64_t lazy_peer_transforms(void *obj);
/* A read found a source: if it wins the try-lock, transforms into a new
 * value of `size` bytes (its bench_str at `str_at`) and publishes it; the
 * replaced one goes to retire().  => whether a value was retired. */
bool lazy_peer_transform(struct lazy_peer *lt, size_t size, size_t str_at, void (*retire)(void *old));

/*
 * P##_consume, a peer's consumer loop: SETUP runs once before the loop,
 * BEGIN and END enter and leave the read-side section around each read,
 * AFTER runs after END when the read retired a value.  VAL is the value
 * type, RETIRE its retire function.
 */
#define LAZY_PEER_DEFINE(P, VAL, RETIRE, SETUP, BEGIN, END, AFTER)                            \
	static void P##_consume(struct bench_thread *t)                                       \
	{                                                                                     \
		struct lazy_peer *lt_ = t->run->obj;                                          \
		SETUP;                                                                        \
		BENCH_LOOP(t, {                                                               \
			bool retired_ = false;                                                \
			BEGIN;                                                                \
			/* Relaxed: only tested; lazy_peer_transform() re-reads it (acquire). */ \
			if (atomic_load_explicit(&lt_->source, memory_order_relaxed))         \
				retired_ = lazy_peer_transform(lt_, sizeof(VAL), offsetof(VAL, str), RETIRE); \
			/* Acquire: pairs with the release exchange in lazy_peer_transform(). */ \
			const VAL *v_ = atomic_load_explicit(&lt_->value, memory_order_acquire); \
			if (v_)                                                               \
				hits_ += bench_lt_longer(v_->str.s);                          \
			END;                                                                  \
			if (retired_)                                                         \
				AFTER;                                                        \
		});                                                                           \
	}

/* lazy_##P, a peer's row: DESTROY after the threads are joined (ending with
 * lazy_peer_destroy()), HOOKS its struct lazy_hooks. */
#define LAZY_PEER_IMPL(P, NAME, DESC, DESTROY, HOOKS)                                          \
	const struct lazy_impl lazy_##P = {NAME, DESC, lazy_peer_create, DESTROY, lazy_peer_set_source, \
					   P##_consume, lazy_peer_transforms, HOOKS}

/* ---- breakdown ------------------------------------------------------------------- */

/* Breakdown payload kinds, in report order. */
enum {
	BD_LOAD,     /* one relaxed load of a u64, no pin (impl "none" only) */
	BD_U64,      /* pin, load pointer, read a u64, unpin */
	BD_BOX_U64,  /* ... copy the u64 into malloc'd memory, free after unpin */
	BD_STR3,     /* ... copy a string into malloc'd memory (like Rust's clone) */
	BD_STR128,
	BD_STR1024,
	BD_STR2048,
	BD_REFCOUNT, /* ... atomic increment under the pin, decrement after */
	BD_NPAYLOADS
};

extern const char *const lazy_payloads[BD_NPAYLOADS];

/* The payload all breakdown readers see. */
struct bd_payload {
	_Atomic uint64_t rc;
	uint64_t x;
	size_t len;
	char *s;
};

/* Published (release) by the runner before a step's threads start, NULL
 * after they are joined; readers load it with acquire. */
extern struct bd_payload *_Atomic lazy_bd_ptr;

struct breakdown_impl {
	const char *name;
	const char *desc;
	struct lazy_hooks hooks;
	void (*consume[BD_NPAYLOADS])(struct bench_thread *t); /* NULL: not measured */
};

/* One breakdown read: BEGIN; p_ = the payload; TAKE; END; USE. */
#define BD_READER(fn, BEGIN, END, TAKE, USE)                                                  \
	static void fn(struct bench_thread *t)                                                \
	{                                                                                     \
		BENCH_LOOP(t, {                                                               \
			BEGIN;                                                                \
			/* Acquire: pairs with the release store of lazy_bd_ptr (runner.c). */ \
			struct bd_payload *p_ = atomic_load_explicit(&lazy_bd_ptr, memory_order_acquire); \
			TAKE;                                                                 \
			END;                                                                  \
			USE;                                                                  \
		});                                                                           \
	}

/*
 * lazy_bd_##P, an epoch-style implementation of the breakdown: BEGIN/END enter
 * and leave its read-side section; every payload kind but "load".
 */
#define BD_DEFINE(P, NAME, DESC, HOOKS, BEGIN, END)                                           \
	BD_READER(P##_bd_u64, BEGIN, END, hits_ += p_->x & 1, (void)0)                        \
	BD_READER(P##_bd_box, BEGIN, END, uint64_t *b_ = lazy_dup(&p_->x, sizeof p_->x), {    \
		BENCH_ESCAPE(b_);                                                             \
		hits_ += *b_ & 1;                                                             \
		free(b_);                                                                     \
	})                                                                                    \
	BD_READER(P##_bd_str, BEGIN, END, char *c_ = lazy_dup(p_->s, p_->len + 1), {          \
		BENCH_ESCAPE(c_);                                                             \
		hits_ += bench_lt_longer(c_);                                                 \
		free(c_);                                                                     \
	})                                                                                    \
	/* Relaxed increment: like Arc::clone, the section keeps p_ alive meanwhile. */       \
	BD_READER(P##_bd_rc, BEGIN, END, atomic_fetch_add_explicit(&p_->rc, 1, memory_order_relaxed), \
		  hits_ += bd_release(p_))                                                    \
	const struct breakdown_impl lazy_bd_##P = {                                           \
		NAME, DESC, HOOKS,                                                            \
		{ NULL, P##_bd_u64, P##_bd_box, P##_bd_str, P##_bd_str, P##_bd_str, P##_bd_str, \
		  P##_bd_rc },                                                                \
	};

/* The refcount row after the section: the check, then Arc::drop.  => the hit. */
static inline bool bd_release(struct bd_payload *p)
{
	bool hit = bench_lt_longer(p->s);
	/* Release: pairs with the acquire fence below. */
	if (atomic_fetch_sub_explicit(&p->rc, 1, memory_order_release) == 1) {
		/* Acquire: pairs with the release decrements. */
		atomic_thread_fence(memory_order_acquire);
		abort(); /* the harness holds a reference */
	}
	return hit;
}

/* ---- registries and targets (impls.c) ------------------------------------------------ */

/*
 * The lazy scenario's targets: the median ns/read of row a against row b
 * (bench_target.at): at the largest consumer count measured (the exercise's 8)
 * or the worst ratio over the counts >= 2.
 */
enum lazy_target_at { LAZY_AT_MAX_N, LAZY_WORST_GE2 };
extern const struct bench_target lazy_targets[];
extern const size_t lazy_ntargets;

/* NULL-terminated, in run order. */
extern const struct lazy_impl *const lazy_impls[];
extern const struct breakdown_impl *const lazy_breakdown_impls[];

extern const struct lazy_impl lazy_mutex, lazy_fine, lazy_atomicbool;
extern const struct lazy_impl lazy_urcu, lazy_ck, lazy_floor;
extern const struct lazy_impl lazy_tern_borrow, lazy_tern_copy, lazy_tern_dup, lazy_tern_pin64,
	lazy_tern_qsbr;
extern const struct breakdown_impl lazy_bd_none, lazy_bd_tern, lazy_bd_urcu, lazy_bd_ck;

#endif /* TERN_BENCH_HARNESS_H */
