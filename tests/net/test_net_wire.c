/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Wire mode: the rump kernel's stack and the lwIP stack, each in a domain
 * of its own, joined by two sDDF rings with no NIC in between (one
 * stack's tx ring is the other's rx ring).  N datagrams each way, every
 * one checked (payload checksum, sender, order) by the receiving socket's
 * callback, then both stacks' counters.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/ring.h>

#include "net/stack.h"
#include "rb_test.h"

#define CAP 64u
#define EV_RX (UINT64_C(1) << 1)    /* frames on the stack's rx ring */
#define EV_SPACE (UINT64_C(1) << 2) /* the peer returned tx buffers */
#define PORT_RUMP 7000
#define PORT_LWIP 7001

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Payload: seq, len, checksum of the rest, then bytes derived from seq. */
static size_t make_payload(uint8_t *buf, uint32_t seq)
{
	uint32_t len = 12 + (seq * 131) % 1400, sum;

	for (uint32_t i = 12; i < len; i++)
		buf[i] = (uint8_t)(seq * 13 + i);
	sum = fnv(buf + 12, len - 12);
	memcpy(buf, &seq, 4);
	memcpy(buf + 4, &len, 4);
	memcpy(buf + 8, &sum, 4);
	return len;
}

struct side {
	const struct net_stack_ops *ops;
	struct dom *d;
	struct comp_ring tx, rx;
	struct comp_ring_dom_event ev_rx, ev_space;
	struct net_stack *s;
	struct net_udp *u;
	uint32_t ip;
	uint8_t mac[6];
	/* what the callback saw */
	atomic_uint got, bad;
	uint32_t next; /* callbacks are serialised by the stack */
	uint32_t src_ip;
	uint64_t sum; /* of the payload checksums received */
};

static void on_datagram(void *arg, const void *data, size_t len, uint32_t src, uint16_t sport)
{
	struct side *sd = arg;
	uint32_t seq, l, sum;

	(void)sport;
	if (len < 12) {
		atomic_fetch_add(&sd->bad, 1);
		return;
	}
	memcpy(&seq, data, 4);
	memcpy(&l, (const uint8_t *)data + 4, 4);
	memcpy(&sum, (const uint8_t *)data + 8, 4);
	if (l != len || sum != fnv((const uint8_t *)data + 12, len - 12) || seq != sd->next ||
	    src != sd->src_ip) {
		atomic_fetch_add(&sd->bad, 1);
		return;
	}
	sd->next++;
	sd->sum += sum;
	atomic_fetch_add(&sd->got, 1);
}

struct wire {
	struct side a, b; /* a: rump, b: lwip */
	void *mem_ab, *mem_ba;
	size_t size;
};

static void *ring_mem(size_t size)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, COMP_RING_PAGE, size), 0);
	assert_int_equal(comp_ring_format(p, size, CAP, (uint64_t)CAP * NET_BUF_SIZE, NET_BUF_SIZE),
			 0);
	return p;
}

/* from's tx and to's rx on one ring (mem) */
static void join(struct side *from, struct side *to, void *mem, size_t size)
{
	struct comp_ring_channel tx_ch = {comp_ring_dom_signal, &to->ev_rx, comp_ring_dom_wait,
					  &from->ev_space, 0};
	struct comp_ring_channel rx_ch = {comp_ring_dom_signal, &from->ev_space, comp_ring_dom_wait,
					  &to->ev_rx, 0};

	assert_int_equal(comp_ring_attach(&from->tx, mem, size, COMP_RING_PRODUCER, CAP, &tx_ch), 0);
	assert_int_equal(comp_ring_attach(&to->rx, mem, size, COMP_RING_CONSUMER, CAP, &rx_ch), 0);
}

static struct net_stack_config config(struct side *sd)
{
	struct net_stack_config c = {.d = sd->d,
				     .addr = sd->ip,
				     .netmask = inet_addr("255.255.255.0"),
				     .tx = &sd->tx,
				     .rx = &sd->rx,
				     .rx_events = EV_RX};

