/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_dom: the dom layer against the host's own primitives, same run.
 *
 * Every comparison is measured with its baseline interleaved (A B C A B C
 * ..., rb_bench_compare) and reported as medians:
 *
 *   - yield round trip between two green threads on one vCPU, against a
 *     swapcontext() round trip and a pthread condvar hand-off between two
 *     host threads;
 *   - an outside signal to a green thread blocked in dom_event_wait and
 *     back (a host thread signals the event, the green thread answers on
 *     the host's mk_notification), and a dom_call round trip, both against
 *     a raw futex ping-pong between two host threads (the floor);
 *     the event ping-pong also on 2 vCPUs, and both again pinned to one
 *     CPU (*_pinned_ns: the bench thread and the domains' vCPUs share it,
 *     which measures the code path without the VM's cross-core wake-ups).
 *     This group is paired: blocks of PP_BLOCK round trips of each key
 *     alternate (rb_bench_blocks) with every partner alive throughout, so
 *     the 2-vCPU key and its 1-vCPU baseline sample the same moments of
 *     load; each key is the median of its blocks, *_paired_ratio the
 *     median of the per-round ratios;
 *   - dom_enter + dom_leave with the record cached;
 *   - an uncontended dom_mutex from a green thread and from an entered
 *     host thread, against pthread_mutex_lock/unlock;
 *   - idle cost: 4 vCPUs, 10,000 green threads blocked on condition
 *     variables, the process's CPU time and context switches while the
 *     main thread sleeps;
 *   - spawn: create + join of a green thread that returns at once, by a
 *     green thread, 64 alive at a time, on 2 and 1 vCPUs (spawn_join_ns,
 *     spawn_join_1v_ns: adjacent runs, not paired blocks, see
 *     docs/benchmarks.md), against the same with pthreads
 *     (pthread_spawn_join_ns), interleaved; and 100,000
 *     created, then joined (spawn_100k_s);
 *   - live: 100,000 green threads with 16 KiB stacks alive at once (all
 *     blocked on a semaphore), then woken and joined: time, peak RSS and
 *     the mappings they need against vm.max_map_count (live_100k_*).
 *
 * Stacks are slots of shared arenas (docs/mk.md), so 100,000 live stacks
 * fit under the default vm.max_map_count (65,530); only RLIMIT_AS can
 * still make the spawn test batch (spawn_live_max says how many were
 * alive at once).
 *
 * Clocks: loops that run on one host thread are timed with its CPU time
 * (see cpu_now_ns), the ping-pongs with wall time, plus the process CPU
 * time per round trip (*_cpu_ns keys) which load on the machine barely
 * moves.  Absolute targets are recorded as target_* values so that each
 * target is a ratio row; a summary at the end says met or MISSED.
 * BENCH_DOM_ONLY=<groups> runs a subset (see want()); BENCH_DOM_SEQUENTIAL=1
 * measures the ping-pong group the way it was measured before paired
 * blocks (see sequential()), for comparing the methods.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/mk.h>
#include <rumpbridge/trace.h>

#include "bench.h"

#define EVENT_BIT (UINT64_C(1) << 5)

static void die(const char *what, int r)
{
	fprintf(stderr, "bench_dom: %s failed: %s\n", what, r < 0 ? mk_strerror(r) : "");
	exit(1);
}

#define CHECK(call)                                                                                \
	do {                                                                                       \
		int r_ = (call);                                                                   \
		if (r_ != 0)                                                                       \
			die(#call, r_);                                                            \
	} while (0)

/* CPU time of the calling host thread.  The loops that run on one host
 * thread (yield, swapcontext, enter/leave, uncontended mutexes) are timed
 * with it: on a shared machine their wall time mostly measures how long
 * other processes held the CPU (a 200 ms repetition is preempted many
 * times), not what the code costs.  For green threads it is the CPU time
 * of the vCPU they run on, which both yielding threads share.  The
 * ping-pongs, whose cost is sleeping and waking, use wall time. */
static uint64_t cpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* BENCH_DOM_ONLY=yield,pingpong,enter,mutex,spawn,live,idle runs only those
 * groups (for looking at one figure). */
static bool want(const char *group)
{
	const char *e = getenv("BENCH_DOM_ONLY");

	return e == NULL || strstr(e, group) != NULL;
}

/* BENCH_DOM_SEQUENTIAL=1: the ping-pong group in whole 0.2 s repetitions
 * interleaved by rb_bench_compare instead of paired blocks. */
static bool sequential(void)
{
	const char *e = getenv("BENCH_DOM_SEQUENTIAL");

	return e != NULL && strcmp(e, "1") == 0;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* ------------------------------------------------------------------ */
/* Our own copy of every figure, for the summary of targets at the end  */

#define MAX_VALS 64
static struct {
	const char *key;
	double v;
} vals[MAX_VALS];
static int nvals;

static void keep(const char *key, double v)
{
	for (int i = 0; i < nvals; i++)
		if (strcmp(vals[i].key, key) == 0) {
			vals[i].v = v;
			return;
		}
	if (nvals < MAX_VALS)
		vals[nvals++] = (typeof(vals[0])){key, v};
}

static double val(const char *key)
{
	for (int i = 0; i < nvals; i++)
		if (strcmp(vals[i].key, key) == 0)
			return vals[i].v;
	return -1;
}

static void value(struct rb_bench *b, const char *key, const char *what, double v,
		  const char *unit)
{
	rb_bench_value(b, key, what, v, unit);
	keep(key, v);
}

/* A measured case: the harness calls tramp, which records ns per op of
 * every call; the last `reps` calls are the repetitions (calibration runs
 * first), or with rb_bench_blocks the last `rounds` calls are the blocks
 * (a warm-up round runs first), so their median is the harness's figure. */
#define HIST RB_BENCH_MAX_ROUNDS
struct meas {
	const char *key, *what;
	uint64_t (*fn)(void *arg, uint64_t iters);
	void *arg;
	const char *cpu_key; /* also record process CPU time per op here */
	double s[HIST], c[HIST];
	unsigned n;
};

static double process_cpu_ns(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r); /* includes threads that have exited */
	return ((double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 +
		(double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec)) *
	       1e3;
}

#define MEAS(k, w, f, a) {.key = (k), .what = (w), .fn = (f), .arg = (a)}
#define MEAS_CPU(k, w, f, a, ck) {.key = (k), .what = (w), .fn = (f), .arg = (a), .cpu_key = (ck)}

static uint64_t tramp(void *p, uint64_t iters)
{
	struct meas *m = p;
	double c0 = m->cpu_key != NULL ? process_cpu_ns() : 0;
	uint64_t ns = m->fn(m->arg, iters);

	if (m->cpu_key != NULL)
		m->c[m->n % HIST] = (process_cpu_ns() - c0) / (double)iters;
	m->s[m->n++ % HIST] = (double)ns / (double)iters;
	return ns;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_last(const double *h, unsigned n, int reps)
{
	double s[HIST];

	for (int k = 0; k < reps; k++)
		s[k] = h[(n - (unsigned)reps + (unsigned)k) % HIST];
	qsort(s, (size_t)reps, sizeof(double), cmp_double);
	return s[reps / 2];
}

/* Measure the cases with rb_bench_compare (block_iters 0: whole
 * repetitions interleaved) or rb_bench_blocks (blocks of block_iters ops
 * alternated); returns how many of each case's last calls were recorded
 * (repetitions or rounds; 0: none). */
static int measure(struct rb_bench *b, struct meas *m, int n, uint64_t block_iters)
{
	struct rb_bench_case c[8];
	int reps = rb_bench_reps(b) > RB_BENCH_MAX_REPS ? RB_BENCH_MAX_REPS : rb_bench_reps(b);

	for (int i = 0; i < n; i++) {
		m[i].n = 0;
		c[i] = (struct rb_bench_case){m[i].key, m[i].what, tramp, &m[i]};
	}
	if (block_iters == 0)
		rb_bench_compare(b, c, n);
	else
		reps = rb_bench_blocks(b, c, n, block_iters);
	if (reps == 0)
		return 0;
	for (int i = 0; i < n; i++)
		keep(m[i].key, median_last(m[i].s, m[i].n, reps));
	for (int i = 0; i < n; i++)
		if (m[i].cpu_key != NULL)
			value(b, m[i].cpu_key, "  the same: process CPU (all threads) per op",
			      median_last(m[i].c, m[i].n, reps), "ns");
	return reps;
}

static void compare(struct rb_bench *b, struct meas *m, int n)
{
	measure(b, m, n, 0);
}

/* The median over the last `rounds` rounds of rb_bench_blocks of num's
 * block / den's block of the same round, recorded as key (x). */
static void paired_ratio(struct rb_bench *b, const char *key, const char *what,
			 const struct meas *num, const struct meas *den, int rounds)
{
	double r[HIST];

	if (rounds <= 0)
		return;
	for (int k = 0; k < rounds; k++)
		r[k] = num->s[(num->n - (unsigned)rounds + (unsigned)k) % HIST] /
		       den->s[(den->n - (unsigned)rounds + (unsigned)k) % HIST];
	qsort(r, (size_t)rounds, sizeof(double), cmp_double);
	value(b, key, what, r[rounds / 2], "x");
}

/* Targets: a ratio row in the table (through rb_bench_ratio) and a line
 * in the summary saying whether it is met. */
#define MAX_TARGETS 16
static struct {
	const char *what;
	double v;
	const char *target;
	bool met;
} targets[MAX_TARGETS];
static int ntargets;

static void target(struct rb_bench *b, const char *what, const char *num, const char *den,
		   const char *text, bool at_least, double limit)
{
	double n = val(num), d = val(den), r;

	rb_bench_ratio(b, what, num, den, text);
	if (n < 0 || d <= 0 || ntargets == MAX_TARGETS)
		return;
	r = n / d;
	targets[ntargets++] = (typeof(targets[0])){what, r, text, at_least ? r >= limit : r < limit};
}

/* An absolute target: recorded as a value so that the ratio row exists. */
static void target_abs(struct rb_bench *b, const char *what, const char *key,
		       const char *tkey, double limit, const char *unit, const char *text)
{
	if (val(key) < 0)
		return; /* not measured (BENCH_DOM_ONLY) */
	value(b, tkey, "the issue's target", limit, unit);
	target(b, what, key, tkey, text, false, 1.0);
}

/* ------------------------------------------------------------------ */
/* Host-thread ping-pongs (baselines)                                   */

/* (the baselines themselves live in bench.c, shared with bench_mk) */

/* raw futex: one word each way, always the wake system call (the floor;
 * the same code as bench_mk's futex_pingpong_ns) */
static uint64_t bench_futex(void *arg, uint64_t iters)
{
	(void)arg;
	return rb_futex_pingpong(iters);
}

static uint64_t bench_condvar(void *arg, uint64_t iters)
{
	(void)arg;
	return rb_condvar_pingpong(iters);
}

/* ------------------------------------------------------------------ */
/* swapcontext round trip: main <-> one coroutine, on this host thread  */

static ucontext_t uc_main, uc_co;
static char uc_stack[64 * 1024] __attribute__((aligned(16)));

static void co_main(void)
{
	for (;;)
		swapcontext(&uc_co, &uc_main);
}

static uint64_t bench_swapcontext(void *arg, uint64_t iters)
{
	uint64_t t0, t1;

	(void)arg;
	getcontext(&uc_co);
	uc_co.uc_stack.ss_sp = uc_stack;
	uc_co.uc_stack.ss_size = sizeof(uc_stack);
	uc_co.uc_link = NULL;
	makecontext(&uc_co, co_main, 0);
	t0 = cpu_now_ns();
	for (uint64_t i = 0; i < iters; i++)
		swapcontext(&uc_main, &uc_co); /* there and back: two switches */
	t1 = cpu_now_ns();
	return t1 - t0;
}

/* ------------------------------------------------------------------ */
/* Green yield round trip: A yields to B, B yields back (N=1 domain)    */

struct ystate {
	struct dom *d;
	_Atomic int b_started, a_done;
	uint64_t iters, ns;
};

static void *yield_a(void *p)
{
	struct ystate *y = p;
	uint64_t t0, t1;

	while (!atomic_load_explicit(&y->b_started, memory_order_relaxed))
		dom_yield();
	t0 = cpu_now_ns();
	for (uint64_t i = 0; i < y->iters; i++)
		dom_yield();
	t1 = cpu_now_ns();
	y->ns = t1 - t0;
	atomic_store(&y->a_done, 1);
	return NULL;
}

static void *yield_b(void *p)
{
	struct ystate *y = p;

	atomic_store(&y->b_started, 1);
	while (!atomic_load_explicit(&y->a_done, memory_order_relaxed))
		dom_yield();
	return NULL;
}

/* Run fns as green threads of d and join them from this (entered) host
 * thread. */
static void run_green(struct dom *d, void *(*fa)(void *), void *(*fb)(void *), void *arg)
{
	struct dom_thread *ta, *tb = NULL;
	const struct dom_thread_attr at = {.name = "bench", .vcpu = -1};

	CHECK(dom_thread_create(d, &ta, &at, fa, arg));
	if (fb != NULL)
		CHECK(dom_thread_create(d, &tb, &at, fb, arg));
	CHECK(dom_enter(d));
	CHECK(dom_thread_join(ta, NULL));
	if (tb != NULL)
		CHECK(dom_thread_join(tb, NULL));
	CHECK(dom_leave(d));
}

static uint64_t bench_green_yield(void *arg, uint64_t iters)
{
	struct ystate y = {.d = arg, .iters = iters};

	run_green(y.d, yield_a, yield_b, &y);
	return y.ns;
}

/* The same with the domain traced (trace.h): two switch events per
 * round trip into full buffers that drop their oldest.  A build with
 * RUMPBRIDGE_TRACE=OFF cannot trace (-ENOTSUP): it measures untraced. */
static uint64_t bench_green_yield_traced(void *arg, uint64_t iters)
{
	int r = dom_trace_start(arg, 0);
	uint64_t ns;

	if (r != 0 && r != -ENOTSUP)
		die("dom_trace_start", r);
	ns = bench_green_yield(arg, iters);
	if (r == 0)
		CHECK(dom_trace_stop(arg));
	return ns;
}

/* ------------------------------------------------------------------ */
/* Outside event to a green thread blocked in dom_event_wait, and back  */

/* The answering green thread stays alive across calls of
 * bench_event_block (the paired measurement runs blocks of PP_BLOCK round
 * trips, alternating domains): started before the first timed block and
 * stopped after the last, so creation and join stay out of the timed
 * loops.  served counts its answers, sent the events of timed loops: the
 * checksum that stop compares. */
struct evserver {
	struct dom *d;
	struct mk_notification back;
	struct dom_thread *t;
	_Atomic bool stop;
	uint64_t served; /* the green thread's; read after joining it */
	uint64_t sent;	 /* the bench thread's */
};

static void *event_green(void *p)
{
	struct evserver *e = p;
	uint64_t bits;

	for (;;) {
		if (dom_event_wait(e->d, EVENT_BIT, &bits) != 0 || bits != EVENT_BIT)
			die("dom_event_wait", 0);
		if (atomic_load(&e->stop)) /* stored before the last signal */
			return NULL;
		e->served++;
		mk_notification_signal(&e->back, 1);
	}
}

static void evserver_start(struct evserver *e, struct dom *d)
{
	*e = (struct evserver){.d = d};
	/* MK_SPIN: the bench thread polls for the answer before it sleeps,
	 * as the domain's idle vCPU polls for the event (docs/dom.md, "Idle
	 * poll"; RUMPBRIDGE_NOTIFICATION_SPIN=0 turns the poll off) */
	CHECK(mk_notification_init(&e->back, MK_SPIN));
	CHECK(dom_thread_create(d, &e->t, NULL, event_green, e));
}

static void evserver_stop(struct evserver *e)
{
	atomic_store(&e->stop, true);
	dom_event_signal(e->d, EVENT_BIT);
	CHECK(dom_enter(e->d));
	CHECK(dom_thread_join(e->t, NULL));
	CHECK(dom_leave(e->d));
	mk_notification_destroy(&e->back);
	if (e->served != e->sent)
		die("event ping-pong checksum", 0);
}

/* iters round trips with a started server; wall ns */
static uint64_t bench_event_block(void *arg, uint64_t iters)
{
	struct evserver *e = arg;
	uint64_t t0, t1, w;

	t0 = rb_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		dom_event_signal(e->d, EVENT_BIT);
		mk_notification_wait(&e->back, &w);
	}
	t1 = rb_now_ns();
	e->sent += iters;
	return t1 - t0;
}

/* The sequential method's repetition: a server for one timed loop. */
static uint64_t bench_event(void *arg, uint64_t iters)
{
	struct evserver e;
	uint64_t ns;

	evserver_start(&e, arg);
	ns = bench_event_block(&e, iters);
	evserver_stop(&e);
	return ns;
}

/* Pinned: the calling thread on one CPU, the first it may run on; a
 * domain created meanwhile gets vCPU host threads pinned there too (they
 * inherit the mask).  pin(false) gives the old mask back. */
static cpu_set_t pin_saved;

static void pin(bool on)
{
	cpu_set_t one;
	int cpu = 0;

	if (!on) {
		CHECK(sched_setaffinity(0, sizeof(pin_saved), &pin_saved) == 0 ? 0 : -errno);
		return;
	}
	CHECK(sched_getaffinity(0, sizeof(pin_saved), &pin_saved) == 0 ? 0 : -errno);
	while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &pin_saved))
		cpu++;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	CHECK(sched_setaffinity(0, sizeof(one), &one) == 0 ? 0 : -errno);
}

/* bench_event on a domain created while pinned, the bench thread pinned
 * to the same CPU for the measurement */
static uint64_t bench_event_pinned(void *arg, uint64_t iters)
{
	uint64_t ns;

	pin(true);
	ns = bench_event(arg, iters);
	pin(false);
	return ns;
}

/* ------------------------------------------------------------------ */
/* dom_call round trip from a host thread (not entered)                 */

static void *trivial(void *arg)
{
	return arg;
}

static uint64_t bench_dom_call(void *arg, uint64_t iters)
{
	struct dom *d = arg;
	uint64_t t0 = rb_now_ns();
	void *r;

	for (uint64_t i = 0; i < iters; i++)
		if (dom_call(d, trivial, (void *)(uintptr_t)i, &r) != 0 || r != (void *)(uintptr_t)i)
			die("dom_call", 0);
	return rb_now_ns() - t0;
}

/* ------------------------------------------------------------------ */
/* The ping-pong group: event 1 vs 2 vCPUs, raw futex, dom_call         */

/* Round trips per block of the paired measurement: a few ms to a few
 * tens of ms on this VM, short against the moves of the machine's load. */
#define PP_BLOCK 1000

static uint64_t bench_futex_block(void *arg, uint64_t iters)
{
	return rb_futex_partner_run(arg, iters);
}


/* bench_event_block on a domain created while pinned, the bench thread
 * pinned to the same CPU for the block (pinning and unpinning are outside
 * the timed loop) */
static uint64_t bench_event_block_pinned(void *arg, uint64_t iters)
{
	uint64_t ns;

	pin(true);
	ns = bench_event_block(arg, iters);
	pin(false);
	return ns;
}

/* Paired: the pinned and unpinned event ping-pongs on 1 and 2 vCPUs, the
 * raw futex and dom_call in alternating blocks of PP_BLOCK round trips
 * (rb_bench_blocks), every partner alive for the whole measurement.  The
 * order (pinned 1v, pinned 2v, 1v, 2v, futex, call, then reversed) keeps
 * each 2-vCPU block next to its 1-vCPU baseline, and every key spread
 * over the whole measurement.  Each key is the median of its blocks, so a
 * key and its baseline sample the same moments of the machine's load;
 * *_paired_ratio is the median of the per-round ratios 2 vCPUs / 1 vCPU
 * (for information: the targets are the ratios of the keys). */
static void bench_pingpong_paired(struct rb_bench *b, struct dom *d, struct dom *d2,
				  struct dom *dp, struct dom *dp2)
{
	struct evserver e1, e2, ep1, ep2;
	struct rb_futex_partner *fp;
	int rounds;

	evserver_start(&e1, d);
	evserver_start(&e2, d2);
	evserver_start(&ep1, dp);
	evserver_start(&ep2, dp2);
	CHECK(rb_futex_partner_start(&fp));
	struct meas pp[] = {
		MEAS("event_pingpong_pinned_ns", "as event_pingpong_ns, all on one CPU",
		     bench_event_block_pinned, &ep1),
		MEAS("event_pingpong_2v_pinned_ns", "as event_pingpong_2v_ns, all on one CPU",
		     bench_event_block_pinned, &ep2),
		MEAS_CPU("event_pingpong_ns", "host event -> green dom_event_wait -> host ntf",
			 bench_event_block, &e1, "event_pingpong_cpu_ns"),
		/* with 2 vCPUs: one wake-up per event with futex_waitv
		 * (docs/dom.md, "Idle"), two in the listener fallback */
		MEAS_CPU("event_pingpong_2v_ns", "as event_pingpong_ns, domain of 2 vCPUs",
			 bench_event_block, &e2, "event_pingpong_2v_cpu_ns"),
		MEAS_CPU("futex_pingpong_ns", "raw futex round trip, 2 host threads",
			 bench_futex_block, fp, "futex_pingpong_cpu_ns"),
		MEAS_CPU("dom_call_rtt_ns", "dom_call of a trivial fn from a host thread",
			 bench_dom_call, d, "dom_call_cpu_ns"),
	};
	rounds = measure(b, pp, 6, PP_BLOCK);
	paired_ratio(b, "event_pingpong_2v_paired_ratio",
		     "  median of per-round ratios 2v/1v (paired blocks)", &pp[3], &pp[2], rounds);
	paired_ratio(b, "event_pingpong_2v_pinned_paired_ratio",
		     "  median of per-round ratios 2v/1v, pinned", &pp[1], &pp[0], rounds);
	rb_futex_partner_stop(fp);
	evserver_stop(&e1);
	evserver_stop(&e2);
	evserver_stop(&ep1);
	evserver_stop(&ep2);
}

/* Sequential (BENCH_DOM_SEQUENTIAL=1): the six keys as whole
 * 0.2 s repetitions interleaved by rb_bench_compare, a fresh answering
 * thread or partner per repetition, pinning per repetition. */
static void bench_pingpong_sequential(struct rb_bench *b, struct dom *d, struct dom *d2,
				      struct dom *dp, struct dom *dp2)
{
	struct meas pp[] = {
		MEAS_CPU("event_pingpong_ns", "host event -> green dom_event_wait -> host ntf",
			 bench_event, d, "event_pingpong_cpu_ns"),
		MEAS_CPU("futex_pingpong_ns", "raw futex round trip, 2 host threads", bench_futex,
			 NULL, "futex_pingpong_cpu_ns"),
		MEAS_CPU("dom_call_rtt_ns", "dom_call of a trivial fn from a host thread",
			 bench_dom_call, d, "dom_call_cpu_ns"),
		MEAS_CPU("event_pingpong_2v_ns", "as event_pingpong_ns, domain of 2 vCPUs",
			 bench_event, d2, "event_pingpong_2v_cpu_ns"),
		MEAS("event_pingpong_pinned_ns", "as event_pingpong_ns, all on one CPU",
		     bench_event_pinned, dp),
		MEAS("event_pingpong_2v_pinned_ns", "as event_pingpong_2v_ns, all on one CPU",
		     bench_event_pinned, dp2),
	};
	compare(b, pp, 6);
}

/* ------------------------------------------------------------------ */
/* dom_enter + dom_leave, record cached                                 */

static uint64_t bench_enter_leave(void *arg, uint64_t iters)
{
	struct dom *d = arg;
	uint64_t t0 = cpu_now_ns();

	for (uint64_t i = 0; i < iters; i++) {
		dom_enter(d);
		dom_leave(d);
	}
	return cpu_now_ns() - t0;
}

/* ------------------------------------------------------------------ */
/* Uncontended mutexes                                                  */

struct mstate {
	struct dom *d;
	struct dom_mutex m;
	pthread_mutex_t pm;
	uint64_t iters, ns;
};

static uint64_t mutex_loop(struct mstate *s)
{
	uint64_t t0 = cpu_now_ns();

	for (uint64_t i = 0; i < s->iters; i++) {
		dom_mutex_enter(&s->m);
		dom_mutex_exit(&s->m);
	}
	return cpu_now_ns() - t0;
}

static void *mutex_green(void *p)
{
	struct mstate *s = p;

	s->ns = mutex_loop(s);
	return NULL;
}

static uint64_t bench_dom_mutex_green(void *arg, uint64_t iters)
{
	struct mstate *s = arg;

	s->iters = iters;
	run_green(s->d, mutex_green, NULL, s);
	return s->ns;
}

static uint64_t bench_dom_mutex_host(void *arg, uint64_t iters)
{
	struct mstate *s = arg;
	uint64_t ns;

	s->iters = iters;
	CHECK(dom_enter(s->d));
	ns = mutex_loop(s);
	CHECK(dom_leave(s->d));
	return ns;
}

static uint64_t bench_pthread_mutex(void *arg, uint64_t iters)
{
	struct mstate *s = arg;
	uint64_t t0 = cpu_now_ns();

	for (uint64_t i = 0; i < iters; i++) {
		pthread_mutex_lock(&s->pm);
		pthread_mutex_unlock(&s->pm);
	}
	return cpu_now_ns() - t0;
}

/* ------------------------------------------------------------------ */
/* /proc helpers                                                        */

static long status_kib(const char *field)
{
	char line[256];
	size_t l = strlen(field);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, l) == 0 && line[l] == ':') {
			v = strtol(line + l + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long read_long(const char *path)
{
	char buf[64];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL)
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}

static long count_maps(void)
{
	long n = 0;
	int c;
	FILE *f = fopen("/proc/self/maps", "r");

	if (f == NULL)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* Reset VmHWM to the current RSS (Linux 4.0+). */
static bool reset_hwm(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, "5", 1) == 1;
	close(fd);
	return ok;
}

static double ru_ms(const struct rusage *a, const struct rusage *b)
{
	double us = (double)(b->ru_utime.tv_sec - a->ru_utime.tv_sec) * 1e6 +
		    (double)(b->ru_utime.tv_usec - a->ru_utime.tv_usec) +
		    (double)(b->ru_stime.tv_sec - a->ru_stime.tv_sec) * 1e6 +
		    (double)(b->ru_stime.tv_usec - a->ru_stime.tv_usec);
	return us / 1000.0;
}

static long ru_csw(const struct rusage *a, const struct rusage *b)
{
	return (b->ru_nvcsw - a->ru_nvcsw) + (b->ru_nivcsw - a->ru_nivcsw);
}

/* ------------------------------------------------------------------ */
/* Idle: 4 vCPUs, 10,000 green threads blocked on condition variables   */

#define IDLE_THREADS 10000
#define IDLE_CVS 8

static struct {
	struct dom_mutex m[IDLE_CVS];
	struct dom_cv cv[IDLE_CVS];
	_Atomic unsigned waiting;
	bool stop; /* under m[k] */
} idle;

static void *idle_green(void *arg)
{
	unsigned k = (unsigned)(uintptr_t)arg % IDLE_CVS;

	dom_mutex_enter(&idle.m[k]);
	atomic_fetch_add(&idle.waiting, 1);
	while (!idle.stop)
		dom_cv_wait(&idle.cv[k], &idle.m[k]);
	dom_mutex_exit(&idle.m[k]);
	return NULL;
}

static void bench_idle(struct rb_bench *b)
{
	const struct dom_config cfg = {.name = "idle", .vcpus = 4, .stack_size = 16 * 1024};
	const struct dom_thread_attr at = {.name = "sleeper", .vcpu = -1};
	uint64_t window = rb_bench_quick(b) ? 500000000u : 5000000000u;
	struct dom_thread **t = calloc(IDLE_THREADS, sizeof(*t));
	struct rusage s0, s1, m0, m1;
	struct dom *d;

	if (t == NULL)
		die("calloc", -ENOMEM);
	CHECK(dom_create(&d, &cfg));
	for (unsigned k = 0; k < IDLE_CVS; k++) {
		CHECK(dom_mutex_init(&idle.m[k]));
		CHECK(dom_cv_init(&idle.cv[k]));
	}
	for (unsigned i = 0; i < IDLE_THREADS; i++)
		CHECK(dom_thread_create(d, &t[i], &at, idle_green, (void *)(uintptr_t)i));
	while (atomic_load(&idle.waiting) < IDLE_THREADS)
		sleep_ns(1000000);
	/* A waiter is queued on its cv before it releases the mutex: once we
	 * have held every mutex, all of them are queued. */
	CHECK(dom_enter(d));
	for (unsigned k = 0; k < IDLE_CVS; k++) {
		CHECK(dom_mutex_enter(&idle.m[k]));
		CHECK(dom_mutex_exit(&idle.m[k]));
	}
	CHECK(dom_leave(d));
	sleep_ns(100000000); /* let the last switches and the vCPUs settle */

	getrusage(RUSAGE_SELF, &s0);
	getrusage(RUSAGE_THREAD, &m0);
	sleep_ns(window);
	getrusage(RUSAGE_SELF, &s1);
	getrusage(RUSAGE_THREAD, &m1);

	char what[96];
	snprintf(what, sizeof(what), "process CPU, %u blocked on 4 vCPUs, %.1f s", IDLE_THREADS,
		 (double)window / 1e9);
	value(b, "idle_cpu_ms", what, ru_ms(&s0, &s1), "ms");
	value(b, "idle_ctx_switches", "process context switches, same window",
	      (double)ru_csw(&s0, &s1), "");
	value(b, "idle_other_ctx_switches", "of which not the sleeping main thread (vCPUs)",
	      (double)(ru_csw(&s0, &s1) - ru_csw(&m0, &m1)), "");

	CHECK(dom_enter(d));
	for (unsigned k = 0; k < IDLE_CVS; k++) {
		CHECK(dom_mutex_enter(&idle.m[k]));
		idle.stop = true;
		CHECK(dom_cv_broadcast(&idle.cv[k]));
		CHECK(dom_mutex_exit(&idle.m[k]));
	}
	for (unsigned i = 0; i < IDLE_THREADS; i++)
		CHECK(dom_thread_join(t[i], NULL));
	CHECK(dom_leave(d));
	for (unsigned k = 0; k < IDLE_CVS; k++) {
		CHECK(dom_cv_destroy(&idle.cv[k]));
		CHECK(dom_mutex_destroy(&idle.m[k]));
	}
	CHECK(dom_destroy(d));
	free(t);
}

/* ------------------------------------------------------------------ */
/* Scale: create and join 100,000 green threads, 16 KiB stacks, 2 vCPUs */

#define SPAWN_STACK (16 * 1024)

static void *spawn_green(void *arg)
{
	return arg;
}

/* How many stacks may be alive at once (see the top of the file). */
static unsigned spawn_batch(unsigned n)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned batch = n;
	struct rlimit rl;

	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		long vm = status_kib("VmSize");
		double per = (double)(MK_STACK_MIN + MK_STACK_GUARD + page) + 1024; /* stack, guard, record */
		double room = ((double)rl.rlim_cur - (double)vm * 1024.0) * 0.8 / per;
		if (room < 1000)
			room = 1000;
		if (room < batch)
			batch = (unsigned)room;
	}
	return batch;
}

