/* SPDX-License-Identifier: BSD-2-Clause */
/* The tests' peer of a stack on its two rings (peer.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "peer.h"
#include "rb_test.h"

const uint8_t peer_stack_mac[6] = {0x02, 0, 0, 0, 0, 1};
const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 2};

/* Payload: a header and filler derived from it, with a checksum. */
struct payload {
	uint32_t sender, seq, len, sum;
};

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

size_t payload_make(uint8_t *buf, uint32_t sender, uint32_t seq)
{
	struct payload h = {sender, seq, 16 + (seq * 37 + sender * 11) % 1200, 0};

	for (uint32_t i = 16; i < h.len; i++)
		buf[i] = (uint8_t)(seq * 7 + i + sender);
	h.sum = fnv(buf + 16, h.len - 16);
	memcpy(buf, &h, sizeof(h));
	return h.len;
}

int payload_check(const uint8_t *data, size_t len, uint32_t *sender, uint32_t *seq)
{
	struct payload h;

	if (len < sizeof(h))
		return -1;
	memcpy(&h, data, sizeof(h));
	if (h.len != len || h.sum != fnv(data + 16, len - 16) || h.sender >= PEER_SENDERS)
		return -1;
	*sender = h.sender;
	*seq = h.seq;
	return 0;
}

static void *ring_mem(size_t size)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, COMP_RING_PAGE, size), 0);
	return p;
}

/* One ring of PEER_CAP buffers of NET_BUF_SIZE bytes. */
static void *ring_new(size_t size)
{
	void *mem = ring_mem(size);

	assert_int_equal(comp_ring_format(mem, size, PEER_CAP, (uint64_t)PEER_CAP * NET_BUF_SIZE,
					  NET_BUF_SIZE),
			 0);
	return mem;
}

struct peer *peer_setup(const char *stack, struct dom *d)
{
	struct peer *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ops = net_stack_find(stack);
	assert_non_null(f->ops);
	f->d = d;
	f->size = comp_ring_size(PEER_CAP, (uint64_t)PEER_CAP * NET_BUF_SIZE);
	f->txmem = ring_new(f->size);
	f->rxmem = ring_new(f->size);
	assert_int_equal(mk_notification_init(&f->ntx, 0), 0);
	assert_int_equal(mk_notification_init(&f->nrx, 0), 0);
	f->p_tx_n = (struct comp_ring_notification){&f->ntx, 1, 0};
	f->p_rx_n = (struct comp_ring_notification){&f->nrx, 1, 0};
	f->s_tx_ev = (struct comp_ring_dom_event){f->d, PEER_EV_TX};
	f->s_rx_ev = (struct comp_ring_dom_event){f->d, PEER_EV_RX};
	/* the stack signals the peer's notifications and waits on its
	 * domain's events; the peer the other way round */
	struct comp_ring_channel s_tx_ch = {comp_ring_notification_signal, &f->p_tx_n,
					    comp_ring_dom_wait, &f->s_tx_ev, 0};
	struct comp_ring_channel s_rx_ch = {comp_ring_notification_signal, &f->p_rx_n,
					    comp_ring_dom_wait, &f->s_rx_ev, 0};
	struct comp_ring_channel p_tx_ch = {comp_ring_dom_signal, &f->s_tx_ev,
					    comp_ring_notification_wait, &f->p_tx_n, 0};
	struct comp_ring_channel p_rx_ch = {comp_ring_dom_signal, &f->s_rx_ev,
					    comp_ring_notification_wait, &f->p_rx_n, 0};
	assert_int_equal(comp_ring_attach(&f->s_tx, f->txmem, f->size, COMP_RING_PRODUCER,
					  PEER_CAP, &s_tx_ch),
			 0);
	assert_int_equal(comp_ring_attach(&f->p_tx, f->txmem, f->size, COMP_RING_CONSUMER,
					  PEER_CAP, &p_tx_ch),
			 0);
	assert_int_equal(comp_ring_attach(&f->s_rx, f->rxmem, f->size, COMP_RING_CONSUMER,
					  PEER_CAP, &s_rx_ch),
			 0);
	assert_int_equal(comp_ring_attach(&f->p_rx, f->rxmem, f->size, COMP_RING_PRODUCER,
					  PEER_CAP, &p_rx_ch),
			 0);
	f->stack_ip = inet_addr("10.0.9.1");
	f->peer_ip = inet_addr("10.0.9.2");
	f->mask = inet_addr("255.255.255.0");
	atomic_store(&f->answer_arp, true);
	assert_int_equal(dom_enter(f->d), 0);
	return f;
}

void peer_teardown(struct peer *f)
{
	peer_stop(f);
	if (f->s != NULL)
		assert_int_equal(f->ops->fini(f->s), 0);
	assert_int_equal(dom_leave(f->d), 0);
	comp_ring_detach(&f->s_tx);
	comp_ring_detach(&f->s_rx);
	comp_ring_detach(&f->p_tx);
	comp_ring_detach(&f->p_rx);
	mk_notification_destroy(&f->ntx);
	mk_notification_destroy(&f->nrx);
	free(f->txmem);
	free(f->rxmem);
	free(f);
}

struct net_stack_config peer_config(struct peer *f)
{
	struct net_stack_config c = {.d = f->d,
				     .addr = f->stack_ip,
				     .netmask = f->mask,
				     .tx = &f->s_tx,
				     .rx = &f->s_rx,
				     .rx_events = PEER_EV_RX};

	memcpy(c.mac, peer_stack_mac, 6);
	return c;
}

