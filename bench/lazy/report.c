/* SPDX-License-Identifier: MIT */
/*
 * bench/lazy/report.c — `tern-bench report`: reads the raw rows of one or
 * more runs, takes medians and ranges over rounds, computes each row's ratio
 * to tern (lazy: tern-borrow at the same consumer count; breakdown: tern with
 * the same payload), prints the tables and the targets, and writes the
 * summary CSV, JSON and gnuplot data (one file per scenario).
 */
#include <math.h>

#include "runner.h"

#define MAXN 64 /* name length */
#define MAXG 512 /* groups */
#define MAXROUNDS 64

/* The measures of a raw row that get a median and a range: the raw CSV column of each. */
enum { M_CPU, M_INCL, M_WALL, M_PROD, M_TR, NM };
static const int raw_col[NM] = {7, 8, 9, 11, 13};

/* The rounds of one (scenario, malloc, impl, consumers, payload). */
struct group {
	char scenario[MAXN], malloc_name[MAXN], impl[MAXN], lang[MAXN], payload[MAXN];
	int consumers;
	int n;
	double v[NM][MAXROUNDS];
	struct bench_stat s[NM];
	double ratio; /* cpu median / reference cpu median; NAN if no reference */
};

static struct group groups[MAXG];
static int ngroups;

