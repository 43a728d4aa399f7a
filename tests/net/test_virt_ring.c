/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ring half of if_virt's host side (src/net/virt_ring.c), shared by
 * the Linux network component and the Microkit PD, without a kernel: this
 * test plays the NIC on the other side of both rings.  Frames from 1-3
 * iovec pieces onto tx byte for byte (checksums); a frame too long, a ring
 * with no free buffer, a buffer shorter than the frame (returned as an
 * empty frame) and bad arguments refused and counted; frames from rx
 * delivered byte for byte, runts, giants, empty frames and descriptors
 * outside the data region counted as rx_bad, every buffer returned whole;
 * ring errors of the tx and the rx side counted concurrently without a
 * lost count.
 */
#include <pthread.h>
#include <stdalign.h>
#include <string.h>
#include <sys/uio.h>

#include <rumpbridge/ring.h>

#include "net/virt_ring.h"
#include "rb_test.h"

#define CAP    8u
#define DATA   (CAP * NET_BUF_SIZE)
#define REGION (64u * 1024u)

static alignas(4096) unsigned char txmem[REGION], rxmem[REGION];
static struct comp_ring vtx, vrx, ntx, nrx; /* the host half's and the NIC's sides */

static int no_signal(void *ctx)
{
	(void)ctx;
	return 0;
}

