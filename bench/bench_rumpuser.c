/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_rumpuser: a real NetBSD rump kernel on our librumpuser against the
 * same kernel on NetBSD's own librumpuser, same run.
 *
 * One source, three programs:
 *   bench_rumpuser          the driver (no kernel): runs the two workers
 *                           side by side, interleaving their repetitions,
 *                           and prints one table / one JSON;
 *   bench_rumpuser_ours     worker (-DRB_WORKER -DRB_OURS): the kernel on
 *                           our librumpuser (run twice: as is, and with
 *                           RUMPBRIDGE_FOREIGN_LWP=0, "ours per call");
 *   bench_rumpuser_netbsd   worker (-DRB_WORKER): the kernel on NetBSD's
 *                           librumpuser, when the kernel's install has
 *                           one (a full buildrump.sh build).
 * A worker boots its kernel once and then serves requests "<op> <iters>"
 * on stdin with "<elapsed ns>" (or "err <why>") on stdout; the driver's
 * measurement functions are those requests, so the harness calibrates
 * and interleaves them like local ones.  UDP throughput runs a worker
 * afresh per repetition ("--udp MB"): two processes, two kernels, shmif.
 *
 * What each kernel-side operation is:
 *   foreign  a plain host thread that was given no lwp: ours gives it
 *            one of its own on its first call (src/rumpuser/lwp.c);
 *            NetBSD's, and ours per call, have the kernel lend it a
 *            temporary lwp for every call (the "implicit" thread);
 *   adopted  a host thread after rumpbridge_adopt() (ours only);
 *   bound    a rump kernel thread with an lwp of its own: ours a green
 *            thread, NetBSD's a pthread, bound by rump_pub_lwproc_newlwp;
 *   pingpong a 1-byte round trip through two rump pipes between two
 *            bound threads: each read sleeps in the kernel's cv_wait and
 *            each write wakes it, so it measures the kernel's sleep and
 *            wakeup through the hypercalls (rumpuser_cv_*, the rump CPU
 *            hand-over), not a hypercall alone;
 *   udp      UDP over shmif between two processes, one bound thread at
 *            each end, 1400-byte datagrams, a window of 64 in flight.
 *            Ours uses tests/rumpuser/integration/shmif_host.c as shmif's
 *            host half (its kernel thread waits in the domain); NetBSD's
 *            uses the kernel's own (a blocking read on a pthread).
 *   sp       a remote getpid from NetBSD's librumpclient to a sysproxy
 *            server on each librumpuser (bench_rumpuser_sp.c);
 *   cpuloop  no kernel at all: a fixed computation on the thread's own
 *            registers, the machine's baseline for "two threads at once"
 *            (on a shared 2-core VM, two threads seldom get two cores);
 *   cpushared the same plus a write, every call, to a line both threads
 *            write: the control for the CPU-time figures below.
 *
 * How a case with one or more threads is measured (run()): each thread
 * binds (adopt, newlwp) and makes one call (a foreign thread gets its
 * lwp there) before a start barrier; after it, each calls until it has
 * made iters calls or another thread has finished, so the threads call
 * over one common interval; the figure is the threads' wall time summed
 * over the calls they made (returned scaled to iters calls): the time a
 * call takes a thread while the others call too.  With one thread that
 * is its time per call.  An op name ending in "_cpu"
 * reports the threads' CPU time (CLOCK_THREAD_CPUTIME_ID) per call
 * instead of wall time: what a call costs the code, whether or not the
 * machine gave the thread a core all along.  A request "<op> <iters> v"
 * also prints, per thread, its start and end (ns), its calls, how often
 * it slept and was preempted meanwhile, and its time on a core and
 * waiting for one (ns, Linux's schedstat; -1 without): what is left of
 * the interval is time it slept (test_bench_rumpuser_method.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#ifdef RB_WORKER
/* ================================================================== */
/* Worker: a rump kernel and the operations measured on it.           */

#include <rump/rump.h>
#include <rump/netconfig.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>

#ifdef RB_OURS
#include <rumpbridge/dom.h>
#include <rumpbridge/rumpuser.h>
#endif

#define INITPROC 1 /* where the kernel puts the temporary lwps of foreign calls */

struct job {
	const char *op;
	uint64_t iters;
	int role;		/* 0 or 1 in two-thread jobs */
	int bind;		/* B_* */
	int pfd[4];		/* pingpong: pipe 1 (0 read, 1 write), pipe 2 */
	_Atomic int *ready, *go;
	/* Set by the first thread to finish its iters: the others stop at
	 * their next call (getpid, cpuloop, cpushared; pingpong's two go in
	 * lockstep and ignore it), so all call over one interval.  Only a
	 * flag: the results are read after the threads are joined. */
	_Atomic int *stop;
	uint64_t t0, t1;	/* wall clock at the start and the end */
	uint64_t cpu_ns;	/* the thread's CPU time over [t0, t1] */
	uint64_t calls;		/* calls made in [t0, t1] */
	long sleeps, preempted;	/* the thread's voluntary and involuntary
				 * context switches in [t0, t1] */
	int64_t run_ns, runq_ns; /* time on a core, and runnable but waiting
				  * for one, in [t0, t1] (schedstat; -1 if
				  * the host has none) */
	uint64_t sink;		/* cpuloop's result, so it is computed */
	int err;		/* 0 or why the thread could not bind */
	const char *err_what;
};

enum { B_NONE, B_ADOPT, B_NEWLWP };

static int bind_self(struct job *j)
{
	int r = 0;

	if (j->bind == B_NEWLWP) {
		r = rump_pub_lwproc_newlwp(INITPROC);
		j->err_what = "rump_pub_lwproc_newlwp";
	}
#ifdef RB_OURS
	if (j->bind == B_ADOPT) {
		r = rumpbridge_adopt();
		j->err_what = "rumpbridge_adopt";
	}
#endif
	return j->err = r;
}

static void unbind_self(struct job *j)
{
	if (j->bind == B_NEWLWP)
		rump_pub_lwproc_releaselwp();
#ifdef RB_OURS
	if (j->bind == B_ADOPT)
		rumpbridge_unadopt();
#endif
}

static void yield(void)
{
#ifdef RB_OURS
	struct dom_thread *t = dom_self();
	if (t != NULL && dom_thread_is_green(t)) {
		dom_yield(); /* let the other green threads of this vCPU run */
		return;
	}
#endif
	sched_yield();
}

static void wait_go(struct job *j)
{
	atomic_fetch_add(j->ready, 1);
	while (!atomic_load(j->go))
		yield();
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The machine's baseline: about as long as a getpid on a bound lwp
 * (~40 ns on the 2-core VM), registers only, nothing shared. */
static uint64_t cpuloop(uint64_t x)
{
	for (int k = 0; k < 24; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

/* The control for the _cpu keys: cpuloop plus one write, every call, to
 * a line both threads write.  What that costs in thread CPU time when
 * two threads run at once is what one shared line a call would cost a
 * getpid, measured in the same run. */
static _Atomic uint64_t shared_line;

static uint64_t cpushared(uint64_t x)
{
	/* relaxed: a counter nobody reads; the write is the point */
	atomic_fetch_add_explicit(&shared_line, 1, memory_order_relaxed);
	return cpuloop(x);
}

/* Linux's /proc/thread-self/schedstat: time on a core and time waiting
 * for one (runnable), in ns; false if unavailable. */
static bool schedstat(int64_t *run, int64_t *runq)
{
	char buf[128];
	unsigned long long a, b;
	ssize_t n;
	int fd = open("/proc/thread-self/schedstat", O_RDONLY);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &a, &b) != 2)
		return false;
	*run = (int64_t)a;
	*runq = (int64_t)b;
	return true;
}

static bool stopped(struct job *j)
{
	/* relaxed: a flag; what the threads measured is read after join */
	return atomic_load_explicit(j->stop, memory_order_relaxed) != 0;
}

static void *run_job(void *p)
{
	struct job *j = p;
	bool getpid = strcmp(j->op, "getpid") == 0, loop = strcmp(j->op, "cpuloop") == 0;
	bool shared = strcmp(j->op, "cpushared") == 0;
	uint64_t i = 0, c0, x = 0x9e3779b97f4a7c15ull + (uint64_t)j->role;
	struct rusage u0, u1;
	int64_t run0 = 0, runq0 = 0, run1 = 0, runq1 = 0;
	bool have_sched;
	char c = 0;

	if (bind_self(j) != 0) {
		atomic_fetch_add(j->ready, 1);
		return NULL;
	}
	/* One call before the barrier: a foreign thread gets its own lwp
	 * here (ours), as adopted and bound threads get theirs in
	 * bind_self; the figure is the steady cost of a call. */
	if (getpid)
		(void)rump_sys_getpid();
	wait_go(j);
	have_sched = schedstat(&run0, &runq0);
	getrusage(RUSAGE_THREAD, &u0);
	j->t0 = clock_ns();
	c0 = thread_cpu_ns();
	if (getpid) {
		/* the first call is made whatever: every thread counts one */
		for (; i < j->iters && (i == 0 || !stopped(j)); i++)
			(void)rump_sys_getpid();
	} else if (loop) {
		for (; i < j->iters && (i == 0 || !stopped(j)); i++)
			x = cpuloop(x);
	} else if (shared) {
		for (; i < j->iters && (i == 0 || !stopped(j)); i++)
			x = cpushared(x);
	} else if (j->role == 0) { /* pingpong: ping (the two go in lockstep: no stop) */
		for (; i < j->iters; i++)
			if (rump_sys_write(j->pfd[1], &c, 1) != 1 || rump_sys_read(j->pfd[2], &c, 1) != 1)
				abort();
	} else { /* pingpong: pong */
		for (; i < j->iters; i++)
			if (rump_sys_read(j->pfd[0], &c, 1) != 1 || rump_sys_write(j->pfd[3], &c, 1) != 1)
				abort();
	}
	atomic_store_explicit(j->stop, 1, memory_order_relaxed); /* a flag, see stopped() */
	j->cpu_ns = thread_cpu_ns() - c0;
	j->t1 = clock_ns();
	getrusage(RUSAGE_THREAD, &u1);
	have_sched = have_sched && schedstat(&run1, &runq1);
	j->sleeps = u1.ru_nvcsw - u0.ru_nvcsw;
	j->preempted = u1.ru_nivcsw - u0.ru_nivcsw;
	j->run_ns = have_sched ? run1 - run0 : -1;
	j->runq_ns = have_sched ? runq1 - runq0 : -1;
	j->calls = i;
	j->sink = x;
	unbind_self(j);
	return NULL;
}

/* A job's threads: host pthreads, or (ours) green threads of the kernel's
 * domain. */
struct runner {
	pthread_t pt;
#ifdef RB_OURS
	struct dom_thread *gt;
#endif
};

static int start(struct runner *r, bool green, struct job *j)
{
#ifdef RB_OURS
	r->gt = NULL;
	if (green) {
		struct dom_thread_attr a = {.name = "bench", .vcpu = -1};
		return dom_thread_create(rumpbridge_domain(), &r->gt, &a, run_job, j);
	}
#else
	(void)green;
#endif
	return pthread_create(&r->pt, NULL, run_job, j);
}

static void join(struct runner *r)
{
#ifdef RB_OURS
	if (r->gt != NULL) {
		struct dom *d = rumpbridge_domain();
		dom_enter(d);
		dom_thread_join(r->gt, NULL);
		dom_leave(d);
		return;
	}
#endif
	pthread_join(r->pt, NULL);
}

/* Run nthreads threads of one kind (see the comment at the top: one
 * common interval, the threads' time over their calls, scaled to iters
 * calls; cpu: their CPU time instead).  trace: where to print each
 * thread's interval and calls, or NULL. */
static int run(const char *op, int nthreads, bool green, int bind, uint64_t iters, bool cpu,
	       uint64_t *ns, char *trace, size_t tracelen, char *why, size_t whylen)
{
	struct job j[2];
	struct runner r[2];
	_Atomic int ready = 0, go = 0, stop = 0;
	int pfd[4] = {-1, -1, -1, -1}, ret = 0;
	double busy_ns = 0, calls = 0;

	if (strcmp(op, "pingpong") == 0) {
		if (rump_sys_pipe(pfd) != 0 || rump_sys_pipe(pfd + 2) != 0) {
			snprintf(why, whylen, "rump_sys_pipe: errno %d", errno);
			return -1;
		}
	}
	for (int i = 0; i < nthreads; i++) {
		j[i] = (struct job){.op = op, .iters = iters, .role = i, .bind = bind,
				    .ready = &ready, .go = &go, .stop = &stop};
		memcpy(j[i].pfd, pfd, sizeof(pfd));
		if (start(&r[i], green, &j[i]) != 0) {
			snprintf(why, whylen, "cannot start a thread");
			abort(); /* earlier threads wait for go: nothing sane to do */
		}
	}
	while (atomic_load(&ready) < nthreads)
		sched_yield();
	atomic_store(&go, 1);
	for (int i = 0; i < nthreads; i++)
		join(&r[i]);
	for (int i = 0; i < nthreads; i++) {
		if (j[i].err != 0) {
			if (ret == 0)
				snprintf(why, whylen, "%s: %d", j[i].err_what, j[i].err);
			ret = -1;
			continue;
		}
		busy_ns += (double)(cpu ? j[i].cpu_ns : j[i].t1 - j[i].t0);
		calls += (double)j[i].calls;
		if (trace != NULL) {
			size_t k = strlen(trace);
			snprintf(trace + k, tracelen - k, " %llu %llu %llu %ld %ld %lld %lld",
				 (unsigned long long)j[i].t0, (unsigned long long)j[i].t1,
				 (unsigned long long)j[i].calls, j[i].sleeps, j[i].preempted,
				 (long long)j[i].run_ns, (long long)j[i].runq_ns);
		}
	}
	*ns = calls > 0 ? (uint64_t)(busy_ns / calls * (double)iters + 0.5) : 0;
	if (*ns == 0)
		*ns = 1; /* 0 is the driver's "failed" */
	if (pfd[0] >= 0)
		for (int i = 0; i < 4; i++)
			rump_sys_close(pfd[i]);
	return ret;
}

/* One request: "<name> <iters>"; a name ending in "_cpu" measures CPU
 * time (see run()). */
static int serve(const char *name, uint64_t iters, uint64_t *ns, char *trace, size_t tracelen,
		 char *why, size_t whylen)
{
	static const struct {
		const char *name, *op;
		int threads;
		bool green;
		int bind;
	} ops[] = {
		{"getpid_foreign", "getpid", 1, false, B_NONE},
		{"getpid_foreign_2threads", "getpid", 2, false, B_NONE},
		{"getpid_bound_host", "getpid", 1, false, B_NEWLWP},
		{"getpid_bound_host_2threads", "getpid", 2, false, B_NEWLWP},
		{"pingpong_bound_host", "pingpong", 2, false, B_NEWLWP},
		{"cpuloop", "cpuloop", 1, false, B_NONE},
		{"cpuloop_2threads", "cpuloop", 2, false, B_NONE},
		{"cpushared", "cpushared", 1, false, B_NONE},
		{"cpushared_2threads", "cpushared", 2, false, B_NONE},
#ifdef RB_OURS
		{"getpid_adopted", "getpid", 1, false, B_ADOPT},
		{"getpid_adopted_2threads", "getpid", 2, false, B_ADOPT},
		{"getpid_bound", "getpid", 1, true, B_NEWLWP},
		{"pingpong_bound", "pingpong", 2, true, B_NEWLWP},
		{"pingpong_adopted", "pingpong", 2, false, B_ADOPT},
#else
		/* NetBSD's rump kernel threads are pthreads */
		{"getpid_bound", "getpid", 1, false, B_NEWLWP},
		{"pingpong_bound", "pingpong", 2, false, B_NEWLWP},
#endif
	};
	size_t len = strlen(name);
	bool cpu = len > 4 && strcmp(name + len - 4, "_cpu") == 0;

	if (cpu)
		len -= 4;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strlen(ops[i].name) == len && strncmp(ops[i].name, name, len) == 0)
			return run(ops[i].op, ops[i].threads, ops[i].green, ops[i].bind, iters, cpu,
				   ns, trace, tracelen, why, whylen);
	snprintf(why, whylen, "no such operation on this librumpuser");
	return -1;
}

/* ---- UDP over shmif: two processes, two kernels ---- */

struct nb_sockaddr_in {
	uint8_t sin_len, sin_family;
	uint16_t sin_port;
	uint32_t sin_addr;
	uint8_t sin_zero[8];
};

struct udp_shared {
	_Atomic uint64_t received, bytes;
	_Atomic int ready, warm, fail;
};

#define UDP_PORT 9494
#define UDP_DGRAM 1400
#define UDP_WINDOW 64

static struct nb_sockaddr_in inaddr(uint32_t host_order, uint16_t port)
{
	struct nb_sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_len = sizeof(a);
	a.sin_family = RUMP_AF_INET;
	a.sin_port = __builtin_bswap16(port);
	a.sin_addr = __builtin_bswap32(host_order);
	return a;
}

static int udp_kernel(const char *bus, const char *addr)
{
	int ifnum = -1;
	char ifname[16];

	if (rump_init() != 0 || rump_pub_shmif_create(bus, &ifnum) != 0)
		return -1;
	snprintf(ifname, sizeof(ifname), "shmif%d", ifnum);
	if (rump_pub_netconfig_ipv4_ifaddr(ifname, addr, "255.255.255.0") != 0 ||
	    rump_pub_netconfig_ifup(ifname) != 0)
		return -1;
	/* Both ends take their calls on a bound lwp. */
	return rump_pub_lwproc_newlwp(INITPROC) == 0 ? 0 : -1;
}

static int udp_receiver(struct udp_shared *sh, const char *bus, uint64_t total)
{
	struct nb_sockaddr_in a = inaddr(0x0a5e0002, UDP_PORT);
	char buf[2048];
	int fd, rcvbuf = 256 * 1024;

	if (udp_kernel(bus, "10.94.0.2") != 0 ||
	    (fd = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0)) < 0)
		return 1;
	while (rump_sys_setsockopt(fd, RUMP_SOL_SOCKET, RUMP_SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) &&
	       rcvbuf > 65536)
		rcvbuf /= 2;
	if (rump_sys_bind(fd, (void *)&a, sizeof(a)) != 0)
		return 1;
	atomic_store(&sh->ready, 1);
	while (atomic_load(&sh->received) < total && !atomic_load(&sh->fail)) {
		ssize_t n = rump_sys_recvfrom(fd, buf, sizeof(buf), 0, NULL, NULL);
		if (n < 0)
			return 1;
		if (n == 1) {
			atomic_store(&sh->warm, 1);
			continue;
		}
		atomic_fetch_add(&sh->bytes, (uint64_t)n);
		atomic_fetch_add(&sh->received, 1);
	}
	return 0;
}

static void pause_us(unsigned us)
{
	struct timespec ts = {0, (long)us * 1000};
	nanosleep(&ts, NULL);
}

/* Prints "<MB/s>" or "err <why>". */
static int udp_main(double mbytes)
{
	struct udp_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char dir[] = "/tmp/rb-bench-shmif-XXXXXX", bus[64], buf[UDP_DGRAM];
	uint64_t total = (uint64_t)(mbytes * 1e6 / UDP_DGRAM), t0, t1, deadline;
	struct nb_sockaddr_in to = inaddr(0x0a5e0002, UDP_PORT);
	int fd, status;
	pid_t child;

	if (sh == MAP_FAILED || mkdtemp(dir) == NULL)
		return 1;
	snprintf(bus, sizeof(bus), "%s/bus", dir);
	if ((child = fork()) == 0)
		_exit(udp_receiver(sh, bus, total));
	alarm(120);
	if (udp_kernel(bus, "10.94.0.1") != 0 ||
	    (fd = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0)) < 0) {
		printf("err sender kernel setup\n");
		goto fail;
	}
	deadline = clock_ns() + 30000000000ull;
	while (!atomic_load(&sh->ready) || !atomic_load(&sh->warm)) {
		if (clock_ns() > deadline) {
			printf("err the receiver is not reachable\n");
			goto fail;
		}
		if (atomic_load(&sh->ready))
			rump_sys_sendto(fd, "w", 1, 0, (void *)&to, sizeof(to));
		pause_us(10000);
	}
	memset(buf, 0x5a, sizeof(buf));
	t0 = clock_ns();
	deadline = t0 + 60000000000ull;
	for (uint64_t i = 0; i < total; i++) {
		while (i >= atomic_load(&sh->received) + UDP_WINDOW) {
			if (clock_ns() > deadline) {
				printf("err stalled after %llu datagrams\n",
				       (unsigned long long)atomic_load(&sh->received));
				goto fail;
			}
			sched_yield();
		}
		while (rump_sys_sendto(fd, buf, sizeof(buf), 0, (void *)&to, sizeof(to)) < 0) {
			if (errno != RUMP_ENOBUFS) {
				printf("err sendto: errno %d\n", errno);
				goto fail;
			}
			sched_yield();
		}
	}
	while (atomic_load(&sh->received) < total) {
		if (clock_ns() > deadline) {
			printf("err lost %llu datagrams\n",
			       (unsigned long long)(total - atomic_load(&sh->received)));
			goto fail;
		}
		sched_yield();
	}
	t1 = clock_ns();
	waitpid(child, &status, 0);
	printf("%.3f\n", (double)atomic_load(&sh->bytes) * 1e3 / (double)(t1 - t0));
	unlink(bus);
	rmdir(dir);
	return 0;
fail:
	atomic_store(&sh->fail, 1);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	unlink(bus);
	rmdir(dir);
	return 1;
}

