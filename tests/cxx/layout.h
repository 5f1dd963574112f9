/* SPDX-License-Identifier: MIT */
/*
 * tests/cxx/layout.h — what C and C++ must agree on for the inline fast
 * paths to work across the language boundary: size and alignment of every
 * public and inline-visible type, and the offsets of the fields the inline
 * code touches.  (C's _Atomic(T) becomes std::atomic<T> in C++.)  Expanded
 * once as C (layout.c) and once as C++ (use_tern.cpp).
 */
#define TERN_LAYOUT_TYPES(T)                                                        \
	T(tern_lightlock_t) T(struct tern_allocator) T(struct tern_epoch_entry)      \
	T(struct tern_epoch_stats) T(struct tern__epoch_slot)                        \
	T(struct tern_epoch_domain) T(struct tern__epoch_cache) T(tern_cell_t)        \
	T(struct tern__cell_hdr) T(struct tern_lazy_ops) T(tern_lazy_t)

#define TERN_LAYOUT_MEMBERS(M)                                                      \
	M(struct tern__epoch_slot, state) M(struct tern_epoch_domain, impl)          \
	M(struct tern_epoch_domain, epoch) M(struct tern_epoch_domain, id)           \
	M(struct tern__epoch_cache, dom) M(struct tern__epoch_cache, id)             \
	M(struct tern__epoch_cache, slot) M(struct tern__cell_hdr, value)            \
	M(struct tern__cell_hdr, destroy) M(tern_lazy_t, source)                     \
	M(tern_lazy_t, value) M(tern_lazy_t, ops) M(tern_lazy_t, lock)

#define TERN_LAYOUT_MAX 128

#ifdef __cplusplus
extern "C"
#endif
/* Fills out[] with the C compiler's numbers, in list order.  => how many. */
unsigned layout_from_c(unsigned long *out, unsigned cap);