static int split_csv(char *line, char **f, int max)
{
	int n = 0;
	line[strcspn(line, "\r\n")] = '\0';
	for (char *p = line; n < max;) {
		f[n++] = p;
		char *c = strchr(p, ',');
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	return n;
}

static void copy_name(char *dst, const char *src)
{
	size_t n = strnlen(src, MAXN - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static struct group *find_group(const char *scenario, const char *malloc_name, const char *impl,
				int consumers, const char *payload)
{
	for (int i = 0; i < ngroups; i++) {
		struct group *g = &groups[i];
		if (g->consumers == consumers && !strcmp(g->scenario, scenario) &&
		    !strcmp(g->malloc_name, malloc_name) && !strcmp(g->impl, impl) &&
		    !strcmp(g->payload, payload))
			return g;
	}
	return NULL;
}

/* Adds the rows of one raw file to their groups. */
static int read_raw(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	char line[1024];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		if (strncmp(line, "scenario,", 9) == 0 || line[0] == '\n')
			continue;
		char *fld[16];
		if (split_csv(line, fld, 16) != 15) {
			fprintf(stderr, "%s:%d: expected 15 fields\n", path, lineno);
			rc = -1;
			break;
		}
		int consumers = atoi(fld[4]);
		struct group *g = find_group(fld[0], fld[1], fld[2], consumers, fld[5]);
		if (!g && ngroups == MAXG) {
			fprintf(stderr, "report: too many groups\n");
			rc = -1;
		} else if (!g) {
			g = &groups[ngroups++];
			memset(g, 0, sizeof *g);
			copy_name(g->scenario, fld[0]);
			copy_name(g->malloc_name, fld[1]);
			copy_name(g->impl, fld[2]);
			copy_name(g->lang, fld[3]);
			copy_name(g->payload, fld[5]);
			g->consumers = consumers;
		}
		for (int m = 0; g && g->n < MAXROUNDS && m < NM; m++)
			g->v[m][g->n] = strtod(fld[raw_col[m]], NULL);
		if (g && g->n < MAXROUNDS)
			g->n++;
	}
	fclose(f);
	return rc;
}

/* Medians and ranges, and each group's ratio to tern (lazy: tern-borrow at
 * the same consumer count; breakdown: tern with the same payload, u64 for load). */
static void build_groups(void)
{
	for (int i = 0; i < ngroups; i++)
		for (int m = 0; m < NM; m++)
			groups[i].s[m] = bench_stat_of(groups[i].v[m], (size_t)groups[i].n);
	for (int i = 0; i < ngroups; i++) {
		struct group *g = &groups[i];
		const struct group *ref;
		if (!strcmp(g->scenario, "lazy"))
			ref = find_group("lazy", g->malloc_name, "tern-borrow", g->consumers, g->payload);
		else
			ref = find_group(g->scenario, g->malloc_name, "tern", g->consumers,
					 strcmp(g->payload, "load") ? g->payload : "u64");
		g->ratio = (ref && ref->s[M_CPU].median > 0) ? g->s[M_CPU].median / ref->s[M_CPU].median : NAN;
	}
}

/* ---- tables -------------------------------------------------------------------- */

/* Distinct values, in order of first appearance. */
static int distinct_ints(const char *scenario, const char *malloc_name, int *out, int max)
{
	int n = 0;
	for (int i = 0; i < ngroups; i++) {
		if (strcmp(groups[i].scenario, scenario) || strcmp(groups[i].malloc_name, malloc_name))
			continue;
		int v = groups[i].consumers, seen = 0;
		for (int j = 0; j < n; j++)
			seen |= out[j] == v;
		if (!seen && n < max)
			out[n++] = v;
	}
	for (int i = 1; i < n; i++) /* sort ascending */
		for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
			int t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static int distinct_names(const char *scenario, const char *malloc_name, size_t field,
			  const char **out, int max)
{
	int n = 0;
	for (int i = 0; i < ngroups; i++) {
		if (strcmp(groups[i].scenario, scenario) ||
		    (malloc_name && strcmp(groups[i].malloc_name, malloc_name)))
			continue;
		const char *v = (const char *)&groups[i] + field;
		int seen = 0;
		for (int j = 0; j < n; j++)
			seen |= !strcmp(out[j], v);
		if (!seen && n < max)
			out[n++] = v;
	}
	return n;
}

static void fmt_ns(char *buf, size_t n, double v)
{
	if (v >= 100)
		snprintf(buf, n, "%.0f", v);
	else if (v >= 10)
		snprintf(buf, n, "%.1f", v);
	else
		snprintf(buf, n, "%.2f", v);
}

static void print_lazy_table(const char *m)
{
	int cons[16];
	const char *impls[32];
	int nc = distinct_ints("lazy", m, cons, 16);
	int ni = distinct_names("lazy", m, offsetof(struct group, impl), impls, 32);
	if (nc == 0)
		return;
	int dflt = cons[nc - 1];
	/* The last four columns are at the largest consumer count (n=dflt). */
	printf("\nScenario 1 - lazy (the exercise's benchmark), malloc=%s\n", m);
	printf("ns per get_transformed from each consumer's CPU clock, the transform path and the reads\n"
	       "that ran it taken out: median of rounds [min-max].  incl: everything, as the exercise measured\n\n");
	printf("%-18s", "implementation");
	for (int c = 0; c < nc; c++) {
		char h[16];
		snprintf(h, sizeof h, "n=%d", cons[c]);
		printf(" %-19s", h);
	}
	printf(" %8s %9s %8s %8s\n", "incl", "wall", "set_src", "x tern");
	for (int i = 0; i < ni; i++) {
		printf("%-18s", impls[i]);
		const struct group *last = NULL;
		for (int c = 0; c < nc; c++) {
			const struct group *g = find_group("lazy", m, impls[i], cons[c], "str");
			char cell[64] = "-", a[16], b[16], d[16];
			if (g) {
				fmt_ns(a, sizeof a, g->s[M_CPU].median);
				fmt_ns(b, sizeof b, g->s[M_CPU].min);
				fmt_ns(d, sizeof d, g->s[M_CPU].max);
				snprintf(cell, sizeof cell, "%s [%s-%s]", a, b, d);
			}
			printf(" %-19s", cell);
			if (cons[c] == dflt)
				last = g;
		}
		if (last) {
			char w[16], in[16];
			fmt_ns(w, sizeof w, last->s[M_WALL].median);
			fmt_ns(in, sizeof in, last->s[M_INCL].median);
			printf(" %8s %9s %8.0f %8.2f\n", in, w, last->s[M_PROD].median, last->ratio);
		} else {
			printf("\n");
		}
	}
}

/* The consumer count of the (last) breakdown rows with malloc m (NULL: any). */
static int breakdown_consumers(const char *m)
{
	int n = 0;
	for (int i = 0; i < ngroups; i++)
		if (!strcmp(groups[i].scenario, "breakdown") && (!m || !strcmp(groups[i].malloc_name, m)))
			n = groups[i].consumers;
	return n;
}

static void print_breakdown_table(const char *m)
{
	const char *impls[32], *payloads[32];
	int ni = distinct_names("breakdown", m, offsetof(struct group, impl), impls, 32);
	int np = distinct_names("breakdown", m, offsetof(struct group, payload), payloads, 32);
	if (ni == 0)
		return;
	int n = breakdown_consumers(m);
	printf("\nScenario 2 - breakdown (the exercise's list), malloc=%s, %d consumers\n", m, n);
	printf("ns per read, consumer CPU clock, median of rounds (x = ratio to tern)\n\n");
	printf("%-10s", "payload");
	for (int i = 0; i < ni; i++)
		printf(" %17s", impls[i]);
	printf("\n");
	for (int p = 0; p < np; p++) {
		printf("%-10s", payloads[p]);
		for (int i = 0; i < ni; i++) {
			const struct group *g = find_group("breakdown", m, impls[i], n, payloads[p]);
			char cell[48] = "-", a[16];
			if (g) {
				fmt_ns(a, sizeof a, g->s[M_CPU].median);
				if (isnan(g->ratio))
					snprintf(cell, sizeof cell, "%s", a);
				else
					snprintf(cell, sizeof cell, "%s (x%.2f)", a, g->ratio);
			}
			printf(" %17s", cell);
		}
		printf("\n");
	}
}

/* ---- targets (lazy_targets[] in impls.c) ----------------------------------------- */

/* A measured target, kept for the JSON file. */
struct target {
	const struct bench_target *d;
	double ratio;
	int consumers;
	bool evaluated;
};

static struct target targets[32];
static int ntargets;

struct lazy_target_ctx {
	const char *m;
	const int *cons;
	int nc;
};

/* Measures target d: the ratio a/b of median ns/read at the largest
 * consumer count (LAZY_AT_MAX_N) or the worst over the counts >= 2. */
static bool lazy_target(const struct bench_target *d, void *arg, double *ratio, char *detail, size_t dlen)
{
	const struct lazy_target_ctx *c = arg;
	if (ntargets == (int)(sizeof targets / sizeof targets[0]))
		return false;
	struct target *t = &targets[ntargets++];
	*t = (struct target){d, NAN, 0, false};
	for (int i = 0; i < c->nc; i++) {
		int n = c->cons[i];
		const struct group *ga = find_group("lazy", c->m, d->a, n, "str");
		const struct group *gb = find_group("lazy", c->m, d->b, n, "str");
		if ((d->at == LAZY_AT_MAX_N ? i != c->nc - 1 : n < 2) || !ga || !gb || !(gb->s[M_CPU].median > 0))
			continue;
		double r = ga->s[M_CPU].median / gb->s[M_CPU].median;
		if (!t->evaluated || r > t->ratio) {
			t->ratio = r;
			t->consumers = n;
		}
		t->evaluated = true;
	}
	*ratio = t->ratio;
	snprintf(detail, dlen, "n=%d", t->consumers);
	return t->evaluated;
}

static void compute_targets(void)
{
	const char *ms[4];
	int nm = distinct_names("lazy", NULL, offsetof(struct group, malloc_name), ms, 4);
	if (nm == 0)
		return;
	int cons[16];
	struct lazy_target_ctx c = {ms[0], cons, distinct_ints("lazy", ms[0], cons, 16)};
	printf("\nTargets (issues 5 and 11; same run, medians of thread CPU ns/op, malloc=%s)\n", c.m);
	bench_targets_report(stdout, lazy_targets, lazy_ntargets, lazy_target, &c);
}

/* ---- files ------------------------------------------------------------------------- */

static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		perror(path);
	return f;
}

static int write_csv(const char *path)
{
	FILE *f = open_out(path);
	if (!f)
		return -1;
	fprintf(f, "scenario,malloc,impl,lang,consumers,payload,rounds,cpu_ns_median,cpu_ns_min,"
		   "cpu_ns_max,cpu_incl_ns_median,wall_ns_median,wall_ns_min,wall_ns_max,"
		   "producer_ns_median,transforms_median,ratio_to_tern\n");
	for (const struct group *g = groups; g < groups + ngroups; g++) {
		fprintf(f, "%s,%s,%s,%s,%d,%s,%d", g->scenario, g->malloc_name, g->impl, g->lang,
			g->consumers, g->payload, g->n);
		const double v[] = {g->s[M_CPU].median,  g->s[M_CPU].min,  g->s[M_CPU].max,
				    g->s[M_INCL].median, g->s[M_WALL].median, g->s[M_WALL].min,
				    g->s[M_WALL].max,    g->s[M_PROD].median, g->s[M_TR].median,
				    g->ratio};
		for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
			fputc(',', f);
			bench_csv_num(f, v[i]);
		}
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : -1;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* `sep"key": value` (a string if s, else the number v, null for NaN). */
static void json_kv(FILE *f, const char *sep, const char *key, const char *s, double v)
{
	fprintf(f, "%s\"%s\": ", sep, key);
	if (s)
		json_str(f, s);
	else if (isnan(v))
		fputs("null", f);
	else
		fprintf(f, "%.4f", v);
}

static void json_stat(FILE *f, const char *key, const struct bench_stat *st)
{
	fprintf(f, ", \"%s\": ", key);
	json_kv(f, "{", "median", NULL, st->median);
	json_kv(f, ", ", "min", NULL, st->min);
	json_kv(f, ", ", "max", NULL, st->max);
	fputc('}', f);
}

static int write_json(const char *path, const char **meta, int nmeta)
{
	FILE *f = open_out(path);
	if (!f)
		return -1;
	fputs("{\n  \"meta\": {", f);
	for (int i = 0; i < nmeta; i++) {
		char key[64];
		const char *eq = strchr(meta[i], '=');
		size_t kl = eq ? (size_t)(eq - meta[i]) : strlen(meta[i]);
		snprintf(key, sizeof key, "%.*s", (int)(kl < 63 ? kl : 63), meta[i]);
		fputs(i ? ",\n    " : "\n    ", f);
		json_str(f, key);
		fputs(": ", f);
		json_str(f, eq ? eq + 1 : "");
	}
	fputs("\n  },\n  \"results\": [", f);
	for (const struct group *g = groups; g < groups + ngroups; g++) {
		fputs(g > groups ? ",\n    " : "\n    ", f);
		json_kv(f, "{", "scenario", g->scenario, 0);
		json_kv(f, ", ", "malloc", g->malloc_name, 0);
		json_kv(f, ", ", "impl", g->impl, 0);
		json_kv(f, ", ", "lang", g->lang, 0);
		fprintf(f, ", \"consumers\": %d", g->consumers);
		json_kv(f, ", ", "payload", g->payload, 0);
		fprintf(f, ", \"rounds\": %d", g->n);
		json_stat(f, "cpu_ns", &g->s[M_CPU]);
		json_kv(f, ", ", "cpu_incl_ns_median", NULL, g->s[M_INCL].median);
		json_stat(f, "wall_ns", &g->s[M_WALL]);
		json_kv(f, ", ", "producer_ns_median", NULL, g->s[M_PROD].median);
		json_kv(f, ", ", "transforms_median", NULL, g->s[M_TR].median);
		json_kv(f, ", ", "ratio_to_tern", NULL, g->ratio);
		fputs("}", f);
	}
	fputs("\n  ],\n  \"targets\": [", f);
	for (int i = 0; i < ntargets; i++) {
		const struct target *t = &targets[i];
		char name[128];
		bench_target_label(t->d, name, sizeof name);
		if (t->d->at == LAZY_WORST_GE2)
			snprintf(name + strlen(name), sizeof name - strlen(name), " at >= 2 consumers (worst n)");
		fputs(i ? ",\n    " : "\n    ", f);
		json_kv(f, "{", "target", name, 0);
		json_kv(f, ", ", "issue", t->d->where, 0);
		fprintf(f, ", \"consumers\": %d, \"limit\": %.2f, \"strict\": %s", t->consumers, t->d->bound,
			t->d->cmp == BENCH_LT ? "true" : "false");
		json_kv(f, ", ", "ratio", NULL, t->ratio);
		bool met = t->evaluated && bench_target_met(t->d, t->ratio);
		fprintf(f, ", \"met\": %s}", !t->evaluated ? "null" : met ? "true" : "false");
	}
	fputs("\n  ]\n}\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

/* A gnuplot data cell: the median ns/read, or "-". */
static void dat_cell(FILE *f, const struct group *g)
{
	if (g)
		fprintf(f, " %.4f", g->s[M_CPU].median);
	else
		fputs(" -", f);
}

/* gnuplot data: the lazy sweep (rows = consumer counts, columns = implementations)
 * and the breakdown (rows = payloads, columns = implementation/malloc). */
static int write_dat(const char *lazy_path, const char *bd_path)
{
	FILE *f = lazy_path ? open_out(lazy_path) : NULL;
	if (lazy_path && !f)
		return -1;
	const char *ms[4], *impls[32], *pl[32];
	int cons[16];
	int nm = distinct_names("lazy", NULL, offsetof(struct group, malloc_name), ms, 4);
	const char *m = nm ? ms[0] : "glibc";
	int nc = distinct_ints("lazy", m, cons, 16);
	int ni = distinct_names("lazy", m, offsetof(struct group, impl), impls, 32);
	for (int c = -1; f && c < nc; c++) {
		if (c < 0)
			fputs("consumers", f);
		else
			fprintf(f, "%d", cons[c]);
		for (int i = 0; i < ni; i++)
			if (c < 0)
				fprintf(f, " %s", impls[i]);
			else
				dat_cell(f, find_group("lazy", m, impls[i], cons[c], "str"));
		fputc('\n', f);
	}
	if (f && fclose(f) != 0)
		return -1;
	if (!bd_path)
		return 0;
	if (!(f = open_out(bd_path)))
		return -1;
	nm = distinct_names("breakdown", NULL, offsetof(struct group, malloc_name), ms, 4);
	ni = distinct_names("breakdown", NULL, offsetof(struct group, impl), impls, 32);
	int np = distinct_names("breakdown", NULL, offsetof(struct group, payload), pl, 32);
	int n = breakdown_consumers(NULL);
	for (int p = -1; p < np; p++) {
		fputs(p < 0 ? "payload" : pl[p], f);
		for (int i = 0; i < ni; i++)
			for (int k = 0; k < nm; k++)
				if (p < 0)
					fprintf(f, " %s/%s", impls[i], ms[k]);
				else
					dat_cell(f, find_group("breakdown", ms[k], impls[i], n, pl[p]));
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : -1;
}

int lazy_report_main(int argc, char **argv)
{
	const char *csv = NULL, *json = NULL, *dat = NULL, *datb = NULL;
	const char *meta[32];
	unsigned nmeta = 0;
	const struct bench_opt table[] = {
		{"csv", BO_STR, &csv, "F", NULL, NULL, 0, 0},
		{"json", BO_STR, &json, "F", NULL, NULL, 0, 0},
		{"dat-lazy", BO_STR, &dat, "F", NULL, NULL, 0, 0},
		{"dat-breakdown", BO_STR, &datb, "F", NULL, NULL, 0, 0},
		{"meta", BO_STRS, meta, "k=v", NULL, &nmeta, 32, 0},
		BENCH_OPT_END,
	};
	int optind = bench_opts_parse_some("tern-bench report", table, "  RAW.csv...\n", argc, argv);
	if (optind == argc) {
		fprintf(stderr, "report: no raw files\n");
		return 2;
	}
	for (int i = optind; i < argc; i++)
		if (read_raw(argv[i]) != 0)
			return 1;
	if (ngroups == 0) {
		fprintf(stderr, "report: no rows\n");
		return 1;
	}
	build_groups();
	const char *ms[4];
	int nm = distinct_names("lazy", NULL, offsetof(struct group, malloc_name), ms, 4);
	for (int i = 0; i < nm; i++)
		print_lazy_table(ms[i]);
	nm = distinct_names("breakdown", NULL, offsetof(struct group, malloc_name), ms, 4);
	for (int i = 0; i < nm; i++)
		print_breakdown_table(ms[i]);
	compute_targets();
	if ((csv && write_csv(csv) != 0) || (json && write_json(json, meta, (int)nmeta) != 0) ||
	    ((dat || datb) && write_dat(dat, datb) != 0))
		return 1;
	return 0;
}