int main(int argc, char **argv)
{
	char line[256], name[128], why[160], flag[8], trace[512];
	unsigned long long iters;
	uint64_t ns;
	int r, nf;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "--udp") == 0) {
		r = udp_main(atof(argv[2]));
		fflush(stdout);
		_exit(r); /* the kernel's threads are still running */
	}
	if (argc != 2 || strcmp(argv[1], "--worker") != 0) {
		fprintf(stderr, "usage: %s --worker | --udp MB (run by bench_rumpuser)\n", argv[0]);
		return 2;
	}
	if ((r = rump_init()) != 0) {
		printf("err rump_init: %d\n", r);
		return 1;
	}
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin) != NULL) {
		/* "<op> <iters>" or "<op> <iters> v" (v: each thread's t0 t1 calls too) */
		if ((nf = sscanf(line, "%127s %llu %7s", name, &iters, flag)) < 2 || iters == 0)
			break;
		trace[0] = '\0';
		if (serve(name, iters, &ns, nf == 3 && strcmp(flag, "v") == 0 ? trace : NULL,
			  sizeof(trace), why, sizeof(why)) == 0)
			printf("%llu%s\n", (unsigned long long)ns, trace);
		else
			printf("err %s\n", why);
	}
	fflush(stdout);
	_exit(0);
}

