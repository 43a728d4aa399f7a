/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_comp: the connectors between component processes against what
 * Linux offers, same run: rings, ping-pongs, PPC round trips and the idle
 * CPU of a 4-PD system.
 *
 *   ring_64 / ring_1500   messages of 64 / 1500 bytes through a comp_ring
 *                         between two processes over a memfd region:
 *                         the producer takes free buffers, writes the
 *                         messages, puts them on the active queue; the
 *                         consumer reads every byte (a checksum) and gives
 *                         the buffers back.  Batches of up to 32, the
 *                         sDDF way; ring_64_single: one descriptor per
 *                         call.  Each side polls 5 us before it sleeps
 *                         (channel spin_ns); ring_64_nospin: without, the
 *                         pure sDDF protocol.  A run moves at least
 *                         200000 messages.
 *   pipe_64, unixsock_64  the same 64-byte messages, one write / send per
 *                         message, through a pipe and an AF_UNIX
 *                         SOCK_SEQPACKET socket pair, between two processes.
 *   ring_signals_per_msg  signals both sides of ring_64 sent, per message,
 *                         under that sustained load.
 *   notify_pingpong       round trip between two processes over two
 *                         MK_SHARED mk_notifications;
 *   notify_pingpong_traced the same, each side recording what a traced PD
 *                         records for it (rumpbridge-run --trace): notify
 *                         before the signal, notified and its end after
 *                         the wait (dom_trace_record under a trace source);
 *                         RUMPBRIDGE_TRACE=OFF: untraced (-ENOTSUP).
 *   futex_process_pingpong the floor: a raw shared futex word each way.
 *   ppcall_rtt            a PPC between two processes the way the PD runtime
 *                         makes one (microkit_ppcall / serve loop): one
 *                         message register through the callee's per-channel
 *                         buffer, mk_endpoint_call on an MK_SHARED | MK_SPIN
 *                         endpoint (the launcher's flags), mk_endpoint_recv +
 *                         mk_endpoint_reply on the other side; the reply
 *                         (MR + 1) is checked.  ppcall_rtt_nospin: the same
 *                         on an endpoint without MK_SPIN (no polling).
 *   unixsock_rpc_rtt      the same request/reply (8 bytes each way) over an
 *                         AF_UNIX SOCK_SEQPACKET socket pair.
 *   futex_process_pingpong_rpc  the raw futex round trip again, in the same
 *                         interleaved batch as the three above.
 *                         The four run three times: placed by the scheduler
 *                         (these names), each process on its own CPU
 *                         (suffix _2cpu: the first two CPUs the program may
 *                         use) and both on one CPU (_1cpu, as under taskset
 *                         -c 0).  BENCH_COMP_ONLY=rpc runs only these.
 *                         BENCH_COMP_PPC_STATS=1 prints, per call, what
 *                         the polls and sleeps of each PPC case did (=all:
 *                         after every run).
 *   ppcall_pd_rtt_ns      (bench_comp_system.c) the same PPC between two real
 *                         PD processes started by rumpbridge-run (PD
 *                         runtime, seccomp filter and all), timed by the
 *                         calling PD.
 *   idle_cpu_ms           (bench_comp_system.c) CPU time of the PD processes
 *                         of a 4-PD system left idle for 5 s.
 *                         BENCH_COMP_ONLY=pd runs only these two.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rumpbridge/mk.h>
#include <rumpbridge/ring.h>
#include <rumpbridge/trace.h>

#include "bench.h"
#include "bench_comp_system.h"
#include "mk/linux/endpoint_stats.h"

#define CAP 512u
#define BATCH 32u

/* Shared between the two processes of one measurement. */
struct xctl {
	struct mk_notification pn, cn; /* producer's / consumer's notification */
	struct mk_notification hn;     /* the child's hand-shake: ready, done */
	struct comp_ring_stats cst;    /* the consumer's counters, at the end */
	uint64_t sum;		       /* the consumer's checksum */
	_Atomic uint32_t fw[2];	       /* raw futex words */
	struct mk_endpoint ep;	       /* ppcall_rtt: the callee's endpoint */
	uint64_t ipc[4];	       /* ppcall_rtt: the channel's MR buffer */
	struct mk_endpoint_stats srv_stats; /* ppcall_rtt: the server's counts */
};

static struct xctl *xctl_new(void)
{
	struct xctl *x = mmap(NULL, sizeof(*x), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			      -1, 0);
	if (x == MAP_FAILED)
		abort();
	memset(x, 0, sizeof(*x));
	mk_notification_init(&x->pn, MK_SHARED);
	mk_notification_init(&x->cn, MK_SHARED);
	mk_notification_init(&x->hn, MK_SHARED);
	mk_endpoint_init(&x->ep, MK_SHARED);
	return x;
}

static void xctl_free(struct xctl *x)
{
	munmap(x, sizeof(*x));
}

/* The harness keeps its medians to itself: each measured function also
 * notes its ns per message here, and the rate rows take the median of the
 * last `reps` notes, which are the harness's own repetitions (it
 * calibrates every case first, then runs the repetitions). */
#define NOTES 256
struct notes {
	double v[NOTES];
	int n;
};

static void note(struct notes *s, uint64_t ns, uint64_t iters)
{
	s->v[s->n++ % NOTES] = (double)ns / (double)iters;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double notes_median(const struct notes *s, int last)
{
	double v[NOTES];

	if (last > s->n)
		last = s->n;
	if (last > NOTES)
		last = NOTES;
	if (last == 0)
		return 0;
	for (int i = 0; i < last; i++)
		v[i] = s->v[(s->n - 1 - i) % NOTES];
	qsort(v, (size_t)last, sizeof(double), cmp_double);
	return v[last / 2];
}

/* The clock runs from the child's "ready" to its "done": fork, exec of
 * the child's set-up and its exit stay out of the figures. */
#define READY 1
#define DONE 2

/* Where the two processes of a measurement run (rpc_batch): the
 * measuring process on cpu_parent, its child on cpu_child; -1: where the
 * scheduler puts them. */
static int cpu_parent = -1, cpu_child = -1;
static cpu_set_t cpus_allowed; /* the process's own mask, restored after a batch */

static void pin_to(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0) {
		perror("bench_comp: sched_setaffinity");
		exit(1);
	}
}

static void child_says(struct xctl *x, uint64_t what)
{
	if (what == READY)
		pin_to(cpu_child);
	mk_notification_signal(&x->hn, what);
}

static void await_child(struct xctl *x, uint64_t what)
{
	uint64_t w;

	while (mk_notification_wait(&x->hn, &w) == 0 && (w & what) == 0)
		;
}

static void join_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_comp: a child process failed\n");
		exit(1);
	}
}

