/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A remote client on NetBSD's unmodified librumpclient: system calls go
 * to the server named by RUMP_SERVER (rumpclient_syscall with NetBSD's
 * syscall numbers and argument blocks: one 8-byte slot per argument).
 *
 *   sp_client basic PORT     getpid, a file in the server's tmpfs, UDP
 *                            to itself on 127.0.0.1:PORT; prints the pid
 *   sp_client loop N         N rounds of write/read back of its own file,
 *                            checksummed; getpid the same throughout
 *   sp_client hold PORT      binds UDP PORT, says "bound", blocks in recvfrom
 *   sp_client inuse PORT     binding PORT fails with EADDRINUSE
 *   sp_client bindwait PORT  binding PORT succeeds within 30 s
 *   sp_client reboot         reboots the server's kernel
 *   sp_client bench N        N getpid calls; prints ns per call
 *   sp_client fork           rumpclient_fork: the child is a new rump
 *                            process with a copy of the parent's
 *                            descriptors (reads the parent's file)
 *   sp_client exec           rumpclient_exec of itself ("afterexec"):
 *                            same rump process, its descriptor still open
 *   sp_client recv PORT N    receives N distinct numbered datagrams on
 *                            UDP PORT (checksummed payloads), answering
 *                            each with its number; prints N
 *   sp_client signal         a write to a rump pipe without a reader:
 *                            EPIPE, and the kernel's SIGPIPE is raised
 *                            in this client (sysproxy RAISE), once
 *   sp_client devices        the kernel's /dev/drvctl (the server links
 *                            the drvctl component): DRVLISTDEV writes the
 *                            names of the root devices into this client
 *                            with copyoutstr (sysproxy COPYOUTSTR), each
 *                            exactly its bytes and NUL; DRVCTLCOMMAND
 *                            "get-properties" of each returns a property
 *                            list in memory the kernel had this client
 *                            map (sysproxy ANONMMAP), then copyout
 * Exit 0 on success; a failure says what on stderr.
 */
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rump/rumpclient.h>

/* NetBSD's numbers */
enum {
	SYS_read = 3, SYS_write = 4, SYS_open = 5, SYS_close = 6, SYS_unlink = 10,
	SYS_getpid = 20, SYS_recvfrom = 29, SYS_ioctl = 54, SYS_bind = 104, SYS_sendto = 133,
	SYS_lseek = 199, SYS_reboot = 208, SYS_socket = 394, SYS_pipe2 = 453,
};
#define NB_O_RDWR 0x2
#define NB_O_CREAT 0x200
#define NB_O_TRUNC 0x400
#define NB_AF_INET 2
#define NB_SOCK_DGRAM 2
#define NB_EADDRINUSE 48
#define NB_EPIPE 32

/* NetBSD's <sys/drvctlio.h> and <prop/plistref.h> (LP64): _IOWR('D', n,
 * struct) is 0xc0000000 | sizeof << 16 | 'D' << 8 | n */
struct nb_devlistargs {
	char l_devname[16];
	char (*l_childname)[16];
	size_t l_children;
};
struct nb_plistref {
	void *pref_plist;
	size_t pref_len;
};
#define NB_DRVCTLCOMMAND (0xc0000000UL | sizeof(struct nb_plistref) << 16 | 'D' << 8 | 125)
#define NB_DRVLISTDEV (0xc0000000UL | sizeof(struct nb_devlistargs) << 16 | 'D' << 8 | 127)

