/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net: frames between if_virt's iovecs and the sDDF rings (virt_ring.h).
 * No thread, lock or system call: shared by every host half on rings.
 */
#include <errno.h>
#include <string.h>

#include "stack.h"
#include "virt_ring.h"

static void count(atomic_uint_fast64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed); /* statistics only */
}

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
		count(&c->tx_too_big);
		return -EMSGSIZE;
	}
	e = comp_ring_dequeue(tx, &d, 0);
	if (e == -EAGAIN) {
		count(&c->tx_ring_full);
		return -ENOBUFS;
	}
	if (e == -EBADMSG) { /* a free descriptor outside the region: consumed */
		count(&c->ring_errors);
		return e;
	}
	if (e < 0) {
		count(&c->ring_errors);
		return e;
	}
	buf = comp_ring_buf(tx, &d);
	if (buf == NULL || d.len < len) {
		/* a buffer smaller than the ring's contract (NET_BUF_SIZE):
		 * give it back empty, drop the frame */
		d.len = 0;
		if (buf != NULL && comp_ring_enqueue(tx, &d, 0) < 0)
			count(&c->ring_errors);
		count(&c->tx_too_big);
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
		count(&c->ring_errors);
		return e;
	}
	count(&c->tx_frames);
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
		count(&c->rx_frames);
		count(&c->rx_bad);
		return 1;
	}
	if (n < 0) {
		count(&c->ring_errors);
		return n;
	}
	for (int i = 0; i < n; i++) {
		unsigned char *f = comp_ring_buf(rx, &d[i]);

		count(&c->rx_frames);
		if (f == NULL || d[i].len < NET_ETH_HLEN || d[i].len > NET_FRAME_MAX)
			count(&c->rx_bad);
		else
			deliver(arg, f, d[i].len);
		d[i].len = NET_BUF_SIZE;
	}
	/* the free queue has room for every buffer we took */
	if (comp_ring_enqueue_batch(rx, d, (unsigned)n, COMP_RING_DEFER) != n)
		count(&c->ring_errors);
	return n;
}
