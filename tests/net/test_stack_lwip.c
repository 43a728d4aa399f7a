/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The lwIP stack behind the stack interface (src/net/stack.h), against the
 * peer written by hand (peer.c, frame.c) on the other ends of its two
 * rings: ARP answered, UDP datagrams checked (IP and UDP checksums,
 * payload checksum, order per sender), datagrams injected for bound and
 * unbound ports, every error of the interface, and the counters (the
 * cases of stack_cases.c, which every stack passes, and lwIP's own); a
 * broken NIC.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/ring.h>

#include "frame.h"
#include "peer.h"
#include "rb_test.h"
#include "stack_cases.h"

#define PORT_SRC 5000

/* Each test on a domain of its own. */
static int setup(void **state)
{
	struct dom_config dc = {.name = "net", .vcpus = 2};
	struct dom *d;

	assert_int_equal(dom_create(&d, &dc), 0);
	*state = peer_setup("lwip", d);
	return 0;
}

static int teardown(void **state)
{
	struct peer *f = *state;
	struct dom *d = f->d;

	peer_teardown(f);
	assert_int_equal(dom_destroy(d), 0);
	return 0;
}

struct green_send {
	struct peer *f;
	struct net_udp *u;
	uint32_t sender, count;
};

static void *green_sender(void *arg)
{
	struct green_send *g = arg;

	peer_send(g->f, g->u, g->sender, 0, g->count);
	return NULL;
}

/* Datagrams from a green thread and an entered host thread at once: all
 * arrive intact, in order per sender. */
static void test_send_green_and_entered(void **state)
{
	struct peer *f = *state;
	uint32_t n = RB_SCALE(3000);
	struct net_udp *u1, *u2;
	struct dom_thread *t;
	struct dom_thread_attr a = {.name = "sender", .vcpu = -1};
	struct net_stack_stats st;

	peer_stack_up(f);
	peer_start(f);
	assert_int_equal(f->ops->udp_open(f->s, &u1, NULL, NULL), 0);
	assert_int_equal(f->ops->udp_open(f->s, &u2, NULL, NULL), 0);
	assert_int_equal(f->ops->udp_bind(u1, 0, PORT_SRC), 0);
	struct green_send g = {f, u1, 1, n};
	assert_int_equal(dom_thread_create(f->d, &t, &a, green_sender, &g), 0);
	peer_send(f, u2, 2, 0, n);
	assert_int_equal(dom_thread_join(t, NULL), 0);
	peer_wait_got(f, 1, n);
	peer_wait_got(f, 2, n);
	assert_int_equal(atomic_load(&f->bad), 0);
	assert_int_equal(f->ops->get_stats(f->s, &st), 0);
	assert_int_equal(st.udp_sent, 2 * (uint64_t)n);
	assert_true(st.tx_frames >= 2 * (uint64_t)n + 1); /* + the ARP request */
	assert_int_equal(st.ring_errors, 0);
	assert_int_equal(f->ops->udp_close(u1), 0);
	assert_int_equal(f->ops->udp_close(u2), 0);
}

struct rx_count {
	atomic_uint got, bad;
};

static void on_good(void *arg, const void *data, size_t len, uint32_t src, uint16_t sport)
{
	struct rx_count *c = arg;
	uint32_t sender, seq;

	(void)src;
	if (sport != 4242 || payload_check(data, len, &sender, &seq) != 0 || sender != 0 ||
	    seq != 0)
		atomic_fetch_add(&c->bad, 1);
	else
		atomic_fetch_add(&c->got, 1);
}

/* A hostile or broken NIC: random bytes, truncated and oversized frames,
 * IPv4 / UDP headers with wrong lengths and checksums, descriptors of
 * length 0.  The stack never crashes (ASan checks its reads), counts every
 * frame, and still delivers a good datagram afterwards. */
static void test_receive_garbage(void **state)
{
	struct peer *f = *state;
	uint32_t n = RB_SCALE(3000), rnd = 12345;
	uint8_t pl[NET_UDP_PAYLOAD_MAX], fr[NET_BUF_SIZE];
	struct rx_count c = {0};
	struct net_udp *u;
	struct net_stack_stats st;
	uint64_t end;
	size_t len;

	peer_stack_up(f);
	assert_int_equal(f->ops->udp_open(f->s, &u, on_good, &c), 0);
	assert_int_equal(f->ops->udp_bind(u, 0, 7000), 0);
	for (uint32_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(fr); k++) {
			rnd = rnd * 1103515245u + 12345u;
			fr[k] = (uint8_t)(rnd >> 16);
		}
		rnd = rnd * 1103515245u + 12345u;
		len = (rnd >> 8) % (NET_BUF_SIZE + 1);
		switch (i % 4) {
		case 0: /* random bytes */
			break;
		case 1: /* ours, IPv4, then garbage */
			memcpy(fr, peer_stack_mac, 6);
			fr[12] = 0x08;
			fr[13] = 0x00;
			fr[14] = 0x45;
			break;
		case 2: { /* a UDP datagram for us, its lengths and sums mangled */
			size_t pn = payload_make(pl, 0, i);

			len = frame_udp(fr, peer_mac, peer_stack_mac, f->peer_ip, f->stack_ip, 4242,
					7000, pl, pn);
			fr[14 + (rnd >> 4) % 28] ^= (uint8_t)(1u << ((rnd >> 12) % 8));
			if ((rnd >> 20) & 1)
				len = (rnd >> 8) % len;
			break;
		}
		case 3: /* ARP for us, truncated */
			memset(fr, 0xff, 6);
			fr[12] = 0x08;
			fr[13] = 0x06;
			len = 14 + (rnd >> 8) % 28;
			break;
		}
		peer_put(f, fr, len);
	}
	/* a good one after all that */
	len = payload_make(pl, 0, 0);
	len = frame_udp(fr, peer_mac, peer_stack_mac, f->peer_ip, f->stack_ip, 4242, 7000, pl, len);
	peer_put(f, fr, len);
	end = rb_deadline(RB_HANG_NS);
	/* the frame is counted before lwIP hands it to the callback: wait for
	 * both */
	while (f->ops->get_stats(f->s, &st), st.rx_frames < (uint64_t)n + 1 ||
						 atomic_load(&c.got) < 1) {
		if (mk_clock_now_ns() > end)
			fail_msg("the stack took %llu of %u frames, delivered %u",
				 (unsigned long long)st.rx_frames, n + 1, atomic_load(&c.got));
		dom_sleep_ns(1000000);
	}
	/* no mangled datagram got through to the socket (the IP and UDP
	 * checksums catch every flipped bit); the good one did */
	assert_int_equal(atomic_load(&c.bad), 0);
	assert_int_equal(atomic_load(&c.got), 1);
	assert_int_equal(st.ring_errors, 0);
	assert_true(st.rx_bad > 0); /* lengths 0..13 and over NET_FRAME_MAX */
	assert_int_equal(f->ops->udp_close(u), 0);
}

