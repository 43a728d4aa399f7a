/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The NIC PD of examples/microkit-rump: the far end of the rump kernel's
 * virt0.  A plain event-driven Microkit PD (no domain):
 *   - frames the rump PD sends (tx ring, consumer): an ARP request for
 *     10.0.0.1 is answered on the rx ring; a UDP datagram is checked --
 *     Ethernet addresses and type, IPv4 version, header length, total
 *     length, fragment bits, TTL, protocol, addresses and header
 *     checksum, UDP ports, length and checksum (pseudo-header), and the
 *     payload against shared.h's pattern -- counted, and the client is
 *     notified (nicstat region);
 *   - on the client's notification, a datagram from 10.0.0.1:5000 to
 *     10.0.0.2:7 with the client's payload (inj region) is built and put
 *     on the rx ring (producer).
 *   - the frames of the baseline forwarder (fwd.c) on a third ring, tx2,
 *     checked and counted the same way.
 * It attaches to each ring, which its producer formats, on that PD's
 * first notification.  Everything read from the rings is copied before
 * it is checked.
 */
#include <errno.h>
#include <microkit.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rumpbridge/ring.h>

#include "frame.h"
#include "shared.h"

#define BUF 2048u
#define FRAME_MAX 1514u

uintptr_t tx_base, rx_base, tx2_base, nicstat_base, inj_base; /* setvar_vaddr */

static struct comp_ring tx, rx, tx2; /* tx2: the baseline forwarder's */
static bool attached, attached2;
static uint8_t frame[BUF];
static uint16_t ip_id = 1;

static int signal_ch(void *ctx)
{
	microkit_notify((microkit_channel)(uintptr_t)ctx);
	return 0;
}

static bool fail(const char *why)
{
	volatile struct nicstat *ns = (volatile struct nicstat *)nicstat_base;

	if (ns->bad == 0) {
		size_t i;

		for (i = 0; why[i] != '\0' && i < sizeof(ns->why) - 1; i++)
			ns->why[i] = why[i];
		ns->why[i] = '\0';
	}
	ns->bad = ns->bad + 1;
	microkit_dbg_puts("nic: bad frame: ");
	microkit_dbg_puts(why);
	microkit_dbg_puts("\n");
	return false;
}

/* Put len bytes of frame on the rx ring for the rump kernel. */
static bool inject(uint32_t len)
{
	volatile struct nicstat *ns = (volatile struct nicstat *)nicstat_base;
	struct comp_ring_desc dd;
	uint8_t *b;

	if (comp_ring_dequeue(&rx, &dd, 0) != 0 || (b = comp_ring_buf(&rx, &dd)) == NULL ||
	    dd.len < len) {
		ns->inject_fail = ns->inject_fail + 1;
		return false;
	}
	memcpy(b, frame, len);
	dd.len = len;
	if (comp_ring_enqueue(&rx, &dd, 0) != 0) { /* signals the rump PD if it waits */
		ns->inject_fail = ns->inject_fail + 1;
		return false;
	}
	ns->injected = ns->injected + 1;
	return true;
}

static void arp(uint32_t len)
{
	volatile struct nicstat *ns = (volatile struct nicstat *)nicstat_base;
	uint8_t *a = frame + 14;

	if (len < 14 + 28 || rd16(a) != 1 || rd16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4)
		return (void)fail("ARP: not Ethernet/IPv4");
	if (rd16(a + 6) != 1 || rd32(a + 24) != NET_PEER_IP)
		return; /* not a request for us: ignored, as a host does */
	if (memcmp(a + 8, net_rump_mac, 6) != 0 || rd32(a + 14) != NET_RUMP_IP)
		return (void)fail("ARP: request not from the rump PD's addresses");
	/* the reply, in place */
	memcpy(frame, net_rump_mac, 6);
	memcpy(frame + 6, net_peer_mac, 6);
	wr16(a + 6, 2);
	memcpy(a + 18, net_rump_mac, 6);
	wr32(a + 24, NET_RUMP_IP);
	memcpy(a + 8, net_peer_mac, 6);
	wr32(a + 14, NET_PEER_IP);
	if (inject(14 + 28))
		ns->arp_replies = ns->arp_replies + 1;
}

static bool udp(uint32_t len)
{
	volatile struct nicstat *ns = (volatile struct nicstat *)nicstat_base;
	const uint8_t *ip = frame + 14, *u, *p;
	uint32_t tot, ulen, plen, seq;

	if (memcmp(frame, net_peer_mac, 6) != 0)
		return fail("Ethernet: destination is not the NIC's address");
	if (memcmp(frame + 6, net_rump_mac, 6) != 0)
		return fail("Ethernet: source is not the rump PD's address");
	if (len < 14 + 20 + 8)
		return fail("IPv4: runt");
	if (ip[0] != 0x45)
		return fail("IPv4: version/header length");
	tot = rd16(ip + 2);
	if (tot < 28 || 14 + tot > len)
		return fail("IPv4: total length");
	if ((rd16(ip + 6) & 0x3fff) != 0)
		return fail("IPv4: fragmented");
	if (ip[8] == 0)
		return fail("IPv4: TTL 0");
	if (ip[9] != 17)
		return fail("IPv4: not UDP");
	if (fold(sum16(ip, 20, 0)) != 0xffff)
		return fail("IPv4: header checksum");
	if (rd32(ip + 12) != NET_RUMP_IP || rd32(ip + 16) != NET_PEER_IP)
		return fail("IPv4: addresses");
	u = ip + 20;
	ulen = rd16(u + 4);
	if (rd16(u) != NET_RUMP_PORT || rd16(u + 2) != NET_PEER_PORT)
		return fail("UDP: ports");
	if (ulen < 8 || ulen != tot - 20)
		return fail("UDP: length");
	if (rd16(u + 6) == 0)
		return fail("UDP: no checksum");
	if (fold(sum16(u, ulen, udp_pseudo(NET_RUMP_IP, NET_PEER_IP, ulen))) != 0xffff)
		return fail("UDP: checksum");
	p = u + 8;
	plen = ulen - 8;
	if (plen < 4)
		return fail("payload: short");
	seq = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	if (plen != payload_len(seq))
		return fail("payload: length");
	for (uint32_t i = 0; i < plen; i++)
		if (p[i] != payload_byte(seq, i))
			return fail("payload: bytes");
	ns->t_verified = cycles();
	ns->last_seq = seq;
	/* release: last_seq and t_verified before the count; relaxed read: this PD is its only writer */
	atomic_store_explicit(&ns->verified,
			      atomic_load_explicit(&ns->verified, memory_order_relaxed) + 1,
			      memory_order_release);
	return true;
}

