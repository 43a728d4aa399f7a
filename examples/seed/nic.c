/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The NIC component (native, event-driven).  TAP mode: nic_tap.c.  Wire
 * mode (below): a cable between
 * two network components.  Each has a tx ring (frames it sends: we
 * consume) and an rx ring (frames for it: we produce); a frame taken from
 * one side's tx ring is copied into a free buffer of the other side's rx
 * ring.  The NIC starts first (highest priority) and lays out all four
 * rings.
 *
 * Back-pressure, not loss: a frame moves only when the other side has a
 * free rx buffer; otherwise it stays on the tx ring (whose producer then
 * runs out of free tx buffers and says so).  Nothing polls: when neither
 * direction can move, the NIC asks for a signal on what it waits for
 * (comp_ring_want_data on a tx ring: frames; on an rx ring, whose in queue
 * is the free queue: free buffers) and returns to the event loop.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microkit.h>
#include <rumpbridge/ring.h>

#include "nic.h"
#include "seed.h"

/* Wire mode: both components' rings; tap mode: net0's and the sink's. */
uintptr_t net0_tx_vaddr, net0_rx_vaddr, net1_tx_vaddr, net1_rx_vaddr, sink_vaddr, stats_vaddr;

#define BATCH 32

static struct comp_ring txr[2], rxr[2]; /* index: the network component (channel id) */
static struct seed_stats *st;
/* Free rx buffers taken but not used yet, per rx ring. */
static struct comp_ring_desc stash[2][BATCH];
static int nstash[2];
static bool blocked[2]; /* direction k waits for free buffers of rxr[1-k] */
static bool tap;
static struct comp_ring sink;

static void die(const char *what)
{
	microkit_dbg_puts("nic: ");
	microkit_dbg_puts(what);
	microkit_dbg_puts("\n");
	_exit(2);
}

static void attach(struct comp_ring *r, uintptr_t mem, enum comp_ring_role role,
		   microkit_channel ch)
{
	struct comp_ring_channel c = {seed_ring_notify, (void *)(uintptr_t)ch, NULL, NULL, 0};

	if (comp_ring_attach(r, (void *)mem, SEED_RING_REGION, role, SEED_RING_CAP, &c) != 0)
		die("cannot attach a ring");
}

/* Move frames from side k's tx ring to side 1-k's rx ring.  True if any
 * moved. */
static bool move(int k)
{
	struct comp_ring *src = &txr[k], *dst = &rxr[1 - k];
	struct comp_ring_desc ds[BATCH];
	int b = 1 - k, n, moved = 0;

	blocked[k] = false;
	for (;;) {
		n = comp_ring_in_count(src);
		if (n <= 0)
			break;
		if (n > BATCH)
			n = BATCH;
		if (nstash[b] < n) {
			int f = comp_ring_dequeue_batch(dst, &stash[b][nstash[b]],
							(unsigned)(n - nstash[b]), COMP_RING_DEFER);
			if (f > 0)
				nstash[b] += f;
		}
		if (nstash[b] == 0) {
			blocked[k] = true;
			break;
		}
		if (n > nstash[b])
			n = nstash[b];
		n = comp_ring_dequeue_batch(src, ds, (unsigned)n, COMP_RING_DEFER);
		if (n <= 0)
			break;
		nstash[b] -= n; /* the last n stashed buffers, in order */
		for (int i = 0; i < n; i++) {
			struct comp_ring_desc *fb = &stash[b][nstash[b] + i];
			void *from = comp_ring_buf(src, &ds[i]), *to = comp_ring_buf(dst, fb);

			if (from != NULL && to != NULL && ds[i].len <= fb->len) {
				memcpy(to, from, ds[i].len);
				fb->len = ds[i].len;
			} else {
				fb->len =
					0; /* a broken frame: passed on empty, the stack drops it */
			}
			ds[i].len = SEED_BUF;
		}
		comp_ring_enqueue_batch(dst, &stash[b][nstash[b]], (unsigned)n, COMP_RING_DEFER);
		comp_ring_enqueue_batch(src, ds, (unsigned)n, COMP_RING_DEFER);
		atomic_fetch_add_explicit(&st->nic_frames[k], (uint64_t)n, memory_order_relaxed);
		moved += n;
	}
	comp_ring_notify(src);
	comp_ring_notify(dst);
	return moved > 0;
}

void init(void)
{
	uintptr_t tx[2] = {net0_tx_vaddr, net1_tx_vaddr}, rx[2] = {net0_rx_vaddr, net1_rx_vaddr};

	const char *mode = getenv("RB_SEED_MODE");

	st = (struct seed_stats *)stats_vaddr;
	tap = mode != NULL && strcmp(mode, "tap") == 0;
	if (tap != (sink_vaddr != 0))
		die("RB_SEED_MODE does not match the system file (tap: seed-tap.system)");
	if (tap) {
		if (seed_ring_format((void *)net0_tx_vaddr) != 0 ||
		    seed_ring_format((void *)net0_rx_vaddr) != 0 ||
		    seed_ring_format((void *)sink_vaddr) != 0)
			die("cannot lay out the rings");
		attach(&txr[0], net0_tx_vaddr, COMP_RING_CONSUMER, 0);
		attach(&rxr[0], net0_rx_vaddr, COMP_RING_PRODUCER, 0);
		attach(&sink, sink_vaddr, COMP_RING_PRODUCER, 1);
		nic_tap_init(&txr[0], &rxr[0], &sink, st);
		if (comp_ring_want_data(&txr[0]) < 0)
			die("a ring is broken");
		return;
	}
	for (int k = 0; k < 2; k++) {
		if (seed_ring_format((void *)tx[k]) != 0 || seed_ring_format((void *)rx[k]) != 0)
			die("cannot lay out the rings");
		attach(&txr[k], tx[k], COMP_RING_CONSUMER, (microkit_channel)k);
		attach(&rxr[k], rx[k], COMP_RING_PRODUCER, (microkit_channel)k);
	}
	for (int k = 0; k < 2; k++)
		if (comp_ring_want_data(&txr[k]) < 0)
			die("a ring is broken");
}

void notified(microkit_channel ch)
{
	if (tap) {
		if (ch == 0) /* net0's frames (ch 1: the sink gave buffers back) */
			nic_tap_notified();
		return;
	}
	for (;;) {
		bool again = move(0);

		again |= move(1);
		if (again)
			continue;
		/* Arm every wait; a 0 means the ring changed meanwhile. */
		for (int k = 0; k < 2; k++) {
			if (comp_ring_want_data(&txr[k]) == 0)
				again = true;
			if (blocked[k] && comp_ring_want_data(&rxr[1 - k]) == 0)
				again = true;
		}
		if (!again)
			return;
	}
}
