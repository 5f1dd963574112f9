/* SPDX-License-Identifier: MIT */
/* bench/lazy/impls.c — the registries, in run order, the lazy scenario's targets and `tern-bench list`. */
#include "runner.h"

const char *const lazy_payloads[BD_NPAYLOADS] = {
	"load", "u64", "box-u64", "str3", "str128", "str1024", "str2048", "refcount",
};

const struct lazy_impl *const lazy_impls[] = {
	&lazy_tern_borrow, &lazy_tern_copy, &lazy_tern_dup, &lazy_tern_pin64,
	&lazy_tern_qsbr,   &lazy_floor,       &lazy_urcu,      &lazy_ck,       &lazy_mutex,
	&lazy_fine,        &lazy_atomicbool, NULL,
};

const struct breakdown_impl *const lazy_breakdown_impls[] = {
	&lazy_bd_none, &lazy_bd_tern, &lazy_bd_urcu, &lazy_bd_ck, NULL,
};

/* Targets of scenario 1 (issue 5, issue 11), checked by `tern-bench report`. */
const struct bench_target lazy_targets[] = {
	{ "5", "tern-borrow", "java", BENCH_LE, 0.8, LAZY_AT_MAX_N, NULL },
	{ "5", "tern-borrow", "floor", BENCH_LE, 2.0, LAZY_AT_MAX_N, NULL },
	{ "5", "tern-borrow", "rust-borrow", BENCH_LE, 0.25, LAZY_AT_MAX_N, NULL },
	{ "5", "tern-copy", "rust-clone", BENCH_LE, 0.7, LAZY_AT_MAX_N, NULL },
	{ "5", "tern-borrow", "mutex", BENCH_LE, 0.1, LAZY_WORST_GE2, NULL },
	{ "5", "tern-borrow", "fine-rwlock", BENCH_LE, 0.1, LAZY_WORST_GE2, NULL },
	{ "5", "tern-borrow", "atomicbool-rwlock", BENCH_LE, 0.1, LAZY_WORST_GE2, NULL },
	/* Quiescent-state readers: an online consumer reads at the floor's cost. */
	{ "11", "tern-qsbr", "floor", BENCH_LE, 1.05, LAZY_AT_MAX_N, NULL },
	{ "11", "tern-qsbr", "java", BENCH_LT, 1.0, LAZY_AT_MAX_N, NULL },
	{ "11", "tern-borrow", "java", BENCH_LE, 1.0, LAZY_AT_MAX_N, NULL },
};
const size_t lazy_ntargets = sizeof lazy_targets / sizeof lazy_targets[0];

/* `tern-bench list`: one line per implementation (tools/bench-run's expected rows). */
int lazy_list_main(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (const struct lazy_impl *const *p = lazy_impls; *p; p++)
		printf("lazy %s c %s\n", (*p)->name, (*p)->desc);
	for (const struct breakdown_impl *const *p = lazy_breakdown_impls; *p; p++)
		printf("breakdown %s c %s\n", (*p)->name, (*p)->desc);
	return 0;
}
