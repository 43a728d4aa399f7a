/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_net: UDP datagrams through the network component's stack over its
 * rings, against a plain Linux UDP socket pair, same run.
 *
 *   lwip_<bytes>_<n>v_pps  datagrams a second between two lwIP stacks, each
 *                          in its own process on a domain of n vCPUs, over
 *                          two frame rings in shared memory (wire mode
 *                          without the NIC: no system call per datagram on
 *                          the data path).  A green thread of the sender
 *                          calls udp_sendto in a loop (yielding while the tx
 *                          ring is full); the receiver's callback checks a
 *                          checksum and counts.  From the first datagram to
 *                          the receipt of the last.
 *   lwip_64_p50_us/_p99_us one datagram at a time: from the sender's call
 *                          to the receiver's callback (CLOCK_MONOTONIC, the
 *                          same in both processes); the next once the
 *                          receiver said it arrived.
 *   linux_udp_64_pps, linux_udp_64_p50_us  the same two figures for a plain
 *                          Linux UDP socket pair over loopback between two
 *                          processes (one sendto / recv per datagram).
 *   idle_cpu_ms            the demo system (examples/seed, wire mode, lwIP)
 *                          idle for 5 s: CPU of the launcher and every PD.
 *   idle_wakeups_per_s     their threads' wake-ups a second meanwhile
 *                          (schedstat: times put on a CPU).
 *   rump_idle_cpu_ms, rump_idle_wakeups_per_s  the same on the rump
 *                          stack (net0 and net1 each a rump kernel).
 *   tap_64_1v_pps, tap_64_p50_us/_p99_us  TAP mode (root only): the lwIP
 *                          stack's frames through a TAP device in a network
 *                          namespace of the benchmark's own to the Linux
 *                          stack and a plain UDP socket there (a forwarder
 *                          thread stands in for the NIC: one write(2) per
 *                          frame).
 *   rump_<bytes>_<n>v_pps, rump_64_p50_us/_p99_us  the same between two
 *                          NetBSD rump kernel stacks (one kernel per
 *                          process), measured by bench_net_rump (this file
 *                          built with RB_NET_RUMP_WORKER against
 *                          rumpbridge_net_rump, which links the shared
 *                          librumpbridge) and reported here.  Its sender
 *                          is the entered main thread (its own lwp: what a
 *                          PD's handler thread costs), not a green thread
 *                          (which would take a temporary lwp per call).
 * A stack (or mode) not available in this run is left out of the JSON.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <sched.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/mk.h>
#include <rumpbridge/ring.h>

#include "bench.h"
#include "bench_net_cpu.h"
#include "net/stack.h"

#define CAP 1024u
#define EV_NIC (UINT64_C(1) << 0)
#define PORT 7000
#define LAT_MAX 4096

/* Shared by the two processes of one measurement (MAP_SHARED). */
struct shm {
	struct mk_notification irq[2]; /* the domains' interrupt lines: 0 sender, 1 receiver */
	struct mk_notification ready;  /* receiver -> sender: up / a datagram arrived / done */
	_Atomic uint64_t target;       /* datagrams the receiver waits for */
	_Atomic uint64_t received, bad;
	_Atomic uint64_t t_last; /* receipt of the last datagram */
	_Atomic uint64_t lat_ns; /* latency of the last datagram */
	_Atomic uint32_t stop, up;
	struct mk_notification stopn; /* sender -> receiver: stop */
};

/* Figures measured in a child process, recorded by the parent. */
struct result {
	char key[48], what[96], unit[8];
	double v;
};
#define RESULTS_MAX 48
static struct results {
	_Atomic int n;
	struct result r[RESULTS_MAX];
} * res;

static void put(const char *key, const char *what, double v, const char *unit)
{
	int i = atomic_fetch_add(&res->n, 1);

	if (i >= RESULTS_MAX)
		return;
	snprintf(res->r[i].key, sizeof res->r[i].key, "%s", key);
	snprintf(res->r[i].what, sizeof res->r[i].what, "%s", what);
	snprintf(res->r[i].unit, sizeof res->r[i].unit, "%s", unit);
	res->r[i].v = v;
}

struct msg {
	uint64_t t;
	uint32_t seq, sum;
};

static struct shm *sh;
/* The stack measured by stack_pair: "lwip", or "rump" in bench_net_rump. */
static const char *stack_name = "lwip";
static void *ringmem[2]; /* 0: sender -> receiver, 1: back */
static size_t ringsize;

static uint32_t csum(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void *shared(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		abort();
	return p;
}

/* ---- one lwIP side (a process) ---- */

struct side {
	int me; /* 0 sender, 1 receiver */
	struct dom *d;
	struct comp_ring tx, rx;
	struct comp_ring_dom_event ev;
	struct comp_ring_notification peer;
	const struct net_stack_ops *ops;
	struct net_stack *s;
	struct net_udp *u;
	size_t bytes;
};

static void on_rx(void *arg, const void *data, size_t len, uint32_t src, uint16_t sport)
{
	struct msg m;
	uint64_t now = mk_clock_now_ns(), n;

	(void)arg;
	(void)src;
	(void)sport;
	if (len < sizeof(m)) {
		atomic_fetch_add(&sh->bad, 1);
		return;
	}
	memcpy(&m, data, sizeof(m));
	if (m.sum != csum((const unsigned char *)data + sizeof(m), len - sizeof(m))) {
		atomic_fetch_add(&sh->bad, 1);
		return;
	}
	atomic_store(&sh->lat_ns, now - m.t);
	atomic_store(&sh->t_last, now);
	n = atomic_fetch_add(&sh->received, 1) + 1;
	if (n >= atomic_load(&sh->target))
		mk_notification_signal(&sh->ready, 1);
}

static int side_up(struct side *sd, int me, unsigned vcpus)
{
	struct dom_config dc = {.name = me ? "recv" : "send", .vcpus = vcpus, .irq = &sh->irq[me]};
	struct net_stack_config c = {0};
	int e;

	sd->me = me;
	sd->ops = net_stack_find(stack_name);
	if (sd->ops == NULL || dom_create(&sd->d, &dc) != 0 || dom_enter(sd->d) != 0)
		return -1;
	sd->ev = (struct comp_ring_dom_event){sd->d, EV_NIC};
	sd->peer = (struct comp_ring_notification){&sh->irq[1 - me], EV_NIC, 0};
	struct comp_ring_channel ch = {comp_ring_notification_signal, &sd->peer, comp_ring_dom_wait,
				       &sd->ev, 0};
	/* my tx ring is ring[me] (I produce), my rx ring is ring[1-me] */
	if (comp_ring_attach(&sd->tx, ringmem[me], ringsize, COMP_RING_PRODUCER, CAP, &ch) != 0 ||
	    comp_ring_attach(&sd->rx, ringmem[1 - me], ringsize, COMP_RING_CONSUMER, CAP, &ch) != 0)
		return -1;
	c.d = sd->d;
	c.addr = inet_addr(me ? "10.0.0.2" : "10.0.0.1");
	c.netmask = inet_addr("255.255.255.0");
	memcpy(c.mac, (uint8_t[6]){2, 0, 0, 0, 0, (uint8_t)(me + 1)}, 6);
	c.tx = &sd->tx;
	c.rx = &sd->rx;
	c.rx_events = EV_NIC;
	if ((e = sd->ops->init(&sd->s, &c)) != 0 ||
	    (e = sd->ops->udp_open(sd->s, &sd->u, me ? on_rx : NULL, NULL)) != 0 ||
	    (e = sd->ops->udp_bind(sd->u, 0, me ? PORT : 5000)) != 0) {
		fprintf(stderr, "bench_net: the %s stack did not start: %d\n", stack_name, e);
		return -1;
	}
	return 0;
}

static void make_msg(unsigned char *buf, size_t len, uint32_t seq)
{
	struct msg m = {mk_clock_now_ns(), seq, 0};

	for (size_t i = sizeof(m); i < len; i++)
		buf[i] = (unsigned char)(seq + i);
	m.sum = csum(buf + sizeof(m), len - sizeof(m));
	memcpy(buf, &m, sizeof(m));
}

/* Send one datagram, yielding while the tx ring is full or ARP resolves. */
static int send_one(struct side *sd, unsigned char *buf, size_t len, uint32_t seq)
{
	uint64_t end = mk_clock_now_ns() + 5000000000ull;
	int e;

	make_msg(buf, len, seq);
	while ((e = sd->ops->udp_sendto(sd->u, buf, len, inet_addr("10.0.0.2"), PORT)) ==
		       -ENOBUFS ||
	       e == -EAGAIN) {
		if (mk_clock_now_ns() > end)
			return -ETIMEDOUT;
		dom_yield();
	}
	return e;
}

/* Wait (bounded) until the receiver has `target` datagrams. */
static int wait_received(uint64_t target)
{
	uint64_t end = mk_clock_now_ns() + 10000000000ull, w;

	while (atomic_load(&sh->received) < target)
		if (mk_notification_wait_until(&sh->ready, end, &w) == -ETIMEDOUT)
			return -ETIMEDOUT;
	return 0;
}

struct sender_job {
	struct side *sd;
	size_t bytes;
	uint64_t n;
	int lat; /* 1: one at a time, latencies into out */
	uint64_t *out;
	double result; /* pps */
	int err;
};

static void *sender_main(void *arg)
{
	struct sender_job *j = arg;
	unsigned char buf[NET_UDP_PAYLOAD_MAX];
	uint64_t base = atomic_load(&sh->received), t0;

	j->err = 0;
	t0 = mk_clock_now_ns();
	for (uint64_t i = 0; i < j->n; i++) {
		if (j->lat)
			atomic_store(&sh->target, base + i + 1);
		if ((j->err = send_one(j->sd, buf, j->bytes, (uint32_t)i)) != 0)
			return NULL;
		if (j->lat) {
			if ((j->err = wait_received(base + i + 1)) != 0)
				return NULL;
			j->out[i] = atomic_load(&sh->lat_ns);
		}
	}
	if (!j->lat) {
		if ((j->err = wait_received(base + j->n)) != 0)
			return NULL;
		j->result = (double)j->n * 1e9 / (double)(atomic_load(&sh->t_last) - t0);
	}
	return NULL;
}

/* Run a job on a green thread of the sender's domain and wait for it. */
static int run_job(struct sender_job *j)
{
	struct dom_thread *t;
	struct dom_thread_attr a = {.name = "sender", .vcpu = -1};

	if (!j->lat)
		atomic_store(&sh->target, atomic_load(&sh->received) + j->n);
	if (strcmp(stack_name, "rump") == 0) {
		/* the entered main thread, on its own lwp */
		sender_main(j);
		return j->err;
	}
	if (dom_thread_create(j->sd->d, &t, &a, sender_main, j) != 0)
		return -1;
	dom_thread_join(t, NULL);
	return j->err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && v[k - 1] > v[k]; k--) {
			double t = v[k];
			v[k] = v[k - 1];
			v[k - 1] = t;
		}
	return v[n / 2];
}

/* Where the CPU of one configuration's repetitions went: the sender (this
 * process), the receiver, and the CPUs of the host left idle meanwhile.
 * Whether a second vCPU can raise the rate on this machine shows here:
 * with the host's CPUs all busy already at 1 vCPU, it cannot. */
struct pair_cpu {
	struct net_cpu_use send, recv;
	uint64_t idle_ns, t;
	unsigned ncpus;
	int ok;
};

static void pair_cpu_snap(pid_t recv, struct pair_cpu *c)
{
	c->ok = net_cpu_proc(getpid(), &c->send) == 0 && net_cpu_proc(recv, &c->recv) == 0 &&
		net_cpu_host(&c->idle_ns, &c->ncpus) == 0;
	c->t = mk_clock_now_ns();
}

static void pair_cpu_put(pid_t recv, const struct pair_cpu *a, size_t bytes, unsigned vcpus)
{
	struct pair_cpu b;
	char key[64], what[128];
	double wall, s, r;

	pair_cpu_snap(recv, &b);
	if (!a->ok || !b.ok || b.t <= a->t)
		return;
	wall = (double)(b.t - a->t);
	s = (double)(b.send.ns - a->send.ns) / wall;
	r = (double)(b.recv.ns - a->recv.ns) / wall;
	snprintf(key, sizeof key, "%s_%zu_%uv_cpu_util", stack_name, bytes, vcpus);
	snprintf(what, sizeof what, "%s %zu B %uv: sender + receiver CPU s per s", stack_name,
		 bytes, vcpus);
	put(key, what, s + r, "CPUs");
	snprintf(key, sizeof key, "%s_%zu_%uv_send_cpu", stack_name, bytes, vcpus);
	snprintf(what, sizeof what, "%s %zu B %uv: the sender's CPU s per s", stack_name, bytes,
		 vcpus);
	put(key, what, s, "CPUs");
	snprintf(key, sizeof key, "%s_%zu_%uv_recv_cpu", stack_name, bytes, vcpus);
	snprintf(what, sizeof what, "%s %zu B %uv: the receiver's CPU s per s", stack_name,
		 bytes, vcpus);
	put(key, what, r, "CPUs");
	snprintf(key, sizeof key, "%s_%zu_%uv_host_idle", stack_name, bytes, vcpus);
	snprintf(what, sizeof what, "%s %zu B %uv: the host's CPUs idle meanwhile (of %u)",
		 stack_name, bytes, vcpus, b.ncpus);
	put(key, what, b.idle_ns > a->idle_ns ? (double)(b.idle_ns - a->idle_ns) / wall : 0,
	    "CPUs");
}

/* The two processes of stack_name on vcpus each: pps for 64 and 1400
 * bytes, with the pair's CPU use (pair_cpu_put), and, with lat, the
 * latency percentiles of 64 bytes.  0 or -1. */
static int stack_pair(const struct rb_bench *b, unsigned vcpus, int lat)
{
	int reps = rb_bench_reps(b), quick = rb_bench_quick(b);
	uint64_t n = quick ? 2000 : 50000;
	struct side sd;
	pid_t pid;
	int status, rc = 0;
	static const size_t sizes[] = {64, 1400};

	memset(sh, 0, sizeof(*sh));
	mk_notification_init(&sh->irq[0], MK_SHARED);
	mk_notification_init(&sh->irq[1], MK_SHARED);
	mk_notification_init(&sh->ready, MK_SHARED);
	mk_notification_init(&sh->stopn, MK_SHARED);
	for (int k = 0; k < 2; k++)
		if (comp_ring_format(ringmem[k], ringsize, CAP, (uint64_t)CAP * NET_BUF_SIZE,
				     NET_BUF_SIZE) != 0)
			return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) { /* the receiver: serve until told to stop */
		struct side rs;
		uint64_t w;

		if (side_up(&rs, 1, vcpus) != 0)
			_exit(1);
		atomic_store(&sh->up, 1);
		mk_notification_signal(&sh->ready, 1);
		while (!atomic_load(&sh->stop))
			if (mk_notification_wait(&sh->stopn, &w) != 0)
				_exit(1);
		_exit(0);
	}
	{
		uint64_t end = mk_clock_now_ns() + 10000000000ull, w;

		while (!atomic_load(&sh->up))
			if (mk_notification_wait_until(&sh->ready, end, &w) == -ETIMEDOUT)
				break;
	}
	if (!atomic_load(&sh->up) || side_up(&sd, 0, vcpus) != 0) {
		rc = -1;
		goto out;
	}
	{
		/* warm-up: ARP resolved (one datagram alone first: NetBSD
		 * holds one per unresolved next hop, dropping older ones),
		 * code paths hot */
		uint64_t one;
		struct sender_job w1 = {&sd, 64, 1, 1, &one, 0, 0};
		struct sender_job w = {&sd, 64, 100, 0, NULL, 0, 0};

		/* (rump only: lwIP refuses a second datagram while ARP
		 * resolves, and its sender, a green thread, must not block
		 * its vCPU in wait_received before the reply is in) */
		if (strcmp(stack_name, "rump") == 0 && run_job(&w1) != 0) {
			fprintf(stderr, "bench_net: first datagram failed (%d)\n", w1.err);
			rc = -1;
			goto out;
		}

		if (run_job(&w) != 0) {
			fprintf(stderr, "bench_net: warm-up failed (%d)\n", w.err);
			rc = -1;
			goto out;
		}
	}
	for (size_t z = 0; z < 2; z++) {
		double v[64];
		char key[64], what[128];
		struct pair_cpu cpu;
		int r;

		pair_cpu_snap(pid, &cpu);
		for (r = 0; r < reps && r < 64; r++) {
			struct sender_job j = {&sd, sizes[z], n, 0, NULL, 0, 0};

			if (run_job(&j) != 0) {
				fprintf(stderr, "bench_net: %s %zu B: %d\n", stack_name, sizes[z],
					j.err);
				rc = -1;
				goto out;
			}
			v[r] = j.result;
		}
		snprintf(key, sizeof key, "%s_%zu_%uv_pps", stack_name, sizes[z], vcpus);
		snprintf(what, sizeof what, "%s -> %s over rings, %zu B, %u vCPU%s each", stack_name,
			 stack_name, sizes[z], vcpus, vcpus > 1 ? "s" : "");
		put(key, what, median(v, r), "/s");
		pair_cpu_put(pid, &cpu, sizes[z], vcpus);
	}
	if (lat) {
		uint64_t m = quick ? 200 : 2000;
		uint64_t *l = calloc(m, sizeof(uint64_t));
		struct sender_job j = {&sd, 64, m, 1, l, 0, 0};

		if (l == NULL || run_job(&j) != 0) {
			rc = -1;
			free(l);
			goto out;
		}
		qsort(l, m, sizeof(uint64_t), cmp_u64);
		char key[64], what[128];

		snprintf(key, sizeof key, "%s_64_p50_us", stack_name);
		snprintf(what, sizeof what, "%s 64 B, sendto to receive callback, p50", stack_name);
		put(key, what, (double)l[m / 2] / 1000.0, "us");
		snprintf(key, sizeof key, "%s_64_p99_us", stack_name);
		snprintf(what, sizeof what, "%s 64 B, sendto to receive callback, p99", stack_name);
		put(key, what, (double)l[m * 99 / 100] / 1000.0, "us");
		free(l);
	}
out:
	atomic_store(&sh->stop, 1);
	mk_notification_signal(&sh->stopn, 1);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = -1;
	/* the sender's side stays up: the process ends after the bench (one
	 * lwIP per process; the next pair runs in fresh processes) */
	return rc;
}

