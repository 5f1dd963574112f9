/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/harness.h — the implementations the C harness runs.
 *
 * Scenario "lazy" (the seed's benchmark): one producer calls set_source()
 * with a random blob and then works for ~10,000 multiplications; N consumers
 * read the transformed value in a loop and check it against "longer".
 *
 * Scenario "breakdown" (the seed's list): a payload published once, read by
 * N consumers; each read pins (or enters a read-side section), loads the
 * pointer and takes what the payload kind says (see bench_payloads[]).
 *
 * Every implementation provides its consumer loop as a function with the
 * read inlined (an indirect call per read would cost more than the read).
 */
#ifndef TERN_BENCH_HARNESS_H
#define TERN_BENCH_HARNESS_H

#include "../common/bench.h"
#include "../common/target.h"

struct lazy_impl {
	const char *name;
	const char *desc;
	void *(*create)(void);
	void (*destroy)(void *obj);               /* after every thread is joined */
	void (*thread_enter)(void *obj);          /* per thread, before the clock starts; may be NULL */
	void (*thread_exit)(void *obj);           /* per thread, after the clock stops; may be NULL */
	/* consumers only, after thread_enter / before thread_exit (outside the
	 * clock); may be NULL */
	void (*consumer_enter)(void *obj);
	void (*consumer_exit)(void *obj);
	void (*set_source)(void *obj, const struct bench_blob *b); /* producer */
	void (*consume)(struct bench_thread *t);  /* BENCH_LOOP until stop */
	uint64_t (*transforms)(void *obj);        /* transforms done so far */
};

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

extern const char *const bench_payloads[BD_NPAYLOADS];

/* The payload all breakdown readers see. */
struct bd_payload {
	_Atomic uint64_t rc;
	uint64_t x;
	size_t len;
	char *s;
};

struct breakdown_impl {
	const char *name;
	const char *desc;
	void (*publish)(struct bd_payload *p);  /* before the threads start */
	void (*unpublish)(void);                /* after they are joined */
	void (*thread_enter)(void);
	void (*thread_exit)(void);
	void (*consume[BD_NPAYLOADS])(struct bench_thread *t); /* NULL: not measured */
};

/*
 * Breakdown read bodies shared by every epoch-style implementation:
 * BEGIN/END enter and leave the read-side section, LOADP yields the
 * published (const struct bd_payload *).
 */
#define BD_DEFINE_CONSUMERS(prefix, BEGIN, END, LOADP)                                   \
	static void prefix##_bd_u64(struct bench_thread *t)                               \
	{                                                                                \
		BENCH_LOOP(t, {                                                          \
			BEGIN;                                                           \
			const struct bd_payload *p_ = LOADP;                             \
			hits_ += p_->x & 1;                                              \
			END;                                                             \
		});                                                                      \
	}                                                                                \
	static void prefix##_bd_box(struct bench_thread *t)                               \
	{                                                                                \
		BENCH_LOOP(t, {                                                          \
			BEGIN;                                                           \
			const struct bd_payload *p_ = LOADP;                             \
			uint64_t *b_ = malloc(sizeof *b_);                               \
			if (!b_)                                                         \
				abort();                                                 \
			*b_ = p_->x;                                                     \
			END;                                                             \
			BENCH_ESCAPE(b_);                                                \
			hits_ += *b_ & 1;                                                \
			free(b_);                                                        \
		});                                                                      \
	}                                                                                \
	static void prefix##_bd_str(struct bench_thread *t)                               \
	{                                                                                \
		BENCH_LOOP(t, {                                                          \
			BEGIN;                                                           \
			const struct bd_payload *p_ = LOADP;                             \
			char *c_ = malloc(p_->len + 1);                                  \
			if (!c_)                                                         \
				abort();                                                 \
			memcpy(c_, p_->s, p_->len + 1);                                  \
			END;                                                             \
			BENCH_ESCAPE(c_);                                                \
			hits_ += bench_lt_longer(c_);                                    \
			free(c_);                                                        \
		});                                                                      \
	}                                                                                \
	static void prefix##_bd_rc(struct bench_thread *t)                                \
	{                                                                                \
		BENCH_LOOP(t, {                                                          \
			BEGIN;                                                           \
			struct bd_payload *p_ = (struct bd_payload *)(LOADP);            \
			/* Relaxed: like Arc::clone, the pin keeps p_ alive meanwhile. */ \
			atomic_fetch_add_explicit(&p_->rc, 1, memory_order_relaxed);     \
			END;                                                             \
			hits_ += bench_lt_longer(p_->s);                                 \
			/* Release: pairs with the acquire fence below (Arc::drop). */   \
			if (atomic_fetch_sub_explicit(&p_->rc, 1, memory_order_release) == 1) { \
				/* Acquire: pairs with the release decrements. */        \
				atomic_thread_fence(memory_order_acquire);               \
				abort(); /* the harness holds a reference */             \
			}                                                                \
		});                                                                      \
	}

#define BD_CONSUMER_TABLE(prefix)                                                        \
	{ NULL, prefix##_bd_u64, prefix##_bd_box, prefix##_bd_str, prefix##_bd_str,       \
	  prefix##_bd_str, prefix##_bd_str, prefix##_bd_rc }

/*
 * The lazy scenario's targets (defined in impls.c, next to the rows): the
 * median ns/read of row a against row b (bench_target.at): at the largest
 * consumer count measured (the seed's 8) or the worst ratio over the counts >= 2.
 */
enum lazy_target_at { LAZY_AT_MAX_N, LAZY_WORST_GE2 };
extern const struct bench_target lazy_targets[];
extern const size_t lazy_ntargets;

/* Registries (NULL-terminated), defined in impls.c from the impl_*.c files. */
extern const struct lazy_impl *const lazy_impls[];
extern const struct breakdown_impl *const breakdown_impls[];

/* The implementations. */
extern const struct lazy_impl lazy_mutex, lazy_fine, lazy_atomicbool;
extern const struct lazy_impl lazy_urcu, lazy_ck, lazy_floor;
extern const struct lazy_impl lazy_tern_borrow, lazy_tern_copy, lazy_tern_dup, lazy_tern_pin64,
	lazy_tern_qsbr;
extern const struct breakdown_impl bd_none, bd_tern, bd_urcu, bd_ck;

#endif /* TERN_BENCH_HARNESS_H */
