/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the benchmark PDs (bench.system): console numbers, the clock. */
#ifndef BENCH_MICROKIT_COMMON_H
#define BENCH_MICROKIT_COMMON_H

#include <microkit.h>
#include <stdint.h>

#include "pd_common.h" /* tests/microkit: pd_put_u64 */

/* Each figure is the best of BENCH_BLOCKS blocks: the emulator shares the
 * host's CPUs with whatever else runs, and the best block is the one that
 * was least disturbed. */
#define BENCH_BLOCKS 16
#define BENCH_ROUNDS 250    /* notify round trips per block */
#define BENCH_YIELDS 20000  /* yield round trips per block */

static inline uint64_t bench_ticks(void)
{
	uint64_t v;

	__asm__ __volatile__("isb\n\tmrs %0, cntpct_el0" : "=r"(v)::"memory");
	return v;
}

static inline uint64_t bench_freq(void)
{
	uint64_t v;

	__asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/* "bench: NAME ns_per_op=X ops=N" with X the mean in nanoseconds times
 * 10 (one decimal), from ticks of the generic timer. */
static inline void bench_report(const char *name, uint64_t ticks, uint64_t ops)
{
	uint64_t f = bench_freq();
	uint64_t ns10 = ticks * 10000000000ull / f / ops; /* no overflow below 29 s at 62.5 MHz */

	microkit_dbg_puts("bench: ");
	microkit_dbg_puts(name);
	microkit_dbg_puts(" ns_per_op=");
	pd_put_u64(ns10 / 10);
	microkit_dbg_puts(".");
	pd_put_u64(ns10 % 10);
	microkit_dbg_puts(" ops=");
	pd_put_u64(ops);
	microkit_dbg_puts("\n");
}

#endif