/* ---- rings ---- */

struct ringb {
	uint32_t msg;	/* message bytes */
	int single;	/* one descriptor per call */
	uint32_t spin_ns; /* poll before sleeping */
	struct comp_ring_stats pst, cst; /* of the last run */
	uint64_t msgs;
	struct notes notes;
};

static uint64_t consume_ring(struct comp_ring *r, uint64_t iters, uint32_t msg, int single)
{
	struct comp_ring_desc d[BATCH];
	uint64_t sum = 0;
	unsigned want = single ? 1 : BATCH;

	for (uint64_t got = 0; got < iters;) {
		int k = comp_ring_dequeue_batch(r, d, want, COMP_RING_WAIT);
		if (k <= 0)
			_exit(2);
		for (int i = 0; i < k; i++) {
			const uint64_t *b = comp_ring_buf(r, &d[i]);
			if (b == NULL || d[i].len != msg)
				_exit(3);
			for (uint32_t j = 0; j < msg / 8; j++)
				sum += b[j];
		}
		if (comp_ring_enqueue_batch(r, d, (unsigned)k, COMP_RING_WAIT) != k)
			_exit(4);
		got += (uint64_t)k;
	}
	return sum;
}

static uint64_t produce_ring(struct comp_ring *r, uint64_t iters, uint32_t msg, int single)
{
	struct comp_ring_desc d[BATCH];
	uint64_t sum = 0, seq = 0;
	unsigned want = single ? 1 : BATCH;

	while (seq < iters) {
		unsigned n = iters - seq < want ? (unsigned)(iters - seq) : want;
		int k = comp_ring_dequeue_batch(r, d, n, COMP_RING_WAIT);
		if (k <= 0)
			abort();
		for (int i = 0; i < k; i++, seq++) {
			uint64_t *b = comp_ring_buf(r, &d[i]);
			for (uint32_t j = 0; j < msg / 8; j++)
				sum += b[j] = seq + j;
			d[i].len = msg;
		}
		if (comp_ring_enqueue_batch(r, d, (unsigned)k, COMP_RING_WAIT) != k)
			abort();
	}
	return sum;
}

