/*
 * bench/reclaim — deferred objects per second.
 *
 * Workload: W writer threads (1 or 2) each loop: allocate a 48-byte object,
 * publish it into one shared slot by atomic exchange, defer the old object
 * (destructor: poison, free, count).  One reader thread loops: pin, acquire
 * load of the slot, check the object's magic, unpin.  The driver thread
 * samples pending objects (allocated minus destroyed) every millisecond.
 *
 * Each sample runs in a fresh child process (this binary re-executed with
 * --child), so peak RSS (wait4's ru_maxrss) belongs to one implementation
 * and one run; rounds interleave the implementations in rotated order.
 * After the timed window the child drains (every deferred object destroyed)
 * and checks allocations == destructions and that no reader saw a destroyed
 * object.
 *
 * Usage: bench_reclaim [--rounds=N] [--ms=M] [--writers=1,2] [--csv=PATH]
 *                      [--impls=a,b,...] [--verbose]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../pin/bench_util.h"
#include "reclaim.h"

_Atomic(struct rc_hdr *) rc_slot;
atomic_bool rc_stop;
_Atomic uint64_t rc_bad;
struct rc_ctr rc_ctrs[RC_SLOTS];
_Atomic unsigned rc_nslots;
_Thread_local struct rc_ctr *rc_mine;
uint64_t rc_reader_max_gap_ns;
bool rc_verbose = false;

static const struct rc_impl *const impls[] = {
#ifdef BENCH_HAVE_TERN
	&rc_tern_defer,
	&rc_tern_call,
#endif
	&rc_ck_poll1,
	&rc_ck_poll64,
	&rc_urcu,
	&rc_urcu_percpu,
};
#define NIMPL (sizeof impls / sizeof impls[0])
#define MAX_WRITERS 8
#define MAX_ROUNDS 101
#define MAX_WCOUNTS 4

/* ---- child: one run ---- */

struct rc_thread {
	const struct rc_impl *im;
	bool writer;
	pthread_barrier_t *start;
	uint64_t ops, wall_ns, cpu_ns;
};

static void *rc_thread_main(void *arg)
{
	struct rc_thread *t = arg;
	void *ctx = t->im->thread_init(t->writer);
	pthread_barrier_wait(t->start);
	uint64_t w0 = bench_clock_ns(CLOCK_MONOTONIC);
	uint64_t c0 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	t->ops = t->writer ? t->im->writer_loop(ctx) : t->im->reader_loop(ctx);
	t->cpu_ns = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	t->wall_ns = bench_clock_ns(CLOCK_MONOTONIC) - w0;
	t->im->thread_fini(ctx, t->writer);
	return NULL;
}

/* => allocated minus destroyed objects right now (never an underestimate of
 * the objects alive at the time the frees were read). */
static uint64_t rc_pending(void)
{
	/* Relaxed: the number of slots handed out so far; a slot handed out
	 * later has counted nothing we could have missed... except its own
	 * counts, which the next sample picks up. */
	unsigned n = atomic_load_explicit(&rc_nslots, memory_order_relaxed);
	if (n > RC_SLOTS)
		n = RC_SLOTS;
	uint64_t frees = 0, allocs = 0;
	for (unsigned i = 0; i < n; i++)
		/* Acquire: pairs with the release store in rc_destroy(). */
		frees += atomic_load_explicit(&rc_ctrs[i].frees, memory_order_acquire);
	for (unsigned i = 0; i < n; i++)
		/* Relaxed: the acquire loads above already order these after the
		 * allocations of every object counted as freed. */
		allocs += atomic_load_explicit(&rc_ctrs[i].allocs, memory_order_relaxed);
	return allocs >= frees ? allocs - frees : 0;
}

