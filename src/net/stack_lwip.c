/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net: lwIP (Debian's liblwip) behind the stack interface (stack.h).
 *
 * How lwIP runs inside a domain (docs/network.md, "lwIP in a domain").
 * Debian's library is built NO_SYS=0 with LWIP_TCPIP_CORE_LOCKING and the
 * unix port's pthread sys_arch.  We use only its core (raw API: netif,
 * etharp, ip4, udp, timeouts) and never start its tcpip thread:
 * lwip_init() instead of tcpip_init().  The core is then plain
 * single-threaded code, and
 *   - one dom_mutex (s->core) serialises every call into it, from green
 *     threads and from entered host threads alike (a waiter sleeps in the
 *     domain instead of holding a vCPU); no lwIP call made under it ever
 *     blocks or yields, so the pthread mutexes inside sys_arch_protect
 *     (memp, pbuf) are only ever held for a few instructions;
 *   - one green thread, "lwip-input", drains the rx ring, runs the
 *     protocol timers (sys_check_timeouts) and sleeps on rx_events (a
 *     domain event: the NIC's signal once comp_ring_want_data asked for
 *     it, or the stack's own from a send or fini) until a frame arrives,
 *     the next timer is due or it is woken; sys_check_core_locking passes, since without the tcpip thread
 *     the unix port checks nothing.
 * Nothing polls: the timers (lwIP's cyclic ones tick 10 times a second)
 * run only while traffic flows and for NET_LWIP_ACTIVE_NS after the last
 * frame or send; then the input thread sleeps with no deadline, and the
 * next send wakes it (rx_events).  Ticks skipped while idle are not
 * replayed: ARP entries and reassembly age in active time only.
 *
 * lwIP keeps its state in globals: one instance per process (-EBUSY), and
 * lwip_init runs once per process (a later init after fini reuses it).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"

#include "stack_impl.h"

/* Timers keep running this long after the last frame or send. */
#define NET_LWIP_ACTIVE_NS (2ull * 1000000000ull)
/* Frames taken from the rx ring per batch. */
#define NET_LWIP_RX_BATCH 32u
/* lwIP gives up resolving an address (and drops what waits for it) after
 * ARP_MAXPENDING (5, private to etharp.c) ticks of ARP_TMR_INTERVAL. */
#define NET_LWIP_ARP_GIVEUP_NS (5ull * ARP_TMR_INTERVAL * 1000000u)
#define NET_LWIP_MAGIC 0x6c776970u /* "lwip" */

struct net_udp {
	struct net_udp_head h;	/* first: s, fn, arg; in s->socks, under s->core */
	struct udp_pcb *pcb;	/* NULL once closed */
	uint16_t port;		/* bound local port, 0 before the bind */
};

/* Counters: written under s->core, read by get_stats from any thread;
 * relaxed, since they are independent statistics (no ordering). */
struct net_lwip_counters {
	atomic_uint_fast64_t tx_frames, rx_frames, tx_ring_full, tx_too_big, rx_bad, udp_sent,
		udp_received, udp_no_socket, ring_errors;
};

struct net_stack {
	uint32_t magic;
	struct dom *d;
	struct comp_ring *tx, *rx;
	uint64_t rx_events;
	struct dom_mutex core; /* every lwIP call and every field below */
	struct netif netif;
	struct net_udp_table socks;
	struct dom_thread *input;
	bool stopping;
	bool parked;			/* input thread sleeps without a deadline */
	uint64_t active_until;		/* mk_clock time the timers may stop after */
	bool tx_dirty;			/* frames enqueued with COMP_RING_DEFER, not yet notified */
	struct comp_ring_desc tx_spare; /* a free tx buffer too small for the last frame */
	bool have_spare;
	/* The next hop whose MAC is being resolved with one datagram queued
	 * in lwIP's ARP entry (lwIP would drop older queued datagrams
	 * silently; we refuse a second one with -EAGAIN instead). */
	uint32_t arp_wait;
	uint64_t arp_wait_ns;  /* when (mk_clock time) */
	unsigned char *rxcopy; /* a chained datagram, flattened for the callback */
	struct net_lwip_counters c;
};

/* The one instance of this process (lwIP's state is global). */
static atomic_bool lwip_taken;
static atomic_bool lwip_inited;

static void count(atomic_uint_fast64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed); /* statistics only */
}

static int lwip_err_errno(err_t e)
{
	switch (e) {
	case ERR_OK:
		return 0;
	case ERR_MEM:
	case ERR_BUF:
	case ERR_IF:
		return -ENOBUFS;
	case ERR_RTE:
		return -EHOSTUNREACH;
	case ERR_USE:
		return -EADDRINUSE;
	case ERR_VAL:
	case ERR_ARG:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* The caller must be a green or entered thread of s's domain. */
static int check_caller(const struct net_stack *s)
{
	struct dom_thread *t = dom_self();

	if (t == NULL || dom_thread_dom(t) != s->d)
		return -EPERM;
	return 0;
}

static int lock(struct net_stack *s)
{
	int e = check_caller(s);

	if (e != 0)
		return e;
	/* -EDEADLK from a receive callback (it runs with core held) */
	return dom_mutex_enter(&s->core);
}

/* Send what was enqueued with COMP_RING_DEFER, then release core. */
static void unlock(struct net_stack *s)
{
	if (s->tx_dirty) {
		s->tx_dirty = false;
		if (comp_ring_notify(s->tx) < 0)
			count(&s->c.ring_errors);
	}
	dom_mutex_exit(&s->core);
}

/* Traffic: keep the timers running; wake the input thread if it sleeps
 * without a deadline.  Under core. */
static void touch(struct net_stack *s)
{
	s->active_until = mk_clock_now_ns() + NET_LWIP_ACTIVE_NS;
	if (s->parked) {
		s->parked = false;
		dom_event_signal(s->d, s->rx_events);
	}
}

/* netif->linkoutput: one whole frame onto the tx ring.  Under core
 * (every lwIP call is). */
static err_t lwip_linkoutput(struct netif *nif, struct pbuf *p)
{
	struct net_stack *s = nif->state;
	struct comp_ring_desc d;
	void *buf;
	int e;

	if (p->tot_len > NET_FRAME_MAX) {
		count(&s->c.tx_too_big);
		return ERR_IF;
	}
	if (s->have_spare) {
		d = s->tx_spare;
		s->have_spare = false;
	} else {
		e = comp_ring_dequeue(s->tx, &d, 0);
		if (e == -EAGAIN) {
			count(&s->c.tx_ring_full);
			return ERR_MEM;
		}
		if (e < 0) {
			count(&s->c.ring_errors);
			return ERR_IF;
		}
	}
	buf = comp_ring_buf(s->tx, &d);
	if (buf == NULL || d.len < p->tot_len) {
		/* a buffer smaller than the ring's contract: keep it, drop */
		s->tx_spare = d;
		s->have_spare = buf != NULL;
		count(&s->c.tx_too_big);
		return ERR_IF;
	}
	pbuf_copy_partial(p, buf, p->tot_len, 0);
	d.len = p->tot_len;
	e = comp_ring_enqueue(s->tx, &d, COMP_RING_DEFER);
	if (e < 0) {
		/* cannot happen: we took the buffer from this ring, so the
		 * active queue has room; a hostile peer may still cause it */
		count(&s->c.ring_errors);
		return ERR_IF;
	}
	s->tx_dirty = true;
	count(&s->c.tx_frames);
	return ERR_OK;
}

static err_t lwip_netif_init(struct netif *nif)
{
	nif->name[0] = 'r';
	nif->name[1] = 'b';
	nif->mtu = NET_MTU;
	nif->hwaddr_len = ETH_HWADDR_LEN;
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	nif->output = etharp_output;
	nif->output_ip6 = ethip6_output;
	nif->linkoutput = lwip_linkoutput;
	return ERR_OK;
}

/* Is frame f (len bytes) an unfragmented IPv4 UDP datagram for our
 * address whose port no socket with a callback holds?  Such a frame is
 * dropped here and counted as udp_no_socket (lwIP would answer it with
 * ICMP port unreachable and drop it).  Under core. */
static bool udp_unclaimed(struct net_stack *s, const unsigned char *f, size_t len)
{
	struct net_udp *u = NULL;
	size_t ihl;
	uint16_t port;

	if (len < NET_ETH_HLEN + 20 + 8 || f[12] != 0x08 || f[13] != 0x00)
		return false;
	f += NET_ETH_HLEN;
	ihl = (size_t)(f[0] & 0xf) * 4;
	if ((f[0] >> 4) != 4 || ihl < 20 || len < NET_ETH_HLEN + ihl + 8 || f[9] != 17)
		return false;
	if ((f[6] & 0x3f) != 0 || f[7] != 0) /* MF or an offset: a fragment */
		return false;
	{
		uint32_t dst;

		memcpy(&dst, f + 16, 4);
		if (dst != ip4_addr_get_u32(netif_ip4_addr(&s->netif)))
			return false;
	}
	port = (uint16_t)(f[ihl + 2] << 8 | f[ihl + 3]);
	while ((u = net_udp_table_next(&s->socks, u)) != NULL)
		if (u->port == port && u->h.fn != NULL)
			return false;
	return true;
}

/* Hand frames of the rx ring to lwIP and give their buffers back.  Under
 * core.  Returns the number of frames taken. */
static int rx_drain(struct net_stack *s)
{
	struct comp_ring_desc d[NET_LWIP_RX_BATCH];
	int n, total = 0;

	for (;;) {
		n = comp_ring_dequeue_batch(s->rx, d, NET_LWIP_RX_BATCH, COMP_RING_DEFER);
		if (n == -EAGAIN)
			break;
		if (n == -EBADMSG) { /* a descriptor outside the data region: consumed */
			count(&s->c.rx_bad);
			continue;
		}
		if (n < 0) {
			count(&s->c.ring_errors);
			break;
		}
		for (int i = 0; i < n; i++) {
			const unsigned char *f = comp_ring_buf(s->rx, &d[i]);
			struct pbuf *p;

			count(&s->c.rx_frames);
			if (f == NULL || d[i].len < NET_ETH_HLEN || d[i].len > NET_FRAME_MAX) {
				count(&s->c.rx_bad);
			} else if (udp_unclaimed(s, f, d[i].len)) {
				count(&s->c.udp_no_socket);
			} else if ((p = pbuf_alloc(PBUF_RAW, (u16_t)d[i].len, PBUF_RAM)) == NULL) {
				/* PBUF_RAM: one piece of exactly the frame's
				 * size.  Debian's 2.1.3 library allocates
				 * PBUF_POOL elements (616 bytes) smaller than
				 * the segments its pbuf_alloc fills: pbuf_take
				 * into a pool chain overflows the heap (ASan). */
				count(&s->c.rx_bad);
			} else {
				pbuf_take(p, f, (u16_t)d[i].len);
				if (s->netif.input(p, &s->netif) != ERR_OK) {
					pbuf_free(p);
					count(&s->c.rx_bad);
				}
			}
			d[i].len = NET_BUF_SIZE;
		}
		/* the buffers go back on the free queue: it has room for
		 * every one we took */
		if (comp_ring_enqueue_batch(s->rx, d, (unsigned)n, COMP_RING_DEFER) != n)
			count(&s->c.ring_errors);
		total += n;
	}
	if (comp_ring_notify(s->rx) < 0)
		count(&s->c.ring_errors);
	return total;
}

/* The input green thread: frames, timers, sleep (see the top). */
static void *input_main(void *arg)
{
	struct net_stack *s = arg;
	uint64_t deadline, now;
	u32_t ms;
	int e;

	for (;;) {
		dom_mutex_enter(&s->core);
		if (s->stopping) {
			dom_mutex_exit(&s->core);
			return NULL;
		}
		if (rx_drain(s) > 0)
			s->active_until = mk_clock_now_ns() + NET_LWIP_ACTIVE_NS;
		now = mk_clock_now_ns();
		if (now < s->active_until) {
			sys_check_timeouts();
			ms = sys_timeouts_sleeptime();
			deadline = ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE
					   ? s->active_until
					   : now + (uint64_t)ms * 1000000u;
			if (deadline > s->active_until)
				deadline = s->active_until;
		} else {
			s->parked = true;
			deadline = MK_FOREVER;
		}
		unlock(s);
		/* Sleep on rx_events, not in the ring's wait: that wait takes
		 * a wake-up with no frame (a send's touch, fini) as spurious
		 * and sleeps on, and a parked thread has no deadline.  The
		 * NIC's signal sets the same bits once want_data asked for
		 * it. */
		e = comp_ring_want_data(s->rx);
		if (e == 1) {
			uint64_t bits;

			e = dom_event_wait_until(s->d, s->rx_events, deadline, &bits);
		}
		if (e < 0 && e != -ETIMEDOUT) {
			uint64_t bits;

			count(&s->c.ring_errors);
			/* a corrupt ring: do not spin on it; wait for a send
			 * or fini to wake us (the next drain counts again) */
			dom_mutex_enter(&s->core);
			s->parked = true;
			dom_mutex_exit(&s->core);
			dom_event_wait(s->d, s->rx_events, &bits);
		}
		dom_mutex_enter(&s->core);
		s->parked = false;
		dom_mutex_exit(&s->core);
	}
}

static void lwip_udp_deliver(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
			     u16_t port)
{
	struct net_udp *u = arg;
	struct net_stack *s = u->h.s;
	const void *data = p->payload;

	(void)pcb;
	if (u->h.fn == NULL) {
		count(&s->c.udp_no_socket);
		pbuf_free(p);
		return;
	}
	if (p->next != NULL) {
		pbuf_copy_partial(p, s->rxcopy, p->tot_len, 0);
		data = s->rxcopy;
	}
	count(&s->c.udp_received);
	u->h.fn(u->h.arg, data, p->tot_len, ip4_addr_get_u32(ip_2_ip4(addr)), port);
	pbuf_free(p);
}

static int lwip_init_stack(struct net_stack **sp, const struct net_stack_config *cfg)
{
	struct dom_thread_attr a = {.name = "lwip-input", .vcpu = -1};
	struct net_stack *s;
	ip4_addr_t ip, mask, gw;
	bool expected = false;
	int e;

	e = net_stack_config_check(sp, cfg);
	if (e != 0)
		return e;
	/* acq_rel: pairs with the release store in fini, so the previous
	 * instance's teardown happens before this one starts */
	if (!atomic_compare_exchange_strong_explicit(&lwip_taken, &expected, true,
						     memory_order_acq_rel, memory_order_acquire))
		return -EBUSY;
	s = calloc(1, sizeof(*s));
	if (s != NULL)
		s->rxcopy = malloc(0x10000);
	if (s == NULL || s->rxcopy == NULL) {
		e = -ENOMEM;
		goto fail;
	}
	s->magic = NET_LWIP_MAGIC;
	s->d = cfg->d;
	s->tx = cfg->tx;
	s->rx = cfg->rx;
	s->rx_events = cfg->rx_events;
	net_udp_table_init(&s->socks);
	dom_mutex_init(&s->core);
	/* only this thread can be here (lwip_taken), so a plain flag would
	 * do; atomic for the sake of a later instance on another thread */
	if (!atomic_load(&lwip_inited)) {
		lwip_init();
		atomic_store(&lwip_inited, true);
	}
	ip4_addr_set_u32(&ip, cfg->addr);
	ip4_addr_set_u32(&mask, cfg->netmask);
	ip4_addr_set_u32(&gw, cfg->gateway);
	dom_mutex_enter(&s->core);
	memcpy(s->netif.hwaddr, cfg->mac, 6);
	if (netif_add(&s->netif, &ip, &mask, &gw, s, lwip_netif_init, ethernet_input) == NULL) {
		dom_mutex_exit(&s->core);
		e = -EIO;
		goto fail;
	}
	memcpy(s->netif.hwaddr, cfg->mac, 6);
	netif_set_default(&s->netif);
	netif_set_link_up(&s->netif);
	netif_set_up(&s->netif);
	s->active_until = mk_clock_now_ns() + NET_LWIP_ACTIVE_NS;
	dom_mutex_exit(&s->core);
	e = dom_thread_create(s->d, &s->input, &a, input_main, s);
	if (e != 0) {
		dom_mutex_enter(&s->core);
		netif_remove(&s->netif);
		dom_mutex_exit(&s->core);
		e = e == -ENOMEM ? -ENOMEM : -EAGAIN;
		goto fail;
	}
	*sp = s;
	return 0;
fail:
	if (s != NULL) {
		free(s->rxcopy);
		free(s);
	}
	atomic_store_explicit(&lwip_taken, false, memory_order_release); /* pairs with init's CAS */
	return e;
}

static bool stack_ok(const struct net_stack *s)
{
	return s != NULL && s->magic == NET_LWIP_MAGIC;
}

/* A call on socket u: u of a live stack (-EINVAL), the caller's kind
 * (lock's errors), then core taken.  0 with core held, or the error. */
static int udp_lock(struct net_udp *u)
{
	if (u == NULL || !stack_ok(u->h.s))
		return -EINVAL;
	return lock(u->h.s);
}

static int lwip_fini(struct net_stack *s)
{
	struct net_udp *u;
	int e;

	if (!stack_ok(s))
		return -EINVAL;
	e = lock(s);
	if (e != 0)
		return e;
	s->stopping = true;
	dom_event_signal(s->d, s->rx_events);
	unlock(s);
	dom_thread_join(s->input, NULL);
	dom_mutex_enter(&s->core);
	while ((u = net_udp_table_pop(&s->socks)) != NULL) {
		udp_remove(u->pcb);
		free(u);
	}
	netif_remove(&s->netif);
	dom_mutex_exit(&s->core);
	dom_mutex_destroy(&s->core);
	s->magic = 0;
	free(s->rxcopy);
	free(s);
	atomic_store_explicit(&lwip_taken, false, memory_order_release); /* pairs with init's CAS */
	return 0;
}

static int lwip_udp_open(struct net_stack *s, struct net_udp **up, net_udp_recv_fn fn, void *arg)
{
	struct net_udp *u;
	int e;

	if (!stack_ok(s) || up == NULL)
		return -EINVAL;
	e = lock(s);
	if (e != 0)
		return e;
	u = net_udp_new(sizeof(*u), s, fn, arg);
	if (u == NULL || (u->pcb = udp_new_ip_type(IPADDR_TYPE_V4)) == NULL) {
		free(u);
		unlock(s);
		return -ENOMEM;
	}
	udp_recv(u->pcb, lwip_udp_deliver, u);
	net_udp_table_insert(&s->socks, u);
	unlock(s);
	*up = u;
	return 0;
}

static int lwip_udp_bind(struct net_udp *u, uint32_t addr, uint16_t port)
{
	struct net_stack *s;
	ip_addr_t ip;
	int e = udp_lock(u);

	if (e != 0)
		return e;
	s = u->h.s;
	if (u->port != 0) {
		e = -EINVAL;
	} else if (addr != 0 && addr != ip4_addr_get_u32(netif_ip4_addr(&s->netif))) {
		e = -EADDRNOTAVAIL;
	} else {
		ip_addr_set_ip4_u32_val(ip, addr);
		e = lwip_err_errno(udp_bind(u->pcb, &ip, port));
		if (e == 0)
			u->port = u->pcb->local_port;
	}
	unlock(s);
	return e;
}

/* May a datagram to dst be given to lwIP now?  Not when its next hop is
 * unresolved and a datagram already waits for the ARP reply.  Under core. */
static bool arp_may_send(struct net_stack *s, uint32_t dst)
{
	uint32_t addr = ip4_addr_get_u32(netif_ip4_addr(&s->netif));
	uint32_t mask = ip4_addr_get_u32(netif_ip4_netmask(&s->netif));
	struct eth_addr *eth;
	const ip4_addr_t *ipr;
	ip4_addr_t hop;

	if ((dst & mask) != (addr & mask))
		dst = ip4_addr_get_u32(netif_ip4_gw(&s->netif));
	if (dst == 0)
		return true; /* no route: lwIP says so */
	ip4_addr_set_u32(&hop, dst);
	if (etharp_find_addr(&s->netif, &hop, &eth, &ipr) >= 0) {
		if (s->arp_wait == dst)
			s->arp_wait = 0;
		return true;
	}
	if (s->arp_wait == dst && mk_clock_now_ns() - s->arp_wait_ns < NET_LWIP_ARP_GIVEUP_NS)
		return false;
	s->arp_wait = dst;
	s->arp_wait_ns = mk_clock_now_ns();
	return true;
}

static int lwip_udp_sendto(struct net_udp *u, const void *data, size_t len, uint32_t dst,
			   uint16_t dport)
{
	struct net_stack *s;
	struct pbuf *p;
	ip_addr_t ip;
	int e;

	if (u == NULL || !stack_ok(u->h.s))
		return -EINVAL;
	e = net_udp_sendto_check(data, len, dst, dport);
	if (e != 0)
		return e;
	s = u->h.s;
	e = lock(s);
	if (e != 0)
		return e;
	touch(s);
	if (!arp_may_send(s, dst)) {
		unlock(s);
		return -EAGAIN;
	}
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (p == NULL) {
		unlock(s);
		return -ENOBUFS;
	}
	if (len != 0)
		memcpy(p->payload, data, len);
	ip_addr_set_ip4_u32_val(ip, dst);
	e = lwip_err_errno(udp_sendto(u->pcb, p, &ip, dport));
	pbuf_free(p);
	if (e == 0) {
		if (u->port == 0)
			u->port = u->pcb->local_port;
		count(&s->c.udp_sent);
	}
	unlock(s);
	return e;
}

static int lwip_udp_close(struct net_udp *u)
{
	struct net_stack *s;
	int e = udp_lock(u);

	if (e != 0)
		return e;
	s = u->h.s;
	net_udp_table_remove(&s->socks, u);
	udp_remove(u->pcb);
	unlock(s);
	free(u);
	return 0;
}

static int lwip_get_stats(struct net_stack *s, struct net_stack_stats *st)
{
	if (!stack_ok(s) || st == NULL)
		return -EINVAL;
#define GET(f) st->f = atomic_load_explicit(&s->c.f, memory_order_relaxed) /* statistics */
	GET(tx_frames);
	GET(rx_frames);
	GET(tx_ring_full);
	GET(tx_too_big);
	GET(rx_bad);
	GET(udp_sent);
	GET(udp_received);
	GET(udp_no_socket);
	GET(ring_errors);
#undef GET
	return 0;
}

const struct net_stack_ops net_stack_lwip = {
	.name = "lwip",
	.init = lwip_init_stack,
	.fini = lwip_fini,
	.udp_open = lwip_udp_open,
	.udp_bind = lwip_udp_bind,
	.udp_sendto = lwip_udp_sendto,
	.udp_close = lwip_udp_close,
	.get_stats = lwip_get_stats,
};