static void bench_spawn(struct rb_bench *b)
{
	const struct dom_config cfg = {.name = "spawn", .vcpus = 2, .stack_size = SPAWN_STACK};
	const struct dom_thread_attr at = {.name = "s", .stack_size = SPAWN_STACK, .vcpu = -1};
	unsigned n = rb_bench_quick(b) ? 10000 : 100000, batch = spawn_batch(n);
	struct dom_thread **t = calloc(batch, sizeof(*t));
	struct rusage r0, r1;
	long rss0, hwm1;
	bool hwm_ok;
	struct dom *d;
	uint64_t t0, t1;

	if (t == NULL)
		die("calloc", -ENOMEM);
	CHECK(dom_create(&d, &cfg));
	hwm_ok = reset_hwm();
	rss0 = status_kib("VmRSS");
	getrusage(RUSAGE_SELF, &r0);

	t0 = rb_now_ns();
	CHECK(dom_enter(d));
	for (unsigned done = 0; done < n;) {
		unsigned k = n - done < batch ? n - done : batch;
		for (unsigned i = 0; i < k; i++)
			CHECK(dom_thread_create(d, &t[i], &at, spawn_green,
						(void *)(uintptr_t)(done + i)));
		for (unsigned i = 0; i < k; i++) {
			void *ret;
			CHECK(dom_thread_join(t[i], &ret));
			if (ret != (void *)(uintptr_t)(done + i))
				die("spawn result", 0);
		}
		done += k;
	}
	CHECK(dom_leave(d));
	t1 = rb_now_ns();

	getrusage(RUSAGE_SELF, &r1);
	hwm1 = status_kib("VmHWM");
	CHECK(dom_destroy(d));
	free(t);

	char what[96];
	snprintf(what, sizeof(what), "create+join %u green threads, 16 KiB stacks, 2 vCPUs", n);
	value(b, "spawn_100k_s", what, (double)(t1 - t0) / 1e9, "s");
	value(b, "spawn_us_per_thread", "the same, per thread", (double)(t1 - t0) / 1e3 / n, "us");
	value(b, "spawn_cpu_s", "process CPU time (user+sys) during it", ru_ms(&r0, &r1) / 1e3,
	      "s");
	if (hwm_ok && rss0 >= 0 && hwm1 >= 0) {
		value(b, "spawn_100k_peak_mib", "peak RSS growth (VmHWM - RSS before)",
		      (double)(hwm1 - rss0) / 1024.0, "MiB");
	} else {
		value(b, "spawn_100k_peak_mib", "peak RSS growth (ru_maxrss delta; may be 0)",
		      (double)(r1.ru_maxrss - r0.ru_maxrss) / 1024.0, "MiB");
	}
	value(b, "spawn_peak_rss_mib", "peak RSS of the process (VmHWM)",
	      hwm1 >= 0 ? (double)hwm1 / 1024.0 : -1, "MiB");
	snprintf(what, sizeof(what), "threads alive at once (%s)",
		 batch < n ? "BATCHED: RLIMIT_AS" : "all of them");
	value(b, "spawn_live_max", what, (double)batch, "");
}

