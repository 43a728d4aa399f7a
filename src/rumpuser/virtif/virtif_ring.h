/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtif_ring: Ethernet frames between the rump kernel's if_virt iovecs
 * and a pair of sDDF-layout rings (include/rumpbridge/ring.h).
 *
 * Backend-neutral: no thread, lock, allocation or system call, only
 * comp_ring calls and memcpy, so a host half of if_virt on rings (a seL4
 * Microkit PD: virtif_microkit.c; a Linux process) shares it.  The caller
 * serialises each side (one producer of tx, one consumer of rx at a time,
 * as ring.h demands).
 *
 * Buffers: both rings carry buffers of VIRTIF_RING_BUF_SIZE bytes (format
 * them with that buf_size); a free descriptor names a whole buffer (len
 * VIRTIF_RING_BUF_SIZE), an active one a frame (len its bytes, no FCS).
 */
#ifndef RUMPBRIDGE_VIRTIF_RING_H
#define RUMPBRIDGE_VIRTIF_RING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h> /* struct iovec: the kernel's has the same layout */

#include <rumpbridge/ring.h>

#define VIRTIF_RING_ETH_HLEN 14u
#define VIRTIF_RING_FRAME_MAX 1514u /* 1500 bytes of MTU + the Ethernet header */
#define VIRTIF_RING_BUF_SIZE 2048u
#define VIRTIF_RING_RX_BATCH 16u

/* Counters of one interface; plain integers (the caller serialises). */
struct virtif_ring_stats {
	uint64_t tx_frames;   /* frames put on tx */
	uint64_t tx_full;     /* dropped: no free tx buffer */
	uint64_t tx_too_big;  /* dropped: longer than the frame or the buffer */
	uint64_t rx_frames;   /* descriptors taken from rx */
	uint64_t rx_bad;      /* of which not delivered: runt, giant, outside */
	uint64_t ring_errors; /* -EPROTO and other ring failures */
};

/* Copy the frame iov[0..n) into a free buffer of tx (PRODUCER side) and
 * put it on the active queue, signalling the peer if it asked.  Never
 * waits.  Returns 0, or, with the frame dropped and counted in s:
 * -ENOBUFS (no free buffer), -EMSGSIZE (longer than VIRTIF_RING_FRAME_MAX,
 * or than the free buffer, which then goes back as an empty frame), -EBADMSG / -EPROTO / a channel error (ring_errors);
 * -EINVAL (tx or s NULL, or iov NULL with n not 0: nothing counted). */
int virtif_ring_send(struct comp_ring *tx, const struct iovec *iov, size_t n,
		     struct virtif_ring_stats *s);

/* Take up to VIRTIF_RING_RX_BATCH frames from rx (CONSUMER side), call
 * deliver(arg, frame, len) for each good one (valid during the call
 * only), and give the buffers back on the free queue with COMP_RING_DEFER
 * (call comp_ring_notify once per burst).  A frame shorter than an
 * Ethernet header, longer than VIRTIF_RING_FRAME_MAX, or outside the data
 * region is counted in rx_bad and not delivered.  Returns the number of
 * descriptors taken (0: empty), or -EPROTO / another ring error (counted
 * in ring_errors), -EINVAL (NULL argument). */
int virtif_ring_rx(struct comp_ring *rx, void (*deliver)(void *arg, void *frame, size_t len),
		   void *arg, struct virtif_ring_stats *s);

#endif
