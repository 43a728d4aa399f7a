/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net: the host half of the rump kernel's if_virt, on the frame rings
 * (virtif_host.h; the ring code itself is virt_ring.c).
 *
 * if_virt's contract (NetBSD sys/rump/net/lib/libvirtif, revision
 * 20140313), as its driver uses it:
 *   rumpcomp_virt_create(devstr, sc, enaddr, &viu)
 *       from "ifconfig virtN create", devstr "N", holding a rump CPU;
 *       enaddr is the MAC the driver will attach with (ours overwrite
 *       it with the configured one); returns 0 or a NetBSD errno;
 *   rumpcomp_virt_send(viu, iov, n)
 *       one frame, from whatever kernel thread runs the interface's
 *       start routine (maybe several at once), holding a rump CPU;
 *       nothing is returned: a frame may be dropped;
 *   rumpcomp_virt_dying(viu), rumpcomp_virt_destroy(viu)
 *       from "ifconfig virtN destroy": stop the receiver, then free;
 *   rump_virtif_virt_deliverpkt(sc, iov, n)
 *       the kernel's entry for a received frame, called by a thread
 *       that holds a rump CPU and has an lwp.
 * A full kernel build carries NetBSD's own host half (on /dev/tap) in
 * librumpnet_virtif; these definitions, linked into the program, take its
 * place (the library calls them through its PLT; the program exports
 * them, see CMakeLists.txt).
 *
 * Threads.  send copies the frame onto the tx ring in the calling kernel
 * thread under v->txlock (a dom_mutex: the ring has one producer; a
 * contended sender sleeps in the domain; nothing under it blocks, so
 * holding a rump CPU meanwhile cannot deadlock).  The rx thread is a
 * green thread of the kernel's domain that makes itself a kernel thread
 * (rumpuser_component_kthread: an lwp of proc0 of its own), takes a rump
 * CPU per burst of frames (rump_schedule), hands each to deliverpkt,
 * gives the CPU back, returns the buffers with one signal, and sleeps in
 * the rx ring's wait (a domain event) while the ring is empty: no polling.
 */
#define _GNU_SOURCE /* the kernel's headers use u_int, mode_t, ... */
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpuser_component.h>

#include <rumpbridge/rumpuser.h>

#include "virtif_host.h"

struct virtif_sc; /* the kernel's */
struct virtif_user;

/* if_virt's hypercalls (virtif_user.h), defined here. */
int rumpcomp_virt_create(const char *devstr, struct virtif_sc *sc, uint8_t *enaddr,
			 struct virtif_user **viup);
int rumpcomp_virt_dying(struct virtif_user *viu);
void rumpcomp_virt_destroy(struct virtif_user *viu);
void rumpcomp_virt_send(struct virtif_user *viu, struct iovec *iov, size_t iovlen);
/* the kernel's entry for received frames */
void rump_virtif_virt_deliverpkt(struct virtif_sc *sc, struct iovec *iov, size_t iovlen);

/* Registered units: written by prepare and release (CAS), read by
 * create. */
static struct net_virtif *_Atomic units[NET_VIRTIF_UNITS];

int net_virtif_prepare(struct net_virtif *v)
{
	int e;

	if (v == NULL || v->d == NULL || v->tx == NULL || v->rx == NULL || v->c == NULL)
		return -EINVAL;
	e = mk_notification_init(&v->gone, 0);
	if (e != 0)
		return e;
	dom_mutex_init(&v->txlock);
	v->sc = NULL;
	v->rxthr = NULL;
	v->heard_next = 0;
	for (unsigned i = 0; i < NET_VIRTIF_HEARD; i++)
		atomic_store(&v->heard[i], 0);
	atomic_store(&v->dying, false);
	atomic_store(&v->created, false);
	for (unsigned i = 0; i < NET_VIRTIF_UNITS; i++) {
		struct net_virtif *none = NULL;

		v->unit = i;
		/* seq_cst: the fields above are published with the pointer */
		if (atomic_compare_exchange_strong(&units[i], &none, v))
			return 0;
	}
	dom_mutex_destroy(&v->txlock);
	mk_notification_destroy(&v->gone);
	return -EBUSY;
}