/* ---- TAP mode: the lwIP stack's frames to the Linux stack ---- */

/* The NIC of TAP mode in miniature, in a network namespace of this
 * process's own (root): a forwarder thread writes the stack's frames to
 * a TAP device (10.0.0.2/24), a reader thread puts the Linux stack's
 * frames (ARP replies) on the stack's rx ring, and a receiver thread takes
 * the datagrams from a plain UDP socket bound in the namespace. */
static int tapfd, tapsock;
static struct comp_ring tap_tx, tap_rx;

static void *tap_forward(void *arg)
{
	struct comp_ring_desc d[32];

	(void)arg;
	for (;;) {
		int n = comp_ring_dequeue_batch(&tap_tx, d, 32, COMP_RING_WAIT);

		if (n == -EAGAIN || n == -ETIMEDOUT)
			continue;
		if (n < 0)
			return NULL;
		for (int i = 0; i < n; i++) {
			const void *f = comp_ring_buf(&tap_tx, &d[i]);

			if (f == NULL || write(tapfd, f, d[i].len) != (ssize_t)d[i].len)
				atomic_fetch_add(&sh->bad, 1);
			d[i].len = NET_BUF_SIZE;
		}
		comp_ring_enqueue_batch(&tap_tx, d, (unsigned)n, 0);
	}
}