/* ------------------------------------------------------------------ */
/* spawn_join: create + join of a thread that returns at once           */

#define SJ_BATCH 64 /* alive at once: within the stack cache's bound */

static void *sj_fn(void *arg)
{
	return arg;
}

/* n create+join of green threads, SJ_BATCH alive at a time, by a green
 * thread (the M:N case: a green thread spawns and joins its helpers, so a
 * join that waits switches to the child instead of sleeping on a futex);
 * ns per thread (wall). */
struct sj_run {
	unsigned n;
	uint64_t ns, sum, want;
};

static void *sj_driver(void *arg)
{
	const struct dom_thread_attr at = {.name = "sj", .vcpu = -1};
	struct sj_run *run = arg;
	struct dom_thread *t[SJ_BATCH];
	uint64_t t0 = rb_now_ns();

	for (unsigned done = 0; done < run->n; done += SJ_BATCH) {
		for (unsigned i = 0; i < SJ_BATCH; i++)
			CHECK(dom_thread_create(dom_thread_dom(dom_self()), &t[i], &at, sj_fn,
						(void *)(uintptr_t)(done + i)));
		for (unsigned i = 0; i < SJ_BATCH; i++) {
			void *r;
			CHECK(dom_thread_join(t[i], &r));
			run->sum += (uintptr_t)r;
			run->want += done + i;
		}
	}
	run->ns = rb_now_ns() - t0;
	return NULL;
}

