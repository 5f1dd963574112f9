/* SPDX-License-Identifier: MIT */
/*
 * tern.h — umbrella header: lock-free concurrency primitives with
 * epoch-based memory reclamation.
 *
 *   tern/lightlock.h       one-byte try-lock / spin lock (header-only)
 *   tern/epoch.h           three-bin epoch garbage collector
 *   tern/atomic_cell.h     pointer-backed atomic cell of any value
 *   tern/lazy_transform.h  wait-free cached-transform container
 *   tern/queue.h           lock-free MPMC FIFO of intrusive nodes
 *   tern/stack.h           lock-free LIFO (Treiber) of intrusive nodes
 *   tern/map.h             concurrent hash map of intrusive nodes, resized online
 */
#ifndef TERN_H
#define TERN_H

#include "tern/config.h"
#include "tern/alloc.h"
#include "tern/lightlock.h"
#include "tern/epoch.h"
#include "tern/atomic_cell.h"
#include "tern/lazy_transform.h"
#include "tern/queue.h"
#include "tern/stack.h"
#include "tern/map.h"

#endif /* TERN_H */
