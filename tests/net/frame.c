/* SPDX-License-Identifier: BSD-2-Clause */
/* Hand-written Ethernet / ARP / IPv4 / UDP frames (frame.h). */
#include <errno.h>
#include <string.h>

#include "frame.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* One's complement sum of len bytes, folded later. */
static uint32_t sum(const uint8_t *p, size_t len, uint32_t acc)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		acc += get16(p + i);
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* The UDP checksum's pseudo-header sum. */
static uint32_t pseudo(const uint8_t *ip, uint16_t ulen)
{
	return sum(ip + 12, 8, 0) + 17 + ulen;
}

int frame_parse(const uint8_t *f, size_t len, struct frame_info *fi)
{
	const uint8_t *ip, *u;
	size_t ihl, tot;
	uint16_t ulen;

	memset(fi, 0, sizeof(*fi));
	if (len < 14)
		return -EBADMSG;
	memcpy(fi->dst_mac, f, 6);
	memcpy(fi->src_mac, f + 6, 6);
	if (get16(f + 12) == 0x0806 && len >= 14 + 28) {
		const uint8_t *a = f + 14;

		if (get16(a) != 1 || get16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4)
			return -EBADMSG;
		fi->kind = get16(a + 6) == 1 ? FRAME_ARP_REQUEST : FRAME_ARP_REPLY;
		memcpy(fi->src_mac, a + 8, 6);
		memcpy(&fi->src_ip, a + 14, 4);
		memcpy(&fi->dst_ip, a + 24, 4);
		return 0;
	}
	if (get16(f + 12) != 0x0800)
		return 0;
	ip = f + 14;
	if (len < 14 + 20 || (ip[0] >> 4) != 4)
		return -EBADMSG;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = get16(ip + 2);
	if (ihl < 20 || tot < ihl || 14 + tot > len || fold(sum(ip, ihl, 0)) != 0)
		return -EBADMSG;
	memcpy(&fi->src_ip, ip + 12, 4);
	memcpy(&fi->dst_ip, ip + 16, 4);
	if (ip[9] != 17)
		return 0;
	u = ip + ihl;
	if (tot < ihl + 8)
		return -EBADMSG;
	ulen = get16(u + 4);
	if (ulen < 8 || ulen > tot - ihl)
		return -EBADMSG;
	if (get16(u + 6) != 0 && fold(sum(u, ulen, pseudo(ip, ulen))) != 0)
		return -EBADMSG;
	fi->kind = FRAME_UDP;
	fi->sport = get16(u);
	fi->dport = get16(u + 2);
	fi->payload = u + 8;
	fi->len = ulen - 8u;
	return 0;
}

size_t frame_arp_reply(uint8_t *out, const struct frame_info *rq, const uint8_t mac[6], uint32_t ip)
{
	uint8_t *a = out + 14;

	memcpy(out, rq->src_mac, 6);
	memcpy(out + 6, mac, 6);
	put16(out + 12, 0x0806);
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 2);
	memcpy(a + 8, mac, 6);
	memcpy(a + 14, &ip, 4);
	memcpy(a + 18, rq->src_mac, 6);
	memcpy(a + 24, &rq->src_ip, 4);
	return 14 + 28;
}

size_t frame_udp(uint8_t *out, const uint8_t src_mac[6], const uint8_t dst_mac[6], uint32_t src_ip,
		 uint32_t dst_ip, uint16_t sport, uint16_t dport, const void *data, size_t len)
{
	uint8_t *ip = out + 14, *u = ip + 20;
	uint16_t c;

	memcpy(out, dst_mac, 6);
	memcpy(out + 6, src_mac, 6);
	put16(out + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 8 + len));
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &src_ip, 4);
	memcpy(ip + 16, &dst_ip, 4);
	put16(ip + 10, fold(sum(ip, 20, 0)));
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + len));
	put16(u + 6, 0);
	memcpy(u + 8, data, len);
	c = fold(sum(u, 8 + len, pseudo(ip, (uint16_t)(8 + len))));
	put16(u + 6, c == 0 ? 0xffff : c);
	return 14 + 20 + 8 + len;
}
