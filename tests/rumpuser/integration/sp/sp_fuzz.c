/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A hostile sysproxy client: truncated frames, wrong lengths, frames out
 * of order and random bytes, on fresh connections to a server at a unix
 * socket.  Every connection the server must drop it must close within
 * 10 s (bounded waits); between cases a well-behaved client (handshake,
 * getpid) must still be served.  Deterministic: the seed fixes the cases.
 *
 *   sp_fuzz SOCKET SEED NCASES
 *
 * Speaks the protocol itself (sp_wire.h, the server's own description of
 * NetBSD's wire format).  Exit 0 when the server survived and behaved.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sp_wire.h"

#define WAIT_MS 10000

static const char *sock_path;
static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "sp_fuzz: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* n bytes within WAIT_MS; 0, or 1 when the server closed. */
static int get(int fd, void *buf, size_t n)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if (poll(&p, 1, WAIT_MS) != 1)
			fail("no answer from the server within %d ms", WAIT_MS);
		r = read(fd, (char *)buf + got, n - got);
		if (r == 0 || (r < 0 && errno == ECONNRESET)) /* closed (with our bytes unread) */
			return 1;
		if (r < 0)
			fail("read: %s", strerror(errno));
		got += (size_t)r;
	}
	return 0;
}

static void put(int fd, const void *buf, size_t n)
{
	/* the server may have dropped us already: not an error here */
	(void)send(fd, buf, n, MSG_NOSIGNAL);
}

static int connect_server(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char banner[SP_BANNER_MAX];
	size_t n = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		fail("connect %s: %s", sock_path, strerror(errno));
	do {
		if (get(fd, banner + n, 1) != 0)
			fail("connection closed in the banner");
	} while (banner[n++] != '\n' && n < sizeof(banner) - 1);
	banner[n] = '\0';
	if (strncmp(banner, "RUMPSP-0.4-", 11) != 0)
		fail("banner \"%s\"", banner);
	return fd;
}

static void frame(int fd, uint16_t class, uint16_t type, uint32_t u, uint64_t reqno,
		  const void *body, size_t blen)
{
	struct sp_hdr h = {.len = sizeof(h) + blen, .reqno = reqno, .class = class, .type = type,
			   .u = u};

	put(fd, &h, sizeof(h));
	if (blen > 0)
		put(fd, body, blen);
}

/* Read one frame; its body into body (up to cap), 1 at the end. */
static int next_frame(int fd, struct sp_hdr *h, void *body, size_t cap)
{
	char skip[256];
	size_t blen, n;

	if (get(fd, h, sizeof(*h)) != 0)
		return 1;
	if (h->len < sizeof(*h) || h->len > sizeof(*h) + 65536)
		fail("server sent a frame of length %llu", (unsigned long long)h->len);
	blen = (size_t)h->len - sizeof(*h);
	n = blen < cap ? blen : cap;
	if (n > 0 && get(fd, body, n) != 0)
		return 1;
	for (blen -= n; blen > 0; blen -= n) {
		n = blen < sizeof(skip) ? blen : sizeof(skip);
		if (get(fd, skip, n) != 0)
			return 1;
	}
	return 0;
}

static void handshake(int fd, const char *name)
{
	struct sp_hdr h;
	int err = -1;

	frame(fd, SP_REQ, SP_HANDSHAKE, SP_HS_GUEST, 1, name, strlen(name) + 1);
	if (next_frame(fd, &h, &err, sizeof(err)) != 0 || h.class != SP_RESP ||
	    h.type != SP_HANDSHAKE || err != 0)
		fail("handshake refused (class %u, error %d)", h.class, err);
}

/* A syscall; the answer's error and value. */
static int syscall_frame(int fd, uint32_t num, const void *args, size_t alen, long *rv)
{
	struct sp_sysresp r;
	struct sp_hdr h;

	frame(fd, SP_REQ, SP_SYSCALL, num, 2, args, alen);
	if (next_frame(fd, &h, &r, sizeof(r)) != 0)
		fail("server closed instead of answering syscall %u", num);
	if (h.class != SP_RESP || h.type != SP_SYSCALL || h.reqno != 2)
		fail("syscall %u: answer class %u type %u", num, h.class, h.type);
	*rv = r.retval[0];
	return r.error;
}

/* The server must close the connection (it may send an ERROR first). */
static void expect_drop(int fd, const char *what)
{
	struct sp_hdr h;
	char body[64];

	while (next_frame(fd, &h, body, sizeof(body)) == 0)
		if (h.class != SP_ERROR)
			fail("%s: server answered (class %u) instead of dropping", what, h.class);
	close(fd);
}