/* A run of a few messages measures wake-up latency, not throughput, and
 * on a loaded host one wake-up can take milliseconds, which would make
 * the harness calibrate to a handful of messages: a run moves at least
 * RING_MIN_MSGS, and reports its time scaled to the iters asked for. */
#define RING_MIN_MSGS 200000u

static uint64_t bench_ring_n(struct ringb *rb, uint64_t iters);

static uint64_t bench_ring(void *arg, uint64_t iters)
{
	struct ringb *rb = arg;
	uint64_t n = iters < RING_MIN_MSGS ? RING_MIN_MSGS : iters;
	uint64_t ns = bench_ring_n(rb, n);

	note(&rb->notes, ns, n);
	return (uint64_t)((double)ns * (double)iters / (double)n);
}

static uint64_t bench_ring_n(struct ringb *rb, uint64_t iters)
{
	struct xctl *x = xctl_new();
	size_t size = comp_ring_size(CAP, (uint64_t)CAP * rb->msg);
	struct mk_region reg;
	struct comp_ring r;
	struct comp_ring_notification pw = {&x->pn, 1, 0}, cw = {&x->cn, 1, 0};
	struct comp_ring_notification to_c = {&x->cn, 1, 0}, to_p = {&x->pn, 1, 0};
	uint64_t t0, t1, sum;

	if (mk_region_create(&reg, "bench-ring", size) != 0 ||
	    comp_ring_format(reg.base, size, CAP, (uint64_t)CAP * rb->msg, rb->msg) != 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		struct comp_ring_channel cc = {comp_ring_notification_signal, &to_p,
					       comp_ring_notification_wait, &cw, rb->spin_ns};
		if (comp_ring_attach(&r, reg.base, size, COMP_RING_CONSUMER, CAP, &cc) != 0)
			_exit(1);
		child_says(x, READY);
		x->sum = consume_ring(&r, iters, rb->msg, rb->single);
		comp_ring_get_stats(&r, &x->cst);
		child_says(x, DONE);
		_exit(0);
	}
	struct comp_ring_channel pc = {comp_ring_notification_signal, &to_c,
				       comp_ring_notification_wait, &pw, rb->spin_ns};
	if (comp_ring_attach(&r, reg.base, size, COMP_RING_PRODUCER, CAP, &pc) != 0)
		abort();
	await_child(x, READY);
	t0 = rb_now_ns();
	sum = produce_ring(&r, iters, rb->msg, rb->single);
	await_child(x, DONE);
	t1 = rb_now_ns();
	join_child(pid);
	if (sum != x->sum) {
		fprintf(stderr, "bench_comp: ring checksum mismatch\n");
		exit(1);
	}
	comp_ring_get_stats(&r, &rb->pst);
	rb->cst = x->cst;
	rb->msgs = iters;
	mk_region_destroy(&reg);
	xctl_free(x);
	return t1 - t0;
}

/* ---- pipe and Unix socket: one system call per message each side ---- */

struct fdb {
	int sock; /* 0: pipe, 1: SOCK_SEQPACKET socket pair */
	struct notes notes;
};

static void xfer_exact(int fd, void *buf, size_t len, int wr)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = wr ? write(fd, (char *)buf + done, len - done)
			       : read(fd, (char *)buf + done, len - done);
		if (n <= 0)
			_exit(5);
		done += (size_t)n;
	}
}