static int child_main(const char *name, unsigned writers, double ms)
{
	const struct rc_impl *im = NULL;
	for (size_t i = 0; i < NIMPL; i++)
		if (strcmp(impls[i]->name, name) == 0)
			im = impls[i];
	if (im == NULL) {
		fprintf(stderr, "bench_reclaim --child: unknown implementation '%s'\n", name);
		return 2;
	}
	im->setup();
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, writers + 2);
	struct rc_thread th[MAX_WRITERS + 1];
	pthread_t tid[MAX_WRITERS + 1];
	for (unsigned i = 0; i <= writers; i++) {
		th[i] = (struct rc_thread){.im = im, .writer = i < writers, .start = &start};
		int err = pthread_create(&tid[i], NULL, rc_thread_main, &th[i]);
		if (err != 0) {
			fprintf(stderr, "bench_reclaim: pthread_create: %s\n", strerror(err));
			return 2;
		}
	}
	pthread_barrier_wait(&start);
	uint64_t t0 = bench_clock_ns(CLOCK_MONOTONIC);
	uint64_t end = t0 + (uint64_t)(ms * 1e6);
	uint64_t peak = 0;
	unsigned tick = 0;
	for (;;) {
		uint64_t p = rc_pending();
		if (p > peak)
			peak = p;
		if (rc_verbose && tick++ % 10 == 0)
			fprintf(stderr, "  %s t=%.0f ms pending %llu\n", im->name,
				(double)(bench_clock_ns(CLOCK_MONOTONIC) - t0) / 1e6, (unsigned long long)p);
		if (bench_clock_ns(CLOCK_MONOTONIC) >= end)
			break;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	/* Relaxed: the threads only stop looping; their results are read after
	 * pthread_join, which synchronises. */
	atomic_store_explicit(&rc_stop, true, memory_order_relaxed);
	for (unsigned i = 0; i <= writers; i++)
		pthread_join(tid[i], NULL);
	uint64_t p = rc_pending();
	if (p > peak)
		peak = p;

	/* The object left in the slot is owned by nobody else now. */
	struct rc_hdr *last = atomic_exchange_explicit(&rc_slot, NULL, memory_order_relaxed);
	/* (Relaxed: every other thread has been joined.) */
	if (last != NULL)
		rc_destroy(last);
	if (rc_verbose && im->report != NULL) {
		fprintf(stderr, "  %s, %u writers, after the window: ", im->name, writers);
		im->report(stderr);
		fprintf(stderr, "\n");
	}
	im->drain();
	uint64_t leaked = rc_pending();

	uint64_t ops = 0, cpu = 0;
	double rate = 0;
	for (unsigned i = 0; i < writers; i++) {
		ops += th[i].ops;
		cpu += th[i].cpu_ns;
		rate += (double)th[i].ops / ((double)th[i].wall_ns / 1e9);
	}
	double reads = (double)th[writers].ops / ((double)th[writers].wall_ns / 1e9);
	/* Relaxed: all threads joined. */
	uint64_t bad = atomic_load_explicit(&rc_bad, memory_order_relaxed);
	printf("result %.1f %.3f %llu %.1f %llu %llu %.3f\n", rate, ops ? (double)cpu / (double)ops : 0.0,
	       (unsigned long long)peak, reads, (unsigned long long)leaked, (unsigned long long)bad,
	       (double)rc_reader_max_gap_ns / 1e6);
	fflush(stdout);
	return 0;
}

/* ---- parent: rounds, interleaving, table ---- */

struct sample {
	double rate;        /* deferred objects per second, all writers */
	double cpu_per_obj; /* writers' thread CPU ns per deferred object */
	double peak;        /* peak pending objects */
	double reads;       /* reader sections per second */
	double rss_kib;     /* child's peak RSS */
	double gap_ms;      /* reader's longest gap between batches */
	uint64_t leaked, bad;
};

static const char *self_exe;

