/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net: the NetBSD rump kernel's TCP/IP stack behind the stack interface
 * (stack.h), on rumpbridge's librumpuser (docs/network.md, "The rump
 * stack").
 *
 * Wiring.  The kernel runs on the stack's domain (rumpbridge_set_domain
 * before rump_init, at the first init of the process).  Its interface is
 * if_virt ("virtN"), whose host half (virtif_host.c, ring code in
 * virt_ring.c) copies the frames the kernel sends onto the tx ring in the
 * sending kernel thread and feeds the rx ring's frames to the kernel from
 * a green thread of its own.  Sockets are the kernel's UDP sockets of its
 * initproc; each one has a receiver green thread (an lwp of initproc of
 * its own) that sleeps in recvfrom and calls the socket's callback.
 *
 * Callers.  The kernel serialises itself: no lock of ours on the send
 * path but the tx ring's producer mutex.  A green thread calls the
 * kernel on a temporary lwp per call (the kernel's implicit thread path);
 * an entered host thread (a PD's RPC handler or notification callback)
 * gets an lwp of its own from librumpuser on its first call and keeps it
 * until it exits (docs/rumpuser.md, "Foreign threads and adoption"): it
 * needs no rumpbridge_adopt of its own, and its calls cost what a bound
 * thread's cost.
 *
 * Counters.  Frames are counted by the host half; datagrams the kernel
 * drops on input are read from its UDP statistics (net.inet.udp.stats):
 * no socket on the port (udp_no_socket), bad headers or checksums and
 * full socket buffers (rx_bad), as differences from init.
 *
 * Idle.  The kernel's clock threads tick hz times a second for ever
 * unless told otherwise: init turns librumpuser's idle clock on
 * (rumpbridge_clock_idle: NET_RUMP_CLOCK_GRACE, NET_RUMP_CLOCK_SKIP), and
 * the host half reports every frame in or out as activity, the only ways
 * work reaches this kernel (a datagram sent is a frame out, or an ARP
 * request that is one; docs/network.md, "Idle: the kernel's clock").
 * RUMPBRIDGE_IDLE_CLOCK=0 in the environment leaves it off: the kernel
 * ticks hz times a second and every callout runs on its tick.
 *
 * One instance per process (-EBUSY): the kernel cannot be shut down
 * within the process.  fini destroys the interface; a later init on the
 * same domain creates a new one in the same kernel.
 */
#define _GNU_SOURCE /* the kernel's headers use u_int, mode_t, ... */
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rump/netconfig.h>
#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>

#include <rumpbridge/rumpuser.h>

#include "stack_impl.h"
#include "virtif_host.h"

#define NET_RUMP_MAGIC 0x72756d70u /* "rump" */
/* Receive buffer of a socket, and the kernel's limit for it (kern.sbmax,
 * 256 KiB by default): room for a few thousand datagrams while a receiver
 * catches up with the host half's rx thread. */
#define NET_RUMP_RCVBUF (16 << 20)
/* The idle clock: ticking for 500 ms after the last frame (the callouts
 * that traffic sets and that run without a frame: TCP's delayed ACK and
 * fast and slow timers, 200 and 500 ms), then one wake-up a second, the
 * ticks slept through replayed; a callout due later than the grace runs
 * up to 1 s late. */
#define NET_RUMP_CLOCK_GRACE 500000000ull
#define NET_RUMP_CLOCK_SKIP 1000000000ull
#define NET_RUMP_SBMAX (64 << 20)
#define NB_CTL_KERN 1
#define NB_KERN_SBMAX 58
/* NetBSD's shutdown(2) how and UDP statistics (netinet/udp_var.h) */
#define NB_SHUT_RD 0
#define NB_CTL_NET 4
#define NB_UDPCTL_STATS 5
#define NB_UDP_STAT_HDROPS 1
#define NB_UDP_STAT_BADSUM 2
#define NB_UDP_STAT_BADLEN 3
#define NB_UDP_STAT_NOPORT 4
#define NB_UDP_STAT_FULLSOCK 6
#define NB_UDP_NSTATS 9

/* NetBSD's struct sockaddr_in (with sin_len). */
struct nb_sockaddr_in {
	uint8_t sin_len;
	uint8_t sin_family;
	uint16_t sin_port;
	uint32_t sin_addr;
	uint8_t sin_zero[8];
};

struct net_udp {
	struct net_udp_head h; /* first: s, fn, arg; in s->socks, under s->lock */
	int fd;
	bool bound;
	atomic_bool closing;
	struct dom_thread *rx; /* the receiver */
};

struct net_stack {
	uint32_t magic;
	struct dom *d;
	uint32_t addr, netmask;
	char ifname[16];
	struct net_virtif vif;
	struct net_virt_counters c;
	/* datagram counters, kept as c is (net_virt_count, net_virt_counter) */
	atomic_uint_fast64_t udp_sent, udp_received, udp_nocb;
	uint64_t udp0[NB_UDP_NSTATS]; /* the kernel's UDP statistics at init */
	unsigned reserved;	      /* tx buffers promised to senders, under vif.txlock */
	uint32_t gateway;
	/* The next hop being resolved with one datagram held by the kernel
	 * (NetBSD holds one per unresolved entry and drops the older one
	 * silently: a second one is refused with -EAGAIN), since when
	 * (mk_clock); under vif.txlock. */
	uint32_t arp_wait;
	uint64_t arp_wait_ns;
	uint64_t arp_tx_ip; /* vif.tx_ip then: the held datagram leaving moves it */
	struct dom_mutex lock;	      /* socks */
	struct net_udp_table socks;
	/* Held around every receive callback: a callback that calls the
	 * stack is told -EDEADLK (its thread owns cb). */
	struct dom_mutex cb;
};

/* The one instance of this process, and whether its kernel is up (on
 * which domain). */
static atomic_bool rump_taken;
static struct dom *rump_dom; /* set once, by the first init, under rump_taken */

/* A NetBSD errno (positive, as rump_sys_* leave in errno) as ours. */
static int rump_errno(int e)
{
	switch (e) {
	case RUMP_EADDRINUSE:
		return -EADDRINUSE;
	case RUMP_EADDRNOTAVAIL:
		return -EADDRNOTAVAIL;
	case RUMP_ENOBUFS:
		return -ENOBUFS;
	case RUMP_ENOMEM:
	case RUMP_EMFILE:
	case RUMP_ENFILE:
		return -ENOMEM;
	case RUMP_EMSGSIZE:
		return -EMSGSIZE;
	case RUMP_EHOSTUNREACH:
	case RUMP_ENETUNREACH:
	case RUMP_EHOSTDOWN:
	case RUMP_ENETDOWN:
		return -EHOSTUNREACH;
	case RUMP_EAGAIN:
		return -EAGAIN;
	case RUMP_EINVAL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* What udp_bind says for the kernel's bind(2) error e (stack.h): NetBSD
 * says EAGAIN when no ephemeral port is free; what the interface has no
 * code for is -EIO. */
static int bind_errno(int e)
{
	switch (e) {
	case RUMP_EADDRINUSE:
	case RUMP_EAGAIN:
		return -EADDRINUSE;
	case RUMP_EADDRNOTAVAIL:
		return -EADDRNOTAVAIL;
	case RUMP_EINVAL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* What udp_sendto says for the kernel's sendto(2) error e (stack.h):
 * memory is -ENOBUFS there. */
static int sendto_errno(int e)
{
	e = rump_errno(e);
	if (e == -ENOMEM)
		return -ENOBUFS;
	if (e == -EADDRNOTAVAIL)
		return -EIO;
	return e;
}

static bool stack_ok(const struct net_stack *s)
{
	return s != NULL && s->magic == NET_RUMP_MAGIC;
}

/* The caller must be a green or entered thread of s's domain, and not in
 * a receive callback. */
static int check_caller(struct net_stack *s)
{
	struct dom_thread *t = dom_self();

	if (t == NULL || dom_thread_dom(t) != s->d)
		return -EPERM;
	if (dom_mutex_owner(&s->cb) == t)
		return -EDEADLK;
	return 0;
}

static struct nb_sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
	struct nb_sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_len = sizeof(a);
	a.sin_family = RUMP_AF_INET;
	a.sin_port = htons(port);
	a.sin_addr = addr;
	return a;
}

static int udp_stats(uint64_t st[NB_UDP_NSTATS])
{
	int mib[4] = {NB_CTL_NET, RUMP_AF_INET, RUMP_IPPROTO_UDP, NB_UDPCTL_STATS};
	size_t len = NB_UDP_NSTATS * sizeof(uint64_t);

	if (rump_sys___sysctl(mib, 4, st, &len, NULL, 0) != 0)
		return rump_errno(errno);
	return 0;
}

/* ---- the receiver of a socket ---- */

static void *receiver_main(void *arg)
{
	struct net_udp *u = arg;
	struct net_stack *s = u->h.s;
	unsigned char *buf = malloc(0x10000);
	bool own_lwp;

	/* an lwp of initproc (where the socket is) of its own, kept for
	 * the thread's life: not a temporary one per recvfrom */
	own_lwp = rump_pub_lwproc_newlwp(1) == 0;
	while (buf != NULL) {
		struct nb_sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = rump_sys_recvfrom(u->fd, buf, 0x10000, 0, (void *)&from, &fl);

		if (atomic_load(&u->closing))
			break;
		if (n < 0) {
			if (errno == RUMP_EINTR || errno == RUMP_EAGAIN)
				continue;
			net_virt_count(&s->c.ring_errors); /* cannot happen on a live socket */
			break;
		}
		if (u->h.fn == NULL) {
			net_virt_count(&s->udp_nocb);
			continue;
		}
		dom_mutex_enter(&s->cb);
		net_virt_count(&s->udp_received);
		u->h.fn(u->h.arg, buf, (size_t)n, from.sin_addr, ntohs(from.sin_port));
		dom_mutex_exit(&s->cb);
	}
	if (own_lwp)
		rump_pub_lwproc_releaselwp();
	free(buf);
	return NULL;
}

/* ---- the interface ---- */

/* The idle clock unless RUMPBRIDGE_IDLE_CLOCK=0 (docs/network.md). */
static bool idle_clock_wanted(void)
{
	const char *v = getenv("RUMPBRIDGE_IDLE_CLOCK");

	return v == NULL || strcmp(v, "0") != 0;
}

static int rump_init_stack(struct net_stack **sp, const struct net_stack_config *cfg)
{
	char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];
	struct net_stack *s;
	bool expected = false;
	int e;

	e = net_stack_config_check(sp, cfg);
	if (e != 0)
		return e;
	/* acq_rel: pairs with the release store in fini, so the previous
	 * instance's teardown happens before this one starts */
	if (!atomic_compare_exchange_strong_explicit(&rump_taken, &expected, true,
						     memory_order_acq_rel, memory_order_acquire))
		return -EBUSY;
	if (rump_dom == NULL) {
		e = rumpbridge_set_domain(cfg->d);
		if (e == 0 && (e = rump_init()) != 0)
			e = -EIO;
		if (e == 0 && idle_clock_wanted())
			e = rumpbridge_clock_idle(NET_RUMP_CLOCK_GRACE, NET_RUMP_CLOCK_SKIP);
		if (e != 0)
			goto fail_taken;
		rump_dom = cfg->d;
	} else if (rump_dom != cfg->d) {
		e = -EINVAL; /* the kernel lives on its first domain */
		goto fail_taken;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		e = -ENOMEM;
		goto fail_taken;
	}
	s->magic = NET_RUMP_MAGIC;
	s->d = cfg->d;
	s->addr = cfg->addr;
	s->netmask = cfg->netmask;
	s->gateway = cfg->gateway;
	s->vif.addr = cfg->addr;
	net_udp_table_init(&s->socks);
	dom_mutex_init(&s->lock);
	dom_mutex_init(&s->cb);
	s->vif.d = cfg->d;
	s->vif.tx = cfg->tx;
	s->vif.rx = cfg->rx;
	s->vif.rx_events = cfg->rx_events;
	memcpy(s->vif.mac, cfg->mac, 6);
	s->vif.c = &s->c;
	e = net_virtif_prepare(&s->vif);
	if (e != 0) {
		e = e == -EBUSY ? -EBUSY : -ENOMEM; /* every unit taken, or no notification */
		goto fail_s;
	}
	snprintf(s->ifname, sizeof(s->ifname), "virt%u", s->vif.unit);
	if (rump_pub_netconfig_ifcreate(s->ifname) != 0) {
		net_virtif_release(&s->vif);
		e = -EIO;
		goto fail_s;
	}
	inet_ntop(AF_INET, &cfg->addr, a, sizeof(a));
	inet_ntop(AF_INET, &cfg->netmask, m, sizeof(m));
	if (rump_pub_netconfig_ipv4_ifaddr(s->ifname, a, m) != 0 ||
	    rump_pub_netconfig_ifup(s->ifname) != 0) {
		e = -EIO;
		goto fail_if;
	}
	if (cfg->gateway != 0) {
		inet_ntop(AF_INET, &cfg->gateway, a, sizeof(a));
		if (rump_pub_netconfig_ipv4_gw(a) != 0) {
			e = -EIO;
			goto fail_if;
		}
	}
	{
		int mib[2] = {NB_CTL_KERN, NB_KERN_SBMAX}, sbmax = NET_RUMP_SBMAX;

		/* best effort: the socket buffers are smaller otherwise */
		(void)rump_sys___sysctl(mib, 2, NULL, NULL, &sbmax, sizeof(sbmax));
	}
	if (udp_stats(s->udp0) != 0)
		memset(s->udp0, 0, sizeof(s->udp0));
	*sp = s;
	return 0;
fail_if:
	rump_pub_netconfig_ifdown(s->ifname);
	rump_pub_netconfig_ifdestroy(s->ifname);
	net_virtif_release(&s->vif);
fail_s:
	dom_mutex_destroy(&s->lock);
	dom_mutex_destroy(&s->cb);
	free(s);
fail_taken:
	atomic_store_explicit(&rump_taken, false, memory_order_release); /* pairs with the CAS */
	return e;
}

/* Stop u's receiver and close its socket.  Not under s->lock (the
 * receiver may be in a callback, which takes s->cb only). */
static void udp_shut(struct net_udp *u)
{
	atomic_store(&u->closing, true);
	/* wakes the receiver's recvfrom (it returns 0) */
	rump_sys_shutdown(u->fd, NB_SHUT_RD);
	if (u->rx != NULL)
		dom_thread_join(u->rx, NULL);
	rump_sys_close(u->fd);
}

static int rump_fini(struct net_stack *s)
{
	struct net_udp *u;
	int e;

	if (!stack_ok(s))
		return -EINVAL;
	e = check_caller(s);
	if (e != 0)
		return e;
	for (;;) {
		dom_mutex_enter(&s->lock);
		u = net_udp_table_pop(&s->socks);
		dom_mutex_exit(&s->lock);
		if (u == NULL)
			break;
		udp_shut(u);
		free(u);
	}
	rump_pub_netconfig_ifdown(s->ifname);
	/* the kernel calls rumpcomp_virt_dying and _destroy: the host
	 * half's rx thread ends */
	if (rump_pub_netconfig_ifdestroy(s->ifname) == 0)
		net_virtif_release(&s->vif);
	/* else the kernel keeps the interface, and the host half stays
	 * registered (its unit is not reused) */
	dom_mutex_destroy(&s->lock);
	dom_mutex_destroy(&s->cb);
	s->magic = 0;
	free(s);
	atomic_store_explicit(&rump_taken, false, memory_order_release); /* pairs with init's CAS */
	return 0;
}

static int rump_udp_open(struct net_stack *s, struct net_udp **up, net_udp_recv_fn fn, void *arg)
{
	struct dom_thread_attr a = {.name = "rump-udp-rx", .vcpu = -1};
	struct net_udp *u;
	int rcvbuf = NET_RUMP_RCVBUF, e;

	if (!stack_ok(s) || up == NULL)
		return -EINVAL;
	e = check_caller(s);
	if (e != 0)
		return e;
	u = net_udp_new(sizeof(*u), s, fn, arg);
	if (u == NULL)
		return -ENOMEM;
	u->fd = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
	if (u->fd < 0) {
		/* EMFILE, ENFILE, ENOBUFS, ENOMEM: out of sockets or memory,
		 * the one error udp_open has for them */
		free(u);
		return -ENOMEM;
	}
	/* a larger receive buffer where the kernel allows it */
	while (rump_sys_setsockopt(u->fd, RUMP_SOL_SOCKET, RUMP_SO_RCVBUF, &rcvbuf,
				   sizeof(rcvbuf)) != 0 &&
	       rcvbuf > 65536)
		rcvbuf /= 2;
	e = dom_thread_create(s->d, &u->rx, &a, receiver_main, u);
	if (e != 0) {
		rump_sys_close(u->fd);
		free(u);
		return -ENOMEM;
	}
	dom_mutex_enter(&s->lock);
	net_udp_table_insert(&s->socks, u);
	dom_mutex_exit(&s->lock);
	*up = u;
	return 0;
}

static int rump_udp_bind(struct net_udp *u, uint32_t addr, uint16_t port)
{
	struct nb_sockaddr_in sa;
	int e;

	if (u == NULL || !stack_ok(u->h.s))
		return -EINVAL;
	e = check_caller(u->h.s);
	if (e != 0)
		return e;
	if (u->bound)
		return -EINVAL;
	if (addr != 0 && addr != u->h.s->addr)
		return -EADDRNOTAVAIL;
	sa = sin_of(addr, port);
	if (rump_sys_bind(u->fd, (void *)&sa, sizeof(sa)) != 0)
		return bind_errno(errno);
	u->bound = true;
	return 0;
}

/* NetBSD keeps an ARP entry this long (arpt_keep, 20 min); a neighbour
 * heard within it is taken as resolved.  It gives up resolving after
 * arp_maxtries (5) requests a second apart. */
#define NET_RUMP_ARP_KEEP_S (20u * 60u)
#define NET_RUMP_ARP_GIVEUP_NS (5ull * 1000000000ull)

/* May a datagram to dst enter the kernel now?  Not when its next hop has
 * not been heard in ARP and a datagram already waits for it.  Under
 * vif.txlock. */
static bool arp_may_send(struct net_stack *s, uint32_t dst)
{
	uint64_t now = mk_clock_now_ns();
	uint32_t hop = dst, sec;

	if ((dst & s->netmask) != (s->addr & s->netmask))
		hop = s->gateway;
	if (hop == 0)
		return true; /* no route: the kernel says so */
	sec = net_virtif_heard(&s->vif, hop);
	if (sec != 0 && now / 1000000000u + 1 - sec < NET_RUMP_ARP_KEEP_S) {
		/* Heard by the host half, but the kernel's arpintr may not
		 * have entered the reply yet: a datagram sent now could still
		 * meet the one-packet hold and push the held one out.  The
		 * kernel has the entry once the held datagram leaves (an IPv4
		 * frame sent since the wait began). */
		if (s->arp_wait != hop || s->vif.tx_ip != s->arp_tx_ip ||
		    now - s->arp_wait_ns >= NET_RUMP_ARP_GIVEUP_NS) {
			if (s->arp_wait == hop)
				s->arp_wait = 0;
			return true;
		}
		return false;
	}
	if (s->arp_wait == hop && now - s->arp_wait_ns < NET_RUMP_ARP_GIVEUP_NS)
		return false;
	s->arp_wait = hop;
	s->arp_wait_ns = now;
	s->arp_tx_ip = s->vif.tx_ip;
	return true;
}

static int rump_udp_sendto(struct net_udp *u, const void *data, size_t len, uint32_t dst,
			   uint16_t dport)
{
	struct net_stack *s;
	struct nb_sockaddr_in to;
	int e, free_bufs;

	if (u == NULL || !stack_ok(u->h.s))
		return -EINVAL;
	e = net_udp_sendto_check(data, len, dst, dport);
	if (e != 0)
		return e;
	s = u->h.s;
	e = check_caller(s);
	if (e != 0)
		return e;
	/* Never wait for ring space: refuse when no tx buffer is free for
	 * this datagram.  Each sender in the kernel holds a reservation of
	 * one free buffer (s->reserved, under the tx mutex), so concurrent
	 * senders cannot all pass the check for the last buffer.  Frames the
	 * kernel sends on its own (ARP, ICMP) reserve nothing: one of them
	 * may still take a reserved buffer, and the datagram that then finds
	 * none is dropped by the host half and counted as tx_ring_full. */
	dom_mutex_enter(&s->vif.txlock);
	if (!arp_may_send(s, dst)) {
		dom_mutex_exit(&s->vif.txlock);
		return -EAGAIN;
	}
	free_bufs = comp_ring_in_count(s->vif.tx);
	if (free_bufs > 0 && (unsigned)free_bufs > s->reserved)
		s->reserved++;
	else
		free_bufs = 0;
	dom_mutex_exit(&s->vif.txlock);
	if (free_bufs <= 0) {
		net_virt_count(&s->c.tx_ring_full);
		return -ENOBUFS;
	}
	to = sin_of(dst, dport);
	e = 0;
	if (rump_sys_sendto(u->fd, data, len, RUMP_MSG_DONTWAIT, (void *)&to, sizeof(to)) < 0)
		e = sendto_errno(errno);
	dom_mutex_enter(&s->vif.txlock);
	s->reserved--;
	dom_mutex_exit(&s->vif.txlock);
	if (e != 0)
		return e;
	u->bound = true;
	net_virt_count(&s->udp_sent);
	return 0;
}

static int rump_udp_close(struct net_udp *u)
{
	struct net_stack *s;
	int e;

	if (u == NULL || !stack_ok(u->h.s))
		return -EINVAL;
	s = u->h.s;
	e = check_caller(s);
	if (e != 0)
		return e;
	dom_mutex_enter(&s->lock);
	net_udp_table_remove(&s->socks, u);
	dom_mutex_exit(&s->lock);
	udp_shut(u);
	free(u);
	return 0;
}

static int rump_get_stats(struct net_stack *s, struct net_stack_stats *st)
{
	uint64_t udp[NB_UDP_NSTATS];

	if (!stack_ok(s) || st == NULL)
		return -EINVAL;
	if (udp_stats(udp) != 0)
		memcpy(udp, s->udp0, sizeof(udp));
	st->tx_frames = net_virt_counter(&s->c.tx_frames);
	st->rx_frames = net_virt_counter(&s->c.rx_frames);
	st->tx_ring_full = net_virt_counter(&s->c.tx_ring_full);
	st->tx_too_big = net_virt_counter(&s->c.tx_too_big);
	st->ring_errors = net_virt_counter(&s->c.ring_errors);
	st->udp_sent = net_virt_counter(&s->udp_sent);
	st->udp_received = net_virt_counter(&s->udp_received);
	st->udp_no_socket = net_virt_counter(&s->udp_nocb) + udp[NB_UDP_STAT_NOPORT] -
			    s->udp0[NB_UDP_STAT_NOPORT];
	st->rx_bad = net_virt_counter(&s->c.rx_bad);
	for (int i = NB_UDP_STAT_HDROPS; i <= NB_UDP_STAT_BADLEN; i++)
		st->rx_bad += udp[i] - s->udp0[i];
	st->rx_bad += udp[NB_UDP_STAT_FULLSOCK] - s->udp0[NB_UDP_STAT_FULLSOCK];
	return 0;
}

const struct net_stack_ops net_stack_rump = {
	.name = "rump",
	.init = rump_init_stack,
	.fini = rump_fini,
	.udp_open = rump_udp_open,
	.udp_bind = rump_udp_bind,
	.udp_sendto = rump_udp_sendto,
	.udp_close = rump_udp_close,
	.get_stats = rump_get_stats,
};
