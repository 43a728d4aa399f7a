/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rump PD of examples/microkit-rump (docs/microkit.md, "The seed's
 * system on seL4"): the NetBSD rump kernel with its virtual interface
 * virt0 on two sDDF rings to the NIC PD.
 *
 * Green threads of the PD's domain:
 *   rump_main  boots the kernel, configures virt0 (10.0.0.2/24), opens a
 *              UDP socket on port 7 in a process of its own, tells the
 *              client it is ready; then, for each request the client
 *              notifies (dom_event_wait on the client's channel: the PD
 *              sits in seL4_Recv meanwhile), sends its payload with
 *              sendto to 10.0.0.1:5000; on REQ_HALT halts the kernel;
 *   receiver   an lwp of the same process, blocked in recvfrom: hands
 *              each datagram's payload to the client (resp region);
 *   counter    counts and naps, to show the others never stall it;
 * plus the kernel's own threads and virtif-rx (rumpcomp_virt_*).
 */
#include <microkit.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>	/* rump.h needs the POSIX types first */
#include <sys/socket.h> /* socklen_t (the glibc headers: declarations only) */

#define RB_STR2(x) #x
#define RB_STR(x) RB_STR2(x)
#define __RENAME(x) __asm__(RB_STR(x))
#include <rump/netconfig.h>
#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/mk_microkit.h>
#include <rumpbridge/rumpuser_microkit.h>
#include <rumpbridge/rumpuser_microkit_virtif.h>

#include "shared.h"

#define HEAP_SIZE 0x100000
#define STACK_STRIDE 0x9000 /* 4 KiB guard + 32 KiB stack */
#define NSTACKS 40
#define RUMPMEM_SIZE 0x2000000

uintptr_t heap_base, stack0_base, rumpmem_base; /* setvar_vaddr */
uintptr_t tx_base, rx_base, req_base, resp_base;

static struct dom *d;
static struct rumpbridge_microkit_virtif vif;
static volatile uint64_t count;
static volatile bool stop, paused;
static struct dom_sem resume;
static unsigned failures;
static int sock = -1, pid;
static uint64_t notifications, sent, waits, count_in_waits, t_boot;

static const char *const params[] = {"RUMP_VERBOSE=1", NULL};

struct rb_sockaddr_in { /* NetBSD's struct sockaddr_in */
	uint8_t len, family;
	uint16_t port;
	uint32_t addr;
	uint8_t zero[8];
};

static uint16_t be16(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

static uint32_t be32(uint32_t v)
{
	return __builtin_bswap32(v);
}

static void put(const char *s)
{
	microkit_dbg_puts(s);
}

static void kv(const char *k, uint64_t v)
{
	mk_console_printf(" %s=%llu", k, (unsigned long long)v);
}

static void check(const char *what, bool ok, long v)
{
	put(ok ? "rumpnet: ok " : "rumpnet: FAIL ");
	put(what);
	kv(v < 0 ? "neg" : "v", (uint64_t)(v < 0 ? -v : v));
	if (!ok)
		kv("errno", (uint64_t)rumpbridge_microkit_errno);
	put("\n");
	if (!ok)
		failures++;
}

static void stats(const char *tag)
{
	struct rumpbridge_microkit_stats rs;
	struct rumpbridge_microkit_virtif_stats vs;
	struct mk_microkit_stats ms;

	rumpbridge_microkit_get_stats(&rs);
	rumpbridge_microkit_virtif_get_stats(&vs);
	mk_microkit_get_stats(&ms);
	put("rumpnet: ");
	put(tag);
	kv("mem_peak", rs.mem_peak);
	kv("stacks_used", ms.stacks_used);
	kv("heap_used", ms.heap_used);
	kv("tx_frames", vs.tx_frames);
	kv("tx_full", vs.tx_full);
	kv("rx_frames", vs.rx_frames);
	kv("rx_bad", vs.rx_bad);
	kv("ring_errors", vs.ring_errors);
	kv("rx_wakeups", vs.rx_wakeups);
	kv("rx_thread", vs.rx_thread);
	kv("loop_returns", ms.loop_returns);
	kv("in_place_receives", ms.in_place_receives);
	kv("timer_irqs", ms.timer_irqs);
	kv("notifications", notifications);
	kv("count", count);
	put("\n");
}

static void *counter_main(void *arg)
{
	(void)arg;
	while (!stop) {
		if (paused)
			dom_sem_wait(&resume);
		for (int i = 0; i < 20; i++) {
			count++;
			dom_yield();
		}
		dom_sleep_ns(1000000);
	}
	return NULL;
}

/* recvfrom in the kernel; each payload goes to the client. */
static void *receiver_main(void *arg)
{
	volatile struct resp *resp = (volatile struct resp *)resp_base;
	static uint8_t buf[PAYLOAD_MAX];
	long r;

	(void)arg;
	r = rump_pub_lwproc_newlwp(pid); /* an lwp of rump_main's process: its fds */
	check("receiver lwp", r == 0, r);
	if (r != 0)
		return NULL;
	for (;;) {
		struct rb_sockaddr_in from;
		socklen_t flen = sizeof(from);

		r = rump_sys_recvfrom(sock, buf, sizeof(buf), 0, (struct sockaddr *)(void *)&from,
				      &flen);
		if (r < 0) {
			if (!stop)
				check("recvfrom", false, r);
			break;
		}
		if (from.addr != be32(NET_PEER_IP) || from.port != be16(NET_PEER_PORT)) {
			check("recvfrom: the peer's address and port", false, (long)be32(from.addr));
			continue;
		}
		for (long i = 0; i < r; i++)
			resp->payload[i] = buf[i];
		resp->len = (uint32_t)r;
		/* release: len and payload before the count; relaxed read: the only writer */
		atomic_store_explicit(&resp->received,
				      atomic_load_explicit(&resp->received, memory_order_relaxed) + 1,
				      memory_order_release);
		microkit_notify(RUMP_CH_CLIENT);
	}
	rump_pub_lwproc_releaselwp();
	return NULL;
}

static bool setup_net(void)
{
	struct rb_sockaddr_in me = {.len = sizeof(me), .family = 2 /* AF_INET */,
				    .port = be16(NET_RUMP_PORT), .addr = be32(NET_RUMP_IP)};
	long r;

	r = rump_pub_netconfig_ifcreate("virt0");
	check("netconfig ifcreate virt0", r == 0, r);
	r = rump_pub_netconfig_ipv4_ifaddr("virt0", "10.0.0.2", "255.255.255.0");
	check("netconfig ipv4 10.0.0.2/24", r == 0, r);
	r = rump_pub_netconfig_ifup("virt0");
	check("netconfig ifup virt0", r == 0, r);
	/* a process of our own, so the receiver's lwp shares the socket */
	r = rump_pub_lwproc_rfork(RUMP_RFCFDG);
	check("lwproc_rfork", r == 0, r);
	pid = rump_sys_getpid();
	sock = rump_sys_socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);
	check("socket(AF_INET, SOCK_DGRAM)", sock >= 0, sock);
	r = rump_sys_bind(sock, (const struct sockaddr *)(const void *)&me, sizeof(me));
	check("bind 10.0.0.2:7", r == 0, r);
	return failures == 0;
}

/* With nothing to do (the counter paused, no request yet), the PD waits
 * in seL4_Recv: over QUIET_NS every return to the event loop must have
 * been ended by a wake-up source (a timer interrupt: the kernel's 100 Hz
 * clock thread and this sleep; or a notification). */
#define QUIET_NS 300000000ull
static void quiet(void)
{
	struct mk_microkit_stats m0, m1;
	uint64_t n0, c0;

	paused = true;
	dom_sleep_ns(20000000); /* the counter finishes its burst and parks */
	mk_microkit_get_stats(&m0);
	n0 = notifications;
	c0 = count;
	dom_sleep_ns(QUIET_NS);
	mk_microkit_get_stats(&m1);
	put("rumpnet: quiet");
	kv("ns", QUIET_NS);
	kv("loop_returns", m1.loop_returns - m0.loop_returns);
	kv("timer_irqs", m1.timer_irqs - m0.timer_irqs);
	kv("notifications", notifications - n0);
	kv("count", count - c0);
	put("\n");
	paused = false;
	dom_sem_post(&resume);
}

static void *rump_main(void *arg)
{
	volatile struct req *req = (volatile struct req *)req_base;
	volatile struct resp *resp = (volatile struct resp *)resp_base;
	struct rb_sockaddr_in peer = {.len = sizeof(peer), .family = 2,
				      .port = be16(NET_PEER_PORT), .addr = be32(NET_PEER_IP)};
	struct dom_thread_attr a = {.vcpu = -1, .detached = true, .name = "receiver"};
	static uint8_t buf[PAYLOAD_MAX];
	uint32_t done = 0;
	uint64_t t0;
	long r;

	(void)arg;
	t0 = cycles();
	r = rump_init();
	t_boot = cycles() - t0;
	check("rump_init", r == 0, r);
	put("rumpnet: boot");
	kv("cycles", t_boot);
	put("\n");
	if (r != 0 || !setup_net())
		return NULL;
	r = dom_thread_create(d, NULL, &a, receiver_main, NULL);
	check("receiver thread", r == 0, r);
	quiet();
	stats("ready");
	atomic_store_explicit(&resp->ready, 1, memory_order_release);
	microkit_notify(RUMP_CH_CLIENT);
	for (;;) {
		uint32_t seq, op, len;
		uint64_t bits, c0 = count;

		r = dom_event_wait(d, UINT64_C(1) << RUMP_CH_CLIENT, &bits);
		waits++;
		count_in_waits += count - c0;
		if (r != 0) {
			check("dom_event_wait", false, r);
			break;
		}
		/* read the request once; act on its contents, not on the
		 * number of wake-ups (notifications coalesce) */
		seq = atomic_load_explicit(&req->seq, memory_order_acquire); /* then op, len */
		op = req->op;
		len = req->len;
		if (seq == done)
			continue;
		if (seq != done + 1 || (op != REQ_SEND && op != REQ_HALT) ||
		    (op == REQ_SEND && len > PAYLOAD_MAX)) {
			check("a well-formed request", false, (long)seq);
			continue;
		}
		done = seq;
		if (op == REQ_HALT)
			break;
		for (uint32_t i = 0; i < len; i++)
			buf[i] = req->payload[i];
		r = rump_sys_sendto(sock, buf, len, 0, (const struct sockaddr *)(const void *)&peer,
				    sizeof(peer));
		if (r != (long)len)
			check("sendto", false, r);
		else
			sent++;
	}
	put("rumpnet: sender");
	kv("sent", sent);
	kv("waits", waits);
	kv("counter_during_waits", count_in_waits);
	kv("failures", failures);
	put("\n");
	stats("before_halt");
	/* the interface's end: rumpcomp_virt_dying, then _destroy, which
	 * waits for the receive thread to leave */
	r = rump_pub_netconfig_ifdown("virt0");
	check("netconfig ifdown virt0", r == 0, r);
	r = rump_pub_netconfig_ifdestroy("virt0");
	check("netconfig ifdestroy virt0", r == 0, r);
	put("rumpnet: halting\n");
	stop = true;
	r = rump_sys_reboot(0, NULL);
	check("rump_sys_reboot returned", false, r);
	return NULL;
}

void rumpbridge_microkit_exit(int status)
{
	stop = true;
	stats("halted");
	put("rumpnet: halted cleanly");
	kv("status", (uint64_t)status);
	kv("failures", failures);
	put("\n");
	for (;;)
		dom_thread_exit(NULL);
}

static void *vcpu_main(void *arg)
{
	int r = dom_run(arg);

	if (r != 0)
		check("dom_run", false, r);
	return NULL;
}

void init(void)
{
	const struct mk_microkit_config mc = {
		.heap = (void *)heap_base,
		.heap_size = HEAP_SIZE,
		.stacks = stack0_base - MK_MICROKIT_GUARD,
		.stack_stride = STACK_STRIDE,
		.nstacks = NSTACKS,
		.timer_channel = RUMP_CH_TIMER,
	};
	struct dom_config dc = {
		.name = "rumpnet",
		.flags = DOM_CALLER_IS_VCPU0,
		.stack_size = STACK_STRIDE - MK_MICROKIT_GUARD,
		.post_capacity = 64,
		.max_workers = 2,
	};
	struct rumpbridge_microkit_config rc = {
		.mem = (void *)rumpmem_base,
		.mem_size = RUMPMEM_SIZE,
		.hostname = "rumpnet",
		.params = params,
		.random_seed = 0x5eed5eed5eedull, /* an example: fixed */
	};
	struct dom_thread_attr a = {.vcpu = -1, .detached = true};
	int r;

	if ((r = mk_microkit_init(&mc)) != 0)
		return check("mk_microkit_init", false, r);
	dom_sem_init(&resume, 0);
	dc.irq = mk_microkit_notification();
	if ((r = dom_create(&d, &dc)) != 0)
		return check("dom_create", false, r);
	rc.dom = d;
	if ((r = rumpbridge_microkit_setup(&rc)) != 0)
		return check("rumpbridge_microkit_setup", false, r);
	vif = (struct rumpbridge_microkit_virtif){
		.dom = d,
		.tx = (void *)tx_base,
		.rx = (void *)rx_base,
		.tx_size = RING_REGION,
		.rx_size = RING_REGION,
		.capacity = RING_CAPACITY,
		.channel = RUMP_CH_NIC,
	};
	for (int i = 0; i < 6; i++)
		vif.mac[i] = net_rump_mac[i];
	if ((r = rumpbridge_microkit_virtif_format(&vif)) != 0)
		return check("virtif_format", false, r);
	if ((r = rumpbridge_microkit_virtif_setup(&vif)) != 0)
		return check("virtif_setup", false, r);
	a.name = "counter";
	if ((r = dom_thread_create(d, NULL, &a, counter_main, NULL)) != 0)
		return check("dom_thread_create counter", false, r);
	a.name = "rump_main";
	if ((r = dom_thread_create(d, NULL, &a, rump_main, NULL)) != 0)
		return check("dom_thread_create rump_main", false, r);
	put("rumpnet: starting\n");
	if ((r = mk_microkit_start(vcpu_main, d)) != 0)
		return check("mk_microkit_start", false, r);
	/* The library's event loop: the last green thread to block receives
	 * the next notification itself (docs/microkit.md, "Receive in
	 * place").  Returns only on an error (-ENOSYS: a build without it,
	 * and libmicrokit's loop runs when init() returns). */
	if ((r = mk_microkit_event_loop()) != -ENOSYS)
		check("mk_microkit_event_loop", false, r);
}

void notified(microkit_channel ch)
{
	if (ch != RUMP_CH_TIMER)
		notifications++;
	mk_microkit_notified(ch);
}
