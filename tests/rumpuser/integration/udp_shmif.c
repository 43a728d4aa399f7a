/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Integration test against a real NetBSD rump kernel running on our
 * librumpuser: two processes, one rump kernel each, joined by a shmif
 * bus (a shared file).  The sender (10.93.0.1) sends UDP datagrams to the
 * receiver (10.93.0.2) from every kind of thread a program may use:
 *
 *   host       plain host threads calling rump_sys_sendto (each gets an
 *              lwp of its own on its first call, src/rumpuser/lwp.c; with
 *              RUMPBRIDGE_FOREIGN_LWP=0 the kernel lends them a temporary
 *              lwp per call);
 *   adopted    host threads bound by rumpbridge_adopt();
 *   green      green threads of the kernel's domain (dom_thread_create),
 *              one calling with no lwp, one bound to a process of its own
 *              (rump_pub_lwproc_rfork), as a rump kernel thread is.
 *
 * The receiver takes them with two threads on one socket, a plain host
 * thread and a green thread (both block in the kernel, time out, retry).
 * Every datagram carries its sender, sequence number, length and a
 * checksum, and a payload the receiver regenerates: each must arrive
 * exactly once and intact.  A window kept in memory shared by the two
 * processes paces the senders (at most WINDOW datagrams unreceived), so
 * neither the bus nor the socket buffer overflows: any loss is a failure.
 * One datagram in 16 is larger than the link MTU (IP fragments it).
 *
 * Built three ways (CMakeLists.txt): with shmif_host.c, our host half of
 * shmif (a kernel-only build has none); without it, on the kernel's own
 * host half, whose kernel thread blocks in read() on its vCPU; and with
 * RB_REFERENCE, on NetBSD's librumpuser, to tell our faults from the
 * test's.
 *
 * Usage: test_rumpuser_netbsd [datagrams per sender, default 400 [mask]]
 * (mask, for diagnosis: the senders that send, bit i for sender i).
 * Exit status 0 when every datagram arrived intact.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/netconfig.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>

#ifndef RB_REFERENCE
#include <rumpbridge/dom.h>
#include <rumpbridge/rumpuser.h>
#endif

#define NSENDERS 6
#define MAX_PER 100000
#define PORT 9393
#define WINDOW 32
#define MAGIC_DATA 0x52425544u /* "RBUD" */
#define MAGIC_WARM 0x5242574du /* "RBWM" */
#define MAX_DGRAM 4000
#define SENDER_ADDR "10.93.0.1"
#define RECEIVER_ADDR "10.93.0.2"

enum kind { HOST, ADOPTED, GREEN, GREEN_BOUND };
#ifndef RB_REFERENCE
static const char *const kind_name[] = {"plain host thread", "adopted host thread",
					"green thread (no lwp)", "green thread (own process)"};
#else
static const char *const kind_name[] = {"plain host thread", "host thread with its own lwp",
					"host thread (no lwp)", "host thread (own process)"};
#endif
static const enum kind sender_kind[NSENDERS] = {HOST, HOST, ADOPTED, ADOPTED, GREEN, GREEN_BOUND};

/* NetBSD's struct sockaddr_in (with sin_len). */
struct nb_sockaddr_in {
	uint8_t sin_len;
	uint8_t sin_family;
	uint16_t sin_port;
	uint32_t sin_addr;
	uint8_t sin_zero[8];
};

struct nb_timeval {
	int64_t tv_sec;
	int32_t tv_usec;
	int32_t pad;
};

struct hdr {
	uint32_t magic, sender, seq, len;
	uint64_t sum;
};

/* In memory shared by the two processes. */
struct shared {
	_Atomic uint64_t received; /* intact datagrams so far */
	_Atomic int receiver_ready;
	_Atomic int warm;
	_Atomic int sender_done;
	_Atomic int sender_failed;
	_Atomic uint32_t per_sender_received[NSENDERS];
	_Atomic uint32_t corrupt, duplicate, foreign_src;
	_Atomic uint64_t bytes;
};