static void control(void)
{
	int fd = connect_server();
	long pid;
	int e;

	handshake(fd, "fuzzctl");
	if ((e = syscall_frame(fd, 20 /* getpid */, NULL, 0, &pid)) != 0 || pid <= 1)
		fail("control client: getpid error %d, pid %ld", e, pid);
	close(fd);
}

static void one_case(unsigned k)
{
	unsigned char junk[512];
	struct sp_hdr h;
	size_t n;
	long rv;
	int fd = connect_server(), e;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rnd();
	switch (k) {
	case 0: /* truncated header */
		put(fd, junk, 10);
		shutdown(fd, SHUT_WR);
		expect_drop(fd, "truncated header");
		return;
	case 1: /* length shorter than the header */
		h = (struct sp_hdr){.len = 5, .class = SP_REQ};
		put(fd, &h, sizeof(h));
		expect_drop(fd, "short length");
		return;
	case 2: /* a request of a terabyte */
		h = (struct sp_hdr){.len = 1ull << 40, .class = SP_REQ, .type = SP_SYSCALL};
		put(fd, &h, sizeof(h));
		expect_drop(fd, "huge length");
		return;
	case 3:
		frame(fd, SP_REQ, SP_SYSCALL, 20, 1, NULL, 0);
		expect_drop(fd, "syscall before handshake");
		return;
	case 4:
		frame(fd, 7, 0, 0, 1, NULL, 0);
		expect_drop(fd, "unknown class");
		return;
	case 5:
		frame(fd, SP_REQ, SP_HANDSHAKE, 9, 1, "x", 2);
		expect_drop(fd, "unknown handshake");
		return;
	case 6: /* body cut short */
		handshake(fd, "fuzz6");
		h = (struct sp_hdr){.len = sizeof(h) + 100, .class = SP_REQ, .type = SP_SYSCALL,
				    .u = 20};
		put(fd, &h, sizeof(h));
		put(fd, junk, 10);
		shutdown(fd, SHUT_WR);
		expect_drop(fd, "truncated body");
		return;
	case 7:
		handshake(fd, "fuzz7");
		frame(fd, SP_RESP, SP_COPYIN, 0, 12345, junk, 16);
		expect_drop(fd, "answer to no request");
		return;
	case 8: /* out-of-range syscall numbers: answered, not fatal */
		handshake(fd, "fuzz8");
		if ((e = syscall_frame(fd, 0x80000000u, junk, 64, &rv)) == 0)
			fail("syscall 0x80000000 succeeded");
		if ((e = syscall_frame(fd, 100000, junk, 64, &rv)) == 0)
			fail("syscall 100000 succeeded");
		if ((e = syscall_frame(fd, 20, NULL, 0, &rv)) != 0 || rv <= 1)
			fail("getpid after bad syscalls: %d", e);
		close(fd);
		return;
	case 9:
		handshake(fd, "fuzz9");
		frame(fd, SP_REQ, SP_HANDSHAKE, SP_HS_FORK, 1, junk, 3);
		expect_drop(fd, "fork handshake of the wrong length");
		return;
	case 10: /* a fork with a key nobody was given */
		frame(fd, SP_REQ, SP_HANDSHAKE, SP_HS_FORK, 1, junk, sizeof(struct sp_hs_fork));
		expect_drop(fd, "fork with an unknown key");
		return;
	case 11: /* random bytes */
		n = 1 + rnd() % sizeof(junk);
		put(fd, junk, n);
		shutdown(fd, SHUT_WR);
		expect_drop(fd, "random bytes");
		return;
	default: /* a random frame before the handshake */
		h = (struct sp_hdr){.len = sizeof(h) + rnd() % 200, .reqno = rnd(),
				    .class = (uint16_t)(rnd() % 4), .type = (uint16_t)(1 + rnd() % 9),
				    .u = (uint32_t)rnd()};
		put(fd, &h, sizeof(h));
		put(fd, junk, rnd() % 300);
		shutdown(fd, SHUT_WR);
		expect_drop(fd, "random frame");
		return;
	}
}

int main(int argc, char **argv)
{
	unsigned ncases;

	if (argc != 4) {
		fprintf(stderr, "usage: sp_fuzz SOCKET SEED NCASES\n");
		return 2;
	}
	sock_path = argv[1];
	rng = strtoull(argv[2], NULL, 0) | 1;
	ncases = (unsigned)atoi(argv[3]);
	control();
	for (unsigned i = 0; i < ncases; i++) {
		one_case(i < 13 ? i : (unsigned)(11 + rnd() % 2));
		if (i % 8 == 7)
			control();
	}
	control();
	printf("sp_fuzz: %u cases, server still serving\n", ncases);
	return 0;
}
