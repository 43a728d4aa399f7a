/* SPDX-License-Identifier: BSD-2-Clause */
/* Test cases every stack passes (stack_cases.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "frame.h"
#include "rb_test.h"
#include "stack_cases.h"

#define PORT_SRC 5000
#define PORT_BOUND 7000	  /* the receiving socket's */
#define PORT_UNBOUND 7001 /* no socket's */
#define PORT_PEER 4242	  /* the peer's source port */

struct rx_log {
	struct peer *f;
	struct net_udp *u;
	atomic_uint got;
	atomic_uint bad;
	uint32_t next_seq;
	int sendto_in_callback;
};

static void on_datagram(void *arg, const void *data, size_t len, uint32_t src, uint16_t sport)
{
	struct rx_log *l = arg;
	uint32_t sender, seq;

	if (atomic_load(&l->got) == 0) /* calling the stack from a callback */
		l->sendto_in_callback = l->f->ops->udp_sendto(l->u, "x", 1, src, sport);
	if (src != l->f->peer_ip || sport != PORT_PEER ||
	    payload_check(data, len, &sender, &seq) != 0 || sender != 0 || seq != l->next_seq) {
		atomic_fetch_add(&l->bad, 1);
		return;
	}
	l->next_seq++;
	atomic_fetch_add(&l->got, 1);
}

/* Put datagram seq of sender 0 from the peer to port on the rx ring. */
static void put_datagram(struct peer *f, uint32_t seq, uint16_t port)
{
	uint8_t pl[NET_UDP_PAYLOAD_MAX], fr[NET_FRAME_MAX];
	size_t len = payload_make(pl, 0, seq);

	len = frame_udp(fr, peer_mac, peer_stack_mac, f->peer_ip, f->stack_ip, PORT_PEER, port, pl,
			len);
	peer_put(f, fr, len);
}

void stack_case_receive(void **state)
{
	struct peer *f = *state;
	uint32_t n = RB_SCALE(2000);
	struct rx_log l = {.f = f};
	struct net_stack_stats st;
	uint64_t end;

	peer_stack_up(f);
	assert_int_equal(f->ops->udp_open(f->s, &l.u, on_datagram, &l), 0);
	assert_int_equal(f->ops->udp_bind(l.u, f->stack_ip, PORT_BOUND), 0);
	/* let the stack's receiving thread go idle, then wake it with frames */
	dom_sleep_ns(10000000);
	for (uint32_t seq = 0; seq < n; seq++)
		put_datagram(f, seq, PORT_BOUND);
	for (int i = 0; i < 3; i++)
		put_datagram(f, 0, PORT_UNBOUND);
	end = rb_deadline(RB_HANG_NS);
	while (atomic_load(&l.got) < n || (f->ops->get_stats(f->s, &st), st.udp_no_socket < 3)) {
		if (mk_clock_now_ns() > end && f->ops->get_stats(f->s, &st) == 0)
			fail_msg("received %u of %u (bad %u; rx_frames %llu rx_bad %llu "
				 "udp_received %llu udp_no_socket %llu)",
				 atomic_load(&l.got), n, atomic_load(&l.bad),
				 (unsigned long long)st.rx_frames, (unsigned long long)st.rx_bad,
				 (unsigned long long)st.udp_received,
				 (unsigned long long)st.udp_no_socket);
		dom_sleep_ns(1000000);
	}
	assert_int_equal(atomic_load(&l.bad), 0);
	assert_int_equal(l.sendto_in_callback, -EDEADLK);
	assert_int_equal(f->ops->get_stats(f->s, &st), 0);
	assert_int_equal(st.udp_received, n);
	assert_int_equal(st.udp_no_socket, 3);
	assert_int_equal(st.rx_frames, (uint64_t)n + 3);
	assert_int_equal(st.rx_bad, 0);
	assert_int_equal(f->ops->udp_close(l.u), 0);
}

