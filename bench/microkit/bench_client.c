/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The benchmark driver PD.  It measures BENCH_ROUNDS notify round trips
 * to the domain PD (a green thread wakes on the channel and notifies
 * back) and as many to the plain PD (notified() notifies back), in the
 * same image, alternately in blocks, and reports the best block of each.  The
 * client has the lowest priority: it runs only when both servers are
 * back in seL4_Recv.
 */
#include "common.h"

#define CH_GREEN 1
#define CH_PLAIN 2

static uint64_t best[3], t0;
static unsigned blocks[3], in_block;
static microkit_channel cur;

static void next(void)
{
	if (in_block == BENCH_ROUNDS) {
		uint64_t dt = bench_ticks() - t0;
		if (blocks[cur]++ == 0 || dt < best[cur])
			best[cur] = dt;
		if (blocks[CH_GREEN] > BENCH_BLOCKS && blocks[CH_PLAIN] > BENCH_BLOCKS) {
			bench_report("notify_rt_green", best[CH_GREEN], BENCH_ROUNDS);
			bench_report("notify_rt_plain", best[CH_PLAIN], BENCH_ROUNDS);
			microkit_dbg_puts("bench: done\n");
			return;
		}
		cur = cur == CH_GREEN ? CH_PLAIN : CH_GREEN;
		in_block = 0;
		t0 = bench_ticks();
	}
	in_block++;
	microkit_notify(cur);
}

void init(void)
{
	/* the first block of each is a warm-up: best[] starts at the second */
	blocks[CH_GREEN] = blocks[CH_PLAIN] = 0;
	cur = CH_GREEN;
	t0 = bench_ticks();
	next();
}

void notified(microkit_channel ch)
{
	if (ch == cur)
		next();
}
