/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net: the ring half of if_virt's host side (virt_ring.c).
 *
 * The rump kernel's virtual interface (if_virt) hands each frame it sends
 * to the hypercall rumpcomp_virt_send as an iovec, and takes the frames
 * it receives through rump_virtif_virt_deliverpkt.  These two functions
 * move frames between such iovecs and the sDDF frame rings of stack.h:
 * nothing else, no thread, no lock, no system call, so that every host
 * half on rings (Linux: virtif_host.c; a seL4 protection domain) can
 * share them.  The caller serialises each ring's side (one producer of
 * tx, one consumer of rx at a time, as ring.h demands).
 */
#ifndef RUMPBRIDGE_NET_VIRT_RING_H
#define RUMPBRIDGE_NET_VIRT_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <rumpbridge/ring.h>

/* Counters of the interface, as in struct net_stack_stats; relaxed
 * atomics (independent statistics: no ordering). */
struct net_virt_counters {
	atomic_uint_fast64_t tx_frames, rx_frames, tx_ring_full, tx_too_big, rx_bad,
		ring_errors;
};

/* Frames taken from the rx ring per batch. */
#define NET_VIRT_RX_BATCH 32u

/* Copy the frame of iov[0..n) into a free buffer of tx (the PRODUCER
 * side) and put it on the active queue, signalling the peer if it waits.
 * Never waits for a buffer.  Returns 0, or, with the frame dropped and
 * counted once in c: -ENOBUFS (no free buffer: tx_ring_full), -EMSGSIZE
 * (longer than NET_FRAME_MAX or than the buffer: tx_too_big), -EPROTO or
 * another ring error (ring_errors), -EINVAL (NULL tx, c, or iov with n
 * not 0: nothing counted). */
int net_virt_ring_send(struct comp_ring *tx, const struct iovec *iov, size_t n,
		       struct net_virt_counters *c);

/* Take up to NET_VIRT_RX_BATCH frames from rx (the CONSUMER side), call
 * deliver(arg, frame, len) for each good one (the frame is valid during
 * the call only), give the buffers back on the free queue with
 * COMP_RING_DEFER (comp_ring_notify later, once per burst) and count
 * them.  A frame shorter than an Ethernet header or longer than
 * NET_FRAME_MAX, or a descriptor outside the data region, is counted as
 * rx_bad and not delivered.  Returns the number of descriptors taken
 * (0: the ring is empty), or -EPROTO / another ring error (counted in
 * ring_errors), -EINVAL (NULL argument). */
int net_virt_ring_rx(struct comp_ring *rx, void (*deliver)(void *arg, void *frame, size_t len),
		     void *arg, struct net_virt_counters *c);

#endif
