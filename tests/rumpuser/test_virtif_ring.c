/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtif_ring (src/rumpuser/virtif/virtif_ring.c), the backend-neutral
 * frame copying of if_virt's host half on sDDF rings, on the host: this
 * test plays the NIC on the other side of both rings.
 */
#include <stdalign.h>
#include <string.h>

#include "rb_test.h"
#include "rumpuser/virtif/virtif_ring.h"

#define CAP 8u
#define DATA (CAP * VIRTIF_RING_BUF_SIZE)
#define REGION (64u * 1024u)

static alignas(4096) unsigned char txmem[REGION], rxmem[REGION];
static struct comp_ring vtx, vrx, ntx, nrx; /* the PD's and the NIC's sides */
static unsigned signals;

static int count_signal(void *ctx)
{
	(void)ctx;
	signals++;
	return 0;
}

static int setup(void **state)
{
	const struct comp_ring_channel ch = {.signal = count_signal};

	(void)state;
	assert_true(comp_ring_size(CAP, DATA) <= REGION);
	assert_int_equal(comp_ring_format(txmem, REGION, CAP, DATA, VIRTIF_RING_BUF_SIZE), 0);
	assert_int_equal(comp_ring_format(rxmem, REGION, CAP, DATA, VIRTIF_RING_BUF_SIZE), 0);
	assert_int_equal(comp_ring_attach(&vtx, txmem, REGION, COMP_RING_PRODUCER, CAP, &ch), 0);
	assert_int_equal(comp_ring_attach(&ntx, txmem, REGION, COMP_RING_CONSUMER, CAP, &ch), 0);
	assert_int_equal(comp_ring_attach(&vrx, rxmem, REGION, COMP_RING_CONSUMER, CAP, &ch), 0);
	assert_int_equal(comp_ring_attach(&nrx, rxmem, REGION, COMP_RING_PRODUCER, CAP, &ch), 0);
	signals = 0;
	return 0;
}

/* Frames of 1..1514 bytes in 1-3 iovec pieces, 2000 of them through a
 * ring of 8 buffers, the NIC returning each: every byte arrives (sums). */
static void test_send_frames(void **state)
{
	static unsigned char src[VIRTIF_RING_FRAME_MAX];
	struct virtif_ring_stats s = {0};
	uint64_t sum_sent = 0, sum_got = 0;

	(void)state;
	for (unsigned k = 0; k < 2000; k++) {
		size_t len = 1 + (k * 97u) % VIRTIF_RING_FRAME_MAX, a = len / 3, b = len / 2;
		struct iovec iov[3] = {{src, a}, {src + a, b - a}, {src + b, len - b}};
		struct comp_ring_desc d;
		unsigned char *f;

		for (size_t i = 0; i < len; i++) {
			src[i] = (unsigned char)(k * 13 + i * 7);
			sum_sent += src[i] * (i + 1);
		}
		if (k % 3 == 0) { /* one piece */
			iov[0].iov_len = len;
			assert_int_equal(virtif_ring_send(&vtx, iov, 1, &s), 0);
		} else {
			assert_int_equal(virtif_ring_send(&vtx, iov, 3, &s), 0);
		}
		assert_int_equal(comp_ring_dequeue(&ntx, &d, 0), 0);
		assert_int_equal(d.len, len);
		f = comp_ring_buf(&ntx, &d);
		assert_non_null(f);
		for (size_t i = 0; i < len; i++)
			sum_got += f[i] * (i + 1);
		d.len = VIRTIF_RING_BUF_SIZE;
		assert_int_equal(comp_ring_enqueue(&ntx, &d, 0), 0);
	}
	assert_true(sum_sent == sum_got);
	assert_int_equal(s.tx_frames, 2000);
	assert_int_equal(s.tx_full + s.tx_too_big + s.ring_errors, 0);
}

/* No free buffer: dropped and counted, nothing queued; too big: likewise. */
static void test_send_full_and_too_big(void **state)
{
	static unsigned char big[VIRTIF_RING_FRAME_MAX + 1];
	struct iovec iov = {big, 60};
	struct virtif_ring_stats s = {0};
	unsigned n = 0;
	int e;

	(void)state;
	while ((e = virtif_ring_send(&vtx, &iov, 1, &s)) == 0)
		n++;
	assert_int_equal(e, -ENOBUFS);
	assert_true(n >= CAP - 1 && n <= CAP);
	assert_int_equal(s.tx_full, 1);
	assert_int_equal(comp_ring_in_count(&ntx), (int)n);
	iov.iov_len = sizeof(big);
	assert_int_equal(virtif_ring_send(&vtx, &iov, 1, &s), -EMSGSIZE);
	assert_int_equal(s.tx_too_big, 1);
	assert_int_equal(s.tx_frames, n);
	assert_int_equal(virtif_ring_send(NULL, &iov, 1, &s), -EINVAL);
	assert_int_equal(virtif_ring_send(&vtx, NULL, 1, &s), -EINVAL);
	assert_int_equal(virtif_ring_send(&vtx, &iov, 1, NULL), -EINVAL);
}