static double spawn_join_green(struct dom *d, unsigned n)
{
	struct sj_run run = {.n = n};
	struct dom_thread *drv;

	CHECK(dom_enter(d));
	CHECK(dom_thread_create(d, &drv, NULL, sj_driver, &run));
	CHECK(dom_thread_join(drv, NULL));
	CHECK(dom_leave(d));
	if (run.sum != run.want)
		die("spawn_join checksum", 0);
	return (double)run.ns / n;
}

static double spawn_join_pthread(unsigned n)
{
	pthread_t t[SJ_BATCH];
	uint64_t t0, t1, sum = 0, want = 0;

	t0 = rb_now_ns();
	for (unsigned done = 0; done < n; done += SJ_BATCH) {
		for (unsigned i = 0; i < SJ_BATCH; i++)
			if (pthread_create(&t[i], NULL, sj_fn, (void *)(uintptr_t)(done + i)) != 0)
				die("pthread_create", -EAGAIN);
		for (unsigned i = 0; i < SJ_BATCH; i++) {
			void *r;
			pthread_join(t[i], &r);
			sum += (uintptr_t)r;
			want += done + i;
		}
	}
	t1 = rb_now_ns();
	if (sum != want)
		die("pthread spawn_join checksum", 0);
	return (double)(t1 - t0) / n;
}

