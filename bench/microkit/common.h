/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the benchmark PDs (bench.system): console numbers, the clock. */
#ifndef BENCH_MICROKIT_COMMON_H
#define BENCH_MICROKIT_COMMON_H

#include <microkit.h>
#include <stdint.h>

#include "pd_common.h" /* tests/microkit: pd_put_u64 */

/* The emulator shares the host's CPUs with whatever else runs, so each
 * comparison is made of many short blocks of the figure and its
 * baseline, interleaved (which one goes first alternates), so that both
 * see the same host load: the result is the median of the per-pair
 * ratios, with the ratio of the best blocks beside it. */
/* (-D overrides: a short run for a trace, docs/microkit.md "Benchmark") */
#ifndef BENCH_PAIRS
#define BENCH_PAIRS 201	      /* pairs of blocks (odd: the median is one of them) */
#endif
#ifndef BENCH_ROUNDS
#define BENCH_ROUNDS 20	      /* notify round trips per block */
#endif
#ifndef BENCH_YIELDS
#define BENCH_YIELDS 2000     /* yield round trips per block */
#endif

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

/* Sort n values in place (insertion sort: n is BENCH_PAIRS). */
static inline void bench_sort(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Report BENCH_PAIRS interleaved blocks of `ops` operations each: NAME
 * and BASE (bench_report of the median block of each), and
 * "bench: NAME_ratio median=R best=B pairs=P" with R the median of the
 * per-pair ratios and B the best NAME block over the best BASE block (three
 * decimals).  Sorts the arrays. */
static inline void bench_report_pairs(const char *name, const char *base, uint64_t *fig,
				      uint64_t *bas, uint64_t *ratio_milli, uint64_t ops)
{
	for (unsigned i = 0; i < BENCH_PAIRS; i++)
		ratio_milli[i] = (fig[i] * 1000 + bas[i] / 2) / bas[i];
	bench_sort(fig, BENCH_PAIRS);
	bench_sort(bas, BENCH_PAIRS);
	bench_sort(ratio_milli, BENCH_PAIRS);
	bench_report(name, fig[BENCH_PAIRS / 2], ops);
	bench_report(base, bas[BENCH_PAIRS / 2], ops);
	uint64_t best = (fig[0] * 1000 + bas[0] / 2) / bas[0], med = ratio_milli[BENCH_PAIRS / 2];

	microkit_dbg_puts("bench: ");
	microkit_dbg_puts(name);
	microkit_dbg_puts("_ratio median=");
	pd_put_u64(med / 1000);
	microkit_dbg_puts(".");
	microkit_dbg_puts(med % 1000 < 100 ? (med % 1000 < 10 ? "00" : "0") : "");
	pd_put_u64(med % 1000);
	microkit_dbg_puts(" best=");
	pd_put_u64(best / 1000);
	microkit_dbg_puts(".");
	microkit_dbg_puts(best % 1000 < 100 ? (best % 1000 < 10 ? "00" : "0") : "");
	pd_put_u64(best % 1000);
	microkit_dbg_puts(" pairs=");
	pd_put_u64(BENCH_PAIRS);
	microkit_dbg_puts("\n");
}

#endif
