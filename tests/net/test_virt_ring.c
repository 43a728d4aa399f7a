/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ring half of if_virt's host side (src/net/virt_ring.c), without a
 * kernel: frames from iovecs onto the tx ring, byte for byte; a frame too
 * long, a ring with no free buffer and bad arguments refused and counted;
 * frames from the rx ring delivered byte for byte, runts and oversized
 * ones counted as rx_bad, and every buffer returned.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <rumpbridge/ring.h>

#include "net/stack.h"
#include "net/virt_ring.h"
#include "rb_test.h"

#define CAP 8u

struct fx {
	void *mem;
	size_t size;
	struct comp_ring prod, cons; /* the two sides of one ring */
	struct mk_notification n;
	struct comp_ring_notification ch_n;
	struct net_virt_counters c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->size = comp_ring_size(CAP, (uint64_t)CAP * NET_BUF_SIZE);
	assert_int_equal(posix_memalign(&f->mem, COMP_RING_PAGE, f->size), 0);
	assert_int_equal(comp_ring_format(f->mem, f->size, CAP, (uint64_t)CAP * NET_BUF_SIZE,
					  NET_BUF_SIZE),
			 0);
	assert_int_equal(mk_notification_init(&f->n, 0), 0);
	f->ch_n = (struct comp_ring_notification){&f->n, 1, 0};
	struct comp_ring_channel ch = {comp_ring_notification_signal, &f->ch_n,
				       comp_ring_notification_wait, &f->ch_n, 0};
	assert_int_equal(comp_ring_attach(&f->prod, f->mem, f->size, COMP_RING_PRODUCER, CAP, &ch), 0);
	assert_int_equal(comp_ring_attach(&f->cons, f->mem, f->size, COMP_RING_CONSUMER, CAP, &ch), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	comp_ring_detach(&f->prod);
	comp_ring_detach(&f->cons);
	mk_notification_destroy(&f->n);
	free(f->mem);
	free(f);
	return 0;
}

static uint64_t get(atomic_uint_fast64_t *c)
{
	return atomic_load(c);
}

/* tx: the frame of three iovec pieces arrives whole; too long, no buffer
 * and bad arguments are refused and counted once each. */
static void test_send(void **state)
{
	struct fx *f = *state;
	unsigned char a[14], b[100], c[1], big[NET_FRAME_MAX + 1];
	struct iovec iov[3] = {{a, sizeof a}, {b, sizeof b}, {c, sizeof c}};
	struct comp_ring_desc d;
	const unsigned char *got;

	for (size_t i = 0; i < sizeof a; i++)
		a[i] = (unsigned char)i;
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (unsigned char)(100 + i);
	c[0] = 0xee;
	assert_int_equal(net_virt_ring_send(&f->prod, iov, 3, &f->c), 0);
	assert_int_equal(comp_ring_dequeue(&f->cons, &d, 0), 0);
	assert_int_equal(d.len, sizeof a + sizeof b + sizeof c);
	got = comp_ring_buf(&f->cons, &d);
	assert_non_null(got);
	assert_memory_equal(got, a, sizeof a);
	assert_memory_equal(got + sizeof a, b, sizeof b);
	assert_int_equal(got[sizeof a + sizeof b], 0xee);
	d.len = NET_BUF_SIZE;
	assert_int_equal(comp_ring_enqueue(&f->cons, &d, 0), 0);
	assert_int_equal(get(&f->c.tx_frames), 1);

	struct iovec one = {big, sizeof big};
	memset(big, 0, sizeof big);
	assert_int_equal(net_virt_ring_send(&f->prod, &one, 1, &f->c), -EMSGSIZE);
	assert_int_equal(get(&f->c.tx_too_big), 1);

	/* the consumer keeps every buffer: the ring runs dry */
	one.iov_len = 60;
	for (unsigned i = 0; i < CAP; i++)
		assert_int_equal(net_virt_ring_send(&f->prod, &one, 1, &f->c), 0);
	assert_int_equal(net_virt_ring_send(&f->prod, &one, 1, &f->c), -ENOBUFS);
	assert_int_equal(get(&f->c.tx_ring_full), 1);
	assert_int_equal(get(&f->c.tx_frames), 1 + CAP);

	assert_int_equal(net_virt_ring_send(NULL, &one, 1, &f->c), -EINVAL);
	assert_int_equal(net_virt_ring_send(&f->prod, NULL, 1, &f->c), -EINVAL);
	assert_int_equal(net_virt_ring_send(&f->prod, &one, 1, NULL), -EINVAL);
	assert_int_equal(get(&f->c.ring_errors), 0);
}

struct seen {
	unsigned n;
	size_t len[CAP];
	unsigned char first[CAP];
};

static void deliver(void *arg, void *frame, size_t len)
{
	struct seen *s = arg;

	s->len[s->n] = len;
	s->first[s->n] = ((unsigned char *)frame)[len - 1];
	s->n++;
}

/* rx: good frames delivered whole, a runt and an oversized frame counted
 * as rx_bad, every buffer back on the free queue. */
static void test_rx(void **state)
{
	struct fx *f = *state;
	static const uint32_t lens[] = {60, 13, NET_FRAME_MAX, NET_FRAME_MAX + 1, 0, 1514};
	struct seen s = {0};
	struct comp_ring_desc d;

	/* here prod plays the NIC (it fills frames), cons the host half */
	for (unsigned i = 0; i < 6; i++) {
		unsigned char *p;

		assert_int_equal(comp_ring_dequeue(&f->prod, &d, 0), 0);
		p = comp_ring_buf(&f->prod, &d);
		assert_non_null(p);
		memset(p, (int)(i + 1), NET_BUF_SIZE);
		d.len = lens[i];
		assert_int_equal(comp_ring_enqueue(&f->prod, &d, 0), 0);
	}
	assert_int_equal(net_virt_ring_rx(&f->cons, deliver, &s, &f->c), 6);
	assert_int_equal(net_virt_ring_rx(&f->cons, deliver, &s, &f->c), 0);
	assert_int_equal(comp_ring_notify(&f->cons), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.len[0], 60);
	assert_int_equal(s.first[0], 1);
	assert_int_equal(s.len[1], NET_FRAME_MAX);
	assert_int_equal(s.first[1], 3);
	assert_int_equal(s.len[2], 1514);
	assert_int_equal(s.first[2], 6);
	assert_int_equal(get(&f->c.rx_frames), 6);
	assert_int_equal(get(&f->c.rx_bad), 3);
	assert_int_equal(comp_ring_in_count(&f->prod), CAP);
	assert_int_equal(net_virt_ring_rx(NULL, deliver, &s, &f->c), -EINVAL);
	assert_int_equal(net_virt_ring_rx(&f->cons, NULL, &s, &f->c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
