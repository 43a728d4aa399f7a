/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * filter: a domain component.  init() formats the ring in the shared
 * region, registers it for the status view and starts the green thread
 * that consumes it; the thread sleeps on the ring's channel
 * (comp_channel_wait) while nothing comes.  protected() answers sensor's
 * PPC with the count and sum of what arrived.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <microkit.h>
#include <rumpbridge/comp.h>
#include <rumpbridge/ring.h>

#include "pipeline.h"

uintptr_t ring_base;
uintptr_t ring_size;

static struct comp_ring ring;
/* Set by the consumer when it is done, read by protected() on another
 * green thread (the notify and sensor's PPC order them, across processes,
 * where no tool sees it: atomics say so). */
static _Atomic uint64_t received, sum;

static int ring_signal(void *ctx)
{
	(void)ctx;
	microkit_notify(RING_CH);
	return 0;
}

static int ring_wait(void *ctx, uint64_t deadline_ns)
{
	(void)ctx;
	return comp_channel_wait_until(RING_CH, deadline_ns);
}

static void *consumer(void *arg)
{
	struct comp_ring_desc d[16];
	uint64_t next = 0, total = 0;
	char line[96];
	int n;

	(void)arg;
	while (next < SAMPLES) {
		n = comp_ring_dequeue_batch(&ring, d, 16, COMP_RING_WAIT);
		if (n < 0) {
			microkit_dbg_puts("filter: dequeue failed\n");
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			const struct sample *s = comp_ring_buf(&ring, &d[i]);

			if (!s || d[i].len != sizeof *s || s->seq != next) {
				microkit_dbg_puts("filter: a sample is missing or out of order\n");
				return NULL;
			}
			total += s->value;
			next++;
		}
		/* the buffers go back to sensor */
		if (comp_ring_enqueue_batch(&ring, d, (unsigned)n, COMP_RING_WAIT) != n) {
			microkit_dbg_puts("filter: cannot give buffers back\n");
			return NULL;
		}
	}
	atomic_store(&sum, total);
	atomic_store(&received, next);
	snprintf(line, sizeof line, "filter: %llu samples in order, sum %llu\n",
		 (unsigned long long)next, (unsigned long long)total);
	microkit_dbg_puts(line);
	microkit_notify(CTL_CH);
	return NULL;
}

void init(void)
{
	struct comp_ring_channel ch = {.signal = ring_signal, .wait = ring_wait};
	struct dom_thread_attr a = {.name = "consumer", .vcpu = -1, .detached = true};
	void *mem = (void *)ring_base;
	char line[128];
	int r;

	comp_channel_claim(RING_CH); /* its signals go to the consumer */
	if ((r = comp_ring_format(mem, ring_size, CAPACITY, CAPACITY * BUF_SIZE, BUF_SIZE)) ||
	    (r = comp_ring_attach(&ring, mem, ring_size, COMP_RING_CONSUMER, CAPACITY, &ch)) ||
	    (r = comp_ring_register("samples", mem)) ||
	    (r = dom_thread_create(comp_domain(), NULL, &a, consumer, NULL))) {
		snprintf(line, sizeof line, "filter: cannot set up: %d\n", r);
		microkit_dbg_puts(line);
		return;
	}
	snprintf(line, sizeof line, "filter: ready, %u vCPU(s), ring 'samples' of %u buffers\n",
		 dom_vcpus(comp_domain()), comp_ring_capacity(&ring));
	microkit_dbg_puts(line);
}

void notified(microkit_channel ch)
{
	(void)ch;
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
	(void)ch;
	(void)msginfo;
	microkit_mr_set(0, atomic_load(&received));
	microkit_mr_set(1, atomic_load(&sum));
	return microkit_msginfo_new(0, 2);
}
