/* SPDX-License-Identifier: MIT */
/*
 * loops.h — the measured loops of bench/pin, one translation unit per
 * implementation so each peer is compiled exactly as its documentation asks
 * (liburcu with _LGPL_SOURCE, ck_epoch with its inline begin/end).
 *
 * Each loop performs `n` empty read-side sections (one pin+unpin pair, or one
 * relaxed load for the floor) and returns a value the caller consumes so the
 * loop cannot be discarded.  The per-thread setup runs once in each reader
 * thread, before any timed loop; it returns the loop's context.
 *
 * Code placement.  A loop of a few instructions runs at 0.7 or 1.1 ns per
 * iteration on the same CPU depending only on where it lands relative to
 * 64-byte instruction-fetch blocks (measured here: identical tern code, 0.73
 * ns with -falign-loops=32 and 1.09 ns with -falign-loops=64; liburcu-memb
 * 0.81 vs 1.09 ns).  So every loop file is compiled PIN_NVARIANTS times
 * (mk/bench.mk passes -DPIN_VARIANT=_vK -DPIN_SKIP=16*K and turns off
 * the compiler's own loop alignment): PIN_PLACE_LOOP() pads to a 64-byte
 * boundary plus PIN_SKIP bytes just before the loop, so the four variants put
 * the same loop at four different 16-byte phases of a fetch block.  Each
 * implementation is reported at its fastest placement, and its slowest is
 * shown too.
 */
#ifndef TERN_BENCH_PIN_LOOPS_H
#define TERN_BENCH_PIN_LOOPS_H

#include <stdatomic.h>
#include <stdint.h>

typedef uint64_t pin_loop_fn(uint64_t n, void *ctx);

#define PIN_NVARIANTS 4
/* Padding (PIN_SKIP) of each variant after a 64-byte boundary. */
#define PIN_VARIANT_NAMES {"+0", "+16", "+32", "+48"}

/* Compiled standalone (no -DPIN_VARIANT): the one primary variant. */
#ifndef PIN_VARIANT
#define PIN_VARIANT _v0
#ifndef PIN_PRIMARY
#define PIN_PRIMARY 1
#endif
#endif
#ifndef PIN_SKIP
#define PIN_SKIP 0
#endif
#define PIN_STR2(x) #x
#define PIN_STR(x) PIN_STR2(x)
/* Executed once per call, before the loop: places the loop (see above). */
#if PIN_SKIP > 0
#define PIN_PLACE_LOOP() __asm__ volatile(".p2align 6\n\t.skip " PIN_STR(PIN_SKIP) ", 0x90")
#else
#define PIN_PLACE_LOOP() __asm__ volatile(".p2align 6")
#endif
#define PIN_CAT2(a, b) a##b
#define PIN_CAT(a, b) PIN_CAT2(a, b)
/* The name of this translation unit's variant of loop `base`. */
#define PIN_LOOP_NAME(base) PIN_CAT(base, PIN_VARIANT)
/* Declarations and the table initialiser {base_v0, ..., base_v3}. */
#define PIN_DECLARE_LOOPS(base)                                                   \
	uint64_t base##_v0(uint64_t n, void *ctx);                                \
	uint64_t base##_v1(uint64_t n, void *ctx);                                \
	uint64_t base##_v2(uint64_t n, void *ctx);                                \
	uint64_t base##_v3(uint64_t n, void *ctx)
#define PIN_LOOPS(base) {base##_v0, base##_v1, base##_v2, base##_v3}
/* Defines this unit's variant of loop `base`: n read-side sections, each
 * the statements SECTION (which may use `ctx`); placed by PIN_PLACE_LOOP(). */
#define PIN_DEFINE_LOOP(base, SECTION)                                             \
	__attribute__((noinline)) uint64_t PIN_LOOP_NAME(base)(uint64_t n, void *ctx) \
	{                                                                          \
		(void)ctx;                                                         \
		PIN_PLACE_LOOP();                                                  \
		for (uint64_t i = 0; i < n; i++) {                                 \
			SECTION;                                                   \
		}                                                                  \
		return n;                                                          \
	}

extern _Atomic uint64_t pin_floor_word;
PIN_DECLARE_LOOPS(pin_loop_floor);

void *pin_tern_thread_init(void);
int pin_tern_uses_membarrier(void);
PIN_DECLARE_LOOPS(pin_loop_tern);

#ifndef TERN_EPOCH_FORCE_FENCE
void *pin_urcu_memb_thread_init(void);
int pin_urcu_memb_has_sys_membarrier(void);
PIN_DECLARE_LOOPS(pin_loop_urcu_memb);

void *pin_urcu_mb_thread_init(void);
PIN_DECLARE_LOOPS(pin_loop_urcu_mb);

void *pin_ck_thread_init(void);
PIN_DECLARE_LOOPS(pin_loop_ck);
#endif

#endif /* TERN_BENCH_PIN_LOOPS_H */
