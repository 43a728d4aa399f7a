/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net: the ring half of if_virt's host side (virt_ring.c).
 *
 * The rump kernel's virtual interface (if_virt) hands each frame it sends
 * to the hypercall rumpcomp_virt_send as an iovec, and takes the frames
 * it receives through rump_virtif_virt_deliverpkt.  These two functions
 * move frames between such iovecs and the sDDF frame rings of stack.h:
 * nothing else.  Backend-neutral and freestanding (no thread, lock,
 * allocation or system call; only comp_ring calls, memcpy and relaxed
 * atomics), so that every host half on rings shares them: the Linux
 * network component (virtif_host.c) and a seL4 Microkit PD
 * (src/rumpuser/virtif/virtif_microkit.c).  The caller serialises each
 * ring's side (one producer of tx, one consumer of rx at a time, as ring.h
 * demands).
 *
 * Buffers: both rings carry buffers of NET_BUF_SIZE bytes (format them
 * with that buf_size); a free descriptor names a whole buffer (len
 * NET_BUF_SIZE), an active one a frame (len its bytes, no FCS).
 */
#ifndef RUMPBRIDGE_NET_VIRT_RING_H
#define RUMPBRIDGE_NET_VIRT_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h> /* struct iovec: the kernel's has the same layout */

#include <rumpbridge/ring.h>

#include "stack.h" /* NET_ETH_HLEN, NET_FRAME_MAX, NET_BUF_SIZE */

/*
 * Counters of one interface, as in struct net_stack_stats.
 *
 * Why atomic: the tx side and the rx side of one interface run at the
 * same time in different threads (Linux: kernel threads sending under
 * the host half's tx lock, and its rx green thread, which holds no tx
 * lock), and both count ring_errors: two writers of one counter need a
 * read-modify-write.  Every counter is also read, while it is written, by
 * whoever asks for statistics (net_stack_stats, the PD's get_stats): a
 * plain uint64_t would be a data race there.  Why relaxed: they are
 * independent statistics; nothing is published through them and no
 * reader relies on an order between two counters (a reader may see
 * tx_frames and rx_frames of slightly different moments).  A PD on one
 * cooperative vCPU would not need atomics, but pays only an uncontended
 * relaxed add per frame (inline: its build has -mno-outline-atomics),
 * small next to the copy of the frame, for one mechanism everywhere.
 */
struct net_virt_counters {
	atomic_uint_fast64_t tx_frames;	   /* frames put on tx */
	atomic_uint_fast64_t tx_ring_full; /* dropped: no free tx buffer */
	atomic_uint_fast64_t tx_too_big;   /* dropped: longer than the frame or the buffer */
	atomic_uint_fast64_t rx_frames;	   /* descriptors taken from rx */
	atomic_uint_fast64_t rx_bad;	   /* of which not delivered: runt, giant, outside */
	atomic_uint_fast64_t ring_errors;  /* -EPROTO and other ring failures */
};

/* Add one to a counter of struct net_virt_counters (for the host halves'
 * own ring errors too). */
static inline void net_virt_count(atomic_uint_fast64_t *c)
{
	/* relaxed: statistics only, see struct net_virt_counters */
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* Read a counter of struct net_virt_counters, from any thread. */
static inline uint64_t net_virt_counter(const atomic_uint_fast64_t *c)
{
	/* relaxed: statistics only, see struct net_virt_counters */
	return (uint64_t)atomic_load_explicit(c, memory_order_relaxed);
}

/* Frames taken from the rx ring per call of net_virt_ring_rx. */
#define NET_VIRT_RX_BATCH 32u

/* Copy the frame of iov[0..n) into a free buffer of tx (the PRODUCER
 * side) and put it on the active queue, signalling the peer if it asked.
 * Never waits for a buffer.  Returns 0, or, with the frame dropped and
 * counted once in c:
 *   -ENOBUFS   no free buffer (tx_ring_full);
 *   -EMSGSIZE  longer than NET_FRAME_MAX, or than the free buffer the
 *              peer gave back (tx_too_big); such a short buffer goes back
 *              on the active queue as an empty frame (len 0), the only way
 *              a producer can return one;
 *   -EBADMSG   a free descriptor outside the data region (consumed), or
 *   -EPROTO / the channel's error from the ring (ring_errors);
 * or, with nothing counted:
 *   -EINVAL    tx or c NULL, or iov NULL with n not 0. */
int net_virt_ring_send(struct comp_ring *tx, const struct iovec *iov, size_t n,
		       struct net_virt_counters *c);

/* Take up to NET_VIRT_RX_BATCH frames from rx (the CONSUMER side), call
 * deliver(arg, frame, len) for each good one (the frame is valid during
 * the call only), give the buffers back whole (len NET_BUF_SIZE) on the
 * free queue with COMP_RING_DEFER (call comp_ring_notify once per burst)
 * and count them in rx_frames.  A frame shorter than an Ethernet header
 * or longer than NET_FRAME_MAX, or a descriptor outside the data region
 * (which the ring consumes and refuses), is counted in rx_bad and not
 * delivered.  Returns the number of descriptors taken (0: the ring is
 * empty), or -EPROTO / another ring error (counted in ring_errors),
 * -EINVAL (rx, deliver or c NULL: nothing counted). */
int net_virt_ring_rx(struct comp_ring *rx, void (*deliver)(void *arg, void *frame, size_t len),
		     void *arg, struct net_virt_counters *c);

#endif
