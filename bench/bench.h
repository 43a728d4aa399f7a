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
 * with rb_bench_run/rb_bench_compare/rb_bench_blocks (the latency
 * distributions that scripts/run-benchmarks plots).
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

/* Measure several variants in short alternating blocks, for keys whose
 * ratio to a baseline must not depend on when each was measured: a round
 * runs one block of block_iters operations of every case, in order (A B
 * C), the next round in reverse (C B A) so that no case always runs
 * first, and rounds repeat until every case has run about as long as
 * rb_bench_compare would run it (RB_BENCH_REP_NS per repetition), at most
 * RB_BENCH_MAX_ROUNDS rounds.  A key and its baselines then sample the
 * same moments of the machine's load, a round (a few blocks, milliseconds)
 * apart instead of a 0.2 s repetition apart.  Each key is recorded as the
 * median ns per op of its blocks; its "samples" are one per repetition
 * (the rounds are split into --reps groups): the median of that group's
 * blocks.  fn is called once per block and once more for a warm-up round
 * that is not recorded, so whatever it sets up (threads, domains) must
 * stay out of its timed region, best alive across calls.  block_iters 0,
 * or n outside 1..8, records nothing.  Returns the number of rounds
 * recorded: the last that many calls of each fn are the recorded blocks
 * (for a caller that pairs blocks of the same round itself). */
#define RB_BENCH_MAX_ROUNDS 512
#define RB_BENCH_MAX_REPS 64 /* a larger --reps is capped to it */
int rb_bench_blocks(struct rb_bench *b, const struct rb_bench_case *cases, int n,
		    uint64_t block_iters);

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
 * trips, in ns (the partner is created before and joined after the timed
 * loop); 0 if the partner thread cannot be created. */
uint64_t rb_futex_pingpong(uint64_t iters);

/* The same partner kept alive across calls, for rb_bench_blocks: start it
 * (-EAGAIN or -ENOMEM as pthread_create fails, *out untouched), run
 * round trips with it (wall ns of iters round trips; one caller at a
 * time), stop it (joined and freed). */
struct rb_futex_partner;
int rb_futex_partner_start(struct rb_futex_partner **out);
uint64_t rb_futex_partner_run(struct rb_futex_partner *p, uint64_t iters);
void rb_futex_partner_stop(struct rb_futex_partner *p);

/* The same with a pthread mutex + condition variable hand-off. */
uint64_t rb_condvar_pingpong(uint64_t iters);

#endif
