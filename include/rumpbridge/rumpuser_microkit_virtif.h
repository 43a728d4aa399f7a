/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rump kernel's virtual network interface (if_virt, from
 * librumpnet_virtif.a) in a seL4 Microkit PD: its host half,
 * rumpcomp_virt_*, on a pair of sDDF-layout rings (include/rumpbridge/
 * ring.h) in memory regions shared with a NIC PD, and one channel to it
 * (docs/microkit.md, "The seed's system on seL4").  In
 * librumpvirtif_microkit.a, linked before librumpuser_microkit.a.
 *
 *   tx ring  this PD PRODUCER, NIC CONSUMER: frames the kernel sends
 *   rx ring  NIC PRODUCER, this PD CONSUMER: frames for the kernel
 *
 * Both rings hold buffers of 2048 bytes (comp_ring_format with buf_size
 * 2048; a frame is at most 1514 bytes, no FCS).  The PD formats them
 * before it starts the kernel (rumpbridge_microkit_virtif_format), so the
 * NIC PD attaches when the first notification on the channel comes
 * (rumpcomp_virt_create sends one).  Signals both ways follow the ring
 * protocol (only when asked for); the NIC's signal on `channel` raises
 * event bit `channel` of the PD's domain (mk_microkit_notified), on which
 * the interface's receive thread sleeps: no polling.
 *
 * Threads.  if_virt sends from the kernel thread running the interface's
 * start routine, holding a rump CPU: the frame is copied onto tx there,
 * nothing blocks (a full ring drops the frame and counts it).  The
 * receive thread ("virtif-rx", a green thread of the PD's domain and a
 * kernel thread with an lwp of its own) takes a rump CPU per burst of
 * frames, hands each to if_virt's rump_virtif_virt_deliverpkt (which
 * copies it into an mbuf and calls if_input), gives the CPU back, returns
 * the buffers with at most one signal, and sleeps in dom_event_wait while
 * the ring is empty.
 */
#ifndef RUMPBRIDGE_RUMPUSER_MICROKIT_VIRTIF_H
#define RUMPBRIDGE_RUMPUSER_MICROKIT_VIRTIF_H

#include <stddef.h>
#include <stdint.h>

#include <rumpbridge/dom.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RUMPBRIDGE_VIRTIF_BUF_SIZE 2048u

struct rumpbridge_microkit_virtif {
	struct dom *dom;    /* the PD's domain (the kernel's) */
	void *tx, *rx;	    /* the two ring regions, mapped rw */
	size_t tx_size, rx_size;
	uint32_t capacity;  /* descriptors per queue (a power of two) */
	unsigned channel;   /* the Microkit channel to the NIC PD (< 62) */
	uint8_t mac[6];	    /* the interface's address */
};

/* Lay both rings out (comp_ring_format, free queues filled with 2048-byte
 * buffers).  Once, in init(), before the NIC PD attaches.  Errors:
 * -EINVAL (v NULL, a ring NULL or misaligned, capacity not a power of two
 * in range), -ERANGE (a region smaller than comp_ring_size(capacity,
 * data) for a data region of at least one buffer). */
int rumpbridge_microkit_virtif_format(const struct rumpbridge_microkit_virtif *v);

/* Give unit 0 (the kernel's "virt0") its rings: kept by pointer, so v
 * must live as long as the interface.  rumpcomp_virt_create("0") attaches
 * to the rings then.  PD context or a green thread, before the kernel
 * creates virt0.  Errors: -EINVAL (v NULL, dom NULL, channel >= 62),
 * -EBUSY (already given, and the interface exists). */
int rumpbridge_microkit_virtif_setup(struct rumpbridge_microkit_virtif *v);

struct rumpbridge_microkit_virtif_stats {
	uint64_t tx_frames, tx_full, tx_too_big; /* sent; dropped: ring full, too big */
	uint64_t rx_frames, rx_bad;		 /* received; of which dropped */
	uint64_t ring_errors;			 /* the NIC broke the ring protocol */
	uint64_t rx_wakeups;			 /* the receive thread woke from its wait */
	uint64_t rx_thread;			 /* 1 from virt0's create until its destroy joined the receive thread */
};

/* A snapshot of unit 0's counters (zeros before setup).  Errors: -EINVAL
 * (s NULL). */
int rumpbridge_microkit_virtif_get_stats(struct rumpbridge_microkit_virtif_stats *s);

#ifdef __cplusplus
}
#endif
#endif
