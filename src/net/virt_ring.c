/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net: frames between if_virt's iovecs and the sDDF rings (virt_ring.h).
 * Backend-neutral and freestanding: shared by every host half on rings
 * (Linux: virtif_host.c; a Microkit PD: src/rumpuser/virtif/).
 */
#include <errno.h>
#include <string.h>

#include "virt_ring.h"

int net_virt_ring_send(struct comp_ring *tx, const struct iovec *iov, size_t n,
		       struct net_virt_counters *c)
{
	struct comp_ring_desc d;
	unsigned char *buf;
	size_t len = 0, off = 0;
	int e;

	if (tx == NULL || c == NULL || (iov == NULL && n != 0))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (len > NET_FRAME_MAX) {
		net_virt_count(&c->tx_too_big);
		return -EMSGSIZE;
	}
	e = comp_ring_dequeue(tx, &d, 0);
	if (e == -EAGAIN) {
		net_virt_count(&c->tx_ring_full);
		return -ENOBUFS;
	}
	if (e < 0) { /* -EBADMSG: a free descriptor outside the region, consumed */
		net_virt_count(&c->ring_errors);
		return e;
	}
	buf = comp_ring_buf(tx, &d);
	if (buf == NULL || d.len < len) {
		/* smaller than the ring's contract (NET_BUF_SIZE): drop the
		 * frame; the buffer goes back as an empty frame (len 0), the
		 * only way a producer returns one */
		d.len = 0;
		if (buf != NULL && comp_ring_enqueue(tx, &d, 0) < 0)
			net_virt_count(&c->ring_errors);
		net_virt_count(&c->tx_too_big);
		return -EMSGSIZE;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	d.len = (uint32_t)len;
	/* cannot fail for room: the buffer came from this ring; a hostile
	 * peer may still make the index impossible */
	e = comp_ring_enqueue(tx, &d, 0);
	if (e < 0) {
		net_virt_count(&c->ring_errors);
		return e;
	}
	net_virt_count(&c->tx_frames);
	return 0;
}

int net_virt_ring_rx(struct comp_ring *rx, void (*deliver)(void *arg, void *frame, size_t len),
		     void *arg, struct net_virt_counters *c)
{
	struct comp_ring_desc d[NET_VIRT_RX_BATCH];
	int n;

	if (rx == NULL || deliver == NULL || c == NULL)
		return -EINVAL;
	n = comp_ring_dequeue_batch(rx, d, NET_VIRT_RX_BATCH, COMP_RING_DEFER);
	if (n == -EAGAIN)
		return 0;
	if (n == -EBADMSG) { /* consumed and refused by the ring */
		net_virt_count(&c->rx_frames);
		net_virt_count(&c->rx_bad);
		return 1;
	}
	if (n < 0) {
		net_virt_count(&c->ring_errors);
		return n;
	}
	for (int i = 0; i < n; i++) {
		unsigned char *f = comp_ring_buf(rx, &d[i]);

		net_virt_count(&c->rx_frames);
		if (f == NULL || d[i].len < NET_ETH_HLEN || d[i].len > NET_FRAME_MAX)
			net_virt_count(&c->rx_bad);
		else
			deliver(arg, f, d[i].len);
		d[i].len = NET_BUF_SIZE; /* the whole buffer goes back */
	}
	/* the free queue has room for every buffer we took */
	if (comp_ring_enqueue_batch(rx, d, (unsigned)n, COMP_RING_DEFER) != n)
		net_virt_count(&c->ring_errors);
	return n;
}