struct nb_sockaddr_in {
	uint8_t len, family;
	uint16_t port; /* network order */
	uint32_t addr; /* network order */
	char zero[8];
};

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "sp_client[%d]: ", (int)getpid());
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* One syscall; *ret its value.  0 or a NetBSD errno. */
static int sc(int num, long *ret, int nargs, ...)
{
	long a[8] = {0};
	register_t rv[2] = {0, 0};
	va_list ap;
	int e;

	va_start(ap, nargs);
	for (int i = 0; i < nargs; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	e = rumpclient_syscall(num, a, (size_t)nargs * sizeof(long), rv);
	if (ret != NULL)
		*ret = (long)rv[0];
	return e;
}

static long must(int num, const char *what, int nargs, long a0, long a1, long a2, long a3,
		 long a4, long a5)
{
	long r;
	int e = sc(num, &r, nargs, a0, a1, a2, a3, a4, a5);

	if (e != 0)
		fail("%s: error %d", what, e);
	return r;
}
#define MUST(num, what, n, ...) must(num, what, n, __VA_ARGS__)

static struct nb_sockaddr_in lo(int port)
{
	struct nb_sockaddr_in s = {.len = sizeof(s), .family = NB_AF_INET};

	s.port = (uint16_t)((port >> 8) | ((port & 0xff) << 8));
	s.addr = 0x0100007f; /* 127.0.0.1 in network order, little-endian host */
	return s;
}

static long getpid_remote(void)
{
	return MUST(SYS_getpid, "getpid", 0, 0, 0, 0, 0, 0, 0);
}

/* A file of its own in /t: write n bytes of a pattern, read back, sum. */
static void file_round(const char *path, unsigned seed, size_t n)
{
	unsigned char *w = malloc(n), *r = malloc(n);
	uint64_t sw = 0, sr = 0;
	long fd, got;

	if (w == NULL || r == NULL)
		fail("no memory");
	for (size_t i = 0; i < n; i++) {
		w[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 8));
		sw = sw * 131 + w[i];
	}
	fd = MUST(SYS_open, "open", 3, (long)path, NB_O_RDWR | NB_O_CREAT | NB_O_TRUNC, 0644, 0,
		  0, 0);
	got = MUST(SYS_write, "write", 3, fd, (long)w, (long)n, 0, 0, 0);
	if ((size_t)got != n)
		fail("write: %ld of %zu", got, n);
	MUST(SYS_lseek, "lseek", 4, fd, 0, 0, 0, 0, 0);
	memset(r, 0, n);
	got = MUST(SYS_read, "read", 3, fd, (long)r, (long)n, 0, 0, 0);
	if ((size_t)got != n)
		fail("read: %ld of %zu", got, n);
	for (size_t i = 0; i < n; i++)
		sr = sr * 131 + r[i];
	if (sr != sw)
		fail("%s: read back checksum %llx, wrote %llx", path, (unsigned long long)sr,
		     (unsigned long long)sw);
	MUST(SYS_close, "close", 1, fd, 0, 0, 0, 0, 0);
	free(w);
	free(r);
}

static long udp_bound_to(struct nb_sockaddr_in a, int *err)
{
	long s = MUST(SYS_socket, "socket", 3, NB_AF_INET, NB_SOCK_DGRAM, 0, 0, 0, 0);

	*err = sc(SYS_bind, NULL, 3, s, (long)&a, (long)sizeof(a));
	return s;
}

static long udp_bound(int port, int *err)
{
	return udp_bound_to(lo(port), err);
}

static void basic(int port)
{
	struct nb_sockaddr_in a = lo(port), from;
	char msg[64], buf[64], path[64];
	long pid = getpid_remote(), s, n;
	long fromlen = sizeof(from);
	int err;

	if (pid <= 1)
		fail("getpid: %ld: not a process of its own", pid);
	snprintf(path, sizeof(path), "/t/basic.%ld", pid);
	file_round(path, 1, 200000); /* copyin/copyout of many pages */
	MUST(SYS_unlink, "unlink", 1, (long)path, 0, 0, 0, 0, 0);
	s = udp_bound(port, &err);
	if (err != 0)
		fail("bind 127.0.0.1:%d: error %d", port, err);
	snprintf(msg, sizeof(msg), "datagram from rump pid %ld", pid);
	n = MUST(SYS_sendto, "sendto", 6, s, (long)msg, (long)strlen(msg) + 1, 0, (long)&a,
		 (long)sizeof(a));
	if ((size_t)n != strlen(msg) + 1)
		fail("sendto: %ld", n);
	n = MUST(SYS_recvfrom, "recvfrom", 6, s, (long)buf, (long)sizeof(buf), 0, (long)&from,
		 (long)&fromlen);
	if ((size_t)n != strlen(msg) + 1 || strcmp(buf, msg) != 0)
		fail("recvfrom: %ld bytes \"%.*s\"", n, (int)(n > 0 ? n : 0), buf);
	if (from.port != a.port || from.addr != a.addr)
		fail("recvfrom: from the wrong address");
	MUST(SYS_close, "close", 1, s, 0, 0, 0, 0, 0);
	if (getpid_remote() != pid)
		fail("getpid changed");
	printf("%ld\n", pid);
}