static void *tap_read(void *arg)
{
	unsigned char f[NET_BUF_SIZE];

	(void)arg;
	for (;;) {
		ssize_t n = read(tapfd, f, sizeof f);
		struct comp_ring_desc d;
		void *buf;

		if (n <= 0)
			return NULL;
		if (comp_ring_dequeue(&tap_rx, &d, 0) == 0 &&
		    (buf = comp_ring_buf(&tap_rx, &d)) != NULL) {
			memcpy(buf, f, (size_t)n);
			d.len = (uint32_t)n;
			comp_ring_enqueue(&tap_rx, &d, 0);
		}
	}
}

static void *tap_recv(void *arg)
{
	unsigned char in[NET_BUF_SIZE];

	(void)arg;
	for (;;) {
		ssize_t k = recv(tapsock, in, sizeof in, 0);

		if (k > 0)
			on_rx(NULL, in, (size_t)k, 0, 0);
		else if (k < 0 && errno != EINTR)
			return NULL;
	}
}

static int tap_setup(void)
{
	struct ifreq ifr;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	int s, big = 8 << 20;

	if (unshare(CLONE_NEWNET) != 0)
		return -1;
	if ((tapfd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, "bn0");
	if (ioctl(tapfd, TUNSETIFF, &ifr) != 0 || (s = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return -1;
	((struct sockaddr_in *)&ifr.ifr_addr)->sin_family = AF_INET;
	((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr = inet_addr("10.0.0.2");
	if (ioctl(s, SIOCSIFADDR, &ifr) != 0)
		return -1;
	((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr = inet_addr("255.255.255.0");
	if (ioctl(s, SIOCSIFNETMASK, &ifr) != 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		return -1;
	close(s);
	tapsock = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(tapsock, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
	sa.sin_addr.s_addr = inet_addr("10.0.0.2");
	return bind(tapsock, (struct sockaddr *)&sa, sizeof sa);
}

/* In a child process (the namespace and the lwIP instance are its own).
 * Returns 0, 2 when this machine has no network namespaces or TAP devices
 * for us (the keys are left out), or -1. */
static int tap_bench(const struct rb_bench *b)
{
	struct comp_ring_notification fw_wait = {&sh->irq[1], EV_NIC, 0};
	struct comp_ring_notification to_stack = {&sh->irq[0], EV_NIC, 0};
	struct comp_ring_channel fch = {comp_ring_notification_signal, &to_stack,
					comp_ring_notification_wait, &fw_wait, 0};
	struct comp_ring_channel rch = {comp_ring_notification_signal, &to_stack, NULL, NULL, 0};
	int reps = rb_bench_reps(b), quick = rb_bench_quick(b);
	/* 5000 x 64 B fit the socket's 8 MiB receive buffer (about 1 KiB
	 * of kernel memory each) even if the receiver thread is descheduled */
	uint64_t n = quick ? 2000 : 5000, m = quick ? 200 : 2000;
	struct side sd;
	pthread_t t;
	double v[64];
	uint64_t *l;
	int r;

	memset(sh, 0, sizeof(*sh));
	mk_notification_init(&sh->irq[0], MK_SHARED);
	mk_notification_init(&sh->irq[1], MK_SHARED);
	mk_notification_init(&sh->ready, MK_SHARED);
	for (int k = 0; k < 2; k++)
		if (comp_ring_format(ringmem[k], ringsize, CAP, (uint64_t)CAP * NET_BUF_SIZE,
				     NET_BUF_SIZE) != 0)
			return -1;
	if (tap_setup() != 0) {
		perror("bench_net: TAP mode left out: the namespace and TAP device");
		return 2;
	}
	if (comp_ring_attach(&tap_tx, ringmem[0], ringsize, COMP_RING_CONSUMER, CAP, &fch) != 0 ||
	    comp_ring_attach(&tap_rx, ringmem[1], ringsize, COMP_RING_PRODUCER, CAP, &rch) != 0 ||
	    pthread_create(&t, NULL, tap_forward, NULL) != 0 ||
	    pthread_create(&t, NULL, tap_read, NULL) != 0 ||
	    pthread_create(&t, NULL, tap_recv, NULL) != 0 || side_up(&sd, 0, 1) != 0)
		return -1;
	{
		struct sender_job w = {&sd, 64, 100, 0, NULL, 0, 0};

		if (run_job(&w) != 0)
			return -1;
	}
	for (r = 0; r < reps && r < 64; r++) {
		struct sender_job j = {&sd, 64, n, 0, NULL, 0, 0};

		if (run_job(&j) != 0) {
			fprintf(stderr, "bench_net: TAP mode lost datagrams (%d)\n", j.err);
			return -1;
		}
		v[r] = j.result;
	}
	put("tap_64_1v_pps", "TAP mode: lwIP -> TAP -> Linux UDP socket, 64 B, 1 vCPU",
	    median(v, r), "/s");
	l = calloc(m, sizeof(uint64_t));
	{
		struct sender_job j = {&sd, 64, m, 1, l, 0, 0};

		if (l == NULL || run_job(&j) != 0)
			return -1;
	}
	qsort(l, m, sizeof(uint64_t), cmp_u64);
	put("tap_64_p50_us", "TAP mode 64 B, sendto to Linux recv, p50", (double)l[m / 2] / 1000.0,
	    "us");
	put("tap_64_p99_us", "TAP mode 64 B, sendto to Linux recv, p99",
	    (double)l[m * 99 / 100] / 1000.0, "us");
	free(l);
	return 0;
}

/* ---- the Linux baseline: a UDP socket pair over loopback ---- */

static int linux_udp(struct rb_bench *b)
{
	int reps = rb_bench_reps(b), quick = rb_bench_quick(b);
	uint64_t n = quick ? 2000 : 50000, m = quick ? 200 : 2000;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	int rs, ss, status, big = 8 << 20;
	unsigned char buf[64];
	double v[64];
	uint64_t *l;
	pid_t pid;
	int r;

	memset(sh, 0, sizeof(*sh));
	mk_notification_init(&sh->ready, MK_SHARED);
	rs = socket(AF_INET, SOCK_DGRAM, 0);
	ss = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(rs, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	if (rs < 0 || ss < 0 || bind(rs, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(rs, (struct sockaddr *)&sa, &sl) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		unsigned char in[2048];

		close(ss);
		for (;;) {
			ssize_t k = recv(rs, in, sizeof in, 0);

			if (k == 1)
				_exit(0); /* the end marker */
			if (k > 0)
				on_rx(NULL, in, (size_t)k, 0, 0);
		}
	}
	close(rs);
	for (r = 0; r < reps && r < 64; r++) {
		uint64_t base = atomic_load(&sh->received), t0;

		atomic_store(&sh->target, base + n);
		t0 = mk_clock_now_ns();
		for (uint64_t i = 0; i < n; i++) {
			make_msg(buf, sizeof buf, (uint32_t)i);
			sendto(ss, buf, sizeof buf, 0, (struct sockaddr *)&sa, sizeof sa);
		}
		if (wait_received(base + n) != 0) {
			fprintf(stderr,
				"bench_net: the Linux receiver lost datagrams (%llu of %llu)\n",
				(unsigned long long)(atomic_load(&sh->received) - base),
				(unsigned long long)n);
			break;
		}
		v[r] = (double)n * 1e9 / (double)(atomic_load(&sh->t_last) - t0);
	}
	if (r > 0)
		rb_bench_value(b, "linux_udp_64_pps", "Linux UDP socket pair over loopback, 64 B",
			       median(v, r), "/s");
	l = calloc(m, sizeof(uint64_t));
	for (uint64_t i = 0; l != NULL && i < m; i++) {
		uint64_t base = atomic_load(&sh->received);

		atomic_store(&sh->target, base + 1);
		make_msg(buf, sizeof buf, (uint32_t)i);
		sendto(ss, buf, sizeof buf, 0, (struct sockaddr *)&sa, sizeof sa);
		if (wait_received(base + 1) != 0)
			break;
		l[i] = atomic_load(&sh->lat_ns);
		if (i + 1 == m) {
			qsort(l, m, sizeof(uint64_t), cmp_u64);
			rb_bench_value(b, "linux_udp_64_p50_us",
				       "Linux UDP 64 B, sendto to recv, p50",
				       (double)l[m / 2] / 1000.0, "us");
			rb_bench_value(b, "linux_udp_64_p99_us",
				       "Linux UDP 64 B, sendto to recv, p99",
				       (double)l[m * 99 / 100] / 1000.0, "us");
		}
	}
	free(l);
	sendto(ss, buf, 1, 0, (struct sockaddr *)&sa, sizeof sa);
	close(ss);
	waitpid(pid, &status, 0);
	return 0;
}

/* ---- the demo system idle ---- */

#if defined(RB_LAUNCHER) && defined(RB_SEED_DIR)
/* The demo on stack (RB_SEED_STACK) after 1 s of traffic: CPU and
 * wake-ups of all its processes over a 5 s idle window, as the sink
 * measures them, and the CPU per wake-up.  prefix "" for lwIP
 * (idle_cpu_ms), "rump_" for the rump stack.  Returns the wake-ups a
 * second, or -1 when the demo gave no figures. */
static double idle_cpu(struct rb_bench *b, const char *stack, const char *prefix)
{
	int fd[2], status;
	char line[512], key[64], what[128];
	double ms = -1;
	long window = 0;
	unsigned long long wakeups = 0;
	pid_t pid;
	FILE *f;

	if (pipe(fd) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		setenv("RB_SEED_STACK", stack, 1);
		setenv("RB_SEED_SECONDS", "1", 1);
		setenv("RB_SEED_RATE", "100", 1);
		setenv("RB_SEED_IDLE_MS", "5000", 1);
		setenv("RB_SEED_QUIET", "1", 1);
		setenv("RB_SEED_MODE", "wire", 1);
		execl(RB_LAUNCHER, RB_LAUNCHER, RB_SEED_DIR "/seed.system", "--search-path",
		      RB_SEED_DIR, "--timeout", "40", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	f = fdopen(fd[0], "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "seed-idle cpu_ms=%lf window_ms=%ld wakeups=%llu", &ms, &window,
			   &wakeups) == 3)
			break;
	kill(pid, SIGTERM); /* our own child, the launcher: it stops its PDs */
	if (f != NULL)
		fclose(f);
	waitpid(pid, &status, 0);
	if (ms < 0 || window <= 0) {
		fprintf(stderr, "bench_net: the demo on %s gave no idle figures\n", stack);
		return -1;
	}
	snprintf(key, sizeof key, "%sidle_cpu_ms", prefix);
	snprintf(what, sizeof what, "the demo system on %s idle for 5 s (all processes)", stack);
	rb_bench_value(b, key, what, ms, "ms");
	snprintf(key, sizeof key, "%sidle_wakeups_per_s", prefix);
	snprintf(what, sizeof what, "its threads' wake-ups a second meanwhile (schedstat)");
	rb_bench_value(b, key, what, (double)wakeups * 1000.0 / (double)window, "/s");
	if (wakeups > 0) {
		snprintf(key, sizeof key, "%sidle_us_per_wakeup", prefix);
		snprintf(what, sizeof what, "the demo on %s idle: CPU per wake-up", stack);
		rb_bench_value(b, key, what, ms * 1000.0 / (double)wakeups, "us");
	}
	return (double)wakeups * 1000.0 / (double)window;
}
#endif

/* The floor under an idle figure: what a timer wake-up costs on this host
 * when nothing but the wake-up happens.  A plain thread sleeps in timed
 * futex waits at rate a second (the rump demo's measured wake-ups when it
 * ran, so timer_idle_cpu_ms is the CPU that many bare wake-ups take in 5
 * s) and its own schedstat gives the CPU.  --quick: 0.5 s, scaled to 5. */
static void timer_floor(struct rb_bench *b, double rate)
{
	uint64_t window = rb_bench_quick(b) ? 500000000u : 5000000000u;
	struct net_cpu_use u;
	char what[128];

	if (net_cpu_timer_floor(rate, window, &u) != 0 || u.wakeups == 0) {
		fprintf(stderr, "bench_net: no timer floor (schedstat unreadable)\n");
		return;
	}
	snprintf(what, sizeof what, "a plain thread's timed futex waits at %.0f/s, CPU in 5 s",
		 rate);
	rb_bench_value(b, "timer_idle_cpu_ms", what,
		       (double)u.ns / 1e6 * 5e9 / (double)window, "ms");
	rb_bench_value(b, "timer_idle_wakeups_per_s", "its wake-ups a second (schedstat)",
		       (double)u.wakeups * 1e9 / (double)window, "/s");
	rb_bench_value(b, "timer_idle_us_per_wakeup", "its CPU per wake-up: the host's floor",
		       (double)u.ns / 1000.0 / (double)u.wakeups, "us");
}

#ifdef RB_NET_RUMP_WORKER
/* bench_net_rump: the rump pairs, each in fresh processes (one kernel per
 * process); results on stdout, one a line: key <TAB> value <TAB> unit
 * <TAB> what.  Arguments: "quick" or "full", and the repetitions. */
int main(int argc, char **argv)
{
	char *args[] = {argv[0], argc > 1 && strcmp(argv[1], "quick") == 0 ? "--quick" : NULL, NULL};
	struct rb_bench *b = rb_bench_open("bench_net_rump", args[1] != NULL ? 2 : 1, args);
	int rc = 0;

	(void)linux_udp; /* bench_net's, not the worker's */
	(void)tap_bench;
	(void)timer_floor;
	if (b == NULL || net_stack_find("rump") == NULL)
		return 2;
	stack_name = "rump";
	sh = shared(sizeof(*sh));
	res = shared(sizeof(*res));
	ringsize = comp_ring_size(CAP, (uint64_t)CAP * NET_BUF_SIZE);
	ringmem[0] = shared(ringsize);
	ringmem[1] = shared(ringsize);
	/* BENCH_NET_VCPUS=1 or 2: that pair only, without the latency run
	 * (to profile one configuration, e.g. under perf stat) */
	const char *only = getenv("BENCH_NET_VCPUS");

	for (unsigned v = 1; v <= 2; v++) {
		pid_t pid;
		int status;

		if (only != NULL && (unsigned)atoi(only) != v)
			continue;
		pid = fork();
		if (pid == 0)
			_exit(stack_pair(b, v, v == 1 && only == NULL) == 0 ? 0 : 1);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			rc = 1;
	}
	for (int i = 0; i < atomic_load(&res->n) && i < RESULTS_MAX; i++)
		printf("%s\t%.3f\t%s\t%s\n", res->r[i].key, res->r[i].v, res->r[i].unit,
		       res->r[i].what);
	return rc;
}
#else
#ifdef RB_NET_RUMP_WORKER_PATH
/* Run bench_net_rump and record its figures. */
static int rump_pairs(struct rb_bench *b)
{
	char cmd[4200], line[512];
	FILE *f;
	int n = 0;

	snprintf(cmd, sizeof cmd, "'%s' %s", RB_NET_RUMP_WORKER_PATH,
		 rb_bench_quick(b) ? "quick" : "full");
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		char *key = strtok(line, "\t"), *val = strtok(NULL, "\t"),
		     *unit = strtok(NULL, "\t"), *what = strtok(NULL, "\n");

		if (key != NULL && val != NULL && unit != NULL && what != NULL) {
			rb_bench_value(b, key, what, strtod(val, NULL), unit);
			n++;
		}
	}
	return pclose(f) == 0 && n > 0 ? 0 : -1;
}
#endif

int main(int argc, char **argv)
{
	struct rb_bench *b = rb_bench_open("bench_net", argc, argv);
	int rc = 0;

	if (b == NULL)
		return 2;
	sh = shared(sizeof(*sh));
	res = shared(sizeof(*res));
	ringsize = comp_ring_size(CAP, (uint64_t)CAP * NET_BUF_SIZE);
	ringmem[0] = shared(ringsize);
	ringmem[1] = shared(ringsize);
	if (linux_udp(b) != 0)
		rc = 1;
	if (net_stack_find("lwip") != NULL) {
		/* one lwIP per process: each pair of stacks in fresh processes */
		for (unsigned v = 1; v <= 2; v++) {
			pid_t pid = fork();
			int status;

			if (pid == 0)
				_exit(stack_pair(b, v, v == 1) == 0 ? 0 : 1);
			if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
			    WEXITSTATUS(status) != 0)
				rc = 1;
		}
		/* TAP mode: root only (a network namespace and a TAP device) */
		if (geteuid() == 0) {
			pid_t pid = fork();
			int status;

			/* 2: no namespace or TAP device here: keys left out */
			if (pid == 0) {
				int r = tap_bench(b);

				_exit(r == 0 ? 0 : r == 2 ? 2 : 1);
			}
			if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
			    (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 2))
				rc = 1;
		} else {
			fprintf(stderr, "bench_net: tap_* keys left out (TAP mode needs root)\n");
		}
		for (int i = 0; i < atomic_load(&res->n) && i < RESULTS_MAX; i++)
			rb_bench_value(b, res->r[i].key, res->r[i].what, res->r[i].v,
				       res->r[i].unit);
	}
#ifdef RB_NET_RUMP_WORKER_PATH
	if (rump_pairs(b) != 0) {
		fprintf(stderr, "bench_net: the rump stack's pairs failed (bench_net_rump)\n");
		rc = 1;
	}
#endif
	/* the rate of the timer floor: the rump demo's idle wake-ups, else
	 * about what they were (2 network components x 100 Hz ticks + the
	 * rest) */
	double rate = 290;
#if defined(RB_LAUNCHER) && defined(RB_SEED_DIR)
	if (!rb_bench_quick(b)) {
		if (net_stack_find("lwip") != NULL)
			idle_cpu(b, "lwip", "");
#ifdef RB_NET_RUMP_WORKER_PATH
		/* the demo's seed_net has the rump stack too */
		double w = idle_cpu(b, "rump", "rump_");

		if (w >= 1)
			rate = w;
#endif
	}
#endif
	timer_floor(b, rate);
	{
		uint64_t idle;
		unsigned ncpus;

		if (net_cpu_host(&idle, &ncpus) == 0)
			rb_bench_value(b, "host_cpus", "the host's online CPUs", ncpus, "");
	}
	return rb_bench_close(b) != 0 || rc;
}
#endif
