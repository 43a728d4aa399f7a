/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The network component (a domain component): a TCP/IP stack (stack.h)
 * on the green threads of a domain, its interface on two rings to the NIC
 * component.  The same program runs as net0 (sends for three clients)
 * and net1 (receives for the sink), chosen by microkit_name.
 *
 * Threads of this PD process:
 *   main       the Microkit event loop: notified() runs here.  It enters
 *              the domain once in init() and stays entered, so it may call
 *              the stack directly (way 3, the notification callback);
 *   PPC        the runtime's PPC thread: protected() enters the domain
 *              around its sendto (way 2, the RPC handler);
 *   vCPUs      the domain's host threads, running the green threads: the
 *              stack's own thread, and "way1", blocked on client_ring's
 *              channel (way 1); on net1 "sinkflush" (the sink's backlog).
 * A notification from the NIC or client_ring becomes a domain event
 * (dom_event_signal) that the green thread waiting for it takes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <microkit.h>
#include <rumpbridge/dom.h>
#include <rumpbridge/mk.h>
#include <rumpbridge/ring.h>

#include "seed.h"
#include "stack.h"

/* Patched by the launcher (setvar_vaddr in seed.system). */
uintptr_t nic_tx_vaddr; /* frames to the NIC: we produce */
uintptr_t nic_rx_vaddr; /* frames from the NIC: we consume */
uintptr_t req1_vaddr;	/* net0: client_ring's requests */
uintptr_t req3_vaddr;	/* net0: client_cb's requests */
uintptr_t ppc_vaddr;	/* net0: client_ppc's payloads */
uintptr_t sink_vaddr;	/* net1: the sink's receive ring */
uintptr_t stats_vaddr;

#define CH_WAY1 1
#define CH_WAY2 2
#define CH_WAY3 3
#define CH_SINK 1
#define EV(ch) (UINT64_C(1) << (ch))
/* How long a send retries while the tx ring is full or ARP resolves. */
#define RETRY_NS 1000000000ull

static struct dom *d;
static const struct net_stack_ops *ops;
static struct net_stack *stack;
static struct comp_ring tx, rx, req1, req3, sink;
static struct comp_ring_dom_event nic_ev, req1_ev;
static struct net_udp *sock[SEED_WAYS], *sink_sock;
static struct seed_stats *st;
static uint32_t dst;

static void die(const char *what, int e)
{
	char num[16];
	int i = 15;

	num[i] = 0;
	e = e < 0 ? -e : e;
	do {
		num[--i] = (char)('0' + e % 10);
		e /= 10;
	} while (e && i > 0);
	microkit_dbg_puts(microkit_name);
	microkit_dbg_puts(": ");
	microkit_dbg_puts(what);
	microkit_dbg_puts(" (error -");
	microkit_dbg_puts(&num[i]);
	microkit_dbg_puts(")\n");
	_exit(2);
}

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed); /* statistics */
}

/* Send one client datagram for way w, retrying while the tx ring is full
 * or the peer's MAC is being resolved, up to RETRY_NS; count the outcome.
 * Green or entered thread. */
static void send_one(int w, const void *p, size_t len)
{
	uint64_t end = mk_clock_now_ns() + RETRY_NS;
	int e;

	while ((e = ops->udp_sendto(sock[w], p, len, dst, SEED_PORT)) == -ENOBUFS || e == -EAGAIN) {
		if (mk_clock_now_ns() > end)
			break;
		/* The stack's thread may be waiting for the NIC's signal,
		 * which reaches us through notified() on the main thread:
		 * wake it ourselves (a spurious wake-up of its ring wait) in
		 * case the main thread is the one retrying here. */
		dom_event_signal(d, EV(SEED_CH_NIC));
		dom_sleep_ns(20000);
	}
	if (e == 0)
		count(&st->way[w].sent);
	else if (e == -ENOBUFS)
		count(&st->way[w].drop_ring);
	else if (e == -EAGAIN)
		count(&st->way[w].drop_arp);
	else
		count(&st->way[w].drop_other);
}