static uint64_t bench_fd(void *arg, uint64_t iters)
{
	struct fdb *fb = arg;
	int fd[2];
	uint64_t t0, t1, buf[8], sum = 0;
	struct xctl *x = xctl_new();

	if (fb->sock ? socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fd) != 0 : pipe(fd) != 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[1]);
		child_says(x, READY);
		for (uint64_t i = 0; i < iters; i++) {
			xfer_exact(fd[0], buf, sizeof(buf), 0);
			for (int j = 0; j < 8; j++)
				sum += buf[j];
		}
		x->sum = sum;
		child_says(x, DONE);
		_exit(0);
	}
	close(fd[0]);
	await_child(x, READY);
	t0 = rb_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		for (int j = 0; j < 8; j++)
			sum += buf[j] = i + (uint64_t)j;
		xfer_exact(fd[1], buf, sizeof(buf), 1);
	}
	await_child(x, DONE);
	t1 = rb_now_ns();
	close(fd[1]);
	join_child(pid);
	if (sum != x->sum) {
		fprintf(stderr, "bench_comp: fd checksum mismatch\n");
		exit(1);
	}
	xctl_free(x);
	note(&fb->notes, t1 - t0, iters);
	return t1 - t0;
}

/* ---- ping-pong between two processes ---- */

static void fwait(_Atomic uint32_t *w, uint32_t v)
{
	while (atomic_load(w) == v)
		syscall(SYS_futex, w, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void fwake(_Atomic uint32_t *w, uint32_t v)
{
	atomic_store(w, v);
	syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static uint64_t bench_futex_process(void *arg, uint64_t iters)
{
	(void)arg;
	struct xctl *x = xctl_new();
	uint64_t t0, t1;

	pid_t pid = fork();
	if (pid == 0) {
		child_says(x, READY);
		for (uint64_t i = 0; i < iters; i++) {
			fwait(&x->fw[0], (uint32_t)i);
			fwake(&x->fw[1], (uint32_t)i + 1);
		}
		_exit(0);
	}
	await_child(x, READY);
	t0 = rb_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		fwake(&x->fw[0], (uint32_t)i + 1);
		fwait(&x->fw[1], (uint32_t)i);
	}
	t1 = rb_now_ns();
	join_child(pid);
	xctl_free(x);
	return t1 - t0;
}

/* What a traced PD records around one notification it sends and one it
 * takes (pd_trace.c). */
static void traced_hop(uint64_t src)
{
	dom_trace_record(src, DOM_TR_COMP_NOTIFY, 1, 1, 0, NULL);
}

static void traced_taken(uint64_t src)
{
	dom_trace_record(src, DOM_TR_COMP_NOTIFIED, 1, 1, DOM_TR_COMP_HANDLER, NULL);
	dom_trace_record(src, DOM_TR_COMP_NOTIFIED_END, 1, 0, 0, NULL);
}

/* arg non-NULL: both sides traced (each process its own trace source,
 * started after the fork; its buffer made before the clock runs). */
static uint64_t bench_notify_process(void *arg, uint64_t iters)
{
	bool traced = arg != NULL;
	struct xctl *x = xctl_new();
	uint64_t t0, t1, w, src = 0;

	pid_t pid = fork();
	if (pid == 0) {
		if (traced && dom_trace_source_start("pong", 0, 0, &src) == 0)
			traced_taken(src);
		child_says(x, READY);
		for (uint64_t i = 0; i < iters; i++) {
			if (mk_notification_wait(&x->cn, &w) != 0)
				_exit(6);
			if (src)
				traced_taken(src);
			if (src)
				traced_hop(src);
			mk_notification_signal(&x->pn, 1);
		}
		_exit(0);
	}
	if (traced && dom_trace_source_start("ping", 0, 0, &src) == 0)
		traced_taken(src);
	await_child(x, READY);
	t0 = rb_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		if (src)
			traced_hop(src);
		mk_notification_signal(&x->cn, 1);
		if (mk_notification_wait(&x->pn, &w) != 0)
			abort();
		if (src)
			traced_taken(src);
	}
	t1 = rb_now_ns();
	join_child(pid);
	xctl_free(x);
	if (src)
		dom_trace_stop_all();
	return t1 - t0;
}

/* ---- PPC round trip: the PD runtime's path, and a Unix socket RPC ---- */

/* One PPC case: its endpoint flags, and the counts of its last run. */
struct ppcb {
	unsigned flags;
	uint64_t calls;
	struct mk_endpoint_stats caller, server;
};

static void ppc_stats(const char *key, const struct ppcb *pb, const char *when);

static uint64_t bench_ppcall(void *arg, uint64_t iters)
{
	struct ppcb *pb = arg;
	struct xctl *x = xctl_new();
	uint64_t t0, t1;
	struct mk_msg m = {0};

	mk_endpoint_init(&x->ep, pb->flags);

	pid_t pid = fork();
	if (pid == 0) {
		struct mk_reply reply;
		uint64_t badge;

		child_says(x, READY);
		mk_endpoint_stats_take(&x->srv_stats);
		for (uint64_t i = 0; i < iters; i++) {
			if (mk_endpoint_recv(&x->ep, MK_FOREVER, &m, &badge, &reply) != 0)
				_exit(7);
			x->ipc[0] += 1; /* protected(): the reply's MR */
			m.len = 0;
			if (mk_endpoint_reply(&x->ep, &reply, &m) != 0)
				_exit(8);
		}
		mk_endpoint_stats_take(&x->srv_stats);
		_exit(0);
	}
	await_child(x, READY);
	mk_endpoint_stats_take(&pb->caller);
	t0 = rb_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		x->ipc[0] = i;
		m.label = 1;
		m.len = 0;
		if (mk_endpoint_call(&x->ep, 3, &m) != 0 || x->ipc[0] != i + 1) {
			fprintf(stderr, "bench_comp: ppcall %llu failed\n", (unsigned long long)i);
			exit(1);
		}
	}
	t1 = rb_now_ns();
	mk_endpoint_stats_take(&pb->caller);
	join_child(pid);
	pb->server = x->srv_stats;
	pb->calls = iters;
	ppc_stats(pb->flags & MK_SPIN ? "ppcall (every run)" : "ppcall_nospin (every run)", pb,
		  "all");
	xctl_free(x);
	return t1 - t0;
}

