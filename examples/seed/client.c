/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A client of the network component: sends RB_SEED_RATE datagrams a
 * second for RB_SEED_SECONDS, each RB_SEED_BYTES long, to the sink, by
 * the way its name says (seed.h):
 *   client_ring, client_cb  a request on a ring in shared memory (we
 *                           produce), then a notification when net0 asked
 *                           for one (sDDF signal suppression);
 *   client_ppc              the payload in a shared region and a PPC.
 * client_ring and client_cb send from a thread of their own, started by
 * init(), which touches only the ring and microkit_notify (both safe from
 * any thread).  client_ppc sends from init() itself, on the PD's own
 * thread: microkit_ppcall uses the runtime's message registers and console
 * buffer, which only the PD's thread may touch (ThreadSanitizer found the
 * race when a second thread called it).  It starts last (priority 99), so
 * its long init() holds up no other PD's start.
 * Pacing: every millisecond the datagrams due by then go out in one batch
 * (one notification at most); between batches the thread sleeps.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microkit.h>
#include <rumpbridge/mk.h>
#include <rumpbridge/ring.h>

#include "seed.h"

uintptr_t req_vaddr; /* client_ring, client_cb: the request ring */
uintptr_t ppc_vaddr; /* client_ppc: the payload region */
uintptr_t stats_vaddr;

static struct comp_ring req;
static struct seed_stats *st;
static int way = -1;
static long crash_after = -1;

static size_t fill(unsigned char *buf, uint32_t seq, size_t len)
{
	struct seed_msg m = {SEED_MAGIC, (uint32_t)way, seq, (uint32_t)len, mk_clock_now_ns(), 0,
			     0};

	for (size_t i = sizeof(m); i < len; i++)
		buf[i] = (unsigned char)(seq * 13 + i + (size_t)way);
	m.sum = seed_fnv(buf + sizeof(m), len - sizeof(m));
	memcpy(buf, &m, sizeof(m));
	return len;
}

/* Ask for one datagram; false when it could not be handed over. */
static bool ask(uint32_t seq, size_t len)
{
	struct comp_ring_desc d;
	unsigned char *buf;

	if (way == 1) {
		fill((unsigned char *)ppc_vaddr, seq, len);
		microkit_mr_set(0, 0);
		microkit_mr_set(1, len);
		microkit_msginfo r = microkit_ppcall(SEED_CH_NET, microkit_msginfo_new(0, 2));
		if (microkit_msginfo_get_label(r) != 0) {
			atomic_fetch_add_explicit(&st->way[way].client_failed, 1,
						  memory_order_relaxed);
			return false;
		}
		return true;
	}
	/* No free request buffer: net0 is behind.  Back off (1 ms sleeps,
	 * after handing over what we queued) for up to a second, then drop. */
	for (int i = 0; comp_ring_dequeue(&req, &d, 0) != 0; i++) {
		struct timespec ms = {0, 1000000};

		if (i == 1000) {
			atomic_fetch_add_explicit(&st->way[way].client_full, 1,
						  memory_order_relaxed);
			return false;
		}
		comp_ring_notify(&req);
		nanosleep(&ms, NULL);
	}
	if ((buf = comp_ring_buf(&req, &d)) == NULL)
		return false;
	d.len = (uint32_t)fill(buf, seq, len);
	return comp_ring_enqueue(&req, &d, COMP_RING_DEFER) == 0;
}

/* RB_SEED_BAD: requests net0 must refuse (seed.h), before the traffic.
 * client_ppc checks the labels of net0's replies and says so on the
 * console; the ring clients' requests show in net0's `refused` count. */