static void from_ring(struct comp_ring *t)
{
	struct comp_ring_desc dd;
	int e;

	for (;;) {
		while ((e = comp_ring_dequeue(t, &dd, COMP_RING_DEFER)) != -EAGAIN) {
			uint8_t *b;
			uint32_t len = dd.len;

			if (e < 0) {
				fail("tx ring: bad descriptor or index");
				if (e == -EPROTO)
					return;
				continue;
			}
			b = comp_ring_buf(t, &dd);
			if (b != NULL && len >= 14 && len <= FRAME_MAX) {
				uint16_t type;

				memcpy(frame, b, len); /* copy, then check */
				type = rd16(frame + 12);
				if (type == 0x0806)
					arp(len);
				else if (type == 0x0800 && udp(len))
					microkit_notify(NIC_CH_CLIENT);
				else if (type != 0x0800)
					fail("Ethernet: type"); /* e.g. IPv6: not configured */
			} else {
				fail("tx ring: frame length");
			}
			dd.len = BUF;
			comp_ring_enqueue(t, &dd, COMP_RING_DEFER);
		}
		/* return the buffers (one signal if the rump PD waits), ask for
		 * a signal with the next frame, and process again if one came
		 * meanwhile */
		comp_ring_notify(t);
		if (comp_ring_want_data(t) != 0)
			return;
	}
}

/* Before the first datagram, two the rump PD must drop: a runt (10
 * bytes, shorter than an Ethernet header: virtif-rx refuses it, rx_bad)
 * and a datagram with a wrong UDP checksum (the kernel's stack drops it;
 * were it delivered, the client would see a wrong payload). */
static void inject_bad(void)
{
	uint32_t n = payload_len(99999), f;

	memset(frame, 0x5a, 10);
	inject(10);
	for (uint32_t i = 0; i < n; i++)
		frame[FRAME_HDR + i] = payload_byte(99999, i);
	f = frame_udp(frame, net_rump_mac, net_peer_mac, NET_PEER_IP, NET_RUMP_IP, NET_PEER_PORT,
		      NET_RUMP_PORT, n, ip_id++);
	frame[14 + 20 + 6] ^= 0x01; /* the UDP checksum */
	inject(f);
}

static void from_client(void)
{
	volatile struct inj *in = (volatile struct inj *)inj_base;
	static bool bad_sent;
	uint32_t len;

	if (!bad_sent) {
		bad_sent = true;
		inject_bad();
	}
	(void)atomic_load_explicit(&in->seq, memory_order_acquire); /* then len, payload */
	len = in->len;
	if (len > PAYLOAD_MAX) {
		fail("inject: payload too long");
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		frame[FRAME_HDR + i] = in->payload[i];
	inject(frame_udp(frame, net_rump_mac, net_peer_mac, NET_PEER_IP, NET_RUMP_IP,
			 NET_PEER_PORT, NET_RUMP_PORT, len, ip_id++));
}

void init(void)
{
	microkit_dbg_puts("nic: waiting for the rump PD's rings\n");
}

void notified(microkit_channel ch)
{
	const struct comp_ring_channel c = {.signal = signal_ch, .signal_ctx = (void *)NIC_CH_RUMP};
	const struct comp_ring_channel c2 = {.signal = signal_ch, .signal_ctx = (void *)NIC_CH_FWD};

	if (ch == NIC_CH_FWD) { /* the baseline: attach on its first notification */
		if (!attached2) {
			if (comp_ring_attach(&tx2, (void *)tx2_base, FWD_RING_REGION,
					     COMP_RING_CONSUMER, RING_CAPACITY, &c2) != 0) {
				fail("baseline ring: attach");
				return;
			}
			attached2 = true;
			microkit_dbg_puts("nic: attached to the forwarder's ring\n");
		}
		from_ring(&tx2);
		return;
	}

	if (!attached && ch == NIC_CH_RUMP) {
		if (comp_ring_attach(&tx, (void *)tx_base, RING_REGION, COMP_RING_CONSUMER,
				     RING_CAPACITY, &c) != 0 ||
		    comp_ring_attach(&rx, (void *)rx_base, RING_REGION, COMP_RING_PRODUCER,
				     RING_CAPACITY, &c) != 0) {
			fail("rings: attach");
			return;
		}
		attached = true;
		microkit_dbg_puts("nic: attached to the rings\n");
	}
	if (!attached)
		return;
	if (ch == NIC_CH_RUMP)
		from_ring(&tx);
	else if (ch == NIC_CH_CLIENT)
		from_client();
}