void peer_stack_up(struct peer *f)
{
	struct net_stack_config c = peer_config(f);

	assert_int_equal(f->ops->init(&f->s, &c), 0);
}

void peer_put(struct peer *f, const uint8_t *frame, size_t len)
{
	struct comp_ring_desc d;
	uint64_t end = rb_deadline(RB_HANG_NS);
	void *buf;
	int e;

	/* bounded: a stack that stops taking frames fails the test */
	while ((e = comp_ring_dequeue(&f->p_rx, &d, 0)) == -EAGAIN)
		if (comp_ring_wait_until(&f->p_rx, COMP_RING_DATA, end) == -ETIMEDOUT)
			fail_msg("the stack has taken no frame from its rx ring for %llu s",
				 (unsigned long long)(RB_HANG_NS / 1000000000u));
	assert_int_equal(e, 0);
	buf = comp_ring_buf(&f->p_rx, &d);
	assert_non_null(buf);
	assert_true(d.len >= len);
	memcpy(buf, frame, len);
	d.len = (uint32_t)len;
	assert_int_equal(comp_ring_enqueue(&f->p_rx, &d, 0), 0);
}

/* One frame the stack sent: answer it or check it. */
static void peer_take(struct peer *f, const uint8_t *fr, size_t len)
{
	uint8_t reply[64];
	struct frame_info fi;
	uint32_t sender = 0, seq = 0;

	if (fr == NULL || frame_parse(fr, len, &fi) != 0) {
		atomic_fetch_add(&f->bad, 1);
	} else if (fi.kind == FRAME_ARP_REQUEST && fi.dst_ip == f->peer_ip) {
		atomic_fetch_add(&f->arp_requests, 1);
		if (atomic_load(&f->answer_arp))
			peer_put(f, reply, frame_arp_reply(reply, &fi, peer_mac, f->peer_ip));
	} else if (fi.kind == FRAME_UDP) {
		if (fi.dport != PEER_PORT_SINK || fi.src_ip != f->stack_ip ||
		    fi.dst_ip != f->peer_ip || memcmp(fi.dst_mac, peer_mac, 6) != 0 ||
		    payload_check(fi.payload, fi.len, &sender, &seq) != 0 ||
		    seq != f->next_seq[sender]) {
			atomic_fetch_add(&f->bad, 1);
		} else {
			f->next_seq[sender]++;
			atomic_fetch_add(&f->got[sender], 1);
		}
	}
}

/* The peer: takes the stack's frames, answers ARP, checks datagrams. */
static void *peer_main(void *arg)
{
	struct peer *f = arg;
	struct comp_ring_desc d[32];

	while (!atomic_load(&f->stop)) {
		int n = comp_ring_dequeue_batch(&f->p_tx, d, 32, 0);

		if (n == -EAGAIN) {
			/* bounded, so that peer_stop is seen (the ring's wait
			 * returns only when a frame is there) */
			comp_ring_wait_until(&f->p_tx, COMP_RING_DATA, rb_deadline(20000000));
			continue;
		}
		if (n < 0) {
			atomic_fetch_add(&f->bad, 1);
			continue;
		}
		for (int i = 0; i < n; i++) {
			peer_take(f, comp_ring_buf(&f->p_tx, &d[i]), d[i].len);
			d[i].len = NET_BUF_SIZE;
		}
		assert_int_equal(comp_ring_enqueue_batch(&f->p_tx, d, (unsigned)n, 0), n);
	}
	return NULL;
}

void peer_start(struct peer *f)
{
	atomic_store(&f->stop, false);
	assert_int_equal(pthread_create(&f->thr, NULL, peer_main, f), 0);
	f->running = true;
}

void peer_stop(struct peer *f)
{
	if (!f->running)
		return;
	atomic_store(&f->stop, true);
	assert_int_equal(pthread_join(f->thr, NULL), 0);
	f->running = false;
}

void peer_wait_got(struct peer *f, unsigned sender, unsigned count)
{
	uint64_t end = rb_deadline(RB_HANG_NS);

	while (atomic_load(&f->got[sender]) < count) {
		if (mk_clock_now_ns() > end)
			fail_msg("peer got %u of %u datagrams of sender %u (bad %u)",
				 atomic_load(&f->got[sender]), count, sender, atomic_load(&f->bad));
		dom_sleep_ns(1000000);
	}
}

void peer_send(struct peer *f, struct net_udp *u, uint32_t sender, uint32_t from, uint32_t to)
{
	uint8_t buf[NET_UDP_PAYLOAD_MAX];
	uint64_t end = rb_deadline(RB_HANG_NS);

	for (uint32_t seq = from; seq < to; seq++) {
		size_t len = payload_make(buf, sender, seq);
		int e;

		while ((e = f->ops->udp_sendto(u, buf, len, f->peer_ip, PEER_PORT_SINK)) == -ENOBUFS ||
		       e == -EAGAIN) {
			if (mk_clock_now_ns() > end)
				fail_msg("sender %u stuck at %u: %d", sender, seq, e);
			dom_sleep_ns(20000);
		}
		assert_int_equal(e, 0);
	}
}

void peer_warm_up(struct peer *f, struct net_udp *u)
{
	peer_send(f, u, 0, 0, 1);
	peer_wait_got(f, 0, 1);
}

struct net_udp *peer_up_warm(struct peer *f)
{
	struct net_udp *u;

	peer_stack_up(f);
	peer_start(f);
	assert_int_equal(f->ops->udp_open(f->s, &u, NULL, NULL), 0);
	memset(f->next_seq, 0, sizeof(f->next_seq));
	atomic_store(&f->got[0], 0);
	peer_warm_up(f, u);
	return u;
}
