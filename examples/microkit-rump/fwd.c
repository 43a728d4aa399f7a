/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The baseline of examples/microkit-rump's benchmark: a plain PD (no
 * domain, no rump kernel) that does the pipeline's other work -- the
 * client's notification, a request in shared memory, a frame onto a ring
 * to the NIC PD -- with a prebuilt frame: the headers of the rump
 * kernel's datagram (same addresses and ports) around the request's
 * payload, checksums computed.  What the rump PD takes beyond this is the
 * cost of the rump kernel's stack and the domain.
 */
#include <microkit.h>
#include <stdbool.h>
#include <stdint.h>

#include <rumpbridge/ring.h>

#include "frame.h"
#include "shared.h"

uintptr_t req2_base, tx2_base; /* setvar_vaddr */

static struct comp_ring tx;
static bool ok, told;
static uint32_t done;
static uint16_t ip_id = 1;

static int signal_nic(void *ctx)
{
	(void)ctx;
	microkit_notify(FWD_CH_NIC);
	return 0;
}

void init(void)
{
	const struct comp_ring_channel c = {.signal = signal_nic};

	ok = comp_ring_format((void *)tx2_base, FWD_RING_REGION, RING_CAPACITY,
			      FWD_RING_REGION - comp_ring_size(RING_CAPACITY, 0), 2048) == 0 &&
	     comp_ring_attach(&tx, (void *)tx2_base, FWD_RING_REGION, COMP_RING_PRODUCER,
			      RING_CAPACITY, &c) == 0;
	microkit_dbg_puts(ok ? "fwd: ready\n" : "fwd: FAIL ring format/attach\n");
}

void notified(microkit_channel ch)
{
	volatile struct req *rq = (volatile struct req *)req2_base;
	struct comp_ring_desc d;
	uint32_t seq, len;
	uint8_t *b;

	if (ch != FWD_CH_CLIENT || !ok)
		return;
	seq = atomic_load_explicit(&rq->seq, memory_order_acquire); /* then len, payload */
	len = rq->len;
	if (seq == done || len > PAYLOAD_MAX)
		return;
	done = seq;
	if (comp_ring_dequeue(&tx, &d, 0) != 0 || (b = comp_ring_buf(&tx, &d)) == NULL ||
	    d.len < FRAME_HDR + len) {
		microkit_dbg_puts("fwd: FAIL no tx buffer\n");
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		b[FRAME_HDR + i] = rq->payload[i];
	d.len = frame_udp(b, net_peer_mac, net_rump_mac, NET_RUMP_IP, NET_PEER_IP, NET_RUMP_PORT,
			  NET_PEER_PORT, len, ip_id++);
	comp_ring_enqueue(&tx, &d, 0); /* signals the NIC if it asked */
	if (!told) { /* the NIC attaches on the first notification */
		told = true;
		microkit_notify(FWD_CH_NIC);
	}
}
