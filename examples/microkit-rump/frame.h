/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * examples/microkit-rump: Ethernet/IPv4/UDP helpers of the NIC PD and the
 * baseline forwarder (big-endian fields, the Internet checksum).
 */
#ifndef MICROKIT_RUMP_FRAME_H
#define MICROKIT_RUMP_FRAME_H

#include <stdint.h>
#include <string.h>

#define FRAME_HDR (14u + 20u + 8u) /* Ethernet + IPv4 + UDP headers */

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/* the Internet checksum's one's-complement sum (RFC 1071), unfolded */
static inline uint32_t sum16(const uint8_t *p, uint32_t n, uint32_t s)
{
	for (; n > 1; p += 2, n -= 2)
		s += rd16(p);
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static inline uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static inline uint32_t udp_pseudo(uint32_t src, uint32_t dst, uint32_t ulen)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 17 + ulen;
}

/* Write the Ethernet, IPv4 and UDP headers of a datagram whose len bytes
 * of payload are already at f + FRAME_HDR, checksums included; returns the
 * frame's length. */
static inline uint32_t frame_udp(uint8_t *f, const uint8_t *dmac, const uint8_t *smac,
				 uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport,
				 uint32_t len, uint16_t id)
{
	uint8_t *ip = f + 14, *u = ip + 20;
	uint32_t ulen = 8 + len, s;

	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	wr16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(20 + ulen));
	wr16(ip + 4, id);
	ip[8] = 64;
	ip[9] = 17;
	wr32(ip + 12, sip);
	wr32(ip + 16, dip);
	wr16(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0)));
	wr16(u, sport);
	wr16(u + 2, dport);
	wr16(u + 4, (uint16_t)ulen);
	wr16(u + 6, 0);
	s = (uint16_t)~fold(sum16(u, ulen, udp_pseudo(sip, dip, ulen)));
	wr16(u + 6, s == 0 ? 0xffff : (uint16_t)s);
	return 14 + 20 + ulen;
}

#endif