static uint64_t bench_unixsock_rpc(void *arg, uint64_t iters)
{
	(void)arg;
	struct xctl *x = xctl_new();
	uint64_t t0, t1, v;
	int fd[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fd) != 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[1]);
		child_says(x, READY);
		for (uint64_t i = 0; i < iters; i++) {
			xfer_exact(fd[0], &v, sizeof v, 0);
			v += 1;
			xfer_exact(fd[0], &v, sizeof v, 1);
		}
		_exit(0);
	}
	close(fd[0]);
	await_child(x, READY);
	t0 = rb_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		v = i;
		xfer_exact(fd[1], &v, sizeof v, 1);
		xfer_exact(fd[1], &v, sizeof v, 0);
		if (v != i + 1) {
			fprintf(stderr, "bench_comp: unix socket rpc %llu: bad reply\n",
				(unsigned long long)i);
			exit(1);
		}
	}
	t1 = rb_now_ns();
	close(fd[1]);
	join_child(pid);
	xctl_free(x);
	return t1 - t0;
}

/* The n-th CPU this process may run on (n = 0, 1); -1 if it has none. */
static int first_cpu(int n)
{
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &cpus_allowed) && n-- == 0)
			return c;
	return -1;
}

/*
 * The PPC with and without polling (MK_SPIN) and its two baselines,
 * interleaved, with the processes placed: tag "" where the scheduler puts
 * them, "_2cpu" each on its own CPU, "_1cpu" both on one (what taskset -c
 * 0 does to the whole program).  A placement the machine cannot give (one
 * CPU) is left out.
 */
#define TAGS 3
static char rpc_key[TAGS][4][64], rpc_what[TAGS][4][128];

/* BENCH_COMP_PPC_STATS=1: what the last run of a PPC case did, per call,
 * on stderr (mk/linux/endpoint_stats.h): the caller's polls for its reply
 * (paid / failed / skipped: peer on this CPU / not paying lately), its
 * sleeps and wakes of the server, the server's polls for a call, its
 * sleeps and wakes of the caller, contended lock acquisitions.
 * BENCH_COMP_PPC_STATS=all: the same after every run (calibration and
 * repetitions).  when: the setting that prints this line. */
