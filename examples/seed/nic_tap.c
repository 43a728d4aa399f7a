/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The NIC component in TAP mode (RB_SEED_MODE=tap, seed-tap.system): net0's
 * frames go to the Linux kernel's own stack through a TAP device in a
 * network namespace of the NIC's own, and a plain Linux UDP socket in that
 * namespace receives the datagrams for the sink.
 *
 * The namespace is the NIC process's, granted by the system file
 * (<?rumpbridge netns="own"?>: the launcher creates it, which needs root,
 * and leaves the NIC CAP_NET_ADMIN in it and nothing else): it holds only
 * the TAP device "seed0" (10.0.0.2/24) and a loopback that stays down, so
 * no packet can reach any other network, and it disappears with the NIC
 * process (nothing to remove by hand, even after a crash).
 *
 * Threads, each the only user of its ring side:
 *   main      notified(): frames of net0's tx ring -> write(tap);
 *   tap-rx    blocked in read(tap): frames -> net0's rx ring (ARP replies
 *             of the Linux stack, mostly); no free buffer: dropped, counted;
 *   udp-rx    blocked in recv(udp socket :7000): datagrams -> the sink's
 *             receive ring; no free buffer: dropped, counted.
 * Nothing polls: every thread blocks in the kernel or the event loop.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <microkit.h>
#include <rumpbridge/ring.h>

#include "nic.h"
#include "seed.h"

#define TAP_NAME "seed0"

static int tapfd = -1, udpfd = -1;
static struct comp_ring *net_tx, *net_rx, *sink_rx;
static struct seed_stats *st;

static void tap_die(const char *what, int e)
{
	char line[200];

	snprintf(line, sizeof line, "nic: tap mode: %s: %s\n", what, strerror(e));
	microkit_dbg_puts(line);
	_exit(2);
}

/* Put len bytes on ring r (we produce) and signal if the consumer asked;
 * false when no buffer is free. */
static bool put(struct comp_ring *r, const void *p, size_t len)
{
	struct comp_ring_desc d;
	void *buf;

	if (comp_ring_dequeue(r, &d, 0) != 0 || (buf = comp_ring_buf(r, &d)) == NULL || d.len < len)
		return false;
	memcpy(buf, p, len);
	d.len = (uint32_t)len;
	return comp_ring_enqueue(r, &d, 0) == 0;
}

static void *tap_rx_main(void *arg)
{
	unsigned char f[SEED_BUF];

	(void)arg;
	for (;;) {
		ssize_t n = read(tapfd, f, sizeof f);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			tap_die("reading the TAP device", errno);
		if (put(net_rx, f, (size_t)n))
			atomic_fetch_add_explicit(&st->nic_frames[1], 1, memory_order_relaxed);
		else
			atomic_fetch_add_explicit(&st->nic_rx_full, 1, memory_order_relaxed);
	}
	return NULL;
}

/* The namespace's Linux UDP drops (Udp InErrors: receive buffer full,
 * bad checksum), from /proc/net/snmp, which shows the reader's namespace. */
static void read_linux_drops(void)
{
	char line[512], head[512] = "";
	FILE *f = fopen("/proc/net/snmp", "r");

	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long long in, noports, inerr;

		if (strncmp(line, "Udp: ", 5) != 0)
			continue;
		if (head[0] == 0) { /* the names; the values follow */
			strcpy(head, line);
			continue;
		}
		if (sscanf(line + 5, "%llu %llu %llu", &in, &noports, &inerr) == 3)
			atomic_store_explicit(&st->linux_udp_drops, inerr, memory_order_relaxed);
		break;
	}
	fclose(f);
}

static void *udp_rx_main(void *arg)
{
	unsigned char p[SEED_BUF];
	int flags = MSG_DONTWAIT;

	(void)arg;
	for (;;) {
		ssize_t n = recv(udpfd, p, sizeof p, flags);

		/* drained: note Linux's drops, then block until the next one */
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			read_linux_drops();
			flags = 0;
			continue;
		}
		flags = MSG_DONTWAIT;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			tap_die("receiving on the UDP socket", errno);
		/* the sink is behind: back off (1 ms sleeps, up to 5 s) while
		 * the socket's buffer holds what arrives meanwhile */
		for (int i = 0; !put(sink_rx, p, (size_t)n); i++) {
			struct timespec ms = {0, 1000000};

			if (i == 5000) {
				atomic_fetch_add_explicit(&st->sink_ring_full, 1,
							  memory_order_relaxed);
				break;
			}
			nanosleep(&ms, NULL);
		}
	}
	return NULL;
}