static int setup(void **state)
{
	const struct comp_ring_channel ch = {.signal = no_signal};

	(void)state;
	assert_true(comp_ring_size(CAP, DATA) <= REGION);
	assert_int_equal(comp_ring_format(txmem, REGION, CAP, DATA, NET_BUF_SIZE), 0);
	assert_int_equal(comp_ring_format(rxmem, REGION, CAP, DATA, NET_BUF_SIZE), 0);
	assert_int_equal(comp_ring_attach(&vtx, txmem, REGION, COMP_RING_PRODUCER, CAP, &ch), 0);
	assert_int_equal(comp_ring_attach(&ntx, txmem, REGION, COMP_RING_CONSUMER, CAP, &ch), 0);
	assert_int_equal(comp_ring_attach(&vrx, rxmem, REGION, COMP_RING_CONSUMER, CAP, &ch), 0);
	assert_int_equal(comp_ring_attach(&nrx, rxmem, REGION, COMP_RING_PRODUCER, CAP, &ch), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	comp_ring_detach(&vtx);
	comp_ring_detach(&ntx);
	comp_ring_detach(&vrx);
	comp_ring_detach(&nrx);
	return 0;
}

#define GET(x) net_virt_counter(&c.x)

/* A frame of three pieces arrives whole, at the offsets of its pieces. */
static void test_send_pieces(void **state)
{
	unsigned char a[14], b[100], x[1];
	struct iovec iov[3] = {{a, sizeof a}, {b, sizeof b}, {x, sizeof x}};
	struct net_virt_counters c = {0};
	struct comp_ring_desc d;
	const unsigned char *got;

	(void)state;
	for (size_t i = 0; i < sizeof a; i++)
		a[i] = (unsigned char)i;
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (unsigned char)(100 + i);
	x[0] = 0xee;
	assert_int_equal(net_virt_ring_send(&vtx, iov, 3, &c), 0);
	assert_int_equal(comp_ring_dequeue(&ntx, &d, 0), 0);
	assert_int_equal(d.len, sizeof a + sizeof b + sizeof x);
	got = comp_ring_buf(&ntx, &d);
	assert_non_null(got);
	assert_memory_equal(got, a, sizeof a);
	assert_memory_equal(got + sizeof a, b, sizeof b);
	assert_int_equal(got[sizeof a + sizeof b], 0xee);
	assert_int_equal(GET(tx_frames), 1);
}

/* Frames of 1..NET_FRAME_MAX bytes in 1-3 iovec pieces, 2000 of them
 * through a ring of 8 buffers, the NIC returning each: every byte arrives
 * (sums). */
static void test_send_frames(void **state)
{
	static unsigned char src[NET_FRAME_MAX];
	struct net_virt_counters c = {0};
	uint64_t sum_sent = 0, sum_got = 0;

	(void)state;
	for (unsigned k = 0; k < 2000; k++) {
		size_t len = 1 + (k * 97u) % NET_FRAME_MAX, a = len / 3, b = len / 2;
		struct iovec iov[3] = {{src, a}, {src + a, b - a}, {src + b, len - b}};
		struct comp_ring_desc d;
		unsigned char *f;

		for (size_t i = 0; i < len; i++) {
			src[i] = (unsigned char)(k * 13 + i * 7);
			sum_sent += src[i] * (i + 1);
		}
		if (k % 3 == 0) { /* one piece */
			iov[0].iov_len = len;
			assert_int_equal(net_virt_ring_send(&vtx, iov, 1, &c), 0);
		} else {
			assert_int_equal(net_virt_ring_send(&vtx, iov, 3, &c), 0);
		}
		assert_int_equal(comp_ring_dequeue(&ntx, &d, 0), 0);
		assert_int_equal(d.len, len);
		f = comp_ring_buf(&ntx, &d);
		assert_non_null(f);
		for (size_t i = 0; i < len; i++)
			sum_got += f[i] * (i + 1);
		d.len = NET_BUF_SIZE;
		assert_int_equal(comp_ring_enqueue(&ntx, &d, 0), 0);
	}
	assert_true(sum_sent == sum_got);
	assert_int_equal(GET(tx_frames), 2000);
	assert_int_equal(GET(tx_ring_full) + GET(tx_too_big) + GET(ring_errors), 0);
}

/* No free buffer: dropped and counted, nothing queued; too big: likewise;
 * bad arguments: -EINVAL, nothing counted. */
static void test_send_full_and_too_big(void **state)
{
	static unsigned char big[NET_FRAME_MAX + 1];
	struct iovec iov = {big, 60};
	struct net_virt_counters c = {0};
	unsigned n = 0;
	int e;

	(void)state;
	while ((e = net_virt_ring_send(&vtx, &iov, 1, &c)) == 0)
		n++;
	assert_int_equal(e, -ENOBUFS);
	assert_true(n >= CAP - 1 && n <= CAP);
	assert_int_equal(GET(tx_ring_full), 1);
	assert_int_equal(comp_ring_in_count(&ntx), (int)n);
	iov.iov_len = sizeof(big);
	assert_int_equal(net_virt_ring_send(&vtx, &iov, 1, &c), -EMSGSIZE);
	assert_int_equal(GET(tx_too_big), 1);
	assert_int_equal(GET(tx_frames), n);
	assert_int_equal(net_virt_ring_send(NULL, &iov, 1, &c), -EINVAL);
	assert_int_equal(net_virt_ring_send(&vtx, NULL, 1, &c), -EINVAL);
	assert_int_equal(net_virt_ring_send(&vtx, &iov, 1, NULL), -EINVAL);
	assert_int_equal(GET(tx_ring_full) + GET(tx_too_big), 2);
	assert_int_equal(GET(ring_errors), 0);
}

/* A NIC that hands back a buffer smaller than the frame: the frame is
 * dropped and the buffer returned as an empty frame, not as garbage. */
static void test_send_small_buffer(void **state)
{
	static unsigned char src[200];
	struct iovec iov = {src, sizeof(src)};
	struct net_virt_counters c = {0};
	struct comp_ring_desc d, mine[CAP];
	int n;

	(void)state;
	/* take every free buffer away from the host half, give one back short */
	while (net_virt_ring_send(&vtx, &iov, 1, &c) == 0)
		;
	n = comp_ring_dequeue_batch(&ntx, mine, CAP, 0);
	assert_true(n > 0);
	mine[0].len = 100;
	assert_int_equal(comp_ring_enqueue(&ntx, &mine[0], 0), 0);
	assert_int_equal(net_virt_ring_send(&vtx, &iov, 1, &c), -EMSGSIZE);
	assert_int_equal(GET(tx_too_big), 1);
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

/* The NIC produces good frames (among them one of exactly NET_FRAME_MAX),
 * a runt, a giant, an empty one and a descriptor outside the data region:
 * only the good ones are delivered, byte for byte, every buffer goes back
 * whole, the bad ones are counted. */
static void test_rx(void **state)
{
	struct net_virt_counters c = {0};
	struct got g = {0};
	uint64_t sum_sent = 0;
	size_t lens_sent = 0;
	const size_t lens[6] = {60, 13, NET_FRAME_MAX, NET_FRAME_MAX + 1, 0, 64};
	struct comp_ring_desc d;
	int n, total = 0;

	(void)state;
	for (unsigned k = 0; k < 6; k++) {
		unsigned char *f;

		assert_int_equal(comp_ring_dequeue(&nrx, &d, 0), 0);
		assert_int_equal(d.len, NET_BUF_SIZE);
		f = comp_ring_buf(&nrx, &d);
		assert_non_null(f);
		for (size_t i = 0; i < lens[k]; i++)
			f[i] = (unsigned char)(k + i * 3);
		if (lens[k] >= NET_ETH_HLEN && lens[k] <= NET_FRAME_MAX) {
			for (size_t i = 0; i < lens[k]; i++)
				sum_sent += f[i] * (i + 1);
			lens_sent += lens[k];
		}
		d.len = (uint32_t)lens[k];
		assert_int_equal(comp_ring_enqueue(&nrx, &d, 0), 0);
	}
	/* a seventh, whose descriptor the NIC rewrites to point outside */
	assert_int_equal(comp_ring_dequeue(&nrx, &d, 0), 0);
	d.len = 60;
	assert_int_equal(comp_ring_enqueue(&nrx, &d, 0), 0);
	nrx.out_desc[(nrx.out_tail - 1) & nrx.mask].offset = DATA;
	while ((n = net_virt_ring_rx(&vrx, deliver, &g, &c)) > 0)
		total += n;
	assert_int_equal(n, 0);
	assert_int_equal(total, 7);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.lens, lens_sent);
	assert_true(g.sum == sum_sent);
	assert_int_equal(GET(rx_frames), 7);
	assert_int_equal(GET(rx_bad), 4);
	assert_int_equal(GET(ring_errors), 0);
	assert_int_equal(comp_ring_notify(&vrx), 0);
	/* six buffers came back whole (the seventh was refused by the
	 * ring), beside the one the NIC never took */
	assert_int_equal(comp_ring_in_count(&nrx), 7);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(comp_ring_dequeue(&nrx, &d, 0), 0);
		assert_int_equal(d.len, NET_BUF_SIZE);
	}
	assert_int_equal(net_virt_ring_rx(NULL, deliver, &g, &c), -EINVAL);
	assert_int_equal(net_virt_ring_rx(&vrx, NULL, &g, &c), -EINVAL);
	assert_int_equal(net_virt_ring_rx(&vrx, deliver, &g, NULL), -EINVAL);
}

