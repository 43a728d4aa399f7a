/* SPDX-License-Identifier: BSD-2-Clause */
#define _GNU_SOURCE
#include "bench.h"
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROWS 64
#define MAX_REPS RB_BENCH_MAX_REPS
#define RB_BENCH_REP_NS 200000000ull

struct row {
	char key[128];
	char what[96];
	char unit[16];
	char target[48];
	double value;
	int is_ratio;
	int nsamples;		   /* rows measured by rb_bench_compare */
	double samples[MAX_REPS]; /* ns per op of each repetition, in run order */
};

struct rb_bench {
	const char *program;
	const char *json;
	int reps;
	int quick;
	int nrows;
	struct row rows[MAX_ROWS];
};

uint64_t rb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct rb_bench *rb_bench_open(const char *program, int argc, char **argv)
{
	struct rb_bench *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->program = program;
	b->reps = 7;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
			b->json = argv[++i];
		} else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
			b->reps = atoi(argv[++i]);
			if (b->reps < 1) {
				fprintf(stderr, "%s: --reps must be at least 1, not '%s'\n", program,
					argv[i]);
				free(b);
				return NULL;
			}
		} else if (strcmp(argv[i], "--quick") == 0) {
			b->quick = 1;
			b->reps = 1;
		} else {
			fprintf(stderr, "usage: %s [--json FILE] [--reps N] [--quick]\n", program);
			free(b);
			return NULL;
		}
	}
	printf("%s: median of %d repetitions\n", program, b->reps);
	printf("%-34s %14s  %s\n", "key", "value", "what");
	fflush(stdout);
	return b;
}

int rb_bench_reps(const struct rb_bench *b)
{
	return b->reps;
}

int rb_bench_quick(const struct rb_bench *b)
{
	return b->quick;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static struct row *add_row(struct rb_bench *b, const char *key, const char *what,
			   const char *unit, double value)
{
	struct row *r;

	if (b->nrows == MAX_ROWS) {
		fprintf(stderr, "%s: too many rows, '%s' dropped\n", b->program, key);
		return NULL;
	}
	r = &b->rows[b->nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->key, sizeof(r->key), "%s", key);
	snprintf(r->what, sizeof(r->what), "%s", what);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	r->value = value;
	printf("%-34s %11.1f %-3s %s\n", key, value, unit, what);
	fflush(stdout);
	return r;
}

static uint64_t calibrate(const struct rb_bench *b, uint64_t (*fn)(void *, uint64_t), void *arg)
{
	uint64_t iters = 16, target = b->quick ? RB_BENCH_REP_NS / 20 : RB_BENCH_REP_NS;

	/* Grow iters until one run takes a tenth of a repetition. */
	for (;;) {
		uint64_t ns = fn(arg, iters);
		if (ns >= target / 10 || iters >= (1ull << 32)) {
			if (ns == 0)
				ns = 1;
			iters = iters * target / ns;
			if (iters < 1)
				iters = 1;
			break;
		}
		iters *= 4;
	}
	return iters;
}

#define MAX_CASES 8

void rb_bench_compare(struct rb_bench *b, const struct rb_bench_case *cases, int n)
{
	uint64_t iters[MAX_CASES];
	double samples[MAX_CASES][MAX_REPS];
	int reps = b->reps > MAX_REPS ? MAX_REPS : b->reps;

	if (n > MAX_CASES)
		n = MAX_CASES;
	for (int c = 0; c < n; c++)
		iters[c] = calibrate(b, cases[c].fn, cases[c].arg);
	for (int i = 0; i < reps; i++)
		for (int c = 0; c < n; c++)
			samples[c][i] = (double)cases[c].fn(cases[c].arg, iters[c]) /
					(double)iters[c];
	for (int c = 0; c < n; c++) {
		double sorted[MAX_REPS];
		struct row *r;

		memcpy(sorted, samples[c], sizeof(double) * (size_t)reps);
		qsort(sorted, (size_t)reps, sizeof(double), cmp_double);
		r = add_row(b, cases[c].key, cases[c].what, "ns", sorted[reps / 2]);
		if (r != NULL) {
			memcpy(r->samples, samples[c], sizeof(double) * (size_t)reps);
			r->nsamples = reps;
		}
	}
}

static double median_of(const double *v, int n)
{
	double s[RB_BENCH_MAX_ROUNDS];

	memcpy(s, v, sizeof(double) * (size_t)n);
	qsort(s, (size_t)n, sizeof(double), cmp_double);
	return s[n / 2];
}

int rb_bench_blocks(struct rb_bench *b, const struct rb_bench_case *cases, int n,
		    uint64_t block_iters)
{
	int reps = b->reps > MAX_REPS ? MAX_REPS : b->reps;
	uint64_t target = b->quick ? RB_BENCH_REP_NS / 20 : RB_BENCH_REP_NS, t0, round_ns, per;
	double(*blk)[RB_BENCH_MAX_ROUNDS]; /* blk[case][round]: ns per op */
	int rounds;

	if (n < 1 || n > MAX_CASES || block_iters == 0)
		return 0;
	blk = calloc((size_t)n, sizeof(*blk));
	if (blk == NULL) {
		fprintf(stderr, "%s: no memory for blocks, '%s' not measured\n", b->program,
			cases[0].key);
		return 0;
	}
	/* A warm-up round, not recorded, sizes the run: a repetition lasts
	 * about n * target, as one of rb_bench_compare does, with at least
	 * 3 rounds (a median) and at most RB_BENCH_MAX_ROUNDS in all. */
	t0 = rb_now_ns();
	for (int c = 0; c < n; c++)
		cases[c].fn(cases[c].arg, block_iters);
	round_ns = rb_now_ns() - t0;
	per = (uint64_t)n * target / (round_ns ? round_ns : 1);
	if (per < 3)
		per = 3;
	if (per > (uint64_t)(RB_BENCH_MAX_ROUNDS / reps))
		per = (uint64_t)(RB_BENCH_MAX_ROUNDS / reps); /* >= 8: reps <= 64 */
	rounds = (int)per * reps;
	printf("%-34s %14s  (%d rounds of %llu ops per key, alternated)\n", "(paired blocks)", "",
	       rounds, (unsigned long long)block_iters);
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < n; k++) {
			int c = r % 2 == 0 ? k : n - 1 - k;
			blk[c][r] = (double)cases[c].fn(cases[c].arg, block_iters) /
				    (double)block_iters;
		}
	for (int c = 0; c < n; c++) {
		struct row *r = add_row(b, cases[c].key, cases[c].what, "ns",
					median_of(blk[c], rounds));
		if (r == NULL)
			continue;
		for (int g = 0; g < reps; g++)
			r->samples[g] = median_of(&blk[c][g * (int)per], (int)per);
		r->nsamples = reps;
	}
	free(blk);
	return rounds;
}