/* The calls of the interface, by what they take. */
enum call {
	CALL_INIT,
	CALL_FINI,
	CALL_OPEN,
	CALL_BIND,
	CALL_SENDTO,
	CALL_CLOSE,
	CALL_STATS,
	CALL_N,
};
static const char *const call_name[CALL_N] = {"init",	"fini",	 "udp_open", "udp_bind",
					      "udp_sendto", "udp_close", "get_stats"};

/* Make call c of f's stack on socket u (bind: an ephemeral port; sendto:
 * one byte to the peer's sink; open: a socket closed again at once when
 * it opens).  Its result. */
static int make_call(struct peer *f, enum call c, struct net_udp *u)
{
	const struct net_stack_ops *ops = f->ops;
	struct net_stack_config cfg = peer_config(f);
	struct net_stack_stats st;
	struct net_stack *s2;
	struct net_udp *u2;
	int e;

	switch (c) {
	case CALL_INIT:
		return ops->init(&s2, &cfg);
	case CALL_FINI:
		return ops->fini(f->s);
	case CALL_OPEN:
		e = ops->udp_open(f->s, &u2, NULL, NULL);
		if (e == 0)
			ops->udp_close(u2);
		return e;
	case CALL_BIND:
		return ops->udp_bind(u, 0, 0);
	case CALL_SENDTO:
		return ops->udp_sendto(u, "x", 1, f->peer_ip, PEER_PORT_SINK);
	case CALL_CLOSE:
		return ops->udp_close(u);
	case CALL_STATS:
		return ops->get_stats(f->s, &st);
	default:
		return -1;
	}
}

struct plain_call {
	struct peer *f;
	struct net_udp *u;
	enum call c;
	int e;
};

/* A plain host thread (neither green nor entered) calls the stack. */
static void *plain_caller(void *arg)
{
	struct plain_call *pc = arg;

	pc->e = make_call(pc->f, pc->c, pc->u);
	return NULL;
}

/* What a plain host thread is told when it makes call c on u. */
static int plain_call(struct peer *f, enum call c, struct net_udp *u)
{
	struct plain_call pc = {f, u, c, 0};
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, plain_caller, &pc), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	return pc.e;
}

