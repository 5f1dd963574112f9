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

#define MAXN 64   /* name length */
#define MAXR 4096 /* raw rows */
#define MAXG 512  /* groups */
#define MAXROUNDS 64

struct raw {
	char scenario[MAXN], malloc_name[MAXN], impl[MAXN], lang[MAXN], payload[MAXN];
	int consumers, round;
	double cpu, cpu_incl, wall, prod;
	double transforms;
};

struct group {
	char scenario[MAXN], malloc_name[MAXN], impl[MAXN], lang[MAXN], payload[MAXN];
	int consumers;
	int n;
	double cpu_v[MAXROUNDS], incl_v[MAXROUNDS], wall_v[MAXROUNDS], prod_v[MAXROUNDS];
	double tr_v[MAXROUNDS];
	struct bench_stat cpu, incl, wall, prod, tr;
	double ratio; /* cpu median / reference cpu median; NAN if no reference */
};

static struct raw raws[MAXR];
static int nraw;
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

static int read_raw(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	char line[1024];
	int lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (strncmp(line, "scenario,", 9) == 0 || line[0] == '\n')
			continue;
		char *fld[16];
		if (split_csv(line, fld, 16) != 15) {
			fprintf(stderr, "%s:%d: expected 15 fields\n", path, lineno);
			fclose(f);
			return -1;
		}
		if (nraw == MAXR) {
			fprintf(stderr, "report: too many rows\n");
			fclose(f);
			return -1;
		}
		struct raw *r = &raws[nraw++];
		copy_name(r->scenario, fld[0]);
		copy_name(r->malloc_name, fld[1]);
		copy_name(r->impl, fld[2]);
		copy_name(r->lang, fld[3]);
		r->consumers = atoi(fld[4]);
		copy_name(r->payload, fld[5]);
		r->round = atoi(fld[6]);
		r->cpu = strtod(fld[7], NULL);
		r->cpu_incl = strtod(fld[8], NULL);
		r->wall = strtod(fld[9], NULL);
		r->prod = strtod(fld[11], NULL);
		r->transforms = strtod(fld[13], NULL);
	}
	fclose(f);
	return 0;
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

static int build_groups(void)
{
	for (int i = 0; i < nraw; i++) {
		struct raw *r = &raws[i];
		struct group *g = find_group(r->scenario, r->malloc_name, r->impl, r->consumers, r->payload);
		if (!g) {
			if (ngroups == MAXG)
				return -1;
			g = &groups[ngroups++];
			memset(g, 0, sizeof *g);
			copy_name(g->scenario, r->scenario);
			copy_name(g->malloc_name, r->malloc_name);
			copy_name(g->impl, r->impl);
			copy_name(g->lang, r->lang);
			copy_name(g->payload, r->payload);
			g->consumers = r->consumers;
		}
		if (g->n == MAXROUNDS)
			continue;
		g->cpu_v[g->n] = r->cpu;
		g->incl_v[g->n] = r->cpu_incl;
		g->wall_v[g->n] = r->wall;
		g->prod_v[g->n] = r->prod;
		g->tr_v[g->n] = r->transforms;
		g->n++;
	}
	for (int i = 0; i < ngroups; i++) {
		struct group *g = &groups[i];
		g->cpu = bench_stat_of(g->cpu_v, (size_t)g->n);
		g->incl = bench_stat_of(g->incl_v, (size_t)g->n);
		g->wall = bench_stat_of(g->wall_v, (size_t)g->n);
		g->prod = bench_stat_of(g->prod_v, (size_t)g->n);
		g->tr = bench_stat_of(g->tr_v, (size_t)g->n);
	}
	for (int i = 0; i < ngroups; i++) {
		struct group *g = &groups[i];
		const struct group *ref;
		if (!strcmp(g->scenario, "lazy"))
			ref = find_group("lazy", g->malloc_name, "tern-borrow", g->consumers, g->payload);
		else
			ref = find_group(g->scenario, g->malloc_name, "tern", g->consumers,
					 strcmp(g->payload, "load") ? g->payload : "u64");
		g->ratio = (ref && ref->cpu.median > 0) ? g->cpu.median / ref->cpu.median : NAN;
	}
	return 0;
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
	printf("\nScenario 1 - lazy (the seed's benchmark), malloc=%s\n", m);
	printf("ns per get_transformed from each consumer's CPU clock, the transforms' own CPU time\n"
	       "taken out: median of rounds [min-max].  incl: with the transforms, as the seed measured\n\n");
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
				fmt_ns(a, sizeof a, g->cpu.median);
				fmt_ns(b, sizeof b, g->cpu.min);
				fmt_ns(d, sizeof d, g->cpu.max);
				snprintf(cell, sizeof cell, "%s [%s-%s]", a, b, d);
			}
			printf(" %-19s", cell);
			if (cons[c] == dflt)
				last = g;
		}
		if (last) {
			char w[16], in[16];
			fmt_ns(w, sizeof w, last->wall.median);
			fmt_ns(in, sizeof in, last->incl.median);
			printf(" %8s %9s %8.0f %8.2f\n", in, w, last->prod.median, last->ratio);
		} else {
			printf("\n");
		}
	}
}