static struct shared *sh;
static unsigned per;			    /* datagrams per sender */
static unsigned active = (1u << NSENDERS) - 1; /* the senders that send */

static unsigned expected(unsigned sender)
{
	return (active >> sender & 1) ? per : 0;
}

static uint64_t expected_total(void)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < NSENDERS; i++)
		n += expected(i);
	return n;
}
static char ifname[16];

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Threads.  Built with RB_REFERENCE the program runs on NetBSD's own
 * librumpuser instead (the same test, to tell a fault of ours from one of
 * the test or the kernel): "green" threads are then host threads and
 * "adopted" ones are bound with rump_pub_lwproc_newlwp.
 */
struct thr {
	pthread_t pt;
#ifndef RB_REFERENCE
	struct dom_thread *gt;
#endif
};

static int thr_start(struct thr *t, bool green, const char *name, void *(*fn)(void *), void *arg)
{
#ifndef RB_REFERENCE
	t->gt = NULL;
	if (green) {
		struct dom_thread_attr a = {.name = name, .vcpu = -1};
		return dom_thread_create(rumpbridge_domain(), &t->gt, &a, fn, arg);
	}
#else
	(void)green, (void)name;
#endif
	return pthread_create(&t->pt, NULL, fn, arg) == 0 ? 0 : -EAGAIN;
}

static void thr_join(struct thr *t)
{
#ifndef RB_REFERENCE
	if (t->gt != NULL) {
		struct dom *d = rumpbridge_domain();
		dom_enter(d);
		dom_thread_join(t->gt, NULL);
		dom_leave(d);
		return;
	}
#endif
	pthread_join(t->pt, NULL);
}

static bool on_green_thread(void)
{
#ifndef RB_REFERENCE
	struct dom_thread *t = dom_self();
	return t != NULL && dom_thread_is_green(t);
#else
	return false;
#endif
}

/* A pause that never holds a vCPU: green threads sleep in the domain. */
static void pause_us(unsigned us)
{
	if (on_green_thread()) {
#ifndef RB_REFERENCE
		dom_sleep_ns((uint64_t)us * 1000);
#endif
	} else {
		struct timespec ts = {0, (long)us * 1000};
		nanosleep(&ts, NULL);
	}
}

/* Bind the calling host thread to an lwp of its own, and undo it. */
static int adopt(void)
{
#ifndef RB_REFERENCE
	return rumpbridge_adopt();
#else
	return rump_pub_lwproc_newlwp(1); /* initproc, as foreign calls use */
#endif
}

static void unadopt(void)
{
#ifndef RB_REFERENCE
	rumpbridge_unadopt();
#else
	rump_pub_lwproc_releaselwp();
#endif
}

/* ---- datagrams ---- */

