/* SPDX-License-Identifier: MIT */
/* bench/common/opt.c — the option parser (opt.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"

_Noreturn void bench_usage(const char *prog, const struct bench_opt *opts, const char *more)
{
	int col = fprintf(stderr, "usage: %s", prog);
	for (const struct bench_opt *o = opts; o && o->name; o++) {
		char item[128];
		if (o->kind == BO_FLAG)
			snprintf(item, sizeof item, " [--%s]", o->name);
		else if (o->implicit)
			snprintf(item, sizeof item, " [--%s[=%s]]", o->name, o->arg ? o->arg : "X");
		else
			snprintf(item, sizeof item, " [--%s=%s]", o->name, o->arg ? o->arg : "X");
		if (col + (int)strlen(item) > 100)
			col = fprintf(stderr, "\n        ");
		col += fprintf(stderr, "%s", item);
	}
	fprintf(stderr, "\n%s", more ? more : "");
	exit(2);
}

static bool parse_list(const char *s, const struct bench_opt *o)
{
	unsigned *out = o->dst, n = 0;
	while (*s != '\0') {
		char *end;
		unsigned long v = strtoul(s, &end, 10);
		if (end == s || v == 0 || v > o->hi || n == o->cap)
			return false;
		out[n++] = (unsigned)v;
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return false;
		s = end;
	}
	*o->count = n;
	return n > 0;
}

static bool set_value(const struct bench_opt *o, const char *v)
{
	char *end = NULL;
	switch (o->kind) {
	case BO_FLAG: *(bool *)o->dst = true; return v == NULL;
	case BO_UINT: *(unsigned *)o->dst = (unsigned)strtoul(v, &end, 10); break;
	case BO_U64: *(uint64_t *)o->dst = strtoull(v, &end, 10); break;
	case BO_DOUBLE: *(double *)o->dst = strtod(v, &end); break;
	case BO_STR: *(const char **)o->dst = v; return true;
	case BO_LIST: return parse_list(v, o);
	case BO_STRS:
		if (*o->count == o->cap)
			return false;
		((const char **)o->dst)[(*o->count)++] = v;
		return true;
	}
	return end != v && *end == '\0';
}

int bench_opts_parse_some(const char *prog, const struct bench_opt *opts, const char *more, int argc, char **argv)
{
	int i;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0)
			break;
		a += 2;
		size_t len = strcspn(a, "=");
		const struct bench_opt *o = opts;
		while (o->name && (strlen(o->name) != len || strncmp(o->name, a, len) != 0))
			o++;
		if (o->name == NULL)
			bench_usage(prog, opts, more);
		const char *v = a[len] == '=' ? a + len + 1 : NULL;
		if (v == NULL && o->kind != BO_FLAG)
			v = o->implicit ? o->implicit : (i + 1 < argc ? argv[++i] : NULL);
		if (v == NULL && o->kind != BO_FLAG)
			bench_usage(prog, opts, more);
		if (!set_value(o, v))
			bench_usage(prog, opts, more);
	}
	return i;
}

void bench_opts_parse(const char *prog, const struct bench_opt *opts, const char *more, int argc, char **argv)
{
	if (bench_opts_parse_some(prog, opts, more, argc, argv) != argc)
		bench_usage(prog, opts, more);
}

bool bench_in_list(const char *list, const char *name)
{
	if (list == NULL)
		return true;
	size_t n = strlen(name);
	for (const char *s = list; *s != '\0';) {
		size_t len = strcspn(s, ",");
		if (len == n && strncmp(s, name, n) == 0)
			return true;
		s += len;
		if (*s == ',')
			s++;
	}
	return false;
}