static void print_breakdown_table(const char *m)
{
	const char *impls[32], *payloads[32];
	int ni = distinct_names("breakdown", m, offsetof(struct group, impl), impls, 32);
	int np = distinct_names("breakdown", m, offsetof(struct group, payload), payloads, 32);
	if (ni == 0)
		return;
	int n = 0;
	for (int i = 0; i < ngroups; i++)
		if (!strcmp(groups[i].scenario, "breakdown") && !strcmp(groups[i].malloc_name, m))
			n = groups[i].consumers;
	printf("\nScenario 2 - breakdown (the seed's list), malloc=%s, %d consumers\n", m, n);
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
				fmt_ns(a, sizeof a, g->cpu.median);
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

struct target {
	char name[128];
	char issue[8];
	double ratio, limit;
	int consumers;
	bool evaluated, strict, met;
};

static struct target targets[32];
static int ntargets;

/* The ratio a/b of median ns/read at n consumers; false if a row is missing. */
static bool target_ratio(const char *m, const char *a, const char *b, int n, double *out)
{
	const struct group *ga = find_group("lazy", m, a, n, "str");
	const struct group *gb = find_group("lazy", m, b, n, "str");
	if (!ga || !gb || !(gb->cpu.median > 0))
		return false;
	*out = ga->cpu.median / gb->cpu.median;
	return true;
}

struct lazy_target_ctx {
	const char *m;
	const int *cons;
	int nc;
};

/* Measures target d (lazy_targets[] in impls.c) and keeps it for the JSON file. */
static bool lazy_target(const struct bench_target *d, void *arg, double *ratio, char *detail, size_t dlen)
{
	const struct lazy_target_ctx *c = arg;
	if (ntargets == (int)(sizeof targets / sizeof targets[0]))
		return false;
	struct target *t = &targets[ntargets++];
	memset(t, 0, sizeof *t);
	snprintf(t->issue, sizeof t->issue, "%s", d->where);
	bench_target_label(d, t->name, sizeof t->name);
	if (d->at == LAZY_WORST_GE2)
		snprintf(t->name + strlen(t->name), sizeof t->name - strlen(t->name), " at >= 2 consumers (worst n)");
	t->limit = d->bound;
	t->strict = d->cmp == BENCH_LT;
	t->ratio = NAN;
	for (int i = 0; i < c->nc; i++) {
		int n = c->cons[i];
		double r;
		/* LAZY_AT_MAX_N: the largest count; LAZY_WORST_GE2: the worst ratio over the counts >= 2. */
		if ((d->at == LAZY_AT_MAX_N ? i != c->nc - 1 : n < 2) || !target_ratio(c->m, d->a, d->b, n, &r))
			continue;
		if (!t->evaluated || r > t->ratio) {
			t->ratio = r;
			t->consumers = n;
		}
		t->evaluated = true;
	}
	t->met = t->evaluated && bench_target_met(d, t->ratio);
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

static void csv_num(FILE *f, double v)
{
	fputc(',', f);
	bench_csv_num(f, v);
}

static int write_csv(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "scenario,malloc,impl,lang,consumers,payload,rounds,cpu_ns_median,cpu_ns_min,"
		   "cpu_ns_max,cpu_incl_ns_median,wall_ns_median,wall_ns_min,wall_ns_max,"
		   "producer_ns_median,transforms_median,ratio_to_tern\n");
	for (int i = 0; i < ngroups; i++) {
		const struct group *g = &groups[i];
		fprintf(f, "%s,%s,%s,%s,%d,%s,%d", g->scenario, g->malloc_name, g->impl, g->lang,
			g->consumers, g->payload, g->n);
		csv_num(f, g->cpu.median);
		csv_num(f, g->cpu.min);
		csv_num(f, g->cpu.max);
		csv_num(f, g->incl.median);
		csv_num(f, g->wall.median);
		csv_num(f, g->wall.min);
		csv_num(f, g->wall.max);
		csv_num(f, g->prod.median);
		csv_num(f, g->tr.median);
		csv_num(f, g->ratio);
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

static void json_num(FILE *f, double v)
{
	if (isnan(v))
		fputs("null", f);
	else
		fprintf(f, "%.4f", v);
}

static int write_json(const char *path, const char **meta, int nmeta)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
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
	for (int i = 0; i < ngroups; i++) {
		const struct group *g = &groups[i];
		fputs(i ? ",\n    {" : "\n    {", f);
		fputs("\"scenario\": ", f), json_str(f, g->scenario);
		fputs(", \"malloc\": ", f), json_str(f, g->malloc_name);
		fputs(", \"impl\": ", f), json_str(f, g->impl);
		fputs(", \"lang\": ", f), json_str(f, g->lang);
		fprintf(f, ", \"consumers\": %d, \"payload\": ", g->consumers), json_str(f, g->payload);
		fprintf(f, ", \"rounds\": %d", g->n);
		fputs(", \"cpu_ns\": {\"median\": ", f), json_num(f, g->cpu.median);
		fputs(", \"min\": ", f), json_num(f, g->cpu.min);
		fputs(", \"max\": ", f), json_num(f, g->cpu.max);
		fputs("}, \"cpu_incl_ns_median\": ", f), json_num(f, g->incl.median);
		fputs(", \"wall_ns\": {\"median\": ", f), json_num(f, g->wall.median);
		fputs(", \"min\": ", f), json_num(f, g->wall.min);
		fputs(", \"max\": ", f), json_num(f, g->wall.max);
		fputs("}, \"producer_ns_median\": ", f), json_num(f, g->prod.median);
		fputs(", \"transforms_median\": ", f), json_num(f, g->tr.median);
		fputs(", \"ratio_to_tern\": ", f), json_num(f, g->ratio);
		fputs("}", f);
	}
	fputs("\n  ],\n  \"targets\": [", f);
	for (int i = 0; i < ntargets; i++) {
		const struct target *t = &targets[i];
		fputs(i ? ",\n    {" : "\n    {", f);
		fputs("\"target\": ", f), json_str(f, t->name);
		fputs(", \"issue\": ", f), json_str(f, t->issue);
		fprintf(f, ", \"consumers\": %d, \"limit\": %.2f, \"strict\": %s, \"ratio\": ", t->consumers,
			t->limit, t->strict ? "true" : "false");
		json_num(f, t->ratio);
		fprintf(f, ", \"met\": %s}", !t->evaluated ? "null" : t->met ? "true" : "false");
	}
	fputs("\n  ]\n}\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

/* gnuplot data: the lazy sweep (rows = consumer counts, columns = implementations). */
static int write_dat_lazy(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	const char *ms[4];
	int nm = distinct_names("lazy", NULL, offsetof(struct group, malloc_name), ms, 4);
	const char *m = nm ? ms[0] : "glibc";
	int cons[16];
	const char *impls[32];
	int nc = distinct_ints("lazy", m, cons, 16);
	int ni = distinct_names("lazy", m, offsetof(struct group, impl), impls, 32);
	fputs("consumers", f);
	for (int i = 0; i < ni; i++)
		fprintf(f, " %s", impls[i]);
	fputc('\n', f);
	for (int c = 0; c < nc; c++) {
		fprintf(f, "%d", cons[c]);
		for (int i = 0; i < ni; i++) {
			const struct group *g = find_group("lazy", m, impls[i], cons[c], "str");
			if (g)
				fprintf(f, " %.4f", g->cpu.median);
			else
				fputs(" -", f);
		}
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* gnuplot data: the breakdown (rows = payloads, columns = implementation/malloc). */
static int write_dat_breakdown(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	const char *bm[4], *bi[32], *bp[32];
	int nbm = distinct_names("breakdown", NULL, offsetof(struct group, malloc_name), bm, 4);
	int nbi = distinct_names("breakdown", NULL, offsetof(struct group, impl), bi, 32);
	int nbp = distinct_names("breakdown", NULL, offsetof(struct group, payload), bp, 32);
	int bn = 0;
	for (int i = 0; i < ngroups; i++)
		if (!strcmp(groups[i].scenario, "breakdown"))
			bn = groups[i].consumers;
	fputs("payload", f);
	for (int i = 0; i < nbi; i++)
		for (int k = 0; k < nbm; k++)
			fprintf(f, " %s/%s", bi[i], bm[k]);
	fputc('\n', f);
	for (int p = 0; p < nbp; p++) {
		fprintf(f, "%s", bp[p]);
		for (int i = 0; i < nbi; i++)
			for (int k = 0; k < nbm; k++) {
				const struct group *g = find_group("breakdown", bm[k], bi[i], bn, bp[p]);
				if (g)
					fprintf(f, " %.4f", g->cpu.median);
				else
					fputs(" -", f);
			}
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : -1;
}

int report_main(int argc, char **argv)
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
	if (nraw == 0) {
		fprintf(stderr, "report: no rows\n");
		return 1;
	}
	if (build_groups() != 0) {
		fprintf(stderr, "report: too many groups\n");
		return 1;
	}
	const char *ms[4];
	int nm = distinct_names("lazy", NULL, offsetof(struct group, malloc_name), ms, 4);
	for (int i = 0; i < nm; i++)
		print_lazy_table(ms[i]);
	nm = distinct_names("breakdown", NULL, offsetof(struct group, malloc_name), ms, 4);
	for (int i = 0; i < nm; i++)
		print_breakdown_table(ms[i]);
	compute_targets();
	if ((csv && write_csv(csv) != 0) || (json && write_json(json, meta, (int)nmeta) != 0) ||
	    (dat && write_dat_lazy(dat) != 0) || (datb && write_dat_breakdown(datb) != 0))
		return 1;
	return 0;
}
