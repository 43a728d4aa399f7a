/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * examples/microkit-rump: what the three PDs share (docs/microkit.md, "The
 * seed's system on seL4").  Channel ids are each PD's own; the regions'
 * layouts are below.  Every reader treats the shared memory as untrusted:
 * it reads each field once into private memory and checks it.
 *
 * Each region has one writer.  Its publication word (seq, ready, received,
 * verified) is stored with release after the data it announces and before
 * the notification, and loaded with acquire after the wake-up, before the
 * data; the data fields are volatile only so that each is read once (a
 * peer may change them under the reader), never for ordering.  Readers act
 * on the words' values, not on the number of notifications (they
 * coalesce).
 */
#ifndef MICROKIT_RUMP_SHARED_H
#define MICROKIT_RUMP_SHARED_H

#include <stdatomic.h>
#include <stdint.h>

/* channels, as each PD names them (rumpnet.system) */
#define RUMP_CH_CLIENT 1
#define RUMP_CH_TIMER 2 /* the generic timer's IRQ */
#define RUMP_CH_NIC 3
#define NIC_CH_RUMP 1
#define NIC_CH_CLIENT 2
#define NIC_CH_FWD 3
#define CLIENT_CH_RUMP 1
#define CLIENT_CH_NIC 2
#define CLIENT_CH_FWD 3
#define FWD_CH_CLIENT 1
#define FWD_CH_NIC 2

/* the link */
#define NET_RUMP_IP 0x0a000002u /* 10.0.0.2, the rump kernel's virt0 */
#define NET_PEER_IP 0x0a000001u /* 10.0.0.1, the NIC PD's side */
#define NET_RUMP_PORT 7u
#define NET_PEER_PORT 5000u
static const uint8_t net_rump_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t net_peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

#define RING_CAPACITY 64u
#define RING_REGION 0x40000u /* each ring's region */
#define FWD_RING_REGION 0x20000u /* the forwarder's */
#define PAYLOAD_MAX 256u

/* The payload of datagram seq: its first 4 bytes are seq (little-endian),
 * then bytes (seq * 31 + i * 7) & 0xff; 16..215 bytes long. */
static inline uint32_t payload_len(uint32_t seq)
{
	return 16u + (seq * 13u) % 200u;
}
static inline uint8_t payload_byte(uint32_t seq, uint32_t i)
{
	return i < 4 ? (uint8_t)(seq >> (8 * i)) : (uint8_t)((seq * 31u + i * 7u) & 0xffu);
}

/* client -> rump ("req", client rw, rump r); client -> fwd likewise
 * ("req2", client rw, fwd r) */
#define REQ_SEND 1u
#define REQ_HALT 2u
struct req {
	_Atomic uint32_t seq; /* the request's number, from 1: publication */
	volatile uint32_t op;
	volatile uint32_t len;
	volatile uint8_t payload[PAYLOAD_MAX];
};

/* rump -> client ("resp", rump rw, client r) */
struct resp {
	_Atomic uint32_t ready;	    /* 1: virt0 is up, the socket bound */
	_Atomic uint32_t received;  /* datagrams received by recvfrom: publication */
	volatile uint32_t len;	    /* of the last one */
	volatile uint8_t payload[PAYLOAD_MAX];
};

/* NIC -> client ("nicstat", NIC rw, client r) */
struct nicstat {
	_Atomic uint32_t verified;    /* UDP datagrams whose every check passed: publication */
	volatile uint32_t bad;	      /* frames that failed a check */
	volatile uint32_t last_seq;   /* seq of the last verified datagram */
	volatile uint32_t arp_replies;
	volatile uint32_t injected;   /* frames put on the rx ring */
	volatile uint32_t inject_fail;
	volatile uint64_t t_verified; /* cntpct when the last was verified */
	volatile char why[64];	      /* the first failed check */
};

/* client -> NIC ("inj", client rw, NIC r): a datagram to inject */
struct inj {
	_Atomic uint32_t seq; /* publication */
	volatile uint32_t len;
	volatile uint8_t payload[PAYLOAD_MAX];
};

static inline uint64_t cycles(void)
{
	uint64_t c;

	__asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(c));
	return c;
}

#endif