/* The counters' contract (virt_ring.h): the tx side and the rx side of one
 * interface run at once in different threads and both count ring_errors.
 * Both rings are made impossible by the NIC (queue tails far past their
 * heads); a sender and a receiver each fail ERR_ROUNDS times: not one
 * count may be lost (with plain counters it is, and TSan reports the
 * race). */
#define ERR_ROUNDS RB_SCALE(200000u)

static struct net_virt_counters shared;

static void *tx_errors(void *arg)
{
	struct iovec iov = {txmem, 60}; /* any bytes: the copy never happens */

	(void)arg;
	for (unsigned i = 0; i < ERR_ROUNDS; i++)
		if (net_virt_ring_send(&vtx, &iov, 1, &shared) != -EPROTO)
			return "send did not fail with -EPROTO";
	return NULL;
}

static void *rx_errors(void *arg)
{
	struct got g = {0};

	(void)arg;
	for (unsigned i = 0; i < ERR_ROUNDS; i++)
		if (net_virt_ring_rx(&vrx, deliver, &g, &shared) != -EPROTO)
			return "rx did not fail with -EPROTO";
	return NULL;
}

static void test_counters_two_sides(void **state)
{
	struct iovec iov = {txmem, 60};
	pthread_t t;
	void *tx_res, *rx_res;

	(void)state;
	memset(&shared, 0, sizeof(shared)); /* before any thread */
	/* use up the free buffers the tx side knows of, so that each send
	 * below reads the NIC's impossible index */
	for (unsigned i = 0; i < CAP; i++)
		assert_int_equal(net_virt_ring_send(&vtx, &iov, 1, &shared), 0);
	atomic_fetch_add(&ntx.out->tail, 1000u); /* the free queue of tx */
	atomic_fetch_add(&nrx.out->tail, 1000u); /* the active queue of rx */
	assert_int_equal(pthread_create(&t, NULL, tx_errors, NULL), 0);
	rx_res = rx_errors(NULL);
	assert_int_equal(pthread_join(t, &tx_res), 0);
	if (tx_res != NULL)
		fail_msg("%s", (const char *)tx_res);
	if (rx_res != NULL)
		fail_msg("%s", (const char *)rx_res);
	assert_int_equal(net_virt_counter(&shared.ring_errors), 2ull * ERR_ROUNDS);
	assert_int_equal(net_virt_counter(&shared.tx_frames), CAP);
	assert_int_equal(net_virt_counter(&shared.rx_frames), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_send_pieces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_full_and_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_small_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_two_sides, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
