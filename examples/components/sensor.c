/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sensor: a native PD producing SAMPLES samples into filter's ring,
 * event-driven: it fills what the free queue gives, asks for a signal
 * when it runs out (comp_ring_want_data on its in queue, the free queue)
 * and goes on in notified().
 * When filter says it is done, a PPC fetches filter's figures.
 */
#include <stdint.h>
#include <stdio.h>

#include <microkit.h>
#include <rumpbridge/ring.h>

#include "pipeline.h"

uintptr_t ring_base;
uintptr_t ring_size;

static struct comp_ring ring;
static uint64_t sent, sum;

static int ring_signal(void *ctx)
{
	(void)ctx;
	microkit_notify(RING_CH);
	return 0;
}

/* Produce until done or out of free buffers (then wait for a signal). */
static void produce(void)
{
	struct comp_ring_desc d;

	while (sent < SAMPLES) {
		int r = comp_ring_dequeue(&ring, &d, 0);

		if (r == -EAGAIN) {
			/* no free buffer: a signal comes when filter gives some back */
			if (comp_ring_want_data(&ring) == 1)
				return;
			continue;
		}
		struct sample *s = comp_ring_buf(&ring, &d);

		if (r < 0 || !s || d.len < sizeof *s) {
			microkit_dbg_puts("sensor: bad free buffer\n");
			return;
		}
		s->seq = sent;
		s->value = sent;
		d.len = sizeof *s;
		sum += s->value;
		sent++;
		if (comp_ring_enqueue(&ring, &d, COMP_RING_DEFER) != 0) {
			microkit_dbg_puts("sensor: cannot enqueue\n");
			return;
		}
	}
	comp_ring_notify(&ring);
}

void init(void)
{
	struct comp_ring_channel ch = {.signal = ring_signal};
	int r = comp_ring_attach(&ring, (void *)ring_base, ring_size, COMP_RING_PRODUCER, CAPACITY,
				 &ch);

	if (r) {
		microkit_dbg_puts("sensor: cannot attach to the ring\n");
		return;
	}
	microkit_dbg_puts("sensor: attached, producing\n");
	produce();
}

void notified(microkit_channel ch)
{
	char line[128];
	microkit_msginfo info;

	if (ch == RING_CH) {
		produce();
		return;
	}
	info = microkit_ppcall(CTL_CH, microkit_msginfo_new(0, 0));
	(void)info;
	snprintf(line, sizeof line, "sensor: filter reports %llu samples, sum %llu (sent %llu, sum %llu)\n",
		 (unsigned long long)microkit_mr_get(0), (unsigned long long)microkit_mr_get(1),
		 (unsigned long long)sent, (unsigned long long)sum);
	microkit_dbg_puts(line);
}