struct fini_call {
	struct peer *f;
	atomic_int done; /* 1 + fini's result, 0 while it runs */
};

static void *green_fini(void *arg)
{
	struct fini_call *c = arg;

	atomic_store(&c->done, 1 + c->f->ops->fini(c->f->s));
	return NULL;
}

/* An idle stack (its input thread parked without a deadline, after
 * NET_LWIP_ACTIVE_NS with no traffic) is woken by fini, which returns: the
 * parked thread must not sleep in the rx ring's wait, which takes fini's
 * wake-up (an event of rx_events, no frame) as spurious and sleeps on. */
static void test_fini_idle(void **state)
{
	struct peer *f = *state;
	struct fini_call c = {f, 0};
	struct dom_thread_attr a = {.name = "fini", .vcpu = -1};
	struct dom_thread *t;
	uint64_t end;

	peer_stack_up(f);
	dom_sleep_ns(3000000000ull); /* over NET_LWIP_ACTIVE_NS: the thread parks */
	assert_int_equal(dom_thread_create(f->d, &t, &a, green_fini, &c), 0);
	end = rb_deadline(RB_HANG_NS);
	while (atomic_load(&c.done) == 0) {
		if (mk_clock_now_ns() > end) {
			f->s = NULL; /* still in fini: the teardown must not call it */
			fail_msg("fini of an idle stack has not returned in %llu s",
				 (unsigned long long)(RB_HANG_NS / 1000000000u));
		}
		dom_sleep_ns(1000000);
	}
	assert_int_equal(dom_thread_join(t, NULL), 0);
	assert_int_equal(atomic_load(&c.done), 1);
	f->s = NULL;
}

/* lwIP's ephemeral ports (0xc000..0xffff) all taken: a bind to port 0
 * and the first datagram of an unbound socket, which binds it first, are
 * -EADDRINUSE (stack.h), and closing one socket gives its port back. */
static void test_ephemeral_ports_exhausted(void **state)
{
	enum { MAX = 20000 };
	struct peer *f = *state;
	struct net_udp **u = calloc(MAX, sizeof(*u)), *extra;
	int n = 0, e = 0;

	assert_non_null(u);
	peer_stack_up(f);
	peer_start(f);
	while (n < MAX) {
		assert_int_equal(f->ops->udp_open(f->s, &u[n], NULL, NULL), 0);
		if ((e = f->ops->udp_bind(u[n], 0, 0)) != 0)
			break;
		n++;
	}
	if (n == MAX)
		fail_msg("%d sockets bound to ephemeral ports and none ran out", n);
	assert_int_equal(e, -EADDRINUSE);
	assert_int_equal(n, 0x10000 - 0xc000);
	/* u[n] is open, unbound: its first datagram cannot bind it */
	assert_int_equal(f->ops->udp_sendto(u[n], "x", 1, f->peer_ip, PEER_PORT_SINK),
			 -EADDRINUSE);
	assert_int_equal(f->ops->udp_close(u[0]), 0);
	assert_int_equal(f->ops->udp_bind(u[n], 0, 0), 0);
	assert_int_equal(f->ops->udp_open(f->s, &extra, NULL, NULL), 0);
	assert_int_equal(f->ops->udp_bind(extra, 0, 0), -EADDRINUSE);
	assert_int_equal(f->ops->udp_close(extra), 0);
	for (int i = 1; i <= n; i++)
		assert_int_equal(f->ops->udp_close(u[i]), 0);
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_send_green_and_entered, setup, teardown),
		cmocka_unit_test_setup_teardown(stack_case_receive, setup, teardown),
		cmocka_unit_test_setup_teardown(stack_case_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(stack_case_callers, setup, teardown),
		cmocka_unit_test_setup_teardown(stack_case_tx_ring_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ephemeral_ports_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fini_idle, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
