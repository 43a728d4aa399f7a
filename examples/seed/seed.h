/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seed demo (examples/seed/seed.system, docs/network.md): what its
 * components share.  Three clients ask the network component net0 to send
 * UDP datagrams, each a different way; net0's frames go through the NIC
 * component to net1 (wire mode), whose stack hands them to the sink.
 *
 *   client_ring  way 1: requests on a ring + notify; a green thread of net0
 *                blocked on that channel wakes and sends
 *   client_ppc   way 2: a PPC per datagram, payload in a shared region;
 *                net0's PPC handler thread calls sendto
 *   client_cb    way 3: requests on a ring + notify; net0's notification
 *                callback thread (notified()) calls sendto
 *
 * Settings come from the environment the launcher passes to every PD (a
 * Linux-only way; scripts/run-demo sets them): RB_SEED_STACK (lwip),
 * RB_SEED_MODE (wire or tap: which NIC, with seed.system or seed-tap.system),
 * RB_SEED_VCPUS (2), RB_SEED_RATE (datagrams per second per client, 1000),
 * RB_SEED_SECONDS (5), RB_SEED_BYTES (payload, 64), RB_SEED_IDLE_MS (idle
 * window measured after the traffic, 2000), RB_SEED_CRASH (name:count: that
 * client crashes after count datagrams), RB_SEED_QUIET (no live progress),
 * RB_SEED_SINK_SLOW (the sink takes 8 datagrams per 5 ms: tests net1's backlog),
 * RB_SEED_BAD (each client first makes requests net0 must refuse: see
 * "Requests net0 refuses" below), RB_SEED_NET_STALL (net0 takes no request
 * of ways 1 and 3 until their clients have found their request rings full
 * for a second and dropped one, counted as client_full).
 *
 * Requests net0 refuses (counted per way as `refused`, nothing sent):
 *   ways 1 and 3 (a request ring): a request longer than SEED_PAYLOAD_MAX;
 *             a descriptor outside the ring's data region;
 *   way 2 (PPC; MR0 offset, MR1 length of the payload in the shared
 *             region): the reply's label is 0 once the datagram was sent
 *             or dropped and counted (drop_*), EINVAL for an offset and
 *             length not inside the region (or a PPC on another
 *             channel), EMSGSIZE for a length over SEED_PAYLOAD_MAX, or
 *             dom_enter's error (positive) when the handler could not
 *             enter the domain.
 */
#ifndef SEED_H
#define SEED_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <microkit.h>
#include <rumpbridge/ring.h>

#define SEED_WAYS 3
#define SEED_MAGIC 0x53454544u /* "SEED" */
#define SEED_PORT 7000	       /* the sink's port on net1 */
#define SEED_PAYLOAD_MAX 1472u /* NET_UDP_PAYLOAD_MAX: the longest datagram */
#define SEED_SRC_PORT 5000     /* net0's sockets: 5000 + way */

/* Frame rings between a network component and the NIC, and the request
 * and receive rings of clients: 1024 buffers of 2048 bytes (NET_BUF_SIZE),
 * a third of a second of the demo's default traffic, so that a component
 * the host leaves unscheduled for a while does not make the others drop. */
#define SEED_RING_CAP 1024u
#define SEED_BUF 2048u
#define SEED_RING_DATA ((uint64_t)SEED_RING_CAP * SEED_BUF)
#define SEED_RING_REGION 0x300000u /* >= comp_ring_size(CAP, DATA) */
#define SEED_PPC_REGION 0x1000u

/* Channel ids.  net0: 0 nic, 1 client_ring, 2 client_ppc, 3 client_cb;
 * net1: 0 nic, 1 sink; nic: 0 net0, 1 net1; each client and the sink: 0
 * its network component. */
#define SEED_CH_NIC 0
#define SEED_CH_NET 0

/* A datagram's payload: this header, then filler bytes derived from it. */
struct seed_msg {
	uint32_t magic;
	uint32_t way;	   /* 0..2 */
	uint32_t seq;	   /* per way, from 0 */
	uint32_t len;	   /* whole payload */
	uint64_t t_req_ns; /* mk_clock_now_ns when the client asked */
	uint32_t sum;	   /* FNV-1a of the filler */
	uint32_t pad;
};

/* The shared "stats" region: every PD writes its own fields, the sink
 * reads them all for the progress lines and the summary.  Counters are
 * relaxed atomics (statistics; the sink reads them after the traffic). */
struct seed_way_stats {
	_Atomic uint64_t asked;		/* client: requests made */
	_Atomic uint64_t client_full;	/* client: dropped, its request ring full */
	_Atomic uint64_t client_failed; /* client: PPC failed (net0 died) */
	_Atomic uint64_t sent;		/* net0: sendto accepted */
	_Atomic uint64_t drop_ring;	/* net0: dropped, tx ring full for 1 s */
	_Atomic uint64_t drop_arp;	/* net0: dropped, ARP unresolved for 1 s */
	_Atomic uint64_t drop_other;	/* net0: dropped, another error */
	_Atomic uint64_t refused;	/* net0: a bad request, refused (above) */
	_Atomic uint64_t received;	/* sink: intact and in order */
	_Atomic uint64_t bad;		/* sink: checksum or header wrong */
	_Atomic uint64_t reordered;	/* sink: seq not the next one */
	_Atomic uint32_t done;		/* client: finished (or crashed: 0) */
	_Atomic uint32_t started;
};
struct seed_stats {
	struct seed_way_stats way[SEED_WAYS];
	_Atomic uint64_t
		sink_ring_full; /* net1 or nic: dropped, the sink's ring (and backlog) full */
	_Atomic uint64_t sink_backlog_peak; /* net1: longest backlog for the sink */
	_Atomic uint64_t sink_no_socket;    /* net1: udp_no_socket */
	_Atomic uint64_t nic_frames[2];	    /* nic: frames moved net0->, ->net0 */
	_Atomic uint64_t nic_rx_full;	/* nic (tap): frames for net0 dropped, its rx ring full */
	_Atomic uint64_t nic_tx_errors; /* nic (tap): frames the TAP device refused */
	_Atomic uint64_t
		linux_udp_drops; /* nic (tap): Udp InErrors of the namespace's Linux stack */
	char stack[16];		 /* net0's stack name */
};

static inline uint32_t seed_fnv(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static inline long seed_env(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != 0 ? strtol(v, NULL, 10) : dflt;
}

/* A ring channel end whose signal is microkit_notify(ch): ctx is the
 * channel id. */
static inline int seed_ring_notify(void *ctx)
{
	microkit_notify((microkit_channel)(uintptr_t)ctx);
	return 0;
}

/* Lay out a region as a frame/request ring: done by the PD that starts
 * first (the higher priority), before the other attaches. */
static inline int seed_ring_format(void *mem)
{
	return comp_ring_format(mem, SEED_RING_REGION, SEED_RING_CAP, SEED_RING_DATA, SEED_BUF);
}

#endif
