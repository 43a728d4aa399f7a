/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The benchmark driver PD.  It measures notify round trips to the domain
 * PD (a green thread wakes on the channel and notifies back) and to the
 * plain PD (notified() notifies back), in the same image: BENCH_PAIRS
 * pairs of blocks of BENCH_ROUNDS round trips, one block of each per
 * pair, which one first alternating (common.h), after one warm-up pair.
 * The client has the lowest priority: it runs only when both servers are
 * back in seL4_Recv.
 */
#include "common.h"

#define CH_GREEN 1
#define CH_PLAIN 2

static uint64_t dt[3][BENCH_PAIRS], ratio[BENCH_PAIRS], t0;
static int pair = -1; /* -1: the warm-up pair */
static unsigned half, in_block;
static microkit_channel cur;

/* The channel of the pair's first or second half. */
static microkit_channel chan(int p, unsigned h)
{
	return ((unsigned)p & 1) == h ? CH_GREEN : CH_PLAIN;
}

static void next(void)
{
	if (in_block == BENCH_ROUNDS) {
		uint64_t d = bench_ticks() - t0;
		if (pair >= 0)
			dt[cur][pair] = d;
		if (++half == 2) {
			half = 0;
			if (++pair == BENCH_PAIRS) {
				bench_report_pairs("notify_rt_green", "notify_rt_plain",
						   dt[CH_GREEN], dt[CH_PLAIN], ratio,
						   BENCH_ROUNDS);
				microkit_dbg_puts("bench: done\n");
				return;
			}
		}
		cur = chan(pair, half);
		in_block = 0;
		t0 = bench_ticks();
	}
	in_block++;
	microkit_notify(cur);
}

void init(void)
{
	cur = chan(pair, 0);
	t0 = bench_ticks();
	next();
}

void notified(microkit_channel ch)
{
	if (ch == cur)
		next();
}