	memcpy(c.mac, sd->mac, 6);
	return c;
}

struct up_arg {
	struct side *sd;
	int e;
};

/* Bring a side's stack up and bind its socket, entered in its domain. */
static void *side_up(void *arg)
{
	struct up_arg *ua = arg;
	struct side *sd = ua->sd;
	struct net_stack_config c = config(sd);
	uint16_t port = strcmp(sd->ops->name, "rump") == 0 ? PORT_RUMP : PORT_LWIP;

	assert_int_equal(dom_enter(sd->d), 0);
	ua->e = sd->ops->init(&sd->s, &c);
	if (ua->e == 0)
		ua->e = sd->ops->udp_open(sd->s, &sd->u, on_datagram, sd);
	if (ua->e == 0)
		ua->e = sd->ops->udp_bind(sd->u, 0, port);
	assert_int_equal(dom_leave(sd->d), 0);
	return NULL;
}

/* Close a side's socket and stop its stack, entered in its domain. */
static void *side_down(void *arg)
{
	struct up_arg *ua = arg;
	struct side *sd = ua->sd;

	assert_int_equal(dom_enter(sd->d), 0);
	ua->e = sd->ops->udp_close(sd->u);
	if (ua->e == 0)
		ua->e = sd->ops->fini(sd->s);
	assert_int_equal(dom_leave(sd->d), 0);
	return NULL;
}

struct send_arg {
	struct side *from, *to;
	uint32_t from_seq, n;
	int e;
};

/* Send datagrams [from_seq, n) to the other side, retrying (bounded) on
 * -ENOBUFS and -EAGAIN; entered in the sender's domain. */
static void *side_send(void *arg)
{
	struct send_arg *sa = arg;
	struct side *sd = sa->from;
	uint16_t port = strcmp(sa->to->ops->name, "rump") == 0 ? PORT_RUMP : PORT_LWIP;
	uint8_t buf[NET_UDP_PAYLOAD_MAX];
	uint64_t end = rb_deadline(RB_HANG_NS);

	assert_int_equal(dom_enter(sd->d), 0);
	for (uint32_t seq = sa->from_seq; seq < sa->n && sa->e == 0; seq++) {
		size_t len = make_payload(buf, seq);
		int e;

		while ((e = sd->ops->udp_sendto(sd->u, buf, len, sa->to->ip, port)) == -ENOBUFS ||
		       e == -EAGAIN) {
			if (mk_clock_now_ns() > end) {
				e = -ETIMEDOUT;
				break;
			}
			dom_sleep_ns(20000);
		}
		sa->e = e;
	}
	assert_int_equal(dom_leave(sd->d), 0);
	return NULL;
}

static void wait_got(struct side *sd, uint32_t n)
{
	uint64_t end = rb_deadline(RB_HANG_NS);

	while (atomic_load(&sd->got) < n) {
		if (mk_clock_now_ns() > end) {
			struct net_stack_stats st = {0};

			sd->ops->get_stats(sd->s, &st);
			fail_msg("%s got %u of %u datagrams (bad %u; rx_frames %lu rx_bad %lu "
				 "udp_received %lu udp_no_socket %lu)",
				 sd->ops->name, atomic_load(&sd->got), n, atomic_load(&sd->bad),
				 (unsigned long)st.rx_frames, (unsigned long)st.rx_bad,
				 (unsigned long)st.udp_received, (unsigned long)st.udp_no_socket);
		}
		rb_sleep_ms(1);
	}
}