static void bad_requests(void)
{
	static const struct {
		uint64_t off, len;
		seL4_Word label;
	} bad[] = {
		{0, SEED_PAYLOAD_MAX + 1, EMSGSIZE},	/* longer than one datagram */
		{SEED_PPC_REGION - 16, 200, EINVAL},	/* past the region's end */
		{UINT64_MAX - 8, 16, EINVAL},		/* offset outside, sum wraps */
	};
	struct comp_ring_desc d;
	char line[160];
	int wrong = 0;

	if (way != 1) {
		/* a free request buffer (net0 has given them all back at start),
		 * with a length over the limit */
		for (int i = 0; comp_ring_dequeue(&req, &d, 0) != 0; i++) {
			struct timespec ms = {0, 1000000};

			if (i == 5000) {
				microkit_dbg_puts("client: no free request buffer for RB_SEED_BAD\n");
				return;
			}
			nanosleep(&ms, NULL);
		}
		if (comp_ring_buf(&req, &d) == NULL || d.len < SEED_PAYLOAD_MAX + 1) {
			microkit_dbg_puts("client: request buffers too small for RB_SEED_BAD\n");
			return;
		}
		d.len = SEED_PAYLOAD_MAX + 1;
		memset(comp_ring_buf(&req, &d), 0, d.len);
		comp_ring_enqueue(&req, &d, 0);
		return;
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		microkit_msginfo r;

		microkit_mr_set(0, bad[i].off);
		microkit_mr_set(1, bad[i].len);
		r = microkit_ppcall(SEED_CH_NET, microkit_msginfo_new(0, 2));
		if (microkit_msginfo_get_label(r) != bad[i].label) {
			snprintf(line, sizeof(line),
				 "seed-badreq client_ppc: request %u (offset %llu, length %llu) "
				 "answered %lu, wanted %lu\n",
				 i, (unsigned long long)bad[i].off, (unsigned long long)bad[i].len,
				 (unsigned long)microkit_msginfo_get_label(r),
				 (unsigned long)bad[i].label);
			microkit_dbg_puts(line);
			wrong++;
		}
	}
	if (wrong == 0)
		microkit_dbg_puts("seed-badreq client_ppc: refused as documented\n");
}

static void *sender(void *arg)
{
	long rate = seed_env("RB_SEED_RATE", 1000), secs = seed_env("RB_SEED_SECONDS", 5);
	size_t len = (size_t)seed_env("RB_SEED_BYTES", 64);
	uint64_t total = (uint64_t)rate * (uint64_t)secs, asked = 0;
	uint32_t seq = 0;
	struct timespec start, next;

	(void)arg;
	if (len < sizeof(struct seed_msg))
		len = sizeof(struct seed_msg);
	if (len > 1400)
		len = 1400;
	if (seed_env("RB_SEED_BAD", 0) != 0)
		bad_requests();
	atomic_store(&st->way[way].started, 1);
	clock_gettime(CLOCK_MONOTONIC, &start);
	next = start;
	for (uint64_t tick = 1; asked < total; tick++) {
		uint64_t due = (uint64_t)rate * tick / 1000;

		if (due > total)
			due = total;
		for (; asked < due; asked++) {
			atomic_fetch_add_explicit(&st->way[way].asked, 1, memory_order_relaxed);
			if (ask(seq, len))
				seq++;
		}
		if (way != 1)
			comp_ring_notify(&req); /* one signal per batch, if net0 asked */
		/* RB_SEED_CRASH: crash once a batch is out; the others go on */
		if (crash_after >= 0 && (long)asked >= crash_after)
			raise(SIGSEGV);
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	atomic_store(&st->way[way].done, 1);
	return NULL;
}

void init(void)
{
	const char *crash = getenv("RB_SEED_CRASH");
	size_t n = strlen(microkit_name);
	pthread_t t;

	st = (struct seed_stats *)stats_vaddr;
	way = strcmp(microkit_name, "client_ring") == 0	 ? 0
	      : strcmp(microkit_name, "client_ppc") == 0 ? 1
	      : strcmp(microkit_name, "client_cb") == 0	 ? 2
							 : -1;
	if (way < 0) {
		microkit_dbg_puts("client: unknown client name\n");
		_exit(2);
	}
	if (crash != NULL && strncmp(crash, microkit_name, n) == 0 && crash[n] == ':')
		crash_after = strtol(crash + n + 1, NULL, 10);
	if (way != 1) {
		struct comp_ring_channel c = {seed_ring_notify, (void *)(uintptr_t)SEED_CH_NET,
					      NULL, NULL, 0};

		if (comp_ring_attach(&req, (void *)req_vaddr, SEED_RING_REGION, COMP_RING_PRODUCER,
				     SEED_RING_CAP, &c) != 0) {
			microkit_dbg_puts("client: cannot attach the request ring\n");
			_exit(2);
		}
	}
	if (way == 1) {
		sender(NULL);
		return;
	}
	if (pthread_create(&t, NULL, sender, NULL) != 0) {
		microkit_dbg_puts("client: cannot start the sender\n");
		_exit(2);
	}
	pthread_detach(t);
}

void notified(microkit_channel ch)
{
	(void)ch; /* net0 returned request buffers: the sender takes them */
}
