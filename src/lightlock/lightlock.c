/* SPDX-License-Identifier: MIT */
/*
 * src/lightlock/lightlock.c — build-time checks for the header-only LightLock.
 *
 * Concurrency.
 *   State: one atomic byte, 0 = free, 1 = held.
 *   I1 (mutual exclusion): a thread holds the lock iff its exchange returned
 *       0; the exchange is an atomic RMW, so of all exchanges that follow a
 *       given release store in the byte's modification order exactly one reads
 *       0.  The relaxed pre-test only skips the exchange; it never grants.
 *   I2 (visibility): the winning exchange is an acquire that reads the value
 *       written by the previous holder's release store, so the previous
 *       critical section happens-before the next one.
 *   I3 (progress): tern_lightlock_lock() retries with bounded exponential
 *       backoff then sched_yield(); it is a spin lock, not lock-free, and is
 *       meant for critical sections of a few instructions.  The LazyTransform
 *       only ever uses try_lock, which never waits.
 *
 * The lock lives entirely in the header; this file makes the library fail
 * to build on a platform where a one-byte atomic would not be lock-free
 * (it would then hide a mutex and could not be used from signal handlers or
 * inside the epoch GC's slow paths).
 */
#include "tern/lightlock.h"

_Static_assert(ATOMIC_CHAR_LOCK_FREE == 2, "tern needs always-lock-free one-byte atomics");
_Static_assert(sizeof(tern_lightlock_t) == 1, "tern_lightlock_t must be one byte");
_Static_assert(_Alignof(tern_lightlock_t) == 1, "tern_lightlock_t must pack into any struct");