_Static_assert(SEED_PAYLOAD_MAX == NET_UDP_PAYLOAD_MAX, "seed.h's SEED_PAYLOAD_MAX");

/* Send every request waiting on ring r (way w) and give the buffers back.
 * A request longer than a datagram, and a descriptor outside the ring's
 * data region (which the ring consumes and reports as -EBADMSG), are
 * refused and counted (seed.h). */
static int drain_requests(struct comp_ring *r, int w, unsigned flags)
{
	struct comp_ring_desc ds[32];
	int n = comp_ring_dequeue_batch(r, ds, 32, flags);

	if (n == -EBADMSG)
		count(&st->way[w].refused);
	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++) {
		void *p = comp_ring_buf(r, &ds[i]);

		if (p == NULL || ds[i].len > NET_UDP_PAYLOAD_MAX)
			count(&st->way[w].refused);
		else
			send_one(w, p, ds[i].len);
		ds[i].len = SEED_BUF;
	}
	comp_ring_enqueue_batch(r, ds, (unsigned)n, 0);
	return n;
}

/* Way 1: a green thread blocked on client_ring's channel (a domain event:
 * the other green threads, the stack's among them, keep running). */
/* RB_SEED_NET_STALL (seed.h): before taking way w's first request, wait
 * until its client has given up on one for want of a free request buffer
 * (its client_full), so that its request ring is seen full; at most 30 s.
 * A green or entered thread. */
static void stall(int w)
{
	for (int i = 0; i < 30000 && seed_env("RB_SEED_NET_STALL", 0) != 0 &&
			atomic_load_explicit(&st->way[w].client_full, memory_order_relaxed) == 0;
	     i++)
		dom_sleep_ns(1000000);
}

static void *way1_main(void *arg)
{
	(void)arg;
	stall(0);
	for (;;) {
		int n = drain_requests(&req1, 0, COMP_RING_WAIT);

		if (n < 0 && n != -EAGAIN && n != -EBADMSG)
			die("way 1: request ring", n);
	}
	return NULL;
}

/* net1: a datagram for the sink goes into its receive ring (we produce).
 * The receive callback must not wait for the sink, so when the ring is
 * full the datagram joins a backlog (in order: once the backlog is not
 * empty every datagram joins it), which the green thread "sinkflush"
 * moves to the ring as the sink gives buffers back (its signal on channel
 * 1 becomes a domain event).  Only a backlog of BACKLOG_MAX datagrams is
 * a drop, counted.  The ring's producer side is used under sink_lock. */
#define BACKLOG_MAX 65536u

struct pending {
	STAILQ_ENTRY(pending) link;
	size_t len;
	unsigned char data[];
};
static STAILQ_HEAD(, pending) backlog = STAILQ_HEAD_INITIALIZER(backlog);
static unsigned backlog_n;	   /* under sink_lock */
static struct dom_mutex sink_lock; /* the sink ring's producer side, the backlog */

/* One datagram onto the sink's ring; false when no buffer is free. */
static bool sink_put(const void *data, size_t len)
{
	struct comp_ring_desc dsc;
	void *buf;

	if (comp_ring_dequeue(&sink, &dsc, 0) != 0)
		return false;
	buf = comp_ring_buf(&sink, &dsc);
	if (buf != NULL && dsc.len >= len) {
		memcpy(buf, data, len);
		dsc.len = (uint32_t)len;
	} else {
		dsc.len = 0; /* a broken buffer: passed on empty, the sink counts it bad */
	}
	comp_ring_enqueue(&sink, &dsc, 0);
	return true;
}