/* A NIC that hands back a buffer smaller than the frame: the frame is
 * dropped and the buffer returned as an empty frame, not as garbage. */
static void test_send_small_buffer(void **state)
{
	static unsigned char src[200];
	struct iovec iov = {src, sizeof(src)};
	struct virtif_ring_stats s = {0};
	struct comp_ring_desc d, mine[CAP];
	int n;

	(void)state;
	/* take every free buffer away from the PD, give one back short */
	while (virtif_ring_send(&vtx, &iov, 1, &s) == 0)
		;
	n = comp_ring_dequeue_batch(&ntx, mine, CAP, 0);
	assert_true(n > 0);
	mine[0].len = 100;
	assert_int_equal(comp_ring_enqueue(&ntx, &mine[0], 0), 0);
	assert_int_equal(virtif_ring_send(&vtx, &iov, 1, &s), -EMSGSIZE);
	assert_int_equal(s.tx_too_big, 1);
	assert_int_equal(comp_ring_dequeue(&ntx, &d, 0), 0);
	assert_int_equal(d.offset, mine[0].offset);
	assert_int_equal(d.len, 0);
}

struct got {
	unsigned n;
	uint64_t sum;
	size_t lens;
};

static void deliver(void *arg, void *frame, size_t len)
{
	struct got *g = arg;
	const unsigned char *f = frame;

	g->n++;
	g->lens += len;
	for (size_t i = 0; i < len; i++)
		g->sum += f[i] * (i + 1);
}

/* The NIC produces good frames, a runt, a giant and a descriptor outside
 * the data region: only the good ones are delivered, every buffer goes
 * back whole, the bad ones are counted. */
static void test_rx(void **state)
{
	struct virtif_ring_stats s = {0};
	struct got g = {0};
	uint64_t sum_sent = 0;
	size_t lens_sent = 0;
	const size_t lens[5] = {60, 13, 1514, 1515, 64};
	struct comp_ring_desc d;
	int n, total = 0;

	(void)state;
	for (unsigned k = 0; k < 5; k++) {
		unsigned char *f;

		assert_int_equal(comp_ring_dequeue(&nrx, &d, 0), 0);
		assert_int_equal(d.len, VIRTIF_RING_BUF_SIZE);
		f = comp_ring_buf(&nrx, &d);
		for (size_t i = 0; i < lens[k]; i++)
			f[i] = (unsigned char)(k + i * 3);
		if (lens[k] >= VIRTIF_RING_ETH_HLEN && lens[k] <= VIRTIF_RING_FRAME_MAX) {
			for (size_t i = 0; i < lens[k]; i++)
				sum_sent += f[i] * (i + 1);
			lens_sent += lens[k];
		}
		d.len = (uint32_t)lens[k];
		assert_int_equal(comp_ring_enqueue(&nrx, &d, 0), 0);
	}
	/* a sixth, whose descriptor the NIC rewrites to point outside */
	assert_int_equal(comp_ring_dequeue(&nrx, &d, 0), 0);
	d.len = 60;
	assert_int_equal(comp_ring_enqueue(&nrx, &d, 0), 0);
	nrx.out_desc[(nrx.out_tail - 1) & nrx.mask].offset = DATA;
	while ((n = virtif_ring_rx(&vrx, deliver, &g, &s)) > 0)
		total += n;
	assert_int_equal(n, 0);
	assert_int_equal(total, 6);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.lens, lens_sent);
	assert_true(g.sum == sum_sent);
	assert_int_equal(s.rx_frames, 6);
	assert_int_equal(s.rx_bad, 3);
	assert_int_equal(comp_ring_notify(&vrx), 0);
	/* five buffers came back whole (the sixth was refused by the ring) */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(comp_ring_dequeue(&nrx, &d, 0), 0);
		assert_int_equal(d.len, VIRTIF_RING_BUF_SIZE);
	}
	assert_int_equal(virtif_ring_rx(NULL, deliver, &g, &s), -EINVAL);
	assert_int_equal(virtif_ring_rx(&vrx, NULL, &g, &s), -EINVAL);
	assert_int_equal(virtif_ring_rx(&vrx, deliver, &g, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_send_frames, setup),
		cmocka_unit_test_setup(test_send_full_and_too_big, setup),
		cmocka_unit_test_setup(test_send_small_buffer, setup),
		cmocka_unit_test_setup(test_rx, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