double rb_bench_run(struct rb_bench *b, const char *key, const char *what,
		    uint64_t (*fn)(void *arg, uint64_t iters), void *arg)
{
	struct rb_bench_case c = {key, what, fn, arg};

	rb_bench_compare(b, &c, 1);
	return b->rows[b->nrows - 1].value;
}

void rb_bench_value(struct rb_bench *b, const char *key, const char *what, double value,
		    const char *unit)
{
	add_row(b, key, what, unit, value);
}

static const struct row *find(const struct rb_bench *b, const char *key)
{
	for (int i = 0; i < b->nrows; i++)
		if (strcmp(b->rows[i].key, key) == 0)
			return &b->rows[i];
	return NULL;
}

void rb_bench_ratio(struct rb_bench *b, const char *what, const char *num, const char *den,
		    const char *target)
{
	const struct row *n = find(b, num), *d = find(b, den);
	char key[128];
	struct row *r;

	if (n == NULL || d == NULL || d->value == 0)
		return;
	snprintf(key, sizeof(key), "ratio:%s/%s", num, den);
	r = add_row(b, key, what, "x", n->value / d->value);
	if (r != NULL) {
		r->is_ratio = 1;
		snprintf(r->target, sizeof(r->target), "%s", target);
		printf("%34s %14s  target: %s\n", "", "", target);
	}
}