#else
/* ================================================================== */
/* Driver                                                              */

#include "bench.h"
#include "bench_rumpuser_sp.h"

struct worker {
	const char *label;
	const char *path;
	const char *env; /* NAME=value for the worker, or NULL */
	pid_t pid;
	FILE *in, *out;
	bool up;
};

static struct worker ours = {.label = "ours", .path = RB_WORKER_OURS};
static struct worker percall = {.label = "ours per call", .path = RB_WORKER_OURS,
				.env = "RUMPBRIDGE_FOREIGN_LWP=0"};
#ifdef RB_WORKER_NETBSD
static struct worker netbsd = {.label = "NetBSD", .path = RB_WORKER_NETBSD};
#endif

static bool worker_start(struct worker *w)
{
	int to[2], from[2];
	char line[256];

	/* close-on-exec: a later worker must not hold this one's stdin open */
	if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0)
		return false;
	if ((w->pid = fork()) == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[0]), close(to[1]), close(from[0]), close(from[1]);
		if (w->env != NULL)
			putenv((char *)w->env);
		execl(w->path, w->path, "--worker", (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	w->in = fdopen(to[1], "w");
	w->out = fdopen(from[0], "r");
	if (w->pid < 0 || w->in == NULL || w->out == NULL || fgets(line, sizeof(line), w->out) == NULL ||
	    strncmp(line, "ready", 5) != 0) {
		fprintf(stderr, "bench_rumpuser: the %s worker (%s) did not start\n", w->label,
			w->path);
		return false;
	}
	w->up = true;
	return true;
}

static void worker_stop(struct worker *w)
{
	if (!w->up)
		return;
	fclose(w->in);
	fclose(w->out);
	waitpid(w->pid, NULL, 0);
	w->up = false;
}

/* A request; returns the worker's ns, or 0 with *why filled. */
static uint64_t ask(struct worker *w, const char *op, uint64_t iters, char *why, size_t whylen)
{
	char line[256];

	fprintf(w->in, "%s %llu\n", op, (unsigned long long)iters);
	fflush(w->in);
	if (fgets(line, sizeof(line), w->out) == NULL) {
		snprintf(why, whylen, "the worker died");
		w->up = false;
		return 0;
	}
	if (strncmp(line, "err ", 4) == 0) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(why, whylen, "%.120s", line + 4);
		return 0;
	}
	return strtoull(line, NULL, 10);
}