static void ifreq_addr(struct ifreq *ifr, const char *a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr->ifr_addr;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = inet_addr(a);
}

/* CAP_NET_ADMIN is what the launcher leaves a PD with netns="own", in the
 * namespace it created for it; a PD without the setting holds none. */
static bool have_net_admin(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) != 0)
		return false;
	return (data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN)) != 0;
}

void nic_tap_init(struct comp_ring *tx, struct comp_ring *rx, struct comp_ring *sink,
		  struct seed_stats *stats)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(SEED_PORT)};
	struct ifreq ifr;
	pthread_t t;
	int s, fd;

	net_tx = tx;
	net_rx = rx;
	sink_rx = sink;
	st = stats;
	if (!have_net_admin())
		tap_die("no network namespace of its own: the system file must give the NIC "
			"<?rumpbridge netns=\"own\"?> (and rumpbridge-run must run as root)",
			EPERM);
	if ((tapfd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0)
		tap_die("opening /dev/net/tun", errno);
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, TAP_NAME, IFNAMSIZ - 1);
	if (ioctl(tapfd, TUNSETIFF, &ifr) != 0)
		tap_die("creating the TAP device", errno);
	/* the Linux side: no IPv6 chatter (router solicitations) on the wire */
	if ((fd = open("/proc/sys/net/ipv6/conf/" TAP_NAME "/disable_ipv6",
		       O_WRONLY | O_CLOEXEC)) >= 0) {
		if (write(fd, "1", 1) != 1)
			microkit_dbg_puts("nic: tap mode: IPv6 stays on\n");
		close(fd);
	}
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		tap_die("socket", errno);
	ifreq_addr(&ifr, "10.0.0.2");
	if (ioctl(s, SIOCSIFADDR, &ifr) != 0)
		tap_die("setting the TAP device's address", errno);
	ifreq_addr(&ifr, "255.255.255.0");
	if (ioctl(s, SIOCSIFNETMASK, &ifr) != 0)
		tap_die("setting the TAP device's netmask", errno);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		tap_die("reading the TAP device's flags", errno);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		tap_die("bringing the TAP device up", errno);
	close(s);
	/* the receiver: a plain Linux UDP socket in the namespace */
	if ((udpfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		tap_die("socket", errno);
	sa.sin_addr.s_addr = inet_addr("10.0.0.2");
	/* 8 MiB of receive buffer (root may exceed rmem_max): the Linux side
	 * should not drop while the reader waits for the CPU */
	int rcvbuf = 8 << 20;
	setsockopt(udpfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
	if (bind(udpfd, (struct sockaddr *)&sa, sizeof sa) != 0)
		tap_die("binding the receiver's UDP socket to 10.0.0.2:7000", errno);
	if (pthread_create(&t, NULL, tap_rx_main, NULL) != 0 ||
	    pthread_create(&t, NULL, udp_rx_main, NULL) != 0)
		tap_die("starting a thread", EAGAIN);
}

/* net0's frames to the Linux stack: one write(2) per frame. */
void nic_tap_notified(void)
{
	struct comp_ring_desc d[32];
	int n;

	do {
		while ((n = comp_ring_dequeue_batch(net_tx, d, 32, COMP_RING_DEFER)) > 0) {
			for (int i = 0; i < n; i++) {
				const void *f = comp_ring_buf(net_tx, &d[i]);

				if (f != NULL && write(tapfd, f, d[i].len) == (ssize_t)d[i].len)
					atomic_fetch_add_explicit(&st->nic_frames[0], 1,
								  memory_order_relaxed);
				else
					atomic_fetch_add_explicit(&st->nic_tx_errors, 1,
								  memory_order_relaxed);
				d[i].len = SEED_BUF;
			}
			comp_ring_enqueue_batch(net_tx, d, (unsigned)n, COMP_RING_DEFER);
		}
		comp_ring_notify(net_tx);
	} while (comp_ring_want_data(net_tx) == 0);
}
