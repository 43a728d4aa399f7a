/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The client PD of examples/microkit-rump: event-driven, no domain.
 *   1. When the rump PD says it is ready, sends NSEND requests one at a
 *      time: writes the payload of datagram seq into req, notifies the
 *      rump PD, and waits for the NIC PD's notification that it verified
 *      datagram seq.  The time from the notification to the NIC's check
 *      (cntpct, one counter for all PDs) is kept for each.  The same for
 *      NSEND requests to the baseline forwarder (fwd.c, req2), in
 *      alternate blocks of BLOCK, so that both see the same host load.
 *   2. Then NRECV datagrams the other way: writes a payload into inj,
 *      notifies the NIC PD, which injects it for 10.0.0.2:7; waits for
 *      the rump PD's notification that recvfrom got it, and compares.
 *   3. Prints the result and the latency's median and p99, and asks the
 *      rump PD to halt its kernel.
 * Every wake-up re-reads the shared counters: notifications coalesce.
 */
#include <microkit.h>
#include <stdbool.h>
#include <stdint.h>

#include "shared.h"

#ifndef NSEND
#define NSEND 1000u
#endif
#define BLOCK 100u
#define FWD_SEQ0 200000u
#ifndef NRECV
#define NRECV 100u
#endif

uintptr_t req_base, req2_base, resp_base, nicstat_base, inj_base; /* setvar_vaddr */

enum { WAIT_READY, SENDING, RECEIVING, DONE };
static int state = WAIT_READY;
static uint32_t seq, fseq, rseq, bad_payloads, verified, verified_fwd, nver;
static bool to_fwd; /* the block in progress goes to the forwarder */
static uint64_t t0, lat[NSEND], lat_fwd[NSEND], t_start;

static void put(const char *s)
{
	microkit_dbg_puts(s);
}

static void put_u64(uint64_t v)
{
	char buf[21];
	int i = 20;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(&buf[i]);
}

static void kv(const char *k, uint64_t v)
{
	put(" ");
	put(k);
	put("=");
	put_u64(v);
}

static void send_next(void)
{
	volatile struct req *rq = (volatile struct req *)(to_fwd ? req2_base : req_base);
	uint32_t s = to_fwd ? FWD_SEQ0 + fseq + 1 : seq + 1, n = payload_len(s);

	for (uint32_t i = 0; i < n; i++)
		rq->payload[i] = payload_byte(s, i);
	rq->len = n;
	rq->op = REQ_SEND;
	atomic_store_explicit(&rq->seq, to_fwd ? fseq + 1 : s,
			      memory_order_release); /* the request before its number */
	t0 = cycles();
	microkit_notify(to_fwd ? CLIENT_CH_FWD : CLIENT_CH_RUMP);
}

/* datagram k of the reverse direction: the pattern of seq 100000 + k */
static void inject_next(void)
{
	volatile struct inj *in = (volatile struct inj *)inj_base;
	uint32_t s = 100000u + rseq + 1, n = payload_len(s);

	for (uint32_t i = 0; i < n; i++)
		in->payload[i] = payload_byte(s, i);
	in->len = n;
	atomic_store_explicit(&in->seq, s, memory_order_release); /* the payload before it */
	microkit_notify(CLIENT_CH_NIC);
}

static void sort(uint64_t *a, uint32_t n) /* shell sort: 1000 samples */
{
	for (uint32_t gap = n / 2; gap > 0; gap /= 2)
		for (uint32_t i = gap; i < n; i++)
			for (uint32_t j = i; j >= gap && a[j - gap] > a[j]; j -= gap) {
				uint64_t t = a[j];

				a[j] = a[j - gap];
				a[j - gap] = t;
			}
}