int rb_bench_close(struct rb_bench *b)
{
	int ret = 0;

	if (b->json != NULL) {
		FILE *f = fopen(b->json, "w");
		if (f == NULL) {
			fprintf(stderr, "%s: cannot write %s\n", b->program, b->json);
			ret = 1;
		} else {
			fprintf(f, "{\n  \"program\": \"%s\",\n  \"repetitions\": %d", b->program,
				b->reps);
			for (int i = 0; i < b->nrows; i++) {
				const struct row *r = &b->rows[i];
				if (r->is_ratio)
					continue;
				fprintf(f, ",\n  \"%s\": %.3f", r->key, r->value);
			}
			fprintf(f, ",\n  \"ratios\": {");
			int first = 1;
			for (int i = 0; i < b->nrows; i++) {
				const struct row *r = &b->rows[i];
				if (!r->is_ratio)
					continue;
				fprintf(f, "%s\n    \"%s\": {\"value\": %.3f, \"target\": \"%s\"}",
					first ? "" : ",", r->key + 6, r->value, r->target);
				first = 0;
			}
			/* Every repetition of the rows rb_bench_compare measured,
			 * for distributions; readers of the flat keys above skip
			 * this object as they skip "ratios". */
			fprintf(f, "\n  },\n  \"samples\": {");
			first = 1;
			for (int i = 0; i < b->nrows; i++) {
				const struct row *r = &b->rows[i];
				if (r->nsamples == 0)
					continue;
				fprintf(f, "%s\n    \"%s\": [", first ? "" : ",", r->key);
				for (int k = 0; k < r->nsamples; k++)
					fprintf(f, "%s%.3f", k ? ", " : "", r->samples[k]);
				fprintf(f, "]");
				first = 0;
			}
			fprintf(f, "\n  }\n}\n");
			fclose(f);
			printf("wrote %s\n", b->json);
		}
	}
	free(b);
	return ret;
}

/* ---- the raw futex ping-pong baseline ---- */

/* w[0] carries the caller's count of round trips, w[1] the partner's
 * answer; stop is stored before the last change of w[0], which the
 * partner reads after seeing that change (all seq_cst). */
struct rb_futex_partner {
	_Atomic uint32_t w[2];
	_Atomic int stop;
	uint32_t seq; /* round trips so far: the caller's only */
	pthread_t thread;
};

static void fwait(_Atomic uint32_t *w, uint32_t v)
{
	while (atomic_load(w) == v)
		syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void fwake(_Atomic uint32_t *w, uint32_t v)
{
	atomic_store(w, v);
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *fpp_serve(void *arg)
{
	struct rb_futex_partner *p = arg;
	uint32_t seen = 0;

	for (;;) {
		fwait(&p->w[0], seen);
		if (atomic_load(&p->stop))
			return NULL;
		seen++; /* the caller moves w[0] by one and waits for the answer */
		fwake(&p->w[1], seen);
	}
}

int rb_futex_partner_start(struct rb_futex_partner **out)
{
	struct rb_futex_partner *p = calloc(1, sizeof(*p));
	int r;

	if (p == NULL)
		return -ENOMEM;
	r = pthread_create(&p->thread, NULL, fpp_serve, p);
	if (r != 0) {
		free(p);
		return r == ENOMEM ? -ENOMEM : -EAGAIN;
	}
	*out = p;
	return 0;
}

uint64_t rb_futex_partner_run(struct rb_futex_partner *p, uint64_t iters)
{
	uint64_t t0 = rb_now_ns();

	for (uint64_t i = 0; i < iters; i++) {
		p->seq++;
		fwake(&p->w[0], p->seq);
		fwait(&p->w[1], p->seq - 1);
	}
	return rb_now_ns() - t0;
}

void rb_futex_partner_stop(struct rb_futex_partner *p)
{
	atomic_store(&p->stop, 1);
	fwake(&p->w[0], p->seq + 1);
	pthread_join(p->thread, NULL);
	free(p);
}

uint64_t rb_futex_pingpong(uint64_t iters)
{
	struct rb_futex_partner *p;
	uint64_t ns;

	if (rb_futex_partner_start(&p) != 0)
		return 0;
	ns = rb_futex_partner_run(p, iters);
	rb_futex_partner_stop(p);
	return ns;
}

/* ---- the pthread mutex + condvar hand-off baseline ---- */

struct rb_cpp {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t turn, iters;
};

static void *cpp_serve(void *p)
{
	struct rb_cpp *c = p;

	pthread_mutex_lock(&c->mu);
	for (uint64_t i = 0; i < c->iters; i++) {
		while (c->turn != 2 * i + 1)
			pthread_cond_wait(&c->cv, &c->mu);
		c->turn = 2 * i + 2;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

uint64_t rb_condvar_pingpong(uint64_t iters)
{
	struct rb_cpp c = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
			   .iters = iters};
	pthread_t t;
	uint64_t t0, t1;

	if (pthread_create(&t, NULL, cpp_serve, &c) != 0)
		return 0;
	t0 = rb_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		pthread_mutex_lock(&c.mu);
		c.turn = 2 * i + 1;
		pthread_cond_broadcast(&c.cv);
		while (c.turn != 2 * i + 2)
			pthread_cond_wait(&c.cv, &c.mu);
		pthread_mutex_unlock(&c.mu);
	}
	t1 = rb_now_ns();
	pthread_join(t, NULL);
	return t1 - t0;
}