static void to_sink(void *arg, const void *data, size_t len, uint32_t src, uint16_t sport)
{
	struct pending *p;

	(void)arg;
	(void)src;
	(void)sport;
	dom_mutex_enter(&sink_lock); /* held by sinkflush only while it moves datagrams */
	if (STAILQ_EMPTY(&backlog) && sink_put(data, len)) {
		dom_mutex_exit(&sink_lock);
		return;
	}
	if (backlog_n >= BACKLOG_MAX || (p = malloc(sizeof(*p) + len)) == NULL) {
		count(&st->sink_ring_full);
	} else {
		memcpy(p->data, data, len);
		p->len = len;
		STAILQ_INSERT_TAIL(&backlog, p, link);
		if (backlog_n++ == 0) /* sinkflush asks the sink for a signal */
			dom_event_signal(d, EV(CH_SINK));
		if (backlog_n > atomic_load_explicit(&st->sink_backlog_peak, memory_order_relaxed))
			atomic_store_explicit(&st->sink_backlog_peak, backlog_n,
					      memory_order_relaxed); /* statistics; one writer */
	}
	dom_mutex_exit(&sink_lock);
}

static void *sinkflush_main(void *arg)
{
	struct pending *p;
	uint64_t bits;

	(void)arg;
	for (;;) {
		dom_event_wait(d, EV(CH_SINK), &bits);
		dom_mutex_enter(&sink_lock);
		for (;;) {
			while ((p = STAILQ_FIRST(&backlog)) != NULL && sink_put(p->data, p->len)) {
				STAILQ_REMOVE_HEAD(&backlog, link);
				backlog_n--;
				free(p);
			}
			/* 1: the ring is still full and the sink will signal
			 * when it gives buffers back; 0: it did meanwhile */
			if (STAILQ_EMPTY(&backlog) || comp_ring_want_data(&sink) != 0)
				break;
		}
		dom_mutex_exit(&sink_lock);
	}
	return NULL;
}

static void attach(struct comp_ring *r, uintptr_t mem, enum comp_ring_role role,
		   microkit_channel ch, struct comp_ring_dom_event *wait, bool format)
{
	struct comp_ring_channel c = {seed_ring_notify, (void *)(uintptr_t)ch,
				      wait != NULL ? comp_ring_dom_wait : NULL, wait, 0};
	int e;

	if (format && (e = seed_ring_format((void *)mem)) != 0)
		die("formatting a ring", e);
	e = comp_ring_attach(r, (void *)mem, SEED_RING_REGION, role, SEED_RING_CAP, &c);
	if (e != 0)
		die("attaching a ring", e);
}