static uint32_t dgram_len(uint32_t sender, uint32_t seq)
{
	uint32_t h = seq * 2654435761u + sender * 40503u;
	if (seq % 16 == 5)
		return 1473 + h % (MAX_DGRAM - 1473); /* fragmented */
	return (uint32_t)sizeof(struct hdr) + h % (1472 - sizeof(struct hdr));
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fill_payload(uint8_t *p, size_t n, uint32_t sender, uint32_t seq)
{
	uint64_t s = ((uint64_t)sender << 32) | seq;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = splitmix(&s);
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static size_t build(uint8_t *buf, uint32_t sender, uint32_t seq)
{
	struct hdr h = {.magic = MAGIC_DATA, .sender = sender, .seq = seq};
	size_t len = dgram_len(sender, seq);

	h.len = (uint32_t)len;
	fill_payload(buf + sizeof(h), len - sizeof(h), sender, seq);
	h.sum = fnv1a(buf + sizeof(h), len - sizeof(h));
	memcpy(buf, &h, sizeof(h));
	return len;
}

static struct nb_sockaddr_in addr_of(const char *dotted, uint16_t port)
{
	struct nb_sockaddr_in a;
	unsigned b[4];

	memset(&a, 0, sizeof(a));
	sscanf(dotted, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]);
	a.sin_len = sizeof(a);
	a.sin_family = RUMP_AF_INET;
	a.sin_port = __builtin_bswap16(port);
	a.sin_addr = __builtin_bswap32(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
	return a;
}

/* ---- both sides: a kernel with a shmif interface ---- */

static int setup_kernel(const char *bus, const char *addr)
{
	int r, ifnum = -1;

	if ((r = rump_init()) != 0) {
		fprintf(stderr, "rump_init: %d\n", r);
		return -1;
	}
	if ((r = rump_pub_shmif_create(bus, &ifnum)) != 0) {
		fprintf(stderr, "rump_pub_shmif_create(%s): %d\n", bus, r);
		return -1;
	}
	snprintf(ifname, sizeof(ifname), "shmif%d", ifnum);
	if ((r = rump_pub_netconfig_ipv4_ifaddr(ifname, addr, "255.255.255.0")) != 0) {
		fprintf(stderr, "ipv4_ifaddr(%s, %s): %d\n", ifname, addr, r);
		return -1;
	}
	if ((r = rump_pub_netconfig_ifup(ifname)) != 0) {
		fprintf(stderr, "ifup(%s): %d\n", ifname, r);
		return -1;
	}
	return 0;
}

/* ---- receiver ---- */

static _Atomic uint8_t *seen; /* [NSENDERS][per] */
static _Atomic uint64_t last_progress_ns;
static _Atomic int recv_stop;

struct receiver {
	const char *what;
	int fd;
	unsigned got, timeouts, errors;
	_Atomic int finished;
};

static void check_one(const uint8_t *buf, size_t n, const struct nb_sockaddr_in *from)
{
	struct hdr h;
	uint8_t tmp[MAX_DGRAM];

	if (from->sin_addr != addr_of(SENDER_ADDR, 0).sin_addr)
		atomic_fetch_add(&sh->foreign_src, 1);
	if (n < sizeof(h)) {
		atomic_fetch_add(&sh->corrupt, 1);
		return;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.magic == MAGIC_WARM) {
		atomic_store(&sh->warm, 1);
		return;
	}
	if (h.magic != MAGIC_DATA || h.sender >= NSENDERS || h.seq >= per || h.len != n ||
	    n != dgram_len(h.sender, h.seq) || fnv1a(buf + sizeof(h), n - sizeof(h)) != h.sum) {
		atomic_fetch_add(&sh->corrupt, 1);
		return;
	}
	fill_payload(tmp, n - sizeof(h), h.sender, h.seq);
	if (memcmp(tmp, buf + sizeof(h), n - sizeof(h)) != 0) {
		atomic_fetch_add(&sh->corrupt, 1);
		return;
	}
	if (atomic_exchange(&seen[(size_t)h.sender * per + h.seq], 1) != 0) {
		atomic_fetch_add(&sh->duplicate, 1);
		return;
	}
	atomic_fetch_add(&sh->per_sender_received[h.sender], 1);
	atomic_fetch_add(&sh->bytes, n);
	atomic_fetch_add(&sh->received, 1);
	atomic_store(&last_progress_ns, now_ns());
}

static void *recv_loop(void *arg)
{
	struct receiver *r = arg;
	uint8_t buf[MAX_DGRAM + 64];
	const uint64_t total = expected_total();

	while (!atomic_load(&recv_stop)) {
		struct nb_sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = rump_sys_recvfrom(r->fd, buf, sizeof(buf), 0, (void *)&from, &fl);
		if (n >= 0) {
			r->got++;
			check_one(buf, (size_t)n, &from);
		} else if (errno == RUMP_EWOULDBLOCK || errno == RUMP_EINTR) {
			r->timeouts++;
		} else {
			if (r->errors++ == 0)
				fprintf(stderr, "receiver (%s): recvfrom: errno %d\n", r->what, errno);
			pause_us(1000);
		}
		if (atomic_load(&sh->received) >= total)
			atomic_store(&recv_stop, 1);
		else if (atomic_load(&sh->sender_done) &&
			 now_ns() - atomic_load(&last_progress_ns) > 3000000000ull)
			atomic_store(&recv_stop, 1); /* the rest is lost */
	}
	atomic_store(&r->finished, 1);
	return NULL;
}

static int receiver(const char *bus)
{
	struct receiver rh = {.what = "plain host thread"}, rg = {.what = "green thread"};
	struct nb_sockaddr_in a = addr_of(RECEIVER_ADDR, PORT);
	struct nb_timeval tv = {.tv_sec = 0, .tv_usec = 100000};
	struct thr gt;
	int fd, rcvbuf = 256 * 1024, r, failed = 0;

	seen = calloc((size_t)NSENDERS * per, 1);
	if (seen == NULL || setup_kernel(bus, RECEIVER_ADDR) != 0)
		return 1;
	if ((fd = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0)) < 0) {
		fprintf(stderr, "receiver: socket: errno %d\n", errno);
		return 1;
	}
	/* As big as the kernel allows (sb_max); the window keeps us far below. */
	while (rump_sys_setsockopt(fd, RUMP_SOL_SOCKET, RUMP_SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) !=
		       0 &&
	       rcvbuf > 65536)
		rcvbuf /= 2;
	if (rump_sys_setsockopt(fd, RUMP_SOL_SOCKET, RUMP_SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    rump_sys_bind(fd, (void *)&a, sizeof(a)) != 0) {
		fprintf(stderr, "receiver: setsockopt/bind: errno %d\n", errno);
		return 1;
	}
	rh.fd = rg.fd = fd;
	atomic_store(&last_progress_ns, now_ns());
	if ((r = thr_start(&gt, true, "udp-recv", recv_loop, &rg)) != 0) {
		fprintf(stderr, "receiver: cannot start the green receiver: %d\n", r);
		return 1;
	}
	atomic_store(&sh->receiver_ready, 1);
	recv_loop(&rh);
	/* Joining a green thread that never runs again would hang: give it
	 * a few seconds (its recvfrom times out every 100 ms). */
	for (int i = 0; i < 500 && !atomic_load(&rg.finished); i++)
		pause_us(10000);
	if (atomic_load(&rg.finished)) {
		thr_join(&gt);
		rump_sys_close(fd);
	} else {
		printf("receiver: the green receiver thread did not come back from recvfrom "
		       "within 5 s\n");
		failed = 1;
	}

	printf("receiver: %s took %u datagrams (%u timeouts), %s took %u (%u timeouts)\n",
	       rh.what, rh.got, rh.timeouts, rg.what, rg.got, rg.timeouts);
	if (rh.errors + rg.errors != 0) {
		printf("receiver: %u recvfrom errors\n", rh.errors + rg.errors);
		failed = 1;
	}
	for (unsigned s = 0; s < NSENDERS; s++) {
		unsigned got = atomic_load(&sh->per_sender_received[s]), shown = 0;
		printf("receiver: from sender %u (%s): %u/%u intact\n", s, kind_name[sender_kind[s]],
		       got, expected(s));
		if (got != expected(s)) {
			failed = 1;
			printf("  missing:");
			for (unsigned q = 0; q < expected(s) && shown < 20; q++)
				if (!atomic_load(&seen[(size_t)s * per + q])) {
					printf(" %u", q);
					shown++;
				}
			printf("%s\n", shown == 20 ? " ..." : "");
		}
	}
	if (atomic_load(&sh->corrupt) || atomic_load(&sh->duplicate) ||
	    atomic_load(&sh->foreign_src)) {
		printf("receiver: %u corrupt, %u duplicate, %u from an unexpected address\n",
		       atomic_load(&sh->corrupt), atomic_load(&sh->duplicate),
		       atomic_load(&sh->foreign_src));
		failed = 1;
	}
	fflush(stdout);
	return failed;
}

/* ---- sender ---- */

static _Atomic uint64_t issued;
static _Atomic int give_up; /* the window stalled: stop, let the receiver report */

struct sender {
	unsigned id;
	enum kind kind;
	struct thr t;
	unsigned sent, enobufs, stalls;
	int err; /* first failure, a NetBSD errno or -1 */
	const char *failed_at;
};

/* Wait until the datagram with this ticket fits in the window. */
static void wait_window(struct sender *s, uint64_t ticket)
{
	uint64_t start = 0;

	while (ticket >= atomic_load(&sh->received) + WINDOW && !atomic_load(&give_up)) {
		if (start == 0)
			start = now_ns();
		else if (now_ns() - start > 10000000000ull) {
			s->stalls++; /* the receiver misses some: let it report */
			atomic_store(&give_up, 1);
			return;
		}
		pause_us(50);
	}
}

static void *send_all(void *arg)
{
	struct sender *s = arg;
	struct nb_sockaddr_in to = addr_of(RECEIVER_ADDR, PORT);
	uint8_t buf[MAX_DGRAM];
	int fd, r;

	if (expected(s->id) == 0)
		return NULL;
	if (s->kind == ADOPTED && (r = adopt()) != 0) {
		s->err = r, s->failed_at = "adopting the thread failed";
		return NULL;
	}
	if (s->kind == GREEN_BOUND && (r = rump_pub_lwproc_rfork(RUMP_RFCFDG)) != 0) {
		s->err = r, s->failed_at = "rump_pub_lwproc_rfork failed";
		return NULL;
	}
	if ((fd = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0)) < 0) {
		s->err = errno, s->failed_at = "socket failed";
		goto out;
	}
	for (uint32_t seq = 0; seq < expected(s->id); seq++) {
		size_t len = build(buf, s->id, seq);
		wait_window(s, atomic_fetch_add(&issued, 1));
		if (atomic_load(&give_up)) {
			s->failed_at = "nothing received for 10 s, gave up";
			goto out;
		}
		for (;;) {
			ssize_t n = rump_sys_sendto(fd, buf, len, 0, (void *)&to, sizeof(to));
			if (n == (ssize_t)len)
				break;
			if (n < 0 && errno == RUMP_ENOBUFS) {
				s->enobufs++; /* interface queue full: local, not a loss */
				pause_us(200);
				continue;
			}
			s->err = n < 0 ? errno : -1, s->failed_at = "sendto failed";
			goto out;
		}
		s->sent++;
	}
out:
	if (fd >= 0)
		rump_sys_close(fd);
	if (s->kind == ADOPTED)
		unadopt();
	if (s->kind == GREEN_BOUND)
		rump_pub_lwproc_releaselwp();
	return NULL;
}

static int warm_up(void)
{
	struct nb_sockaddr_in to = addr_of(RECEIVER_ADDR, PORT);
	struct hdr h = {.magic = MAGIC_WARM, .len = sizeof(h)};
	uint64_t start = now_ns();
	int fd = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);

	if (fd < 0)
		return -1;
	/* Until the receiver has one: ARP resolved, both ends up. */
	while (!atomic_load(&sh->warm)) {
		if (now_ns() - start > 30000000000ull) {
			fprintf(stderr, "sender: the receiver never saw a warm-up datagram\n");
			rump_sys_close(fd);
			return -1;
		}
		rump_sys_sendto(fd, &h, sizeof(h), 0, (void *)&to, sizeof(to));
		pause_us(20000);
	}
	rump_sys_close(fd);
	return 0;
}