int net_virtif_release(struct net_virtif *v)
{
	struct net_virtif *me = v;

	if (v == NULL || v->unit >= NET_VIRTIF_UNITS ||
	    !atomic_compare_exchange_strong(&units[v->unit], &me, NULL))
		return -EINVAL;
	dom_mutex_destroy(&v->txlock);
	mk_notification_destroy(&v->gone);
	return 0;
}

/* An ARP packet (28 bytes at a): remember its sender when it is a reply,
 * or a request for our address (the kernel then knows the sender's MAC). */
static void heard(struct net_virtif *v, const unsigned char *a)
{
	uint32_t sip, tip, sec = (uint32_t)(mk_clock_now_ns() / 1000000000u) + 1;
	unsigned op = (unsigned)a[6] << 8 | a[7];
	unsigned i;

	memcpy(&sip, a + 14, 4);
	memcpy(&tip, a + 24, 4);
	if (sip == 0 || !(op == 2 || (op == 1 && tip == v->addr)))
		return;
	for (i = 0; i < NET_VIRTIF_HEARD; i++)
		if ((uint32_t)atomic_load_explicit(&v->heard[i], memory_order_relaxed) == sip)
			break;
	if (i == NET_VIRTIF_HEARD)
		i = v->heard_next++ % NET_VIRTIF_HEARD;
	/* relaxed: one word, read by itself (no other data hangs on it) */
	atomic_store_explicit(&v->heard[i], (uint64_t)sec << 32 | sip, memory_order_relaxed);
}

uint32_t net_virtif_heard(struct net_virtif *v, uint32_t ip)
{
	for (unsigned i = 0; i < NET_VIRTIF_HEARD; i++) {
		/* relaxed: see heard() */
		uint64_t w = atomic_load_explicit(&v->heard[i], memory_order_relaxed);

		if ((uint32_t)w == ip)
			return (uint32_t)(w >> 32);
	}
	return 0;
}

static void deliver(void *arg, void *frame, size_t len)
{
	struct net_virtif *v = arg;
	struct iovec iov = {.iov_base = frame, .iov_len = len};
	const unsigned char *f = frame;

	if (f[12] == 0x08 && f[13] == 0x00) /* IPv4: queued for ipintr */
		v->rx_ip++;
	else if (f[12] == 0x08 && f[13] == 0x06 && len >= 42)
		heard(v, f + 14);
	rump_virtif_virt_deliverpkt(v->sc, &iov, 1);
}

/* The kernel's count of IPv4 packets its ipintr took (ipstat total), or
 * -1.  From the rx thread, not holding a rump CPU. */
static int64_t ip_taken(void)
{
	int mib[4] = {4 /* CTL_NET */, 2 /* PF_INET */, 0 /* IPPROTO_IP */, 24 /* IPCTL_STATS */};
	uint64_t st[30]; /* IP_NSTATS; IP_STAT_TOTAL is 0 */
	size_t len = sizeof(st);

	if (rump_sys___sysctl(mib, 4, st, &len, NULL, 0) != 0 || len < sizeof(st[0]))
		return -1;
	return (int64_t)st[0];
}

/* if_virt hands a received IPv4 frame to ipintr through a queue of 256
 * per CPU (ip_pktq) and drops it, uncounted, when that is full: the rx
 * thread can outrun ipintr.  Before a burst that could overflow it, wait
 * until ipintr has caught up.  The wait gives up only when ipintr makes
 * no progress for NET_VIRTIF_PACE_NS (a stuck kernel): a slow one (under
 * a sanitizer, on a loaded host) is waited for as long as it moves. */
#define NET_VIRTIF_BACKLOG 192u
#define NET_VIRTIF_PACE_NS 500000000ull
static void pace(struct net_virtif *v)
{
	uint64_t end = 0, seen = v->ip_seen;
	int64_t taken;

	while (v->rx_ip - v->ip_seen > NET_VIRTIF_BACKLOG) {
		taken = ip_taken();
		if (taken < 0)
			return;
		/* packets of other interfaces (loopback) only make the
		 * backlog look smaller */
		v->ip_seen = (uint64_t)taken - v->ip_base;
		if (v->rx_ip - v->ip_seen <= NET_VIRTIF_BACKLOG)
			return;
		if (end == 0 || v->ip_seen != seen) {
			seen = v->ip_seen;
			end = mk_clock_now_ns() + NET_VIRTIF_PACE_NS;
		} else if (mk_clock_now_ns() > end) {
			return; /* the kernel is stuck: its queue drops */
		}
		dom_sleep_ns(20000);
	}
}

