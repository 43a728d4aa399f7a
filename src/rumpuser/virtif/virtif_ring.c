/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtif_ring: frames between if_virt's iovecs and the sDDF rings
 * (virtif_ring.h).  Backend-neutral and freestanding.
 */
#include <errno.h>
#include <string.h>

#include "virtif_ring.h"

int virtif_ring_send(struct comp_ring *tx, const struct iovec *iov, size_t n,
		     struct virtif_ring_stats *s)
{
	struct comp_ring_desc d;
	unsigned char *buf;
	size_t len = 0, off = 0;
	int e;

	if (tx == NULL || s == NULL || (iov == NULL && n != 0))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (len > VIRTIF_RING_FRAME_MAX) {
		s->tx_too_big++;
		return -EMSGSIZE;
	}
	e = comp_ring_dequeue(tx, &d, 0);
	if (e == -EAGAIN) {
		s->tx_full++;
		return -ENOBUFS;
	}
	if (e < 0) { /* -EBADMSG: a free descriptor outside the region, consumed */
		s->ring_errors++;
		return e;
	}
	buf = comp_ring_buf(tx, &d);
	if (buf == NULL || d.len < len) {
		/* smaller than the ring's contract: drop the frame; the
		 * buffer goes back as an empty frame (len 0), the only way a
		 * producer returns one */
		d.len = 0;
		if (buf != NULL && comp_ring_enqueue(tx, &d, 0) < 0)
			s->ring_errors++;
		s->tx_too_big++;
		return -EMSGSIZE;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	d.len = (uint32_t)len;
	/* room is certain (the buffer came from this ring); a hostile peer
	 * can still make an index impossible */
	e = comp_ring_enqueue(tx, &d, 0);
	if (e < 0) {
		s->ring_errors++;
		return e;
	}
	s->tx_frames++;
	return 0;
}

int virtif_ring_rx(struct comp_ring *rx, void (*deliver)(void *arg, void *frame, size_t len),
		   void *arg, struct virtif_ring_stats *s)
{
	struct comp_ring_desc d[VIRTIF_RING_RX_BATCH];
	int n;

	if (rx == NULL || deliver == NULL || s == NULL)
		return -EINVAL;
	n = comp_ring_dequeue_batch(rx, d, VIRTIF_RING_RX_BATCH, COMP_RING_DEFER);
	if (n == -EAGAIN)
		return 0;
	if (n == -EBADMSG) { /* consumed and refused by the ring */
		s->rx_frames++;
		s->rx_bad++;
		return 1;
	}
	if (n < 0) {
		s->ring_errors++;
		return n;
	}
	for (int i = 0; i < n; i++) {
		unsigned char *f = comp_ring_buf(rx, &d[i]);
		uint64_t size = d[i].len;

		s->rx_frames++;
		if (f == NULL || size < VIRTIF_RING_ETH_HLEN || size > VIRTIF_RING_FRAME_MAX)
			s->rx_bad++;
		else
			deliver(arg, f, (size_t)size);
		d[i].len = VIRTIF_RING_BUF_SIZE; /* the whole buffer goes back */
	}
	/* the free queue has room for every buffer taken from it */
	if (comp_ring_enqueue_batch(rx, d, (unsigned)n, COMP_RING_DEFER) != n)
		s->ring_errors++;
	return n;
}