void init(void)
{
	bool net0 = strcmp(microkit_name, "net0") == 0;
	const char *name = getenv("RB_SEED_STACK");
	struct dom_config dc = {.name = microkit_name,
				.vcpus = (unsigned)seed_env("RB_SEED_VCPUS", 2)};
	struct dom_thread_attr a = {.name = "way1", .vcpu = -1, .detached = true};
	struct net_stack_config c = {0};
	int e;

	st = (struct seed_stats *)stats_vaddr;
	ops = net_stack_find(name != NULL && *name ? name : "lwip");
	if (ops == NULL)
		die("RB_SEED_STACK names a stack this build does not have", EINVAL);
	if ((e = dom_create(&d, &dc)) != 0)
		die("cannot create the domain", e);
	if ((e = dom_enter(d)) != 0) /* for good: see the top */
		die("cannot enter the domain", e);
	/* the NIC (priority above ours) formatted the frame rings */
	nic_ev = (struct comp_ring_dom_event){d, EV(SEED_CH_NIC)};
	attach(&tx, nic_tx_vaddr, COMP_RING_PRODUCER, SEED_CH_NIC, &nic_ev, false);
	attach(&rx, nic_rx_vaddr, COMP_RING_CONSUMER, SEED_CH_NIC, &nic_ev, false);
	c.d = d;
	c.addr = htonl(net0 ? 0x0a000001u : 0x0a000002u); /* 10.0.0.1 / .2 */
	c.netmask = htonl(0xffffff00u);
	memcpy(c.mac, (uint8_t[6]){0x02, 0, 0, 0, 0, net0 ? 1 : 2}, 6);
	c.tx = &tx;
	c.rx = &rx;
	c.rx_events = EV(SEED_CH_NIC);
	if ((e = ops->init(&stack, &c)) != 0)
		die("the stack did not start", e);
	if (net0) {
		strncpy(st->stack, ops->name, sizeof(st->stack) - 1);
		dst = htonl(0x0a000002u);
		for (int w = 0; w < SEED_WAYS; w++)
			if ((e = ops->udp_open(stack, &sock[w], NULL, NULL)) != 0 ||
			    (e = ops->udp_bind(sock[w], 0, (uint16_t)(SEED_SRC_PORT + w))) != 0)
				die("cannot open a socket", e);
		/* the clients (lower priority) attach after this init */
		req1_ev = (struct comp_ring_dom_event){d, EV(CH_WAY1)};
		attach(&req1, req1_vaddr, COMP_RING_CONSUMER, CH_WAY1, &req1_ev, true);
		attach(&req3, req3_vaddr, COMP_RING_CONSUMER, CH_WAY3, NULL, true);
		/* way 3 is event-driven: ask client_cb for a signal */
		if ((e = comp_ring_want_data(&req3)) < 0)
			die("way 3: request ring", e);
		if ((e = dom_thread_create(d, NULL, &a, way1_main, NULL)) != 0)
			die("cannot start the way 1 thread", e);
	} else {
		struct dom_thread_attr fa = {.name = "sinkflush", .vcpu = -1, .detached = true};

		attach(&sink, sink_vaddr, COMP_RING_PRODUCER, CH_SINK, NULL, true);
		dom_mutex_init(&sink_lock);
		if ((e = dom_thread_create(d, NULL, &fa, sinkflush_main, NULL)) != 0)
			die("cannot start the sink's flusher", e);
		if ((e = ops->udp_open(stack, &sink_sock, to_sink, NULL)) != 0 ||
		    (e = ops->udp_bind(sink_sock, 0, SEED_PORT)) != 0)
			die("cannot open the sink's socket", e);
	}
}

void notified(microkit_channel ch)
{
	int n;

	switch (ch) {
	case SEED_CH_NIC: /* frames (or free buffers) from the NIC */
	case CH_WAY1:	  /* net0: client_ring's requests; net1: the sink gave
			     buffers back (sinkflush waits for that) */
		dom_event_signal(d, EV(ch));
		break;
	case CH_WAY3: /* way 3: this thread calls the stack itself */
		stall(2);
		do {
			while ((n = drain_requests(&req3, 2, 0)) > 0 || n == -EBADMSG)
				;
		} while (comp_ring_want_data(&req3) == 0);
		break;
	default:
		break;
	}
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
	uint64_t off = microkit_mr_get(0), len = microkit_mr_get(1);
	int e;

	(void)msginfo;
	if (ch != CH_WAY2)
		return microkit_msginfo_new((seL4_Word)EINVAL, 0);
	/* a bad request is refused (seed.h): nothing is sent */
	if (off > SEED_PPC_REGION || len > SEED_PPC_REGION - off) {
		count(&st->way[1].refused);
		return microkit_msginfo_new((seL4_Word)EINVAL, 0);
	}
	if (len > NET_UDP_PAYLOAD_MAX) {
		count(&st->way[1].refused);
		return microkit_msginfo_new((seL4_Word)EMSGSIZE, 0);
	}
	/* way 2: the RPC handler thread calls the stack directly */
	if ((e = dom_enter(d)) != 0)
		return microkit_msginfo_new((seL4_Word)-e, 0);
	send_one(1, (const void *)(ppc_vaddr + off), (size_t)len);
	dom_leave(d);
	return microkit_msginfo_new(0, 0);
}
