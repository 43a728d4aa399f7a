/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The tests' peer of a stack (src/net/stack.h): the NIC on the other
 * ends of the stack's two rings, written by hand on frame.c, so that the
 * stack's frames are read independently of the stack.  Its thread takes
 * every frame the stack sends, answers ARP requests for the peer's
 * address (unless told not to), and checks every UDP datagram: a correct
 * frame (IP and UDP checksums), the stack's address and the peer's MAC
 * and address, sink port, intact payload (its own checksum) and, per
 * sender, the next sequence number.  It counts the good ones per sender
 * and the bad ones.  The test thread puts frames on the stack's rx ring
 * with peer_put.
 *
 * Payloads: a header (sender, sequence number, length, checksum) and
 * filler derived from it, 16 to 1215 bytes, made by payload_make and
 * checked by payload_check.
 *
 * A test's fixture is one struct peer: the rings (PEER_CAP buffers of
 * NET_BUF_SIZE bytes each way), the stack's ends (domain events EV_TX
 * and EV_RX of the domain), the peer's ends (notifications), the stack's
 * ops and, once up, the stack.  peer_setup enters the domain on the test
 * thread; peer_teardown stops the peer and the stack and leaves it.
 */
#ifndef NET_TEST_PEER_H
#define NET_TEST_PEER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/ring.h>

#include "net/stack.h"

#define PEER_CAP 64u			/* buffers of each ring */
#define PEER_EV_TX (UINT64_C(1) << 1) /* the peer returned tx buffers */
#define PEER_EV_RX (UINT64_C(1) << 2) /* the peer put frames on rx */
#define PEER_PORT_SINK 9000		/* the peer's port for datagrams */
#define PEER_SENDERS 5			/* senders the peer tells apart */

extern const uint8_t peer_stack_mac[6], peer_mac[6];

struct peer {
	struct dom *d;
	void *txmem, *rxmem;
	size_t size;
	/* the stack's sides */
	struct comp_ring s_tx, s_rx;
	struct comp_ring_dom_event s_tx_ev, s_rx_ev;
	/* the peer's sides (plain host threads) */
	struct comp_ring p_tx, p_rx;
	struct mk_notification ntx, nrx;
	struct comp_ring_notification p_tx_n, p_rx_n;
	const struct net_stack_ops *ops;
	struct net_stack *s; /* NULL while no stack is up */
	uint32_t stack_ip, peer_ip, mask; /* 10.0.9.1, 10.0.9.2, /24 */
	/* the peer thread */
	pthread_t thr;
	bool running;
	atomic_bool stop;
	atomic_bool answer_arp; /* true after peer_setup */
	atomic_uint arp_requests;
	atomic_uint got[PEER_SENDERS]; /* good datagrams per sender */
	atomic_uint bad;	       /* frames and datagrams that failed a check */
	uint32_t next_seq[PEER_SENDERS]; /* peer thread only */
};

/* Write the payload of datagram seq of sender into buf (room for
 * NET_UDP_PAYLOAD_MAX); its length. */
size_t payload_make(uint8_t *buf, uint32_t sender, uint32_t seq);

/* 0 when data is an intact payload of a sender below PEER_SENDERS, with
 * sender and seq out; -1 otherwise. */
int payload_check(const uint8_t *data, size_t len, uint32_t *sender, uint32_t *seq);

/* A new fixture for the stack named stack on domain d (the rings formatted
 * and attached), with the test thread entered in d. */
struct peer *peer_setup(const char *stack, struct dom *d);

/* Stop the peer, fini the stack if up, leave d, detach and free all but
 * d. */
void peer_teardown(struct peer *f);

/* The stack's configuration on the fixture's rings and addresses. */
struct net_stack_config peer_config(struct peer *f);

/* Bring the stack up (f->s) with peer_config. */
void peer_stack_up(struct peer *f);

/* Start / stop the peer thread (stop: a no-op when it is not running). */
void peer_start(struct peer *f);
void peer_stop(struct peer *f);

/* Put one frame on the stack's rx ring, waiting for a free buffer (fails
 * the test after RB_HANG_NS without one).  The peer thread or the test
 * thread, never both at once. */
void peer_put(struct peer *f, const uint8_t *frame, size_t len);

/* Wait (bounded: fails the test after RB_HANG_NS) until the peer has
 * count good datagrams of sender. */
void peer_wait_got(struct peer *f, unsigned sender, unsigned count);

/* Send datagrams [from, to) of sender through u to the peer's sink,
 * retrying (bounded) while the stack says -ENOBUFS or -EAGAIN; fails the
 * test on any other error. */
void peer_send(struct peer *f, struct net_udp *u, uint32_t sender, uint32_t from, uint32_t to);

/* Send datagram 0 of sender 0 through u and wait until the peer has it:
 * then the stack has the peer's MAC (NetBSD holds one datagram per
 * unresolved next hop and drops the older one silently) and the peer has
 * the stack's.  The peer thread must run. */
void peer_warm_up(struct peer *f, struct net_udp *u);

/* Bring the stack up, start the peer thread, open a socket and warm it
 * up (peer_warm_up), sender 0's sequence and count reset first, so that a
 * stack brought up again on the same fixture starts over; the socket. */
struct net_udp *peer_up_warm(struct peer *f);

#endif
