/* SPDX-License-Identifier: MIT */
/*
 * tern/alloc.h — the allocator behind tern's slow paths.
 *
 * tern allocates only in slow paths (thread registration in explicit
 * domains, garbage bags, boxed cell values, LazyTransform boxes).  Every
 * allocation goes through one process-wide allocator that a program (or a
 * fault-injection test) can replace.
 */
#ifndef TERN_ALLOC_H
#define TERN_ALLOC_H

#include "config.h"

TERN_EXTERN_C_BEGIN

struct tern_allocator {
	void *(*malloc)(size_t size, void *ctx); /* => memory or NULL */
	void (*free)(void *ptr, void *ctx);
	void *ctx;
};

/*
 * Installs `a` (copied) as the allocator, or restores malloc/free when `a` is
 * NULL.  Call it before tern allocates anything, or make sure the new
 * allocator can free what the old one returned.  => 0, or EINVAL when a
 * function pointer is missing.
 */
TERN_API int tern_set_allocator(const struct tern_allocator *a);

/* => the library version string, "MAJOR.MINOR.PATCH". */
TERN_API const char *tern_version(void);

/* Private: the allocation entry points used by TERN_MALLOC / TERN_FREE. */
TERN_API void *tern__malloc(size_t size);
TERN_API void tern__free(void *ptr);

TERN_EXTERN_C_END

#endif /* TERN_ALLOC_H */