static void loop(int n)
{
	long pid = getpid_remote();
	char path[64];

	snprintf(path, sizeof(path), "/t/loop.%ld", pid);
	for (int i = 0; i < n; i++) {
		file_round(path, (unsigned)(pid * 1000 + i), 1000 + (size_t)(i % 7) * 1500);
		if (getpid_remote() != pid)
			fail("getpid changed in round %d", i);
	}
	printf("%ld\n", pid);
}

static void hold(int port)
{
	char buf[16];
	long s;
	int err;

	s = udp_bound(port, &err);
	if (err != 0)
		fail("bind %d: error %d", port, err);
	printf("bound\n");
	fflush(stdout);
	sc(SYS_recvfrom, NULL, 6, s, (long)buf, (long)sizeof(buf), 0, 0, 0);
	fail("recvfrom returned");
}

static void bindwait(int port)
{
	struct timespec t0, t;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		long s = udp_bound(port, &err);

		if (err == 0)
			return;
		MUST(SYS_close, "close", 1, s, 0, 0, 0, 0, 0);
		if (err != NB_EADDRINUSE)
			fail("bind %d: error %d", port, err);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 30)
			fail("port %d still in use after 30 s: the dead client's socket lives on", port);
		usleep(20000);
	}
}

/* Datagram i: 8 bytes of number, then (i % 900) + 100 bytes, byte k
 * being (i * 7 + k) & 0xff (hijack_udp.c sends them). */
static void recv_numbered(int port, int n)
{
	unsigned char buf[2048], *seen = calloc((size_t)n, 1);
	struct nb_sockaddr_in from;
	long s, len, fromlen;
	int err, distinct = 0;
	struct nb_sockaddr_in any = lo(port);
	uint64_t i;

	any.addr = 0; /* INADDR_ANY: 127.0.0.1 or an interface's address */
	s = udp_bound_to(any, &err);
	if (err != 0 || seen == NULL)
		fail("bind %d: error %d", port, err);
	while (distinct < n) {
		fromlen = sizeof(from);
		len = MUST(SYS_recvfrom, "recvfrom", 6, s, (long)buf, (long)sizeof(buf), 0,
			   (long)&from, (long)&fromlen);
		if (len < 8)
			fail("datagram of %ld bytes", len);
		memcpy(&i, buf, 8);
		if (i >= (uint64_t)n || (size_t)len != 8 + i % 900 + 100)
			fail("datagram %llu of %ld bytes", (unsigned long long)i, len);
		for (long k = 8; k < len; k++)
			if (buf[k] != (unsigned char)(i * 7 + (uint64_t)(k - 8)))
				fail("datagram %llu: byte %ld damaged", (unsigned long long)i, k);
		if (!seen[i]) /* a retransmission is answered again, counted once */
			seen[i] = 1, distinct++;
		MUST(SYS_sendto, "sendto", 6, s, (long)&i, 8, 0, (long)&from, fromlen);
	}
	printf("%d\n", distinct);
	free(seen);
}

/* The sender of recv_numbered's datagrams, as hijack_udp.c but on
 * librumpclient (127.0.0.1 or another kernel over shmif): addr is
 * a.b.c.d. */