struct remote {
	struct worker *w;
	const char *op;
};

static uint64_t remote_fn(void *arg, uint64_t iters)
{
	struct remote *r = arg;
	char why[160];
	uint64_t ns = ask(r->w, r->op, iters, why, sizeof(why));

	if (ns == 0) {
		fprintf(stderr, "bench_rumpuser: %s %s failed after the probe: %s\n", r->w->label,
			r->op, why);
		exit(1);
	}
	return ns;
}

struct spec {
	struct worker *w;
	const char *op, *key, *what;
};

/* Keep the cases a short probe shows to work; say why for the others. */
static int usable(struct spec *in, int n, struct rb_bench_case *out, struct remote *rem)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		char why[160];
		if (!in[i].w->up)
			continue;
		if (ask(in[i].w, in[i].op, 16, why, sizeof(why)) == 0) {
			printf("%-34s %14s  %s: %s\n", in[i].key, "n/a", in[i].w->label, why);
			continue;
		}
		rem[k] = (struct remote){in[i].w, in[i].op};
		out[k] = (struct rb_bench_case){in[i].key, in[i].what, remote_fn, &rem[k]};
		k++;
	}
	return k;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* MB/s of one "--udp" run, or a negative value. */
static double udp_once(struct worker *w, double mb)
{
	char cmd[512], line[256];
	double v = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --udp %g", w->path, mb);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), p) != NULL) {
		if (strncmp(line, "err", 3) == 0)
			fprintf(stderr, "bench_rumpuser: %s udp: %s", w->label, line);
		else
			v = atof(line);
	}
	pclose(p);
	return v;
}

