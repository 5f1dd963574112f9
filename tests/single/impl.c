/* SPDX-License-Identifier: MIT */
/*
 * tests/single/impl.c — the one translation unit that compiles the
 * implementation of the single header, exactly as a user would write it.
 *
 * The Criterion suites built against the single header (mk/single.mk) link
 * this object instead of libtern.a; their own sources are unchanged: every
 * "tern/<component>.h" they include is a shim for the single header.
 */
#define TERN_IMPLEMENTATION
#include "tern.h"