static struct sample run_child(const char *impl, unsigned writers, double ms)
{
	int fd[2];
	if (pipe(fd) != 0) {
		perror("pipe");
		exit(2);
	}
	char a_impl[128], a_w[32], a_ms[64], a_v[16] = "--verbose";
	snprintf(a_impl, sizeof a_impl, "--impl=%s", impl);
	snprintf(a_w, sizeof a_w, "--writers=%u", writers);
	snprintf(a_ms, sizeof a_ms, "--ms=%g", ms);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		char *argv[] = {(char *)self_exe, "--child", a_impl, a_w, a_ms, rc_verbose ? a_v : NULL, NULL};
		execv(self_exe, argv);
		perror("execv");
		_exit(127);
	}
	close(fd[1]);
	FILE *f = fdopen(fd[0], "r");
	struct sample s;
	memset(&s, 0, sizeof s);
	int got = 0;
	char line[512];
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		unsigned long long peak, leaked, bad;
		if (sscanf(line, "result %lf %lf %llu %lf %llu %llu %lf", &s.rate, &s.cpu_per_obj, &peak, &s.reads,
			   &leaked, &bad, &s.gap_ms) == 7) {
			s.peak = (double)peak;
			s.leaked = leaked;
			s.bad = bad;
			got = 1;
		}
	}
	if (f != NULL)
		fclose(f);
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) != pid) {
		perror("wait4");
		exit(2);
	}
	if (!got || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_reclaim: child for %s (%u writers) failed (status %d)\n", impl, writers, st);
		exit(2);
	}
	s.rss_kib = (double)ru.ru_maxrss;
	return s;
}

struct opts {
	unsigned rounds;
	double ms;
	unsigned wcounts[MAX_WCOUNTS];
	unsigned nwcounts;
	const char *csv;
	bool child;
	const char *impl;
	const char *only; /* comma-separated implementation names, NULL for all */
};

static void usage(void)
{
	fprintf(stderr, "usage: bench_reclaim [--rounds=N] [--ms=M] [--writers=1,2] [--csv=PATH]\n"
			"                     [--impls=a,b] [--verbose]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.rounds = 7, .ms = 200, .wcounts = {1, 2}, .nwcounts = 2};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--rounds=", 9) == 0) {
			o->rounds = (unsigned)strtoul(a + 9, NULL, 10);
		} else if (strncmp(a, "--ms=", 5) == 0) {
			o->ms = strtod(a + 5, NULL);
		} else if (strncmp(a, "--writers=", 10) == 0) {
			o->nwcounts = 0;
			const char *s = a + 10;
			while (*s != '\0') {
				char *end;
				unsigned long w = strtoul(s, &end, 10);
				if (end == s || w == 0 || w > MAX_WRITERS || o->nwcounts == MAX_WCOUNTS)
					usage();
				o->wcounts[o->nwcounts++] = (unsigned)w;
				if (*end == ',')
					end++;
				else if (*end != '\0')
					usage();
				s = end;
			}
		} else if (strncmp(a, "--csv=", 6) == 0) {
			o->csv = a + 6;
		} else if (strcmp(a, "--verbose") == 0) {
			rc_verbose = true;
		} else if (strcmp(a, "--child") == 0) {
			o->child = true;
		} else if (strncmp(a, "--impl=", 7) == 0) {
			o->impl = a + 7;
		} else if (strncmp(a, "--impls=", 8) == 0) {
			o->only = a + 8;
		} else {
			usage();
		}
	}
	if (o->rounds == 0 || o->rounds > MAX_ROUNDS || !(o->ms > 0) || o->nwcounts == 0)
		usage();
}

static bool selected(const struct opts *o, const char *name)
{
	if (o->only == NULL)
		return true;
	size_t n = strlen(name);
	for (const char *s = o->only; *s != '\0';) {
		size_t len = strcspn(s, ",");
		if (len == n && strncmp(s, name, n) == 0)
			return true;
		s += len;
		if (*s == ',')
			s++;
	}
	return false;
}

static struct sample samples[NIMPL][MAX_WCOUNTS][MAX_ROUNDS];

/* Median (and min, max) of one field over the rounds. */
static struct bench_stat field(size_t k, unsigned w, unsigned rounds, size_t off)
{
	double v[MAX_ROUNDS];
	for (unsigned r = 0; r < rounds; r++)
		memcpy(&v[r], (const char *)&samples[k][w][r] + off, sizeof(double));
	return bench_stat_of(v, rounds);
}