static void bench_spawn_join(struct rb_bench *b)
{
	const struct dom_config cfg = {.name = "sj", .vcpus = 2, .stack_size = SPAWN_STACK};
	unsigned n = rb_bench_quick(b) ? 9984 : 99968; /* whole batches */
	const struct dom_config cfg1 = {.name = "sj1", .vcpus = 1, .stack_size = SPAWN_STACK};
	double g[3], g1[3], p[3];
	struct dom *d, *d1;
	char what[128];

	CHECK(dom_create(&d, &cfg));
	CHECK(dom_create(&d1, &cfg1));
	for (int k = 0; k < 3; k++) { /* interleaved: A B C A B C ... */
		g[k] = spawn_join_green(d, n);
		g1[k] = spawn_join_green(d1, n);
		p[k] = spawn_join_pthread(n);
	}
	CHECK(dom_destroy(d));
	CHECK(dom_destroy(d1));
	qsort(g, 3, sizeof(double), cmp_double);
	qsort(g1, 3, sizeof(double), cmp_double);
	qsort(p, 3, sizeof(double), cmp_double);
	snprintf(what, sizeof(what),
		 "create+join by a green thread, %u times, %d alive, 16 KiB, 2 vCPUs (median of 3)", n,
		 SJ_BATCH);
	value(b, "spawn_join_ns", what, g[1], "ns");
	value(b, "spawn_join_1v_ns", "  the same, domain of 1 vCPU (no idle vCPU to kick)", g1[1],
	      "ns");
	snprintf(what, sizeof(what), "the same with pthreads (default attributes), interleaved");
	value(b, "pthread_spawn_join_ns", what, p[1], "ns");
}

