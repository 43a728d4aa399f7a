/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net: the host half of the rump kernel's if_virt on the frame rings
 * (virtif_host.c), for stack_rump.c.
 *
 * The kernel creates interface virtN when asked to ("virtN" create) and
 * calls rumpcomp_virt_create("N", ...) from inside: the host half finds
 * what it needs for unit N in a table that net_virtif_prepare filled
 * before.  Its rx thread is a green thread of the kernel's domain with a
 * kernel lwp of its own; it drains the rx ring into the kernel and sleeps
 * in the ring's wait (a domain event) while the ring is empty.  Frames the
 * kernel sends are copied onto the tx ring in the sending thread, under a
 * domain mutex (the kernel may send from several threads at once; the
 * ring has one producer).
 */
#ifndef RUMPBRIDGE_NET_VIRTIF_HOST_H
#define RUMPBRIDGE_NET_VIRTIF_HOST_H

#include <stdint.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/ring.h>

#include "virt_ring.h"

#define NET_VIRTIF_UNITS 8
#define NET_VIRTIF_HEARD 16

struct net_virtif {
	unsigned unit;
	struct dom *d;
	struct comp_ring *tx, *rx;
	uint64_t rx_events;
	uint8_t mac[6];
	struct net_virt_counters *c;
	/* private to virtif_host.c */
	struct dom_mutex txlock; /* the tx ring's producer side */
	void *sc;		 /* the kernel's softc, for deliverpkt */
	struct dom_thread *rxthr;
	atomic_bool dying;
	atomic_bool created;
	struct mk_notification gone; /* the rx thread signals it when done */
	/* the rx thread's: IPv4 frames delivered, and of those taken by
	 * the kernel's ipintr (from its ipstat total, minus ip_base) */
	uint64_t rx_ip, ip_seen, ip_base;
	/* IPv4 frames the kernel sent (rumpcomp_virt_send), under txlock */
	uint64_t tx_ip;
	/* Neighbours heard in ARP for addr (a request to us or a reply):
	 * the kernel then has their MAC.  Each slot packs the IPv4 address
	 * (network order, low 32 bits) and the second (mk_clock) it was
	 * heard (high 32 bits); written by the rx thread only, read by
	 * senders (net_virtif_heard). */
	uint32_t addr;
	_Atomic uint64_t heard[NET_VIRTIF_HEARD];
	unsigned heard_next;
};

/* Reserve a free unit, fill v's public fields (except unit) and register
 * it for rumpcomp_virt_create; v->unit is set.  The caller then creates
 * "virt<unit>" in the kernel.  any.  Errors: -EINVAL (NULL), -EBUSY (no
 * free unit), those of mk_notification_init. */
int net_virtif_prepare(struct net_virtif *v);

/* The second (mk_clock) ip was last heard in ARP, or 0 if never (of the
 * last NET_VIRTIF_HEARD neighbours).  any. */
uint32_t net_virtif_heard(struct net_virtif *v, uint32_t ip);

/* Forget v after the kernel destroyed the interface (or never created
 * it).  any.  Errors: -EINVAL (v not registered). */
int net_virtif_release(struct net_virtif *v);

#endif
