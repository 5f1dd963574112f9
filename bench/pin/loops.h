/*
 * loops.h — the measured loops of bench/pin, one translation unit per
 * implementation so each peer is compiled exactly as its documentation asks
 * (liburcu with _LGPL_SOURCE, ck_epoch with its inline begin/end).
 *
 * Each loop performs `n` empty read-side sections (one pin+unpin pair, or one
 * relaxed load for the floor) and returns a value the caller consumes so the
 * loop cannot be discarded.  The per-thread setup runs once in each reader
 * thread, before any timed loop; it returns the loop's context.
 */
#ifndef TERN_BENCH_PIN_LOOPS_H
#define TERN_BENCH_PIN_LOOPS_H

#include <stdatomic.h>
#include <stdint.h>

typedef uint64_t pin_loop_fn(uint64_t n, void *ctx);

extern _Atomic uint64_t pin_floor_word;
uint64_t pin_loop_floor(uint64_t n, void *ctx);

#ifdef BENCH_HAVE_TERN
void *pin_tern_thread_init(void);
uint64_t pin_loop_tern(uint64_t n, void *ctx);
int pin_tern_uses_membarrier(void);
#endif

#ifndef TERN_EPOCH_FORCE_FENCE
void *pin_urcu_memb_thread_init(void);
uint64_t pin_loop_urcu_memb(uint64_t n, void *ctx);
int pin_urcu_memb_has_sys_membarrier(void);

void *pin_urcu_mb_thread_init(void);
uint64_t pin_loop_urcu_mb(uint64_t n, void *ctx);

void *pin_ck_thread_init(void);
uint64_t pin_loop_ck(uint64_t n, void *ctx);
#endif

#endif /* TERN_BENCH_PIN_LOOPS_H */
