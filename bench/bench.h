/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The benchmark harness shared by bench_*: run a measurement several
 * times, keep the median, print a table and write JSON.
 *
 * A measurement is a function that runs `iters` operations and returns the
 * elapsed nanoseconds; the harness calibrates iters so one repetition
 * takes about RB_BENCH_REP_NS, then reports median ns per operation.
 *
 * The JSON (--json FILE): "program", "repetitions", one number per
 * recorded key, "ratios" {key: {value, target}}, and "samples" {key:
 * [ns per op of each repetition, in run order]} for the keys measured
 * with rb_bench_run/rb_bench_compare (the latency distributions that
 * scripts/run-benchmarks plots).
 */
#ifndef RB_BENCH_H
#define RB_BENCH_H

#include <stdint.h>
#include <stdio.h>

struct rb_bench;

/* Parse --json FILE, --reps N, --quick; NULL on a usage error (printed). */
struct rb_bench *rb_bench_open(const char *program, int argc, char **argv);

/* Measure fn(arg, iters) -> elapsed ns; record median ns per op under key. */
double rb_bench_run(struct rb_bench *b, const char *key, const char *what,
		    uint64_t (*fn)(void *arg, uint64_t iters), void *arg);

/* Measure several variants with their repetitions interleaved (A B C A B
 * C ...), so that drift in the machine's load hits all of them alike:
 * the fair way to compare against a baseline on a shared machine. */
struct rb_bench_case {
	const char *key;
	const char *what;
	uint64_t (*fn)(void *arg, uint64_t iters);
	void *arg;
};
void rb_bench_compare(struct rb_bench *b, const struct rb_bench_case *cases, int n);

/* Record a value measured some other way (unit is printed in the table). */
void rb_bench_value(struct rb_bench *b, const char *key, const char *what, double value,
		    const char *unit);

/* Record a ratio a/b of two recorded keys, with the target. */
void rb_bench_ratio(struct rb_bench *b, const char *what, const char *num, const char *den,
		    const char *target);

/* Print the table, write the JSON; returns 0 or 1 (JSON not written). */
int rb_bench_close(struct rb_bench *b);

/* Repetitions to use for one-shot measurements (those not using run). */
int rb_bench_reps(const struct rb_bench *b);
/* 1 when --quick was given (for smoke runs in the test suite). */
int rb_bench_quick(const struct rb_bench *b);

uint64_t rb_now_ns(void);

/* The floor every cross-thread figure is compared with: a raw futex
 * ping-pong between the caller and a partner thread, one word each way,
 * always the wake system call.  Returns the wall time of iters round
 * trips, in ns. */
uint64_t rb_futex_pingpong(uint64_t iters);

/* The same with a pthread mutex + condition variable hand-off. */
uint64_t rb_condvar_pingpong(uint64_t iters);

#endif