static void test_wire_rump_lwip(void **state)
{
	struct wire *w = calloc(1, sizeof(*w));
	struct dom_config dc_a = {.name = "rump", .vcpus = 2}, dc_b = {.name = "lwip", .vcpus = 1};
	uint32_t n = RB_SCALE(3000);
	pthread_t th[2];

	(void)state;
	assert_non_null(w);
	w->a.ops = net_stack_find("rump");
	w->b.ops = net_stack_find("lwip");
	if (w->a.ops == NULL || w->b.ops == NULL) {
		free(w);
		skip();
	}
	assert_int_equal(dom_create(&w->a.d, &dc_a), 0);
	assert_int_equal(dom_create(&w->b.d, &dc_b), 0);
	w->a.ip = inet_addr("10.0.7.1");
	w->b.ip = inet_addr("10.0.7.2");
	w->a.src_ip = w->b.ip;
	w->b.src_ip = w->a.ip;
	memcpy(w->a.mac, (uint8_t[6]){0x02, 0, 0, 0, 7, 1}, 6);
	memcpy(w->b.mac, (uint8_t[6]){0x02, 0, 0, 0, 7, 2}, 6);
	w->a.ev_rx = (struct comp_ring_dom_event){w->a.d, EV_RX};
	w->a.ev_space = (struct comp_ring_dom_event){w->a.d, EV_SPACE};
	w->b.ev_rx = (struct comp_ring_dom_event){w->b.d, EV_RX};
	w->b.ev_space = (struct comp_ring_dom_event){w->b.d, EV_SPACE};
	w->size = comp_ring_size(CAP, (uint64_t)CAP * NET_BUF_SIZE);
	w->mem_ab = ring_mem(w->size);
	w->mem_ba = ring_mem(w->size);
	join(&w->a, &w->b, w->mem_ab, w->size);
	join(&w->b, &w->a, w->mem_ba, w->size);
	for (int i = 0; i < 2; i++) {
		struct up_arg ua = {i == 0 ? &w->a : &w->b, 0};

		assert_int_equal(pthread_create(&th[0], NULL, side_up, &ua), 0);
		assert_int_equal(pthread_join(th[0], NULL), 0);
		assert_int_equal(ua.e, 0);
	}
	/* rump first sends one datagram alone: NetBSD holds one datagram
	 * per unresolved next hop and drops an older one silently */
	struct send_arg first = {&w->a, &w->b, 0, 1, 0};
	assert_int_equal(pthread_create(&th[0], NULL, side_send, &first), 0);
	assert_int_equal(pthread_join(th[0], NULL), 0);
	assert_int_equal(first.e, 0);
	wait_got(&w->b, 1);
	/* then both ways at once */
	struct send_arg ab = {&w->a, &w->b, 1, n, 0}, ba = {&w->b, &w->a, 0, n, 0};
	assert_int_equal(pthread_create(&th[0], NULL, side_send, &ab), 0);
	assert_int_equal(pthread_create(&th[1], NULL, side_send, &ba), 0);
	assert_int_equal(pthread_join(th[0], NULL), 0);
	assert_int_equal(pthread_join(th[1], NULL), 0);
	assert_int_equal(ab.e, 0);
	assert_int_equal(ba.e, 0);
	wait_got(&w->b, n);
	wait_got(&w->a, n);
	assert_int_equal(atomic_load(&w->a.bad), 0);
	assert_int_equal(atomic_load(&w->b.bad), 0);
	/* the sums of the checksums: every datagram once */
	{
		uint8_t buf[NET_UDP_PAYLOAD_MAX];
		uint64_t want = 0;
		uint32_t sum;

		for (uint32_t seq = 0; seq < n; seq++) {
			make_payload(buf, seq);
			memcpy(&sum, buf + 8, 4);
			want += sum;
		}
		assert_int_equal(w->a.sum, want);
		assert_int_equal(w->b.sum, want);
	}
	for (int i = 0; i < 2; i++) {
		struct up_arg ua = {i == 0 ? &w->a : &w->b, 0};

		assert_int_equal(pthread_create(&th[0], NULL, side_down, &ua), 0);
		assert_int_equal(pthread_join(th[0], NULL), 0);
		assert_int_equal(ua.e, 0);
	}
	comp_ring_detach(&w->a.tx);
	comp_ring_detach(&w->a.rx);
	comp_ring_detach(&w->b.tx);
	comp_ring_detach(&w->b.rx);
	assert_int_equal(dom_destroy(w->b.d), 0);
	/* the rump side's kernel outlives the test: its domain stays */
	free(w->mem_ab);
	free(w->mem_ba);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_rump_lwip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