/* ------------------------------------------------------------------ */
/* live_100k: 100,000 threads that all block, then woken and joined     */

static _Atomic unsigned live_alive;
static struct dom_sem live_gate;

static void *live_fn(void *arg)
{
	atomic_fetch_add(&live_alive, 1);
	if (dom_sem_wait(&live_gate) != 0)
		return NULL;
	return arg;
}

static void bench_live(struct rb_bench *b)
{
	const struct dom_config cfg = {.name = "live", .vcpus = 2, .stack_size = SPAWN_STACK};
	unsigned n = rb_bench_quick(b) ? 10000 : 100000;
	struct dom_thread **t = calloc(n, sizeof(*t));
	uint64_t t0, t1, sum = 0, want = 0;
	long maps0, maps1, hwm;
	unsigned long hard, soft;
	struct dom *d;
	char what[128];

	if (t == NULL)
		die("calloc", -ENOMEM);
	CHECK(dom_create(&d, &cfg));
	CHECK(dom_sem_init(&live_gate, 0));
	atomic_store(&live_alive, 0);
	maps0 = count_maps();
	CHECK(dom_enter(d));
	t0 = rb_now_ns();
	for (unsigned i = 0; i < n; i++)
		CHECK(dom_thread_create(d, &t[i], NULL, live_fn, (void *)(uintptr_t)i));
	while (atomic_load(&live_alive) < n)
		CHECK(dom_sleep_ns(100000));
	maps1 = count_maps();
	for (unsigned i = 0; i < n; i++)
		CHECK(dom_sem_post(&live_gate));
	for (unsigned i = 0; i < n; i++) {
		void *r;
		CHECK(dom_thread_join(t[i], &r));
		sum += (uintptr_t)r;
		want += i;
	}
	t1 = rb_now_ns();
	CHECK(dom_leave(d));
	hwm = status_kib("VmHWM");
	CHECK(dom_sem_destroy(&live_gate));
	CHECK(dom_destroy(d));
	free(t);
	if (sum != want)
		die("live checksum", 0);
	mk_stack_stats(&hard, &soft);

	snprintf(what, sizeof(what), "%u green threads (16 KiB) created, all blocked, woken, joined",
		 n);
	value(b, "live_100k_s", what, (double)(t1 - t0) / 1e9, "s");
	value(b, "live_100k_peak_mib", "peak RSS of the process (VmHWM) by then",
	      hwm >= 0 ? (double)hwm / 1024.0 : -1, "MiB");
	value(b, "live_100k_maps", "mappings (/proc/self/maps) with all of them alive",
	      (double)maps1, "");
	value(b, "live_100k_maps_before", "  the same before the first was created", (double)maps0,
	      "");
	value(b, "max_map_count", "vm.max_map_count of this host",
	      (double)read_long("/proc/sys/vm/max_map_count"), "");
	value(b, "stacks_hard_guard", "stack slots made with a hard guard (whole run)",
	      (double)hard, "");
	value(b, "stacks_soft_guard", "  and with a soft guard", (double)soft, "");
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct rb_bench *b = rb_bench_open("bench_dom", argc, argv);
	const struct dom_config cfg1 = {.name = "bench", .vcpus = 1};
	const struct dom_config cfg2 = {.name = "bench2", .vcpus = 2};
	static struct mstate ms;
	struct dom *d, *d2, *dp, *dp2;

	if (b == NULL)
		return 2;
	CHECK(dom_create(&d, &cfg1));
	CHECK(dom_create(&d2, &cfg2));
	pin(true); /* their vCPUs inherit the one CPU */
	CHECK(dom_create(&dp, &cfg1));
	CHECK(dom_create(&dp2, &cfg2));
	pin(false);

	struct meas yield[] = {
		MEAS("green_yield_rtt_ns", "green yield round trip, 2 threads, 1 vCPU (cpu)",
		 bench_green_yield, d),
		MEAS("swapcontext_rtt_ns", "swapcontext round trip, 2 switches (cpu)", bench_swapcontext,
		 NULL),
		MEAS("condvar_handoff_rtt_ns", "pthread mutex+condvar round trip, 2 threads",
		 bench_condvar, NULL),
		MEAS("green_yield_traced_rtt_ns", "as green_yield_rtt_ns, the domain traced (cpu)",
		     bench_green_yield_traced, d),
	};
	if (want("yield"))
		compare(b, yield, 4);

	if (want("pingpong") && !sequential())
		bench_pingpong_paired(b, d, d2, dp, dp2);
	else if (want("pingpong"))
		bench_pingpong_sequential(b, d, d2, dp, dp2);

	struct meas enter[] = {
		MEAS("enter_leave_ns", "dom_enter + dom_leave, record cached (cpu)", bench_enter_leave, d),
	};
	if (want("enter"))
		compare(b, enter, 1);

	ms.d = d;
	CHECK(dom_mutex_init(&ms.m));
	pthread_mutex_init(&ms.pm, NULL);
	struct meas mutex[] = {
		MEAS("dom_mutex_ns", "dom_mutex enter+exit, green (cpu)", bench_dom_mutex_green,
		 &ms),
		MEAS("dom_mutex_host_ns", "dom_mutex enter+exit, entered host (cpu)",
		 bench_dom_mutex_host, &ms),
		MEAS("pthread_mutex_ns", "pthread_mutex lock+unlock (cpu)", bench_pthread_mutex,
		 &ms),
	};
	if (want("mutex"))
		compare(b, mutex, 3);
	CHECK(dom_mutex_destroy(&ms.m));
	CHECK(dom_destroy(d));
	CHECK(dom_destroy(d2));
	CHECK(dom_destroy(dp));
	CHECK(dom_destroy(dp2));

	if (want("spawn")) {
		bench_spawn_join(b);
		bench_spawn(b);
	}
	if (want("live"))
		bench_live(b);
	if (want("idle"))
		bench_idle(b);

	target_abs(b, "green yield RTT vs 30 ns", "green_yield_rtt_ns",
		   "target_green_yield_rtt_ns", 30, "ns", "< 1 (under 30 ns)");
	target(b, "swapcontext RTT / green yield RTT", "swapcontext_rtt_ns", "green_yield_rtt_ns",
	       ">= 10", true, 10);
	rb_bench_ratio(b, "condvar hand-off / green yield", "condvar_handoff_rtt_ns",
		       "green_yield_rtt_ns", "report");
	rb_bench_ratio(b, "traced yield / yield", "green_yield_traced_rtt_ns", "green_yield_rtt_ns",
		       "report");
	target(b, "event ping-pong vs raw futex", "event_pingpong_ns", "futex_pingpong_ns",
	       "<= 1.3", false, 1.3 + 1e-9);
	target_abs(b, "dom_enter+dom_leave vs 20 ns", "enter_leave_ns", "target_enter_leave_ns",
		   20, "ns", "< 1 (under 20 ns)");
	target(b, "dom_call RTT vs raw futex", "dom_call_rtt_ns", "futex_pingpong_ns", "<= 1.5",
	       false, 1.5 + 1e-9);
	target(b, "dom_mutex (green) vs pthread", "dom_mutex_ns", "pthread_mutex_ns", "<= 1.2",
	       false, 1.2 + 1e-9);
	target(b, "dom_mutex (host) vs pthread", "dom_mutex_host_ns", "pthread_mutex_ns",
	       "<= 1.2", false, 1.2 + 1e-9);
	target(b, "pthread spawn+join / green spawn+join", "pthread_spawn_join_ns",
	       "spawn_join_ns", ">= 50", true, 50);
	target(b, "event ping-pong 2 vCPUs vs 1 vCPU", "event_pingpong_2v_ns",
	       "event_pingpong_ns", "<= 1.2", false, 1.2 + 1e-9);
	target(b, "event ping-pong 2 vs 1 vCPU, pinned", "event_pingpong_2v_pinned_ns",
	       "event_pingpong_pinned_ns", "<= 1.2", false, 1.2 + 1e-9);
	target_abs(b, "live_100k peak RSS vs 1 GiB", "live_100k_peak_mib",
		   "target_live_100k_peak_mib", 1024, "MiB", "< 1 (under 1 GiB)");
	target_abs(b, "idle CPU vs 5 ms", "idle_cpu_ms", "target_idle_cpu_ms", 5, "ms",
		   "< 1 (under 5 ms)");

	printf("\ntargets (load average at the end: ");
	double la[3];
	if (getloadavg(la, 3) == 3)
		printf("%.2f %.2f %.2f, %ld CPUs)\n", la[0], la[1], la[2],
		       sysconf(_SC_NPROCESSORS_ONLN));
	else
		printf("unknown)\n");
	for (int i = 0; i < ntargets; i++)
		printf("  %-40s %8.3f x  target %-20s %s\n", targets[i].what, targets[i].v,
		       targets[i].target, targets[i].met ? "met" : "MISSED");
	if (val("event_pingpong_2v_paired_ratio") >= 0)
		printf("  %-40s %8.3f x  (median of per-round ratios, for information)\n",
		       "event 2 vs 1 vCPU, paired blocks", val("event_pingpong_2v_paired_ratio"));
	if (val("event_pingpong_2v_pinned_paired_ratio") >= 0)
		printf("  %-40s %8.3f x  (the same, pinned)\n", "event 2 vs 1 vCPU, paired, pinned",
		       val("event_pingpong_2v_pinned_paired_ratio"));
	if (val("idle_other_ctx_switches") >= 0)
		printf("  %-40s %8.0f    target %-20s %s\n", "idle: vCPU context switches",
		       val("idle_other_ctx_switches"), "0 (no periodic wake-ups)",
		       val("idle_other_ctx_switches") == 0 ? "met" : "MISSED");
	fflush(stdout);
	return rb_bench_close(b);
}