static void ppc_stats(const char *key, const struct ppcb *pb, const char *when)
{
	const struct mk_endpoint_stats *c = &pb->caller, *s = &pb->server;
	double n = pb->calls ? (double)pb->calls : 1;

	if (getenv("BENCH_COMP_PPC_STATS") == NULL || strcmp(getenv("BENCH_COMP_PPC_STATS"), when))
		return;
	fprintf(stderr,
		"%s (%llu calls): caller poll paid %.3f failed %.3f skip_cpu %.3f skip_pay %.3f "
		"sleeps %.3f wakes %.3f lock %.3f | server poll paid %.3f failed %.3f "
		"skip_cpu %.3f skip_pay %.3f sleeps %.3f wakes %.3f lock %.3f\n",
		key, (unsigned long long)pb->calls, c->reply_paid / n, c->reply_failed / n,
		c->reply_skip_cpu / n, c->reply_skip_pay / n, c->reply_sleeps / n,
		c->srv_wakes / n, c->lock_sleeps / n, s->call_paid / n, s->call_failed / n,
		s->call_skip_cpu / n, s->call_skip_pay / n, s->call_sleeps / n,
		s->reply_wakes / n, s->lock_sleeps / n);
}

static void rpc_batch(struct rb_bench *b, const char *tag, const char *where, int pcpu, int ccpu)
{
	static struct ppcb pb[TAGS][2];
	static int n;
	static const char *const base[4] = {"ppcall_rtt", "ppcall_rtt_nospin", "unixsock_rpc_rtt",
					    "futex_process_pingpong"};
	static const char *const what[4] = {
		"PPC round trip (PD runtime's endpoint path, MK_SPIN), 2 processes",
		"the same PPC without MK_SPIN (no polling)",
		"request/reply over an AF_UNIX socket pair, 2 processes",
		"raw shared futex round trip"};
	uint64_t (*fn[4])(void *, uint64_t) = {bench_ppcall, bench_ppcall, bench_unixsock_rpc,
					       bench_futex_process};
	void *arg[4] = {&pb[n][0], &pb[n][1], NULL, NULL};
	struct rb_bench_case c[4];

	if (n == TAGS || (*tag && (pcpu < 0 || ccpu < 0)))
		return;
	pb[n][0].flags = MK_SHARED | MK_SPIN;
	pb[n][1].flags = MK_SHARED;
	for (int i = 0; i < 4; i++) {
		/* The free placement's futex row keeps its older name. */
		snprintf(rpc_key[n][i], sizeof rpc_key[n][i], "%s%s_ns", base[i],
			 i == 3 && !*tag ? "_rpc" : tag);
		snprintf(rpc_what[n][i], sizeof rpc_what[n][i], "%s%s", what[i], where);
		c[i] = (struct rb_bench_case){rpc_key[n][i], rpc_what[n][i], fn[i], arg[i]};
	}
	cpu_parent = pcpu;
	cpu_child = ccpu;
	pin_to(pcpu);
	rb_bench_compare(b, c, 4);
	ppc_stats(rpc_key[n][0], &pb[n][0], "1");
	ppc_stats(rpc_key[n][1], &pb[n][1], "1");
	n++;
	cpu_parent = cpu_child = -1;
	if (sched_setaffinity(0, sizeof cpus_allowed, &cpus_allowed) != 0)
		abort();
}

static void rpc_ratios(struct rb_bench *b, const char *tag, const char *where)
{
	char k[4][64], w[4][128];

	snprintf(k[0], sizeof k[0], "ppcall_rtt%s_ns", tag);
	snprintf(k[1], sizeof k[1], "ppcall_rtt_nospin%s_ns", tag);
	snprintf(k[2], sizeof k[2], "unixsock_rpc_rtt%s_ns", tag);
	snprintf(k[3], sizeof k[3], "futex_process_pingpong%s_ns", *tag ? tag : "_rpc");
	snprintf(w[0], sizeof w[0], "PPC vs raw futex%s", where);
	snprintf(w[1], sizeof w[1], "PPC vs Unix socket RPC%s", where);
	snprintf(w[2], sizeof w[2], "PPC without polling vs raw futex%s", where);
	snprintf(w[3], sizeof w[3], "PPC without polling vs Unix socket RPC%s", where);
	rb_bench_ratio(b, w[0], k[0], k[3], "<= 1.2");
	rb_bench_ratio(b, w[1], k[0], k[2], "<= 0.5");
	rb_bench_ratio(b, w[2], k[1], k[3], "report");
	rb_bench_ratio(b, w[3], k[1], k[2], "report");
}

