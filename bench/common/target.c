/* SPDX-License-Identifier: MIT */
/* bench/common/target.c — the target evaluator (target.h). */
#include "target.h"

static const char *const cmp_text[] = {"<=", "<", ">="};

bool bench_target_met(const struct bench_target *t, double ratio)
{
	switch (t->cmp) {
	case BENCH_LE: return ratio <= t->bound;
	case BENCH_LT: return ratio < t->bound;
	case BENCH_GE: return ratio >= t->bound;
	}
	return false;
}

const char *bench_target_label(const struct bench_target *t, char *buf, size_t len)
{
	if (t->text != NULL)
		snprintf(buf, len, "%s", t->text);
	else
		snprintf(buf, len, "%s %s %gx %s", t->a, cmp_text[t->cmp], t->bound, t->b);
	return buf;
}

int bench_targets_report(FILE *f, const struct bench_target *ts, size_t n, bench_target_fn *fn, void *ctx)
{
	int missed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bench_target *t = &ts[i];
		char label[160], detail[192] = "";
		double ratio = 0;
		bench_target_label(t, label, sizeof label);
		if (!fn(t, ctx, &ratio, detail, sizeof detail)) {
			fprintf(f, "  %-3s %-62s not measured (row missing)\n", t->where, label);
			continue;
		}
		bool met = bench_target_met(t, ratio);
		missed += !met;
		fprintf(f, "  %-3s %-62s ratio %.3f  %-6s  %s\n", t->where, label, ratio, met ? "met" : "MISSED",
			detail);
	}
	return missed;
}