static void send_numbered(const char *addr, int port, int n)
{
	struct nb_sockaddr_in to = lo(port);
	unsigned char buf[1100];
	unsigned a, b, c, d;
	uint64_t ack;
	long s, got;
	int err;

	if (sscanf(addr, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		fail("address %s", addr);
	to.addr = a | b << 8 | c << 16 | (uint32_t)d << 24;
	s = udp_bound(0, &err);
	for (uint64_t i = 0; i < (uint64_t)n; i++) {
		size_t len = 8 + i % 900 + 100;

		memcpy(buf, &i, 8);
		for (size_t k = 8; k < len; k++)
			buf[k] = (unsigned char)(i * 7 + (k - 8));
		MUST(SYS_sendto, "sendto", 6, s, (long)buf, (long)len, 0, (long)&to, (long)sizeof(to));
		got = MUST(SYS_recvfrom, "recvfrom", 6, s, (long)&ack, 8, 0, 0, 0);
		if (got != 8 || ack != i)
			fail("answer %llu to %llu", (unsigned long long)ack, (unsigned long long)i);
	}
}

static long file_with(const char *tag, long pid)
{
	char path[64];
	long fd;

	snprintf(path, sizeof(path), "/t/%s.%ld", tag, pid);
	fd = MUST(SYS_open, "open", 3, (long)path, NB_O_RDWR | NB_O_CREAT | NB_O_TRUNC, 0644, 0,
		  0, 0);
	if (MUST(SYS_write, "write", 3, fd, (long)tag, (long)strlen(tag), 0, 0, 0) !=
	    (long)strlen(tag))
		fail("short write");
	return fd;
}

/* fd holds tag (from its start) */
static int holds(long fd, const char *tag)
{
	char buf[64] = {0};
	long n;

	if (sc(SYS_lseek, NULL, 4, fd, 0L, 0L, 0L) != 0 ||
	    sc(SYS_read, &n, 3, fd, (long)buf, (long)sizeof(buf) - 1) != 0)
		return 0;
	return n == (long)strlen(tag) && memcmp(buf, tag, (size_t)n) == 0;
}

static void fork_child_check(void)
{
	long parent = getpid_remote();
	long fd = file_with("forkdata", parent);
	pid_t p = rumpclient_fork();
	int st = 0;

	if (p < 0)
		fail("rumpclient_fork failed");
	if (p == 0) {
		long me = getpid_remote();
		if (me == parent || me <= 1)
			_exit(10); /* not a process of its own */
		_exit(holds(fd, "forkdata") ? 0 : 11); /* the copied descriptor */
	}
	for (int i = 0; i < 3000 && waitpid(p, &st, WNOHANG) == 0; i++)
		usleep(10000);
	if (waitpid(p, &st, WNOHANG) == 0) {
		kill(p, SIGKILL); /* our own child */
		waitpid(p, &st, 0);
		fail("forked child still running after 30 s");
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail("forked child: status %d (10: same rump pid, 11: descriptor not copied)", st);
	if (getpid_remote() != parent || !holds(fd, "forkdata"))
		fail("parent after the fork");
}

static void exec_self(const char *self)
{
	long pid = getpid_remote();
	long fd = file_with("execdata", pid);
	char fds[32], pids[32];
	char *argv[] = {(char *)"sp_client", (char *)"afterexec", fds, pids, NULL};
	extern char **environ;

	snprintf(fds, sizeof(fds), "%ld", fd);
	snprintf(pids, sizeof(pids), "%ld", pid);
	rumpclient_exec(self, argv, environ);
	fail("rumpclient_exec failed");
}

static void after_exec(long fd, long pid)
{
	if (getpid_remote() != pid)
		fail("after exec: rump pid %ld, was %ld", getpid_remote(), pid);
	if (!holds(fd, "execdata"))
		fail("after exec: descriptor %ld lost", fd);
}

static volatile sig_atomic_t got_pipe;

static void on_pipe(int sig)
{
	(void)sig;
	got_pipe++;
}

static void signal_pipe(void)
{
	int fds[2] = {-1, -1};
	long w;
	int e;

	signal(SIGPIPE, on_pipe);
	MUST(SYS_pipe2, "pipe2", 2, (long)fds, 0, 0, 0, 0, 0);
	if (fds[0] < 0 || fds[1] < 0 || fds[0] == fds[1])
		fail("pipe2: descriptors %d %d", fds[0], fds[1]);
	MUST(SYS_close, "close", 1, fds[0], 0, 0, 0, 0, 0);
	if ((e = sc(SYS_write, &w, 3, (long)fds[1], (long)"x", 1L)) != NB_EPIPE)
		fail("write to a pipe without a reader: error %d, wanted EPIPE", e);
	/* the RAISE request may arrive just after the syscall's answer */
	for (int i = 0; i < 3000 && got_pipe == 0; i++)
		usleep(10000);
	if (got_pipe != 1)
		fail("SIGPIPE from the kernel arrived %d times, wanted once", (int)got_pipe);
}

/* The integer after <key>key</key> in the XML property list x, or
 * LONG_MIN when there is none. */
static long plist_int(const char *x, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "<key>%s</key>", key);
	if ((p = strstr(x, k)) == NULL)
		return LONG_MIN;
	p += strlen(k);
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (strncmp(p, "<integer>", 9) != 0)
		return LONG_MIN;
	return strtol(p + 9, NULL, 0);
}

/* DRVCTLCOMMAND get-properties of device name on fd: the kernel
 * externalizes its answer, asks this client to map memory for it
 * (ANONMMAP: librumpclient mmaps and answers the address), copies it out
 * there and points the plistref at it.  Returns its drvctl-error. */
static long device_properties(long fd, const char *name)
{
	char cmd[1024];
	struct nb_plistref pref;
	long page = sysconf(_SC_PAGESIZE), err;
	size_t maplen;
	int e;

	snprintf(cmd, sizeof(cmd),
		 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<plist version=\"1.0\">\n<dict>\n"
		 "\t<key>drvctl-arguments</key>\n\t<dict>\n"
		 "\t\t<key>device-name</key>\n\t\t<string>%s</string>\n\t</dict>\n"
		 "\t<key>drvctl-command</key>\n\t<string>get-properties</string>\n"
		 "</dict>\n</plist>\n",
		 name);
	pref.pref_plist = cmd;
	pref.pref_len = strlen(cmd) + 1;
	e = sc(SYS_ioctl, NULL, 3, fd, (long)NB_DRVCTLCOMMAND, (long)&pref);
	if (e != 0)
		fail("DRVCTLCOMMAND get-properties %s: error %d", name, e);
	if (pref.pref_plist == (void *)cmd || pref.pref_plist == NULL)
		fail("DRVCTLCOMMAND %s: no answer in mapped memory (%p)", name, pref.pref_plist);
	if ((uintptr_t)pref.pref_plist % (uintptr_t)page != 0)
		fail("DRVCTLCOMMAND %s: answer at %p, not a page of its own", name, pref.pref_plist);
	/* the whole answer, with its NUL, in pages mapped for it */
	maplen = (pref.pref_len + (size_t)page - 1) / (size_t)page * (size_t)page;
	if (pref.pref_len < 2 || msync(pref.pref_plist, maplen, MS_ASYNC) != 0)
		fail("DRVCTLCOMMAND %s: %zu bytes at %p not mapped", name, pref.pref_len,
		     pref.pref_plist);
	if (strnlen(pref.pref_plist, pref.pref_len) != pref.pref_len - 1)
		fail("DRVCTLCOMMAND %s: answer of %zu bytes not one string", name, pref.pref_len);
	if (strstr(pref.pref_plist, "<plist") == NULL)
		fail("DRVCTLCOMMAND %s: not a property list: %.200s", name,
		     (char *)pref.pref_plist);
	err = plist_int(pref.pref_plist, "drvctl-error");
	if (err == LONG_MIN)
		fail("DRVCTLCOMMAND %s: no drvctl-error in %.400s", name, (char *)pref.pref_plist);
	if (munmap(pref.pref_plist, maplen) != 0) /* as proplib's recv_ioctl does */
		fail("munmap of the answer");
	return err;
}

/* The kernel's root devices through /dev/drvctl: copyoutstr, anonmmap. */
static void devices(void)
{
	enum { SLOTS = 8 };
	char names[SLOTS][16];
	struct nb_devlistargs la;
	long fd, err;
	size_t n;
	int e;

	fd = MUST(SYS_open, "open /dev/drvctl", 3, (long)"/dev/drvctl", NB_O_RDWR, 0, 0, 0, 0);
	memset(names, 0xa5, sizeof(names)); /* what copyoutstr must not touch stays so */
	memset(&la, 0, sizeof(la));	     /* l_devname "": the root's children */
	la.l_childname = names;
	la.l_children = SLOTS;
	e = sc(SYS_ioctl, NULL, 3, fd, (long)NB_DRVLISTDEV, (long)&la);
	if (e != 0)
		fail("DRVLISTDEV: error %d", e);
	if (la.l_children == 0)
		fail("DRVLISTDEV: no root device (the kernel has mainbus0)");
	n = la.l_children < SLOTS ? la.l_children : SLOTS;
	for (size_t i = 0; i < n; i++) {
		size_t len = strnlen(names[i], sizeof(names[i]));

		if (len == 0 || len == sizeof(names[i]))
			fail("DRVLISTDEV: name %zu not a string (first byte %#x)", i,
			     (unsigned char)names[i][0]);
		/* copyoutstr writes the string and its NUL, nothing after */
		for (size_t k = len + 1; k < sizeof(names[i]); k++)
			if ((unsigned char)names[i][k] != 0xa5)
				fail("DRVLISTDEV: name %zu (%s): byte %zu after its NUL written", i,
				     names[i], k);
		/* the name is the kernel's: it finds the device by it */
		err = device_properties(fd, names[i]);
		if (err != 0)
			fail("get-properties of root device %s: drvctl-error %ld", names[i], err);
		printf("%s\n", names[i]);
	}
	for (size_t i = n; i < SLOTS; i++)
		for (size_t k = 0; k < sizeof(names[i]); k++)
			if ((unsigned char)names[i][k] != 0xa5)
				fail("DRVLISTDEV: slot %zu of %zu devices written", i, n);
	/* a name no device has: the kernel's answer still comes back mapped */
	err = device_properties(fd, "nosuchdev9");
	if (err != 3) /* NetBSD's ESRCH */
		fail("get-properties of nosuchdev9: drvctl-error %ld, wanted ESRCH (3)", err);
	MUST(SYS_close, "close", 1, fd, 0, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	int arg = argc > 2 ? atoi(argv[2]) : 0;

	if (rumpclient_init() != 0)
		fail("rumpclient_init (RUMP_SERVER=%s) failed", getenv("RUMP_SERVER"));
	if (strcmp(m, "basic") == 0) {
		basic(arg);
	} else if (strcmp(m, "loop") == 0) {
		loop(arg);
	} else if (strcmp(m, "hold") == 0) {
		hold(arg);
	} else if (strcmp(m, "inuse") == 0) {
		int err;
		udp_bound(arg, &err);
		if (err != NB_EADDRINUSE)
			fail("bind %d: error %d, wanted EADDRINUSE", arg, err);
	} else if (strcmp(m, "bindwait") == 0) {
		bindwait(arg);
	} else if (strcmp(m, "reboot") == 0) {
		int e = sc(SYS_reboot, NULL, 2, 0L, 0L);
		if (e != 0)
			fail("reboot: error %d", e);
	} else if (strcmp(m, "send") == 0 && argc > 4) {
		send_numbered(argv[2], atoi(argv[3]), atoi(argv[4]));
	} else if (strcmp(m, "fork") == 0) {
		fork_child_check();
	} else if (strcmp(m, "exec") == 0) {
		exec_self("/proc/self/exe");
	} else if (strcmp(m, "afterexec") == 0 && argc > 3) {
		after_exec(atol(argv[2]), atol(argv[3]));
	} else if (strcmp(m, "recv") == 0) {
		recv_numbered(arg, argc > 3 ? atoi(argv[3]) : 0);
	} else if (strcmp(m, "signal") == 0) {
		signal_pipe();
	} else if (strcmp(m, "devices") == 0) {
		devices();
	} else if (strcmp(m, "bench") == 0) {
		struct timespec a, b;
		long pid = getpid_remote();
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < arg; i++)
			if (getpid_remote() != pid)
				fail("getpid changed");
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("%.0f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / arg);
	} else {
		fprintf(stderr, "usage: sp_client basic|loop|hold|inuse|bindwait|reboot|bench|recv|signal|devices [N]\n");
		return 2;
	}
	return 0;
}