static void finish(void)
{
	volatile struct nicstat *ns = (volatile struct nicstat *)nicstat_base;
	volatile struct req *rq = (volatile struct req *)req_base;

	sort(lat, NSEND);
	sort(lat_fwd, NSEND);
	put("client: sent");
	kv("n", NSEND);
	kv("verified", verified);
	kv("bad", ns->bad);
	kv("arp_replies", ns->arp_replies);
	put("\n");
	put("client: received");
	kv("n", rseq);
	kv("bad_payloads", bad_payloads);
	kv("injected", ns->injected);
	kv("inject_fail", ns->inject_fail);
	put("\n");
	put("client: latency notify_to_verified_cycles");
	kv("median", lat[NSEND / 2]);
	kv("p99", lat[NSEND * 99 / 100]);
	kv("min", lat[0]);
	kv("max", lat[NSEND - 1]);
	kv("total_cycles", cycles() - t_start);
	put("\n");
	put("client: baseline");
	kv("n", NSEND);
	kv("verified", verified_fwd);
	put("\n");
	put("client: latency baseline_notify_to_verified_cycles");
	kv("median", lat_fwd[NSEND / 2]);
	kv("p99", lat_fwd[NSEND * 99 / 100]);
	kv("min", lat_fwd[0]);
	kv("max", lat_fwd[NSEND - 1]);
	put("\n");
	if (ns->bad != 0) {
		put("client: the NIC's first failed check: ");
		for (unsigned i = 0; i < sizeof(ns->why) && ns->why[i] != '\0'; i++) {
			char c[2] = {ns->why[i], '\0'};
			put(c);
		}
		put("\n");
	}
	rq->op = REQ_HALT;
	atomic_store_explicit(&rq->seq, NSEND + 1, memory_order_release); /* op before it */
	state = DONE;
	microkit_notify(CLIENT_CH_RUMP);
}

void init(void)
{
	put("client: waiting for the rump PD\n");
}

void notified(microkit_channel ch)
{
	volatile struct resp *rs = (volatile struct resp *)resp_base;
	volatile struct nicstat *ns = (volatile struct nicstat *)nicstat_base;

	if (state == WAIT_READY && ch == CLIENT_CH_RUMP && atomic_load_explicit(&rs->ready, memory_order_acquire) == 1) {
		put("client: the rump PD is ready; sending\n");
		state = SENDING;
		t_start = cycles();
		send_next();
		return;
	}
	if (state == SENDING && ch == CLIENT_CH_NIC) {
		/* acquire: last_seq and t_verified were stored before it */
		uint32_t v = atomic_load_explicit(&ns->verified, memory_order_acquire), last;

		last = ns->last_seq;
		if (v != nver + 1 || last != (to_fwd ? FWD_SEQ0 + fseq + 1 : seq + 1))
			return; /* not ours yet (or a bad frame: the count tells at the end) */
		nver++;
		if (to_fwd) {
			lat_fwd[fseq++] = ns->t_verified - t0;
			verified_fwd++;
		} else {
			lat[seq++] = ns->t_verified - t0;
			verified++;
		}
		if ((seq + fseq) % BLOCK == 0)
			to_fwd = !to_fwd;
		if (seq < NSEND || fseq < NSEND) {
			if (to_fwd ? fseq == NSEND : seq == NSEND)
				to_fwd = !to_fwd;
			send_next();
		} else {
			put("client: all sent; injecting\n");
			state = RECEIVING;
			inject_next();
		}
		return;
	}
	if (state == RECEIVING && ch == CLIENT_CH_RUMP) {
		/* acquire: len and payload were stored before it */
		uint32_t got = atomic_load_explicit(&rs->received, memory_order_acquire);
		uint32_t s = 100000u + rseq + 1, n;

		if (got == rseq)
			return; /* nothing new: a coalesced or spurious wake-up */
		if (got != rseq + 1) /* a datagram more than injected */
			bad_payloads++;
		n = rs->len;
		if (n != payload_len(s)) {
			bad_payloads++;
		} else {
			for (uint32_t i = 0; i < n; i++)
				if (rs->payload[i] != payload_byte(s, i)) {
					bad_payloads++;
					break;
				}
		}
		rseq = got;
		if (rseq < NRECV)
			inject_next();
		else
			finish();
	}
}