static void udp_compare(struct rb_bench *b, struct worker **ws, const char **keys,
			const char **whats, int n)
{
	enum { MAXR = 32 };
	double v[2][MAXR];
	int reps = rb_bench_reps(b) > MAXR ? MAXR : rb_bench_reps(b), got[2] = {0, 0};
	double mb = rb_bench_quick(b) ? 2 : 20;

	for (int i = 0; i < reps; i++)
		for (int k = 0; k < n; k++) {
			double x = udp_once(ws[k], mb);
			if (x > 0)
				v[k][got[k]++] = x;
		}
	for (int k = 0; k < n; k++) {
		if (got[k] == 0) {
			printf("%-34s %14s  %s: every run failed\n", keys[k], "n/a", ws[k]->label);
			continue;
		}
		qsort(v[k], (size_t)got[k], sizeof(double), cmp_d);
		rb_bench_value(b, keys[k], whats[k], v[k][got[k] / 2], "MB/s");
	}
}

int main(int argc, char **argv)
{
	struct rb_bench *b = rb_bench_open("bench_rumpuser", argc, argv);
	struct rb_bench_case cases[8];
	struct remote rem[8];
	int n;

	if (b == NULL)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (!worker_start(&ours) || !worker_start(&percall))
		return 1;
#ifdef RB_WORKER_NETBSD
	worker_start(&netbsd);
	struct worker *nb = &netbsd;
#else
	static struct worker none = {.label = "NetBSD", .path = ""};
	struct worker *nb = &none;
	printf("(no NetBSD librumpuser in the kernel's install: no NetBSD columns)\n");
#endif

	/* Two threads against one, interleaved in one group: ours foreign,
	 * ours and NetBSD's bound pthreads, and the machine's own baseline
	 * (cpuloop: no kernel, nothing shared).  The key is
	 * getpid_foreign_2threads_ns / getpid_foreign_ns (<= 1.3). */
	struct spec scaling[] = {
		{&ours, "getpid_foreign", "getpid_foreign_ns",
		 "ours: rump_sys_getpid, plain host thread (own lwp)"},
		{&ours, "getpid_foreign_2threads", "getpid_foreign_2threads_ns",
		 "ours: per call, 2 plain host threads at once"},
		{&ours, "getpid_bound_host", "getpid_bound_host_ns",
		 "ours: rump_sys_getpid, pthread + newlwp"},
		{&ours, "getpid_bound_host_2threads", "getpid_bound_host_2threads_ns",
		 "ours: per call, 2 pthreads + newlwp at once"},
		{nb, "getpid_bound", "netbsd_getpid_bound_ns",
		 "NetBSD: rump_sys_getpid, pthread with its own lwp"},
		{nb, "getpid_bound_host_2threads", "netbsd_getpid_bound_2threads_ns",
		 "NetBSD: per call, 2 pthreads with lwps at once"},
		{&ours, "cpuloop", "cpuloop_ns", "machine: a computation, 1 thread (no kernel)"},
		{&ours, "cpuloop_2threads", "cpuloop_2threads_ns",
		 "machine: the same computation, 2 threads at once"},
	};
	n = usable(scaling, 8, cases, rem);
	rb_bench_compare(b, cases, n);

	/* The same in thread CPU time: what a call costs the code whether or
	 * not the machine gave each thread a core all along. */
	struct spec cpu[] = {
		{&ours, "getpid_foreign_cpu", "getpid_foreign_cpu_ns",
		 "ours: thread CPU time per call, 1 plain host thread"},
		{&ours, "getpid_foreign_2threads_cpu", "getpid_foreign_2threads_cpu_ns",
		 "ours: thread CPU time per call, 2 plain host threads"},
		{&ours, "cpuloop_cpu", "cpuloop_cpu_ns", "machine: thread CPU time, 1 thread"},
		{&ours, "cpuloop_2threads_cpu", "cpuloop_2threads_cpu_ns",
		 "machine: thread CPU time, 2 threads"},
		{&ours, "cpushared_cpu", "cpushared_cpu_ns",
		 "control: + a write to a shared line, 1 thread"},
		{&ours, "cpushared_2threads_cpu", "cpushared_2threads_cpu_ns",
		 "control: + a write to a shared line, 2 threads"},
	};
	n = usable(cpu, 6, cases, rem);
	rb_bench_compare(b, cases, n);

	struct spec getpid[] = {
		{&percall, "getpid_foreign", "getpid_foreign_percall_ns",
		 "ours per call: plain host thread (no lwp)"},
		{&ours, "getpid_adopted", "getpid_adopted_ns",
		 "ours: rump_sys_getpid after rumpbridge_adopt"},
		{&ours, "getpid_bound", "getpid_bound_ns",
		 "ours: rump_sys_getpid, green thread with its own lwp"},
		{nb, "getpid_foreign", "netbsd_getpid_foreign_ns",
		 "NetBSD: rump_sys_getpid, host thread (no lwp)"},
	};
	n = usable(getpid, 4, cases, rem);
	rb_bench_compare(b, cases, n);

	struct spec getpid2[] = {
		{&ours, "getpid_adopted_2threads", "getpid_adopted_2threads_ns",
		 "ours: per call, 2 adopted threads calling at once"},
		{&percall, "getpid_foreign_2threads", "getpid_foreign_percall_2threads_ns",
		 "ours per call: 2 plain host threads (no lwp)"},
		{nb, "getpid_foreign_2threads", "netbsd_getpid_foreign_2threads_ns",
		 "NetBSD: per call, 2 host threads (no lwp) at once"},
	};
	n = usable(getpid2, 3, cases, rem);
	rb_bench_compare(b, cases, n);

	struct spec pp[] = {
		{&ours, "pingpong_bound", "cv_pingpong_ns",
		 "ours: rump pipe round trip, 2 bound green threads"},
		{&ours, "pingpong_adopted", "cv_pingpong_adopted_ns",
		 "ours: rump pipe round trip, 2 adopted host threads"},
		{&ours, "pingpong_bound_host", "cv_pingpong_host_ns",
		 "ours: rump pipe round trip, 2 pthreads + newlwp"},
		{nb, "pingpong_bound", "netbsd_cv_pingpong_ns",
		 "NetBSD: rump pipe round trip, 2 pthreads + newlwp"},
	};
	n = usable(pp, 4, cases, rem);
	rb_bench_compare(b, cases, n);
	worker_stop(&ours);
	worker_stop(&percall);
	worker_stop(nb);

	struct worker *uw[2] = {&ours, nb};
	const char *ukeys[2] = {"udp_shmif_mbps", "netbsd_udp_shmif_mbps"};
	const char *uwhat[2] = {"ours: UDP over shmif, 1400 B, 2 processes",
				"NetBSD: UDP over shmif, 1400 B, 2 processes"};
#ifdef RB_WORKER_NETBSD
	udp_compare(b, uw, ukeys, uwhat, 2);
#else
	udp_compare(b, uw, ukeys, uwhat, 1);
#endif

#ifdef RB_SP_CLIENT
	rb_sp_bench(b);
#else
	printf("(no sysproxy or tmpfs in the kernel's install: no sysproxy figures)\n");
#endif

	rb_bench_ratio(b, "adopted vs bound (ours)", "getpid_adopted_ns", "getpid_bound_ns",
		       "<= 1.5");
	rb_bench_ratio(b, "NetBSD foreign vs ours adopted", "netbsd_getpid_foreign_ns",
		       "getpid_adopted_ns", ">= 10");
	rb_bench_ratio(b, "NetBSD foreign x2 vs ours adopted x2",
		       "netbsd_getpid_foreign_2threads_ns", "getpid_adopted_2threads_ns", ">= 10");
	rb_bench_ratio(b, "adopted: 2 threads vs 1 (collapse?)", "getpid_adopted_2threads_ns",
		       "getpid_adopted_ns", "no collapse (~1-2)");
	rb_bench_ratio(b, "NetBSD bound: 2 threads vs 1", "netbsd_getpid_bound_2threads_ns",
		       "netbsd_getpid_bound_ns", "report");
	rb_bench_ratio(b, "foreign vs bound (ours)", "getpid_foreign_ns", "getpid_bound_ns",
		       "<= 1.5");
	rb_bench_ratio(b, "NetBSD foreign vs ours foreign", "netbsd_getpid_foreign_ns",
		       "getpid_foreign_ns", ">= 10");
	rb_bench_ratio(b, "NetBSD foreign x2 vs ours foreign x2",
		       "netbsd_getpid_foreign_2threads_ns", "getpid_foreign_2threads_ns", ">= 10");
	rb_bench_ratio(b, "foreign: 2 threads vs 1 (ours)", "getpid_foreign_2threads_ns",
		       "getpid_foreign_ns", "<= 1.3");
	rb_bench_ratio(b, "bound pthreads: 2 threads vs 1 (ours)", "getpid_bound_host_2threads_ns",
		       "getpid_bound_host_ns", "report");
	rb_bench_ratio(b, "machine: 2 threads vs 1 (no kernel)", "cpuloop_2threads_ns",
		       "cpuloop_ns", "report (1.0 on two free cores)");
	rb_bench_ratio(b, "foreign, CPU time: 2 threads vs 1 (ours)",
		       "getpid_foreign_2threads_cpu_ns", "getpid_foreign_cpu_ns",
		       "report (> 1: the threads slow each other)");
	rb_bench_ratio(b, "machine, CPU time: 2 threads vs 1", "cpuloop_2threads_cpu_ns",
		       "cpuloop_cpu_ns", "report");
	rb_bench_ratio(b, "control, CPU time: 1 shared line a call, 2 threads vs 1",
		       "cpushared_2threads_cpu_ns", "cpushared_cpu_ns",
		       "report (what one shared line a call costs in this run)");
	rb_bench_ratio(b, "foreign per call: ours vs NetBSD", "getpid_foreign_percall_ns",
		       "netbsd_getpid_foreign_ns", "report");
	rb_bench_ratio(b, "pipe ping-pong: ours green vs NetBSD", "cv_pingpong_ns",
		       "netbsd_cv_pingpong_ns", "report");
	rb_bench_ratio(b, "UDP over shmif: ours vs NetBSD", "udp_shmif_mbps", "netbsd_udp_shmif_mbps",
		       "report");
	return rb_bench_close(b);
}
#endif
