/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Ethernet / ARP / IPv4 / UDP frames written and checked by hand, for the
 * tests' peer of a stack: an independent reading of the wire format, so
 * a frame the stack gets wrong (a bad checksum, a wrong length) fails.
 */
#ifndef NET_TEST_FRAME_H
#define NET_TEST_FRAME_H

#include <stddef.h>
#include <stdint.h>

enum frame_kind { FRAME_OTHER = 0, FRAME_ARP_REQUEST, FRAME_ARP_REPLY, FRAME_UDP };

struct frame_info {
	enum frame_kind kind;
	uint8_t src_mac[6], dst_mac[6];
	uint32_t src_ip, dst_ip; /* network byte order */
	uint16_t sport, dport;	 /* host byte order */
	const uint8_t *payload;	 /* UDP only */
	size_t len;
};

/* Parse frame f of len bytes.  0, or -EBADMSG when an IPv4 or UDP
 * header is malformed or a checksum is wrong. */
int frame_parse(const uint8_t *f, size_t len, struct frame_info *fi);

/* Write an ARP reply to request rq from (mac, ip) into out; its length. */
size_t frame_arp_reply(uint8_t *out, const struct frame_info *rq, const uint8_t mac[6],
		       uint32_t ip);

/* Write a UDP datagram frame into out (room for 14+20+8+len); its length. */
size_t frame_udp(uint8_t *out, const uint8_t src_mac[6], const uint8_t dst_mac[6], uint32_t src_ip,
		 uint32_t dst_ip, uint16_t sport, uint16_t dport, const void *data, size_t len);

#endif
