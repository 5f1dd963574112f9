/* SPDX-License-Identifier: MIT */
/*
 * tern/config.h — build configuration, portability macros and version.
 *
 * Every macro here may be defined by the user before including any tern
 * header; the defaults below apply only when it is not.
 */
#ifndef TERN_CONFIG_H
#define TERN_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define TERN_VERSION_MAJOR 0
#define TERN_VERSION_MINOR 1
#define TERN_VERSION_PATCH 0
#define TERN_VERSION_STRING "0.1.0"
/* => (major << 16) | (minor << 8) | patch, for compile-time comparisons. */
#define TERN_VERSION_NUMBER \
	((TERN_VERSION_MAJOR << 16) | (TERN_VERSION_MINOR << 8) | TERN_VERSION_PATCH)

#ifdef __cplusplus
#define TERN_EXTERN_C_BEGIN extern "C" {
#define TERN_EXTERN_C_END }
/*
 * C++ (C++11 or later): the C11 keywords the headers use, spelled
 * the C++ way.  Atomic members are written _Atomic(T), which <stdatomic.h>
 * maps to std::atomic<T>.  Only the headers are C++-clean; compile the
 * implementation (libtern, or the TERN_IMPLEMENTATION file) as C11.
 */
#ifndef _Static_assert
#define _Static_assert static_assert
#endif
#ifndef _Alignas
#define _Alignas(x) alignas(x)
#endif
#ifndef _Alignof
#define _Alignof(t) alignof(t)
#endif
#ifndef _Thread_local
#define _Thread_local thread_local
#endif
/*
 * g++ before C++23: libstdc++'s <stdatomic.h> is empty there (clang++
 * accepts C's _Atomic as an extension and needs nothing).  Map the names
 * the tern headers use onto <atomic> exactly as C++23's <stdatomic.h>
 * does, so the headers (and tern.hpp) work from C++11 on.  Like that
 * header, this puts the names into the global namespace.  Define
 * TERN_NO_CXX_ATOMIC_SHIM to provide them yourself.
 */
#if __cplusplus <= 202002L && !defined(__clang__) && !defined(TERN_NO_CXX_ATOMIC_SHIM) && \
	!defined(_Atomic)
#include <atomic>
#define _Atomic(T) std::atomic<T>
/* Names only, no atomic operation here (so no pairing to name): the C
 * spellings the inline code uses, mapped onto <atomic>. */
using std::memory_order;
using std::memory_order_relaxed;
using std::memory_order_acquire; /* a name, not an operation */
using std::memory_order_release; /* a name, not an operation */
using std::memory_order_acq_rel; /* a name, not an operation */
using std::memory_order_seq_cst; /* a name, not an operation */
using std::atomic_uchar;
using std::atomic_load_explicit;
using std::atomic_store_explicit;
using std::atomic_exchange_explicit;
using std::atomic_compare_exchange_strong_explicit;
/* Names only, as above. */
using std::atomic_thread_fence;
using std::atomic_signal_fence;
#endif
#else
#define TERN_EXTERN_C_BEGIN
#define TERN_EXTERN_C_END
#endif

/* Visibility of the library's exported functions. */
#ifndef TERN_API
#if defined(__GNUC__) || defined(__clang__)
#define TERN_API __attribute__((visibility("default")))
#else
#define TERN_API
#endif
#endif

/* Storage class of the header-inlined fast paths. */
#ifndef TERN_INLINE
#define TERN_INLINE static inline
#endif

/* The library's global objects: declared TERN__EXTERN_API in the headers,
 * defined TERN__STATIC_DATA in src/.  The single header's TERN_STATIC form
 * defines both as `static` (a private copy per translation unit). */
#ifndef TERN__EXTERN_API
#define TERN__EXTERN_API extern TERN_API
#endif
#ifndef TERN__STATIC_DATA
#define TERN__STATIC_DATA
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TERN_LIKELY(x) __builtin_expect(!!(x), 1)
#define TERN_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define TERN_LIKELY(x) (x)
#define TERN_UNLIKELY(x) (x)
#endif

/* Token pasting for names made unique per line (scoped helpers). */
#define TERN__CAT2(a, b) a##b
#define TERN__CAT(a, b) TERN__CAT2(a, b)

/* Storage of the functions the typed generator macros (TERN_CELL_DEFINE,
 * TERN_LAZY_DEFINE, TERN_MAP_DEFINE) define: static, no warning when unused. */
#if defined(__GNUC__) || defined(__clang__)
#define TERN__GENERATED static inline __attribute__((unused))
#else
#define TERN__GENERATED static inline
#endif

/* Size of a cache line: hot shared fields are aligned to it. */
#ifndef TERN_CACHELINE
#define TERN_CACHELINE 64
#endif

/*
 * TERN_ASSERT(cond, msg): checks a precondition of a public call.  `msg`
 * starts with the name of the call ("tern_epoch_unpin: not pinned").  On
 * failure it prints the message with the file and line to stderr and aborts.
 * Compiled out under NDEBUG.  Define TERN_ASSERT yourself to route failures
 * elsewhere.
 */
#ifndef TERN_ASSERT
#ifdef NDEBUG
#define TERN_ASSERT(cond, msg) ((void)0)
#else
#define TERN_ASSERT(cond, msg) \
	(TERN_LIKELY(cond) ? (void)0 : tern__assert_fail((msg), #cond, __FILE__, __LINE__))
#endif
#endif

TERN_EXTERN_C_BEGIN

#if defined(__GNUC__) || defined(__clang__)
__attribute__((cold, noreturn))
#endif
static inline void tern__assert_fail(const char *msg, const char *cond,
				     const char *file, int line)
{
	fprintf(stderr, "tern: %s (assertion '%s' failed at %s:%d)\n", msg, cond, file, line);
	fflush(stderr);
	abort();
}

TERN_EXTERN_C_END

/*
 * Allocation used by the library's slow paths.  TERN_MALLOC/TERN_FREE can be
 * defined when compiling the implementation (library build or the
 * TERN_IMPLEMENTATION translation unit); the default goes through the
 * run-time allocator installed with tern_set_allocator() (tern/alloc.h).
 */
#ifndef TERN_MALLOC
#define TERN_MALLOC(size) tern__malloc(size)
#endif
#ifndef TERN_FREE
#define TERN_FREE(ptr) tern__free(ptr)
#endif

#endif /* TERN_CONFIG_H */