static void *rx_main(void *arg)
{
	struct net_virtif *v = arg;
	int n, e;

	rumpuser_component_kthread();
	{
		int64_t t = ip_taken();

		v->ip_base = t < 0 ? 0 : (uint64_t)t;
		v->rx_ip = v->ip_seen = 0;
	}
	while (!atomic_load(&v->dying)) {
		pace(v);
		rump_schedule();
		n = net_virt_ring_rx(v->rx, deliver, v, v->c);
		rump_unschedule();
		if (comp_ring_notify(v->rx) < 0)
			net_virt_count(&v->c->ring_errors);
		if (n > 0) {
			rumpbridge_clock_activity(); /* stack_rump.c, "Idle" */
			/* The kernel queues each frame for its network
			 * softint (ip_pktq, 256 deep, drops beyond): let it
			 * run before the next burst. */
			dom_yield();
			continue;
		}
		/* Empty: ask the NIC for a signal and sleep on the rx
		 * events, which dying signals too (comp_ring_wait_until
		 * would sleep on through such a wake-up).  On a corrupt
		 * ring (n < 0, or want_data failing) do not spin on it:
		 * sleep until something signals. */
		e = n == 0 ? comp_ring_want_data(v->rx) : -EPROTO;
		if (e < 0)
			net_virt_count(&v->c->ring_errors);
		if (e != 0) {
			uint64_t bits;

			dom_event_wait(v->d, v->rx_events, &bits);
		}
	}
	rumpuser_component_kthread_release();
	mk_notification_signal(&v->gone, 1);
	return NULL;
}

int rumpcomp_virt_create(const char *devstr, struct virtif_sc *sc, uint8_t *enaddr,
			 struct virtif_user **viup)
{
	struct dom_thread_attr a = {.name = "virtif-rx", .vcpu = -1};
	struct net_virtif *v;
	char *end;
	unsigned long unit;
	int e;

	unit = strtoul(devstr, &end, 10);
	if (*devstr == '\0' || *end != '\0' || unit >= NET_VIRTIF_UNITS ||
	    (v = atomic_load(&units[unit])) == NULL || atomic_load(&v->created))
		return rumpuser_component_errtrans(ENXIO);
	memcpy(enaddr, v->mac, 6);
	v->sc = sc;
	e = dom_thread_create(v->d, &v->rxthr, &a, rx_main, v);
	if (e != 0)
		return rumpuser_component_errtrans(e == -ENOMEM ? ENOMEM : EAGAIN);
	atomic_store(&v->created, true);
	*viup = (struct virtif_user *)v;
	return 0;
}

void rumpcomp_virt_send(struct virtif_user *viu, struct iovec *iov, size_t iovlen)
{
	struct net_virtif *v = (struct net_virtif *)viu;

	const unsigned char *f = iovlen > 0 && iov[0].iov_len >= 14 ? iov[0].iov_base : NULL;

	rumpbridge_clock_activity(); /* stack_rump.c, "Idle" */
	dom_mutex_enter(&v->txlock);
	if (f != NULL && f[12] == 0x08 && f[13] == 0x00)
		v->tx_ip++; /* stack_rump.c's ARP wait looks at it */
	(void)net_virt_ring_send(v->tx, iov, iovlen, v->c); /* a drop is counted */
	dom_mutex_exit(&v->txlock);
}

int rumpcomp_virt_dying(struct virtif_user *viu)
{
	struct net_virtif *v = (struct net_virtif *)viu;

	atomic_store(&v->dying, true);
	dom_event_signal(v->d, v->rx_events);
	return 0;
}

void rumpcomp_virt_destroy(struct virtif_user *viu)
{
	struct net_virtif *v = (struct net_virtif *)viu;
	uint64_t w;
	void *cookie;

	/* The rx thread may need a rump CPU (or the big lock) to finish
	 * its burst: wait for it with ours given back. */
	cookie = rumpuser_component_unschedule();
	while (mk_notification_wait(&v->gone, &w) != 0)
		;
	rumpuser_component_schedule(cookie);
	dom_thread_join(v->rxthr, NULL);
	v->rxthr = NULL;
	atomic_store(&v->created, false);
}