static int sender(const char *bus, pid_t child)
{
	static struct sender s[NSENDERS];
	uint64_t t0, t1, sent = 0;
	int r, failed = 0, status;

	if (setup_kernel(bus, SENDER_ADDR) != 0)
		return 1;
	while (!atomic_load(&sh->receiver_ready)) {
		if (waitpid(child, &status, WNOHANG) == child) {
			fprintf(stderr, "sender: the receiver exited before it was ready\n");
			return 1;
		}
		pause_us(1000);
	}
	if (warm_up() != 0)
		return 1;
	t0 = now_ns();
	for (unsigned i = 0; i < NSENDERS; i++) {
		char name[16];
		s[i].id = i;
		s[i].kind = sender_kind[i];
		snprintf(name, sizeof(name), "udp-send%u", i);
		r = thr_start(&s[i].t, s[i].kind == GREEN || s[i].kind == GREEN_BOUND, name, send_all,
			      &s[i]);
		if (r != 0) {
			fprintf(stderr, "sender: cannot start sender %u: %d\n", i, r);
			atomic_store(&sh->sender_failed, 1);
			return 1;
		}
	}
	for (unsigned i = 0; i < NSENDERS; i++)
		thr_join(&s[i].t);
	t1 = now_ns();
	atomic_store(&sh->sender_done, 1);

	for (unsigned i = 0; i < NSENDERS; i++) {
		printf("sender %u (%s): sent %u/%u", i, kind_name[s[i].kind], s[i].sent, expected(i));
		if (s[i].enobufs)
			printf(", %u ENOBUFS retries", s[i].enobufs);
		if (s[i].failed_at != NULL) {
			printf(", FAILED: %s", s[i].failed_at);
			if (s[i].err)
				printf(" (%d)", s[i].err);
			failed = 1;
		}
		printf("\n");
		sent += s[i].sent;
	}
	fflush(stdout);
	for (int i = 0; waitpid(child, &status, WNOHANG) != child; i++) {
		if (i == 3000) { /* 30 s */
			printf("sender: the receiver did not finish within 30 s: killed\n");
			kill(child, SIGKILL);
			waitpid(child, &status, 0);
			break;
		}
		pause_us(10000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
			printf("receiver killed by signal %d\n", WTERMSIG(status));
		failed = 1;
	}
	printf("%llu datagrams sent, %llu received intact (%llu bytes, %.1f ms, %.0f datagrams/s)\n",
	       (unsigned long long)sent, (unsigned long long)atomic_load(&sh->received),
	       (unsigned long long)atomic_load(&sh->bytes), (double)(t1 - t0) / 1e6,
	       (double)sent * 1e9 / (double)(t1 - t0));
	if (sent != expected_total() || atomic_load(&sh->received) != sent)
		failed = 1;
	printf("%s\n", failed ? "FAILED" : "PASSED");
	return failed;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/rb-shmif-XXXXXX", bus[64];
	pid_t child;
	int rc;

	per = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 400;
	if (argc > 2)
		active = (unsigned)strtoul(argv[2], NULL, 0) & ((1u << NSENDERS) - 1);
	if (per == 0 || per > MAX_PER) {
		fprintf(stderr, "usage: %s [datagrams per sender, 1..%u]\n", argv[0], MAX_PER);
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || mkdtemp(dir) == NULL) {
		perror("setup");
		return 1;
	}
	snprintf(bus, sizeof(bus), "%s/bus", dir);
	printf("rumpuser integration%s: %u senders x %u UDP datagrams over shmif (%s)\n",
#ifdef RB_REFERENCE
	       " (on NetBSD's librumpuser)",
#else
	       "",
#endif
	       __builtin_popcount(active), per, bus);
	fflush(stdout);
	/* Fork before either kernel starts: rump_init makes threads. */
	child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(240);
		_exit(receiver(bus));
	}
	alarm(250);
	rc = sender(bus, child);
	if (rc != 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	unlink(bus);
	rmdir(dir);
	return rc;
}
