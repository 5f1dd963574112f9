/* SPDX-License-Identifier: MIT */
/*
 * tests/cxx/use_tern.cpp — tern from C++ (g++ -std=c++23, which has
 * <stdatomic.h>): includes "tern.h" and calls each component once.
 *
 * Built twice by mk/single.mk (make check-cxx):
 *   - with -Iinclude (include/tern.h), linked with libtern.a;
 *   - with the single header dist/tern.h, linked with its implementation
 *     compiled as C (tests/single/impl.c).
 * It also compares the layout of every type the inline code uses as C++
 * sees it with what the C compiler says (layout.c), since C's _Atomic(T)
 * becomes std::atomic<T> here.  Exit status 0 when every check holds; each
 * failed check is printed.
 */
#include "tern.h"
#include "layout.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

static int failures;
#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (!(cond)) {                                                           \
			std::fprintf(stderr, "use_tern.cpp:%d: check failed: %s\n", __LINE__, #cond); \
			failures++;                                                      \
		}                                                                        \
	} while (0)

// Destructors handed to C: C linkage, and they count what tern destroys.
static int destroyed;
extern "C" void count_destroy(void *p)
{
	destroyed++;
	std::free(p);
}

static int *new_int(int v)
{
	int *p = static_cast<int *>(std::malloc(sizeof *p));
	if (!p)
		std::abort();
	*p = v;
	return p;
}

// LazyTransform's transform: source int -> value 2 * source.
extern "C" void *double_it(const void *source, void *ctx)
{
	(void)ctx;
	return new_int(*static_cast<const int *>(source) * 2);
}

// Same size, alignment and field offsets as in C (layout.h, layout.c).
static void check_layout()
{
	unsigned long c[TERN_LAYOUT_MAX];
	unsigned nc = layout_from_c(c, TERN_LAYOUT_MAX), n = 0;
#define TERN_LAYOUT_T(type)                                                                   \
	if (n + 2 <= nc) {                                                                    \
		if (c[n] != sizeof(type) || c[n + 1] != alignof(type)) {                      \
			std::fprintf(stderr, "layout: %s: C size %lu align %lu, C++ %zu %zu\n", #type, \
				     c[n], c[n + 1], sizeof(type), alignof(type));            \
			failures++;                                                           \
		}                                                                             \
		n += 2;                                                                       \
	}
#define TERN_LAYOUT_M(type, member)                                                           \
	if (n < nc) {                                                                         \
		if (c[n] != offsetof(type, member)) {                                         \
			std::fprintf(stderr, "layout: %s.%s: C offset %lu, C++ %zu\n", #type, #member, \
				     c[n], offsetof(type, member));                           \
			failures++;                                                           \
		}                                                                             \
		n++;                                                                          \
	}
	TERN_LAYOUT_TYPES(TERN_LAYOUT_T)
	TERN_LAYOUT_MEMBERS(TERN_LAYOUT_M)
	CHECK(n == nc && n > 0);
}

int main()
{
	check_layout();

	// core: version macros and tern_version() agree.
	CHECK(std::strcmp(tern_version(), TERN_VERSION_STRING) == 0);
	CHECK(TERN_VERSION_NUMBER == ((TERN_VERSION_MAJOR << 16) | (TERN_VERSION_MINOR << 8) | TERN_VERSION_PATCH));

	// LightLock (header-only).
	tern_lightlock_t lock = TERN_LIGHTLOCK_INIT;
	CHECK(tern_lightlock_try_lock(&lock));
	CHECK(!tern_lightlock_try_lock(&lock));
	tern_lightlock_unlock(&lock);
	CHECK(!tern_lightlock_is_locked(&lock));

	// Epoch GC: inline pin/unpin, linked defer and barrier.
	tern_epoch_pin();
	CHECK(tern_epoch_is_pinned());
	tern_epoch_unpin();
	CHECK(!tern_epoch_is_pinned());
	tern_epoch_defer(new_int(0), count_destroy);
	tern_epoch_barrier();
	CHECK(destroyed == 1);

	// AtomicCell: the replaced value and the last value are destroyed.
	tern_cell_t cell;
	int *first = new_int(1), *second = new_int(2);
	tern_cell_init(&cell, first, count_destroy);
	tern_epoch_pin();
	CHECK(tern_cell_load(&cell) == first);
	tern_epoch_unpin();
	tern_cell_store(&cell, second);
	tern_epoch_pin();
	CHECK(*static_cast<int *>(tern_cell_load(&cell)) == 2);
	tern_epoch_unpin();
	tern_cell_destroy(&cell);
	tern_epoch_barrier();
	CHECK(destroyed == 3);

	// LazyTransform: the exercise's two verbs.
	struct tern_lazy_ops ops = {double_it, count_destroy, count_destroy, nullptr};
	tern_lazy_t lazy;
	CHECK(tern_lazy_init(&lazy, &ops) == 0);
	tern_epoch_pin();
	CHECK(tern_lazy_get_transformed(&lazy) == nullptr);
	tern_epoch_unpin();
	tern_lazy_set_source(&lazy, new_int(21));
	tern_epoch_pin();
	const int *v = static_cast<const int *>(tern_lazy_get_transformed(&lazy));
	CHECK(v != nullptr && *v == 42);
	tern_epoch_unpin();
	tern_lazy_destroy(&lazy);
	tern_epoch_barrier();
	CHECK(destroyed == 5); // the source once consumed, the value after a grace period

	if (failures == 0)
		std::printf("use_tern.cpp: __cplusplus %ld, tern %s: all components ok\n", (long)__cplusplus,
			    tern_version());
	return failures != 0;
}