#define SPIN_NS 5000u

int main(int argc, char **argv)
{
	struct rb_bench *b = rb_bench_open("bench_comp", argc, argv);
	int rpc_only, pd_only;
	static struct ringb r64 = {.msg = 64, .spin_ns = SPIN_NS},
			    r64s = {.msg = 64, .single = 1, .spin_ns = SPIN_NS},
			    r1500 = {.msg = 1504, .spin_ns = SPIN_NS}, /* 1500 in whole words */
			    r64n = {.msg = 64};
	static struct fdb pipeb = {.sock = 0}, sockb = {.sock = 1};
	static const struct {
		const char *ns_key, *rate_key, *what;
	} rows[] = {
		{"ring_64_ns_per_msg", "ring_64_msgs_per_s",
		 "comp_ring 64 B, 2 processes, batches of 32"},
		{"ring_64_single_ns_per_msg", "ring_64_single_msgs_per_s",
		 "comp_ring 64 B, 2 processes, 1 desc per call"},
		{"ring_1500_ns_per_msg", "ring_1500_msgs_per_s",
		 "comp_ring 1500 B, 2 processes, batches of 32"},
		{"ring_64_nospin_ns_per_msg", "ring_64_nospin_msgs_per_s",
		 "comp_ring 64 B, batches, no polling (pure sDDF)"},
		{"pipe_64_ns_per_msg", "pipe_64_msgs_per_s", "pipe 64 B, 2 processes, 1 write per msg"},
		{"unixsock_64_ns_per_msg", "unixsock_64_msgs_per_s",
		 "AF_UNIX seqpacket 64 B, 2 processes, 1 send each"},
	};
	struct notes *notes[] = {&r64.notes, &r64s.notes, &r1500.notes, &r64n.notes, &pipeb.notes,
				 &sockb.notes};
	void *args[] = {&r64, &r64s, &r1500, &r64n, &pipeb, &sockb};
	uint64_t (*fns[])(void *, uint64_t) = {bench_ring, bench_ring, bench_ring, bench_ring,
					       bench_fd, bench_fd};
	enum { NR = sizeof(rows) / sizeof(rows[0]) };
	struct rb_bench_case rates[NR];

	if (b == NULL)
		return 2;
	if (sched_getaffinity(0, sizeof cpus_allowed, &cpus_allowed) != 0)
		abort();
	rpc_only = getenv("BENCH_COMP_ONLY") && strcmp(getenv("BENCH_COMP_ONLY"), "rpc") == 0;
	pd_only = getenv("BENCH_COMP_ONLY") && strcmp(getenv("BENCH_COMP_ONLY"), "pd") == 0;
	if (rpc_only)
		goto rpc_rows;
	if (pd_only)
		goto pd_rows;
	/* Interleaved, so the baselines see the same machine as the rings. */
	for (int i = 0; i < NR; i++)
		rates[i] = (struct rb_bench_case){rows[i].ns_key, rows[i].what, fns[i], args[i]};
	rb_bench_compare(b, rates, NR);
	for (int i = 0; i < NR; i++) {
		double ns = notes_median(notes[i], rb_bench_reps(b));
		if (ns > 0)
			rb_bench_value(b, rows[i].rate_key, rows[i].what, 1e9 / ns, "/s");
	}
	/* Signals under the sustained load of the last repetition. */
	rb_bench_value(b, "ring_signals_per_msg", "signals per message, ring_64 (both sides)",
		       (double)(r64.pst.signals + r64.cst.signals) / (double)r64.msgs, "");
	rb_bench_value(b, "ring_single_signals_per_msg",
		       "signals per message, ring_64_single (both sides)",
		       (double)(r64s.pst.signals + r64s.cst.signals) / (double)r64s.msgs, "");
	rb_bench_value(b, "ring_nospin_signals_per_msg",
		       "signals per message, ring_64_nospin (both sides)",
		       (double)(r64n.pst.signals + r64n.cst.signals) / (double)r64n.msgs, "");
	/* The counts behind the ratios (the table rounds them to 0.0). */
	rb_bench_value(b, "ring_64_last_msgs", "messages, ring_64's last repetition",
		       (double)r64.msgs, "");
	rb_bench_value(b, "ring_64_last_signals", "signals both sides sent in it",
		       (double)(r64.pst.signals + r64.cst.signals), "");
	rb_bench_value(b, "ring_64_last_sleeps", "sleeps both sides took in it",
		       (double)(r64.pst.waits + r64.cst.waits), "");
	rb_bench_value(b, "ring_64_nospin_last_msgs", "messages, ring_64_nospin's last repetition",
		       (double)r64n.msgs, "");
	rb_bench_value(b, "ring_64_nospin_last_signals", "signals both sides sent in it",
		       (double)(r64n.pst.signals + r64n.cst.signals), "");

	const struct rb_bench_case pingpong[] = {
		{"notify_pingpong_ns", "mk notification round trip, 2 processes",
		 bench_notify_process, NULL},
		{"futex_process_pingpong_ns", "raw shared futex round trip, 2 processes",
		 bench_futex_process, NULL},
		{"notify_pingpong_traced_ns",
		 "as notify_pingpong_ns, both sides recording a traced PD's events",
		 bench_notify_process, (void *)1},
	};
	rb_bench_compare(b, pingpong, 3);
rpc_rows:;

	rpc_batch(b, "", "", -1, -1);
	rpc_batch(b, "_2cpu", ", 1 CPU each", first_cpu(0), first_cpu(1));
	rpc_batch(b, "_1cpu", ", both on 1 CPU", first_cpu(0), first_cpu(0));
pd_rows:
	if (!rpc_only) {
		comp_ppc_pd_bench(b);
		comp_idle_bench(b);
	}

	rb_bench_ratio(b, "ring 64 B vs pipe (rate)", "ring_64_msgs_per_s", "pipe_64_msgs_per_s",
		       ">= 10");
	rb_bench_ratio(b, "ring 64 B vs Unix socket (rate)", "ring_64_msgs_per_s",
		       "unixsock_64_msgs_per_s", ">= 10");
	rb_bench_ratio(b, "ring 64 B, 1 per call, vs pipe", "ring_64_single_msgs_per_s",
		       "pipe_64_msgs_per_s", "report");
	rb_bench_ratio(b, "ring 64 B, no polling, vs pipe", "ring_64_nospin_msgs_per_s",
		       "pipe_64_msgs_per_s", "report");
	rb_bench_ratio(b, "notification vs raw futex, processes", "notify_pingpong_ns",
		       "futex_process_pingpong_ns", "<= 1.1");
	rb_bench_ratio(b, "traced notification / notification", "notify_pingpong_traced_ns",
		       "notify_pingpong_ns", "report");
	rpc_ratios(b, "", "");
	rpc_ratios(b, "_2cpu", ", 1 CPU each");
	rpc_ratios(b, "_1cpu", ", both on 1 CPU");
	rb_bench_ratio(b, "PPC between PD processes vs raw futex", "ppcall_pd_rtt_ns",
		       "futex_process_pingpong_rpc_ns", "<= 1.2");
	rb_bench_ratio(b, "PPC between PD processes vs Unix socket RPC", "ppcall_pd_rtt_ns",
		       "unixsock_rpc_rtt_ns", "<= 0.5");
	rb_bench_ratio(b, "PPC between PD processes, a CPU each, vs raw futex (2 CPUs)",
		       "ppcall_pd_2cpu_rtt_ns", "futex_process_pingpong_2cpu_ns", "<= 1.2");
	rb_bench_ratio(b, "PPC between PD processes, a CPU each, vs Unix socket RPC (2 CPUs)",
		       "ppcall_pd_2cpu_rtt_ns", "unixsock_rpc_rtt_2cpu_ns", "<= 0.5");
	return rb_bench_close(b);
}