void stack_case_errors(void **state)
{
	struct peer *f = *state;
	struct net_stack_config c = peer_config(f);
	struct net_stack *s2;
	struct net_udp *u, *u2, *u3;
	struct net_stack_stats st;
	uint8_t big[NET_UDP_PAYLOAD_MAX + 1] = {0};
	const struct net_stack_ops *ops = f->ops;

	assert_int_equal(ops->init(NULL, &c), -EINVAL);
	assert_int_equal(ops->init(&s2, NULL), -EINVAL);
	c.addr = 0;
	assert_int_equal(ops->init(&s2, &c), -EINVAL);
	c = peer_config(f);
	c.mac[0] = 0x01; /* multicast */
	assert_int_equal(ops->init(&s2, &c), -EINVAL);
	c = peer_config(f);
	c.rx_events = UINT64_C(1) << 63;
	assert_int_equal(ops->init(&s2, &c), -EINVAL);
	c = peer_config(f);
	c.tx = &f->s_rx; /* wrong role */
	assert_int_equal(ops->init(&s2, &c), -EINVAL);
	c = peer_config(f);
	c.mac[0] = c.mac[1] = c.mac[2] = c.mac[3] = c.mac[4] = c.mac[5] = 0; /* zero MAC */
	assert_int_equal(ops->init(&s2, &c), -EINVAL);
	c = peer_config(f);
	c.netmask = 0;
	assert_int_equal(ops->init(&s2, &c), -EINVAL);
	c = peer_config(f);
	c.rx_events = 0;
	assert_int_equal(ops->init(&s2, &c), -EINVAL);
	c = peer_config(f);
	c.d = NULL;
	assert_int_equal(ops->init(&s2, &c), -EINVAL);
	c = peer_config(f);
	c.rx = NULL;
	assert_int_equal(ops->init(&s2, &c), -EINVAL);
	c = peer_config(f);
	assert_int_equal(plain_call(f, CALL_INIT, NULL), -EPERM);

	peer_stack_up(f);
	c = peer_config(f);
	assert_int_equal(ops->init(&s2, &c), -EBUSY);
	assert_int_equal(ops->udp_open(f->s, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(ops->udp_bind(NULL, 0, PORT_SRC), -EINVAL);
	assert_int_equal(ops->udp_sendto(NULL, "x", 1, f->peer_ip, PEER_PORT_SINK), -EINVAL);
	assert_int_equal(ops->udp_close(NULL), -EINVAL);
	assert_int_equal(ops->udp_open(NULL, &u, NULL, NULL), -EINVAL);
	assert_int_equal(ops->fini(NULL), -EINVAL);
	assert_int_equal(ops->get_stats(NULL, &st), -EINVAL);
	assert_int_equal(ops->get_stats(f->s, NULL), -EINVAL);
	assert_int_equal(ops->udp_open(f->s, &u, NULL, NULL), 0);
	assert_int_equal(ops->udp_open(f->s, &u2, NULL, NULL), 0);
	assert_int_equal(ops->udp_bind(u, 0, PORT_SRC), 0);
	assert_int_equal(ops->udp_bind(u, 0, PORT_SRC + 1), -EINVAL);
	assert_int_equal(ops->udp_bind(u2, 0, PORT_SRC), -EADDRINUSE);
	assert_int_equal(ops->udp_bind(u2, inet_addr("10.0.9.77"), PORT_SRC + 1), -EADDRNOTAVAIL);
	assert_int_equal(ops->udp_sendto(u, big, sizeof(big), f->peer_ip, PEER_PORT_SINK),
			 -EMSGSIZE);
	assert_int_equal(ops->udp_sendto(u, big, 8, f->peer_ip, 0), -EINVAL);
	assert_int_equal(ops->udp_sendto(u, big, 8, 0, PEER_PORT_SINK), -EINVAL);
	assert_int_equal(ops->udp_sendto(u, big, 8, 0xffffffffu, PEER_PORT_SINK), -EINVAL);
	assert_int_equal(ops->udp_sendto(u, NULL, 8, f->peer_ip, PEER_PORT_SINK), -EINVAL);
	assert_int_equal(ops->udp_sendto(u, big, 8, inet_addr("192.0.2.1"), PEER_PORT_SINK),
			 -EHOSTUNREACH);
	/* a socket bound by its first datagram is bound */
	assert_int_equal(ops->udp_open(f->s, &u3, NULL, NULL), 0);
	assert_int_equal(ops->udp_sendto(u3, big, 8, inet_addr("192.0.2.1"), PEER_PORT_SINK),
			 -EHOSTUNREACH);
	atomic_store(&f->answer_arp, false);
	assert_int_equal(ops->udp_sendto(u3, big, 8, f->peer_ip, PEER_PORT_SINK), 0);
	assert_int_equal(ops->udp_bind(u3, 0, PORT_SRC + 2), -EINVAL);
	assert_int_equal(ops->udp_close(u3), 0);

	/* no ARP answer: one datagram waits for the resolution (u3's, above),
	 * the next is refused rather than silently displacing it */
	peer_start(f);
	assert_int_equal(ops->udp_sendto(u, big, 8, f->peer_ip, PEER_PORT_SINK), -EAGAIN);
	assert_int_equal(ops->udp_close(u), 0);
	assert_int_equal(ops->udp_close(u2), 0);
}

void stack_case_tx_ring_full(void **state)
{
	struct peer *f = *state;
	struct net_udp *u;
	struct net_stack_stats st;
	uint8_t pl[NET_UDP_PAYLOAD_MAX];
	unsigned ok = 0, full = 0;

	u = peer_up_warm(f); /* ARP resolved, datagram 0 delivered */
	peer_stop(f);
	for (uint32_t seq = 1; seq < 4 * PEER_CAP; seq++) {
		size_t len = payload_make(pl, 0, seq);
		int e = f->ops->udp_sendto(u, pl, len, f->peer_ip, PEER_PORT_SINK);

		if (e == 0)
			ok++;
		else if (e == -ENOBUFS)
			full++;
		else
			fail_msg("sendto %d", e);
	}
	assert_true(ok <= PEER_CAP); /* as many as the ring holds buffers */
	assert_int_equal(ok + full, 4 * PEER_CAP - 1);
	assert_int_equal(f->ops->get_stats(f->s, &st), 0);
	assert_int_equal(st.tx_ring_full, full);
	assert_int_equal(st.udp_sent, 1 + ok);
	assert_int_equal(f->ops->udp_close(u), 0);
}

/* The callers of stack.h: every call from a plain host thread, and every
 * call from a receive callback, with what each must say. */
struct cb_calls {
	struct peer *f;
	struct net_udp *u;
	atomic_uint runs;
	int e[CALL_N];
};

static void calling_callback(void *arg, const void *data, size_t len, uint32_t src, uint16_t sport)
{
	struct cb_calls *cc = arg;

	(void)data;
	(void)len;
	(void)src;
	(void)sport;
	if (atomic_load(&cc->runs) == 0)
		for (int c = 0; c < CALL_N; c++)
			cc->e[c] = make_call(cc->f, (enum call)c, cc->u);
	atomic_fetch_add(&cc->runs, 1);
}

void stack_case_callers(void **state)
{
	struct peer *f = *state;
	const struct net_stack_ops *ops = f->ops;
	struct cb_calls cc = {.f = f};
	struct net_stack_stats st;
	struct net_udp *u;
	uint64_t end;

	peer_stack_up(f);
	peer_start(f);
	assert_int_equal(ops->udp_open(f->s, &u, NULL, NULL), 0);
	/* a plain thread: -EPERM for all but get_stats (any thread) */
	for (int c = 0; c < CALL_N; c++) {
		int e = plain_call(f, (enum call)c, u);

		if (e != (c == CALL_STATS ? 0 : -EPERM))
			fail_msg("%s from a plain thread: %d", call_name[c], e);
	}
	/* nothing happened: the socket is open and unbound, the stack up */
	assert_int_equal(ops->udp_bind(u, 0, PORT_SRC), 0);
	assert_int_equal(ops->udp_close(u), 0);
	assert_int_equal(ops->get_stats(f->s, &st), 0);
	assert_int_equal(st.udp_sent, 0);

	/* a receive callback: -EDEADLK for every call of this stack but
	 * get_stats (any thread) and init (-EBUSY: this stack is up) */
	assert_int_equal(ops->udp_open(f->s, &cc.u, calling_callback, &cc), 0);
	assert_int_equal(ops->udp_bind(cc.u, f->stack_ip, PORT_BOUND), 0);
	put_datagram(f, 0, PORT_BOUND);
	end = rb_deadline(RB_HANG_NS);
	while (atomic_load(&cc.runs) == 0) {
		if (mk_clock_now_ns() > end)
			fail_msg("the callback did not run");
		dom_sleep_ns(1000000);
	}
	for (int c = 0; c < CALL_N; c++) {
		int want = c == CALL_STATS ? 0 : c == CALL_INIT ? -EBUSY : -EDEADLK;

		if (cc.e[c] != want)
			fail_msg("%s from a receive callback: %d, wanted %d", call_name[c], cc.e[c],
				 want);
	}
	/* the socket and the stack survived the refused calls */
	put_datagram(f, 1, PORT_BOUND);
	while (atomic_load(&cc.runs) < 2) {
		if (mk_clock_now_ns() > end)
			fail_msg("the callback did not run again after the refused calls");
		dom_sleep_ns(1000000);
	}
	assert_int_equal(ops->get_stats(f->s, &st), 0);
	assert_int_equal(st.udp_received, 2);
	assert_int_equal(st.udp_sent, 0);
	assert_int_equal(ops->udp_close(cc.u), 0);
}