int main(int argc, char **argv)
{
	struct opts o;
	parse(argc, argv, &o);
	if (o.child) {
		if (o.nwcounts != 1 || o.impl == NULL)
			usage();
		return child_main(o.impl, o.wcounts[0], o.ms);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	static char exe[4096];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len <= 0) {
		perror("readlink /proc/self/exe");
		return 2;
	}
	exe[len] = '\0';
	self_exe = exe;

	bool use[NIMPL];
	size_t nused = 0;
	for (size_t k = 0; k < NIMPL; k++)
		nused += (use[k] = selected(&o, impls[k]->name));
	if (nused == 0)
		usage();

	char cpu[256];
	bench_cpu_model(cpu, sizeof cpu);
	printf("bench/reclaim: deferred objects/s, 1 reader pinning; %u rounds x %g ms, "
	       "one process per run, interleaved\n", o.rounds, o.ms);
	printf("cpu: %s; %ld online cpus; compiler: %s\n", cpu, sysconf(_SC_NPROCESSORS_ONLN),
	       bench_compiler());
#ifndef BENCH_HAVE_TERN
	printf("tern: src/epoch not built, tern rows skipped\n");
#endif

	for (unsigned r = 0; r < o.rounds; r++)
		for (unsigned w = 0; w < o.nwcounts; w++)
			for (size_t j = 0; j < NIMPL; j++) {
				size_t k = (j + r) % NIMPL;
				if (use[k])
					samples[k][w][r] = run_child(impls[k]->name, o.wcounts[w], o.ms);
			}

	size_t tern = NIMPL;
	for (size_t k = 0; k < NIMPL; k++)
		if (use[k] && strcmp(impls[k]->name, "tern-defer") == 0)
			tern = k;
	FILE *csv = NULL;
	if (o.csv != NULL) {
		csv = fopen(o.csv, "w");
		if (csv == NULL) {
			fprintf(stderr, "bench_reclaim: %s: %s\n", o.csv, strerror(errno));
			return 2;
		}
		fprintf(csv, "impl,writers,rounds,mobj_per_s_median,mobj_per_s_min,mobj_per_s_max,ratio_to_tern,"
			     "writer_cpu_ns_per_obj,peak_pending_median,peak_pending_max,peak_rss_kib_median,"
			     "peak_rss_kib_max,reader_mreads_per_s,reader_max_gap_ms,leaked,bad_reads,cpu,compiler\n");
	}
	int errors = 0;
	/* Per writer count: medians of each row, for the target lines. */
	double rate_med[NIMPL][MAX_WCOUNTS], cpu_med[NIMPL][MAX_WCOUNTS], peak_max[NIMPL][MAX_WCOUNTS];
	for (unsigned w = 0; w < o.nwcounts; w++) {
		printf("\n%u writer%s + 1 reader  Mobj/s (min-max)     xtern  wCPU ns/obj  peak pending (max)  "
		       "peak RSS MiB (max)  reader Mreads/s, max gap ms  errors\n", o.wcounts[w], o.wcounts[w] == 1 ? " " : "s");
		struct bench_stat tr = tern < NIMPL ? field(tern, w, o.rounds, offsetof(struct sample, rate))
						       : (struct bench_stat){0, 0, 0};
		for (size_t k = 0; k < NIMPL; k++) {
			if (!use[k])
				continue;
			struct bench_stat rate = field(k, w, o.rounds, offsetof(struct sample, rate));
			struct bench_stat cpuo = field(k, w, o.rounds, offsetof(struct sample, cpu_per_obj));
			struct bench_stat peak = field(k, w, o.rounds, offsetof(struct sample, peak));
			struct bench_stat rss = field(k, w, o.rounds, offsetof(struct sample, rss_kib));
			struct bench_stat rd = field(k, w, o.rounds, offsetof(struct sample, reads));
			struct bench_stat gap = field(k, w, o.rounds, offsetof(struct sample, gap_ms));
			rate_med[k][w] = rate.median;
			cpu_med[k][w] = cpuo.median;
			peak_max[k][w] = peak.max;
			uint64_t leaked = 0, bad = 0;
			for (unsigned r = 0; r < o.rounds; r++) {
				leaked += samples[k][w][r].leaked;
				bad += samples[k][w][r].bad;
			}
			errors += leaked != 0 || bad != 0;
			double ratio = tern < NIMPL ? rate.median / tr.median : 0;
			char range[64], ratio_s[16], peaks[64], rsss[64];
			snprintf(range, sizeof range, "%.2f (%.2f-%.2f)", rate.median / 1e6, rate.min / 1e6,
				 rate.max / 1e6);
			snprintf(ratio_s, sizeof ratio_s, tern < NIMPL ? "%.2f" : "-", ratio);
			snprintf(peaks, sizeof peaks, "%.0f (%.0f)", peak.median, peak.max);
			snprintf(rsss, sizeof rsss, "%.1f (%.1f)", rss.median / 1024, rss.max / 1024);
			printf("%-22s %-20s %5s %12.1f  %-19s %-19s %15.2f %12.1f  %s\n", impls[k]->name, range,
			       ratio_s, cpuo.median, peaks, rsss, rd.median / 1e6, gap.max,
			       leaked || bad ? "LEAKED/BAD" : "0");
			if (csv != NULL) {
				fprintf(csv, "%s,%u,%u,%.4f,%.4f,%.4f,", impls[k]->name, o.wcounts[w], o.rounds,
					rate.median / 1e6, rate.min / 1e6, rate.max / 1e6);
				if (tern < NIMPL)
					fprintf(csv, "%.4f", ratio);
				fprintf(csv, ",%.2f,%.0f,%.0f,%.0f,%.0f,%.4f,%.3f,%llu,%llu,%s,%s\n", cpuo.median,
					peak.median, peak.max, rss.median, rss.max, rd.median / 1e6, gap.max,
					(unsigned long long)leaked,
					(unsigned long long)bad, cpu, bench_compiler());
			}
		}
	}
	bool any_peer = false;
	for (size_t k = 0; k < NIMPL; k++)
		any_peer |= use[k] && strncmp(impls[k]->name, "tern", 4) != 0;
	if (tern < NIMPL && any_peer) {
		printf("\ntarget: each tern row's median Mobj/s >= the best peer row's; peak pending bounded\n");
		for (unsigned w = 0; w < o.nwcounts; w++) {
			size_t bp = NIMPL;
			double peer_peak = 0;
			for (size_t k = 0; k < NIMPL; k++) {
				if (!use[k] || strncmp(impls[k]->name, "tern", 4) == 0)
					continue;
				if (bp == NIMPL || rate_med[k][w] > rate_med[bp][w])
					bp = k;
				if (peak_max[k][w] > peer_peak)
					peer_peak = peak_max[k][w];
			}
			for (size_t k = 0; k < NIMPL; k++) {
				if (!use[k] || strncmp(impls[k]->name, "tern", 4) != 0)
					continue;
				double x = rate_med[k][w] / rate_med[bp][w];
				printf("  %u writer%s: %-10s %.2f vs %s %.2f Mobj/s = x%.2f (%s); wCPU ns/obj %.1f vs %.1f; "
				       "peak pending %.0f (peers' max %.0f)\n", o.wcounts[w],
				       o.wcounts[w] == 1 ? " " : "s", impls[k]->name, rate_med[k][w] / 1e6,
				       impls[bp]->name, rate_med[bp][w] / 1e6, x, x >= 1.0 ? "met" : "MISSED",
				       cpu_med[k][w], cpu_med[bp][w], peak_max[k][w], peer_peak);
			}
		}
	}
	if (csv != NULL && fclose(csv) != 0) {
		fprintf(stderr, "bench_reclaim: %s: write failed\n", o.csv);
		return 2;
	}
	if (errors) {
		fprintf(stderr, "bench_reclaim: an implementation leaked objects or let a reader see a destroyed one\n");
		return 1;
	}
	return 0;
}
