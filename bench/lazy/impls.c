/* bench/lazy/impls.c — the registries, in run order. */
#include "harness.h"

const char *const bench_payloads[BD_NPAYLOADS] = {
	"load", "u64", "box-u64", "str3", "str128", "str1024", "str2048", "refcount",
};

const struct lazy_impl *const lazy_impls[] = {
	&lazy_tern_borrow, &lazy_tern_copy, &lazy_tern_dup, &lazy_tern_pin64,
	&lazy_floor,       &lazy_urcu,      &lazy_ck,       &lazy_mutex,
	&lazy_fine,        &lazy_atomicbool, NULL,
};

const struct breakdown_impl *const breakdown_impls[] = {
	&bd_none, &bd_tern, &bd_urcu, &bd_ck, NULL,
};
