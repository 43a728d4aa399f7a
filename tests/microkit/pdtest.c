/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The domain's unit tests that make sense on one vCPU, run inside a seL4
 * Microkit PD (tests/microkit/pdtest.system): threads, mutex, condition
 * variable, semaphore, rwlock, events (local, from another PD's channel,
 * bound handlers), the wait protocol's one-vCPU loads and stores,
 * timers, and the backend's own memory and stacks; and, in
 * pdtest_inplace.c, the PD's event loop and the receive in place.  A
 * green thread "runner" runs them in order and prints, on the console,
 * one line per test and a last "pdtest: N passed, M failed" line that
 * tests/microkit/check_pdtest.sh reads.  Built twice: pdtest.img, where
 * libmicrokit's event loop runs, and pdtest_loop.img (PDTEST_OWN_LOOP),
 * whose init() ends in the library's (mk_microkit_event_loop); a check
 * that depends on the loop says what each one must give.
 *
 * The "poker" PD (poker.c) answers every notification with one
 * notification back on the same channel: a channel event that comes from
 * outside (pdtest_proto.h: the channels, and the call it makes on CH_PP).
 */
#include <errno.h>
#include <string.h>

#include <rumpbridge/trace.h>

#include "pdtest.h"

uintptr_t heap_base;
uintptr_t stack0_base;

struct dom *d;
int failures;

struct dom_thread *spawn(const char *name, void *(*fn)(void *), void *arg)
{
	struct dom_thread_attr a = {.name = name, .vcpu = -1};
	struct dom_thread *t = NULL;

	CHECK_EQ(dom_thread_create(d, &t, &a, fn, arg), 0);
	return t;
}

void *join(struct dom_thread *t)
{
	void *ret = NULL;

	if (t != NULL)
		CHECK_EQ(dom_thread_join(t, &ret), 0);
	return ret;
}

/* ---- threads ---- */
static char trace[64];
static int ntrace;

static void *ping(void *arg)
{
	for (int i = 0; i < 3; i++) {
		trace[ntrace++] = *(const char *)arg;
		dom_yield();
	}
	return (void *)(uintptr_t)(*(const char *)arg);
}

static volatile int detached_ran;
static void *detached_fn(void *arg)
{
	(void)arg;
	detached_ran = 1;
	return NULL;
}

static void test_thread(void)
{
	struct dom_thread *a, *b;
	struct dom_thread_attr da = {.name = "detached", .vcpu = -1, .detached = true};

	ntrace = 0;
	a = spawn("ping-a", ping, "a");
	b = spawn("ping-b", ping, "b");
	CHECK_EQ((uintptr_t)join(a), 'a');
	CHECK_EQ((uintptr_t)join(b), 'b');
	trace[ntrace] = '\0';
	CHECK(strcmp(trace, "ababab") == 0); /* FIFO yield on one vCPU */
	CHECK(strcmp(dom_thread_name(dom_self()), "runner") == 0);
	CHECK(dom_thread_is_green(dom_self()));
	CHECK_EQ(dom_thread_join(dom_self(), NULL), -EDEADLK);
	CHECK_EQ(dom_thread_create(d, NULL, &da, detached_fn, NULL), 0);
	while (!detached_ran)
		dom_yield();
	CHECK_EQ(dom_thread_create(d, NULL, NULL, NULL, NULL), -EINVAL);
}

/* ---- the yield gate: the one-vCPU build's short yield (src/dom/sched.c,
 * "One vCPU") tests one word, and whatever needs the long path must close
 * it.  A thread with its own FP modes (fpenv) keeps them and the others
 * never see them: the short path's switch leaves FPCR alone.  A thread
 * woken from the PD context while a green thread runs (it waits in a raw
 * mk wait, so the PD context runs) sits in the domain queue, and the very
 * next yield runs it: the short path looks only at the private queue.
 * Run before "yield": a thread with fpenv keeps the gate closed for good. */
#define GATE_YIELDS 40
#define FPCR_RMODE_RZ (UINT64_C(3) << 22) /* FPCR.RMode: round toward zero */
static uint64_t fpcr_default;
static volatile int fp_bad;

static inline uint64_t fpcr_get(void)
{
	uint64_t v;

	__asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
	return v;
}

static inline void fpcr_set(uint64_t v)
{
	__asm__ __volatile__("msr fpcr, %0" ::"r"(v));
}

/* Yields, then blocks on fp_sem (the switch out of a blocker is
 * switch_to's, which must keep the FP modes too), posted by the first
 * plain thread that sees it waiting. */
static struct dom_sem fp_sem;
static volatile int fp_own_waiting;

static void *fp_own(void *arg)
{
	const uint64_t own = fpcr_default ^ FPCR_RMODE_RZ;

	(void)arg;
	fpcr_set(own);
	for (int i = 0; i < GATE_YIELDS; i++) {
		CHECK_EQ(dom_yield(), 0);
		if (fpcr_get() != own)
			fp_bad |= 1; /* lost its own modes */
	}
	fp_own_waiting = 1;
	CHECK_EQ(dom_sem_wait(&fp_sem), 0);
	if (fpcr_get() != own)
		fp_bad |= 4; /* lost them across a block */
	return NULL;
}

static void *fp_plain(void *arg)
{
	(void)arg;
	for (int i = 0; i < GATE_YIELDS; i++) {
		CHECK_EQ(dom_yield(), 0);
		if (fpcr_get() != fpcr_default)
			fp_bad |= 2; /* saw another thread's modes */
	}
	while (fp_own_waiting == 0)
		CHECK_EQ(dom_yield(), 0);
	if (fpcr_get() != fpcr_default)
		fp_bad |= 8; /* saw them after it blocked */
	if (fp_own_waiting == 1) {
		fp_own_waiting = 2;
		CHECK_EQ(dom_sem_post(&fp_sem), 0);
	}
	return NULL;
}

static struct mk_notification gate_ntf;
static struct dom_sem gate_sem;
static volatile int gate_hook; /* notified(CH_POKER): GATE_*, in the PD context */
static char gtrace[8];
static int ngtrace;

/* Ask the PD context to do hook (GATE_*) and wait until it has. */
enum { GATE_WAKE = 1, GATE_TRACE_WRITE = 2, GATE_NOTIFY = 3, GATE_POST = 4 };
static void pd_context_run(int hook)
{
	uint64_t w = 0;

	gate_hook = hook;
	microkit_notify(CH_POKER); /* answered once this PD waits in seL4_Recv */
	/* the whole vCPU context waits: the PD context runs notified() */
	CHECK_EQ(mk_notification_wait(&gate_ntf, &w), 0);
}

static void *gate_woken(void *arg)
{
	(void)arg;
	CHECK_EQ(dom_sem_wait(&gate_sem), 0);
	gtrace[ngtrace++] = 'w';
	return NULL;
}

/* arg: yields alone first (they move the scheduling point's tick) */
static void *gate_holder(void *arg)
{
	for (uintptr_t i = 0; i < (uintptr_t)arg; i++)
		CHECK_EQ(dom_yield(), 0);
	pd_context_run(GATE_WAKE);
	for (int i = 0; i < 3; i++) {
		gtrace[ngtrace++] = 'h';
		CHECK_EQ(dom_yield(), 0);
	}
	return NULL;
}

/* Tracing: every switch of a traced domain is recorded, the short path
 * records none.  The trace is read from the PD context (dom_trace_write
 * wants a thread that is not green), in notified(). */
#define TRACE_YIELDS 20
static int trace_switches = -1; /* switches to a "tr-" thread in the trace */
static int trace_write_rc = 1;

/* The file's parts come one call each (trace.c, write_locked): the
 * header (24 bytes), each domain (24), each buffer's header (40), and its
 * events in runs of whole 64-byte records. */
static int trace_sink(void *arg, const void *buf, size_t len)
{
	const struct dom_trace_event *e = buf;

	(void)arg;
	if (len % sizeof(*e) != 0)
		return 0;
	for (size_t i = 0; i < len / sizeof(*e); i++)
		if (e[i].type == DOM_TR_SWITCH && memcmp(e[i].name, "tr-", 3) == 0)
			trace_switches++;
	return 0;
}

static void *trace_yielder(void *arg)
{
	(void)arg;
	for (int i = 0; i < TRACE_YIELDS; i++)
		CHECK_EQ(dom_yield(), 0);
	return NULL;
}

static void test_yieldgate(void)
{
	struct dom_thread_attr fa = {.name = "fp-own", .vcpu = -1, .fpenv = true};
	struct dom_thread *t[3];

	/* the domain queue: twice, the tick at two phases (one of them is
	 * not a POLL_IRQ_EVERY-th point, where the long path runs anyway) */
	CHECK_EQ(mk_notification_init(&gate_ntf, 0), 0);
	CHECK_EQ(dom_sem_init(&gate_sem, 0), 0);
	for (uintptr_t r = 0; r < 2; r++) {
		ngtrace = 0;
		t[0] = spawn("gate-woken", gate_woken, NULL); /* waits first */
		t[1] = spawn("gate-holder", gate_holder, (void *)r);
		join(t[0]);
		join(t[1]);
		gtrace[ngtrace] = '\0';
		if (strcmp(gtrace, "hwhh") != 0) {
			pd_put("pdtest: yield gate: domain queue order ");
			pd_put(gtrace);
			pd_put(" (want hwhh)\n");
			failures++;
		}
	}
	/* tracing on: both threads' switches are all recorded */
	CHECK_EQ(dom_trace_start(d, 256), 0);
	t[0] = spawn("tr-a", trace_yielder, NULL);
	t[1] = spawn("tr-b", trace_yielder, NULL);
	join(t[0]);
	join(t[1]);
	CHECK_EQ(dom_trace_stop(d), 0);
	trace_switches = 0;
	pd_context_run(GATE_TRACE_WRITE);
	CHECK_EQ(trace_write_rc, 0);
	if (trace_switches < 2 * TRACE_YIELDS) {
		pd_put("pdtest: yield gate: switches traced ");
		pd_put_i64(trace_switches);
		pd_put(", want at least ");
		pd_put_i64(2 * TRACE_YIELDS);
		pd_put("\n");
		failures++;
	}
	CHECK_EQ(mk_notification_destroy(&gate_ntf), 0);
	/* fpenv (last: the gate stays closed for good after it): its own
	 * modes against two plain threads */
	fpcr_default = fpcr_get();
	fp_bad = 0;
	fp_own_waiting = 0;
	CHECK_EQ(dom_sem_init(&fp_sem, 0), 0);
	t[0] = spawn("fp-plain-a", fp_plain, NULL);
	CHECK_EQ(dom_thread_create(d, &t[1], &fa, fp_own, NULL), 0);
	t[2] = spawn("fp-plain-b", fp_plain, NULL);
	for (int i = 0; i < 3; i++)
		join(t[i]);
	CHECK_EQ(fp_bad, 0);
	CHECK_EQ(fpcr_get(), fpcr_default);
	CHECK_EQ(dom_sem_destroy(&fp_sem), 0);
}

/* ---- yield: the one-vCPU build's short path (src/dom/sched.c, "One
 * vCPU") must keep the long path's semantics: FIFO order, mixed with the
 * long path (every POLL_IRQ_EVERY-th yield, a thread with fpenv) and
 * resuming what the other switch saved; a busy domain still sees its
 * timers and its own event bits at the scheduling points. ---- */
#define YIELD_ROUNDS 50
#define BUSY_LIMIT 4000000 /* yields: ends a broken run (2 ms is ~20,000) */
static char ytrace[3 * YIELD_ROUNDS + 1];
static int nytrace;
static volatile int busy_done;
static volatile unsigned long busy_yields;
static const uint64_t bit11 = UINT64_C(1) << 11;

static void *yield_rec(void *arg)
{
	for (int i = 0; i < YIELD_ROUNDS; i++) {
		ytrace[nytrace++] = *(const char *)arg;
		CHECK_EQ(dom_yield(), 0);
	}
	return NULL;
}

/* arg: event bits to raise first, or NULL */
static void *busy_yielder(void *arg)
{
	if (arg != NULL)
		CHECK_EQ(dom_event_signal(d, *(const uint64_t *)arg), 0);
	for (busy_yields = 0; !busy_done && busy_yields < BUSY_LIMIT; busy_yields++)
		dom_yield();
	return NULL;
}

static void *nap_2ms(void *arg)
{
	(void)arg;
	CHECK_EQ(dom_sleep_ns(2 * MS), 0);
	busy_done = 1;
	return NULL;
}

static void *bit_waiter(void *arg)
{
	uint64_t bits = 0;

	(void)arg;
	CHECK_EQ(dom_event_wait(d, UINT64_C(1) << 11, &bits), 0);
	CHECK_EQ(bits, UINT64_C(1) << 11);
	busy_done = 1;
	return NULL;
}

static void test_yield(void)
{
	struct dom_thread_attr fa = {.name = "yield-y", .vcpu = -1, .fpenv = true};
	struct dom_thread *t[3] = {NULL, NULL, NULL};
	struct dom_config two = {.name = "two", .vcpus = 2};
	struct dom *d2;
	char want[sizeof(ytrace)];

	CHECK_EQ(dom_yield(), 0); /* alone: goes on */
	/* x, y (own FP modes: the long path), z: FIFO, whichever path */
	nytrace = 0;
	t[0] = spawn("yield-x", yield_rec, "x");
	CHECK_EQ(dom_thread_create(d, &t[1], &fa, yield_rec, "y"), 0);
	t[2] = spawn("yield-z", yield_rec, "z");
	for (int i = 0; i < 3; i++)
		join(t[i]);
	ytrace[nytrace] = '\0';
	for (int i = 0; i < 3 * YIELD_ROUNDS; i++)
		want[i] = "xyz"[i % 3];
	want[3 * YIELD_ROUNDS] = '\0';
	if (strcmp(ytrace, want) != 0) {
		pd_put("pdtest: yield order ");
		pd_put(ytrace);
		pd_put("\n");
		failures++;
	}
	/* a timer fires while a thread only yields (the clock is looked at
	 * every POLL_CLOCK_EVERY scheduling points) */
	busy_done = 0;
	t[0] = spawn("nap", nap_2ms, NULL);
	t[1] = spawn("busy", busy_yielder, NULL);
	join(t[0]);
	join(t[1]);
	CHECK_EQ(busy_done, 1);
	CHECK(busy_yields < BUSY_LIMIT);
	/* a bit the domain raises itself reaches its waiter while a thread
	 * only yields (the notification is polled every POLL_IRQ_EVERY) */
	busy_done = 0;
	t[0] = spawn("bitwait", bit_waiter, NULL); /* runs first: waits */
	t[1] = spawn("busy", busy_yielder, (void *)&bit11);
	join(t[0]);
	join(t[1]);
	CHECK_EQ(busy_done, 1);
	CHECK(busy_yields < BUSY_LIMIT);
	/* the build is for one vCPU per domain */
	CHECK_EQ(dom_create(&d2, &two), -EINVAL);
}

/* ---- mutex ---- */
static struct dom_mutex mtx;
static volatile uint64_t shared_sum;

static void *mutex_worker(void *arg)
{
	uint64_t add = (uintptr_t)arg;

	for (int i = 0; i < 200; i++) {
		CHECK_EQ(dom_mutex_enter(&mtx), 0);
		uint64_t v = shared_sum;
		dom_yield(); /* the others must queue on the mutex */
		shared_sum = v + add;
		CHECK_EQ(dom_mutex_exit(&mtx), 0);
	}
	return NULL;
}

static void *mutex_try(void *arg)
{
	(void)arg;
	CHECK_EQ(dom_mutex_tryenter(&mtx), -EBUSY);
	CHECK_EQ(dom_mutex_exit(&mtx), -EPERM);
	return NULL;
}

static void test_mutex(void)
{
	struct dom_thread *t[3];

	CHECK_EQ(dom_mutex_init(&mtx), 0);
	shared_sum = 0;
	for (int i = 0; i < 3; i++)
		t[i] = spawn("mutex", mutex_worker, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < 3; i++)
		join(t[i]);
	CHECK_EQ(shared_sum, 200 * (1 + 2 + 3)); /* no lost update */
	CHECK_EQ(dom_mutex_enter(&mtx), 0);
	CHECK_EQ(dom_mutex_enter(&mtx), -EDEADLK);
	CHECK(dom_mutex_owner(&mtx) == dom_self());
	join(spawn("mutex-try", mutex_try, NULL));
	CHECK_EQ(dom_mutex_destroy(&mtx), -EBUSY);
	CHECK_EQ(dom_mutex_exit(&mtx), 0);
	CHECK_EQ(dom_mutex_destroy(&mtx), 0);
	CHECK_EQ(dom_mutex_enter(&mtx), -EBADF);
}

/* ---- condition variable: a bounded queue ---- */
static struct dom_mutex qm;
static struct dom_cv not_empty, not_full;
static int q[4], qn, qh;
static uint64_t consumed_sum;

static void *producer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= 100; i++) {
		dom_mutex_enter(&qm);
		while (qn == 4)
			dom_cv_wait(&not_full, &qm);
		q[(qh + qn++) % 4] = i;
		dom_cv_signal(&not_empty);
		dom_mutex_exit(&qm);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= 100; i++) {
		dom_mutex_enter(&qm);
		while (qn == 0)
			dom_cv_wait(&not_empty, &qm);
		int v = q[qh];
		qh = (qh + 1) % 4;
		qn--;
		CHECK_EQ(v, i); /* in order */
		consumed_sum += (uint64_t)v;
		dom_cv_signal(&not_full);
		dom_mutex_exit(&qm);
	}
	return NULL;
}

static void test_cv(void)
{
	struct dom_thread *p, *c;
	uint64_t t0;

	dom_mutex_init(&qm);
	dom_cv_init(&not_empty);
	dom_cv_init(&not_full);
	consumed_sum = 0;
	c = spawn("consumer", consumer, NULL);
	p = spawn("producer", producer, NULL);
	join(p);
	join(c);
	CHECK_EQ(consumed_sum, 5050);
	/* timed wait: nobody signals */
	dom_mutex_enter(&qm);
	t0 = mk_clock_now_ns();
	CHECK_EQ(dom_cv_timedwait(&not_empty, &qm, t0 + 2 * MS), -ETIMEDOUT);
	CHECK(mk_clock_now_ns() - t0 >= 2 * MS);
	CHECK(dom_mutex_owner(&qm) == dom_self()); /* owned again */
	dom_mutex_exit(&qm);
	CHECK(!dom_cv_has_waiters(&not_empty));
	CHECK_EQ(dom_cv_wait(&not_empty, &qm), -EPERM);
}

/* ---- semaphore ---- */
static struct dom_sem sem;
static volatile int sem_got;

static void *sem_waiter(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(dom_sem_wait(&sem), 0);
		sem_got++;
	}
	return NULL;
}

static void test_sem(void)
{
	struct dom_thread *t;
	uint64_t t0;

	CHECK_EQ(dom_sem_init(&sem, 0), 0);
	sem_got = 0;
	t = spawn("sem", sem_waiter, NULL);
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(dom_sem_post(&sem), 0);
		dom_yield();
	}
	join(t);
	CHECK_EQ(sem_got, 10);
	CHECK_EQ(dom_sem_trywait(&sem), -EAGAIN);
	t0 = mk_clock_now_ns();
	CHECK_EQ(dom_sem_timedwait(&sem, t0 + 1 * MS), -ETIMEDOUT);
	CHECK(mk_clock_now_ns() - t0 >= 1 * MS);
	CHECK_EQ(dom_sem_post(&sem), 0);
	CHECK_EQ(dom_sem_trywait(&sem), 0);
	CHECK_EQ(dom_sem_destroy(&sem), 0);
}

/* ---- rwlock ---- */
static struct dom_rwlock rw;
static volatile int readers_in, max_readers;

static void *reader(void *arg)
{
	(void)arg;
	CHECK_EQ(dom_rwlock_rdlock(&rw), 0);
	readers_in++;
	if (readers_in > max_readers)
		max_readers = readers_in;
	dom_yield();
	readers_in--;
	CHECK_EQ(dom_rwlock_unlock(&rw), 0);
	return NULL;
}

static void test_rwlock(void)
{
	struct dom_thread *t[3];

	CHECK_EQ(dom_rwlock_init(&rw), 0);
	max_readers = 0;
	for (int i = 0; i < 3; i++)
		t[i] = spawn("reader", reader, NULL);
	for (int i = 0; i < 3; i++)
		join(t[i]);
	CHECK_EQ(max_readers, 3); /* shared */
	CHECK_EQ(dom_rwlock_wrlock(&rw), 0);
	CHECK(dom_rwlock_wrheld(&rw));
	CHECK_EQ(dom_rwlock_tryrdlock(&rw), -EDEADLK);
	CHECK_EQ(dom_rwlock_unlock(&rw), 0);
	CHECK_EQ(dom_rwlock_destroy(&rw), 0);
}

/* ---- events ---- */
static volatile int handler_calls;
static char handler_thread[DOM_NAME_MAX + 1];

static void on_poker(unsigned bit, void *arg)
{
	(void)arg;
	CHECK_EQ(bit, CH_POKER);
	strcpy(handler_thread, dom_thread_name(dom_self()));
	handler_calls++;
}

static void test_event(void)
{
	uint64_t bits, t0;

	/* local: a bit raised by the domain itself, pending until taken */
	CHECK_EQ(dom_event_signal(d, UINT64_C(1) << 10), 0);
	CHECK_EQ(dom_event_wait(d, UINT64_C(1) << 10, &bits), 0);
	CHECK_EQ(bits, UINT64_C(1) << 10);
	CHECK_EQ(dom_event_signal(d, UINT64_C(1) << 63), -EINVAL);
	/* from another PD: channel CH_POKER is event bit CH_POKER */
	microkit_notify(CH_POKER);
	CHECK_EQ(dom_event_wait(d, UINT64_C(1) << CH_POKER, &bits), 0);
	CHECK_EQ(bits, UINT64_C(1) << CH_POKER);
	/* three notifications before the poker runs are one for it (it has
	 * a lower priority), so one answer: the second wait times out */
	microkit_notify(CH_POKER);
	microkit_notify(CH_POKER);
	microkit_notify(CH_POKER);
	CHECK_EQ(dom_event_wait(d, UINT64_C(1) << CH_POKER, &bits), 0);
	t0 = mk_clock_now_ns();
	CHECK_EQ(dom_event_wait_until(d, UINT64_C(1) << CH_POKER, t0 + 5 * MS, &bits), -ETIMEDOUT);
	CHECK(mk_clock_now_ns() - t0 >= 5 * MS);
	CHECK_EQ(bits, 0);
	/* bound: the handler runs on the service thread */
	handler_calls = 0;
	CHECK_EQ(dom_event_bind(d, CH_POKER, on_poker, NULL), 0);
	CHECK_EQ(dom_event_bind(d, CH_POKER, on_poker, NULL), -EEXIST);
	microkit_notify(CH_POKER);
	t0 = mk_clock_now_ns();
	while (handler_calls == 0 && mk_clock_now_ns() - t0 < 1000 * MS)
		dom_sleep_ns(100000);
	CHECK_EQ(handler_calls, 1);
	CHECK(strcmp(handler_thread, "dom-service") == 0);
	CHECK_EQ(dom_event_bind(d, CH_POKER, NULL, NULL), 0);
}

/* ---- the direct wake (docs/microkit.md, "Direct wake"): a channel's
 * notification that finds the domain idle is delivered, and the threads it
 * wakes run, on the PD context's stack.  It must keep the semantics of the
 * idle loop's path: the threads the woken one makes runnable take their
 * turns with it (FIFO), a bit the domain raises on itself meanwhile is
 * delivered before the PD goes back to seL4_Recv, a deadline set meanwhile
 * is armed, a raw mk wait of a woken thread holds the whole domain as
 * before, and a notification that comes while a green thread holds the
 * vCPU context (in a raw mk wait) is left pending for the domain, not run
 * beside it.  Each part starts with every thread blocked and the runner
 * waiting, then has the poker notify the domain. */
#define DW_BIT_SELF 12 /* raised by the woken thread itself */
#define DW_BIT_DONE 13 /* the part's end, for the runner */
#define DW_BIT_PENDING 14 /* raised by notified() while "dw-raw" waits raw */
#define DW_BIT_STOP 15 /* ends the watchdog */
#define DW_LIMIT (10000 * MS) /* the bound of the whole test, never reached when it works */
static char dtrace[16];
static int ndtrace, dw_turns;
static struct dom_sem dw_sem;
static uint64_t dw_lr_woken, dw_lr_self;
static volatile int dw_self_ran, dw_in_raw, dw_pending_in_raw = -1, dw_pending_rc = 1;
static uint64_t dw_end; /* the watchdog's deadline (below) */
static volatile int dw_fired;

/* Wait for event bit `bit`; the PD's returns to seL4_Recv so far. */
static uint64_t dw_wait_lr(unsigned bit)
{
	struct mk_microkit_stats s;
	uint64_t bits;

	CHECK_EQ(dom_event_wait(d, UINT64_C(1) << bit, &bits), 0);
	mk_microkit_get_stats(&s);
	return s.loop_returns;
}

static void *dw_woken(void *arg)
{
	(void)arg;
	dw_lr_woken = dw_wait_lr(CH_POKER);
	CHECK_EQ(dom_sem_post(&dw_sem), 0); /* "dw-other" runnable */
	for (int i = 0; i < dw_turns; i++) {
		dtrace[ndtrace++] = 'w';
		CHECK_EQ(dom_yield(), 0);
	}
	return NULL;
}

static void *dw_other(void *arg)
{
	(void)arg;
	CHECK_EQ(dom_sem_wait(&dw_sem), 0);
	for (int i = 0; i < dw_turns; i++) {
		dtrace[ndtrace++] = 'o';
		CHECK_EQ(dom_yield(), 0);
	}
	/* the last runnable thread: the bit is not seen at a later
	 * scheduling point, but by the direct wake (or the idle loop) */
	CHECK_EQ(dom_event_signal(d, UINT64_C(1) << DW_BIT_SELF), 0);
	return NULL;
}

static void *dw_self(void *arg)
{
	(void)arg;
	dw_lr_self = dw_wait_lr(DW_BIT_SELF);
	dw_self_ran = 1;
	CHECK_EQ(dom_event_signal(d, UINT64_C(1) << DW_BIT_DONE), 0);
	return NULL;
}

/* woken by the poker, sleeps (a deadline the parked idle wait lacks) */
static void *dw_napper(void *arg)
{
	uint64_t bits;

	(void)arg;
	CHECK_EQ(dom_event_wait(d, UINT64_C(1) << CH_POKER, &bits), 0);
	CHECK_EQ(dom_sleep_ns(2 * MS), 0);
	CHECK_EQ(dom_event_signal(d, UINT64_C(1) << DW_BIT_DONE), 0);
	return NULL;
}

/* woken by the poker, makes a raw mk wait, during which notified() raises
 * DW_BIT_PENDING for "dw-pending" */
static void *dw_raw(void *arg)
{
	uint64_t bits;

	(void)arg;
	CHECK_EQ(dom_event_wait(d, UINT64_C(1) << CH_POKER, &bits), 0);
	dw_in_raw = 1;
	pd_context_run(GATE_NOTIFY);
	dw_in_raw = 0;
	CHECK_EQ(dom_event_signal(d, UINT64_C(1) << DW_BIT_DONE), 0);
	return NULL;
}

static void *dw_pending(void *arg)
{
	uint64_t bits;

	(void)arg;
	dw_pending_rc = dom_event_wait_until(d, UINT64_C(1) << DW_BIT_PENDING, dw_end, &bits);
	dw_pending_in_raw = dw_in_raw;
	return NULL;
}

/* woken by the poker, has the PD context post dw_sem once the domain is
 * idle again (poker's answer, notified()) */
static void *dw_poster(void *arg)
{
	uint64_t bits;

	(void)arg;
	CHECK_EQ(dom_event_wait(d, UINT64_C(1) << CH_POKER, &bits), 0);
	gate_hook = GATE_POST;
	microkit_notify(CH_POKER);
	return NULL;
}

/* woken by the poker, exits at once: its joiner, the runner, is the
 * thread the exit makes runnable */
static uint64_t dw_lr_exit;

static void *dw_exiter(void *arg)
{
	(void)arg;
	dw_lr_exit = dw_wait_lr(CH_POKER);
	return NULL;
}

/* The bound: one deadline for the whole test, dw_end, so that the domain
 * parks with the same next deadline before and after each direct wake
 * (the runner's waits have none of their own); the watchdog ends every
 * wait when it passes. */
static void *dw_watchdog(void *arg)
{
	uint64_t bits;

	(void)arg;
	if (dom_event_wait_until(d, UINT64_C(1) << DW_BIT_STOP, dw_end, &bits) == -ETIMEDOUT) {
		pd_put("pdtest: direct wake: the watchdog fired\n");
		dw_fired = 1;
		CHECK_EQ(dom_event_signal(d, UINT64_C(1) << DW_BIT_DONE), 0);
	}
	return NULL;
}

/* The runner waits for DW_BIT_DONE, the domain idle meanwhile. */
static int dw_wait_done(void)
{
	uint64_t bits;

	if (!dw_fired)
		CHECK_EQ(dom_event_wait(d, UINT64_C(1) << DW_BIT_DONE, &bits), 0);
	if (!dw_fired)
		return 0;
	failures++; /* the threads of the part are stuck: give up the test */
	return -ETIMEDOUT;
}

static void test_direct(void)
{
	struct mk_microkit_stats s0, s1;
	struct dom_thread *t[3], *wd;

	/* the woken thread and the one it wakes take turns; a bit raised by
	 * the last of them is delivered before the PD returns to seL4_Recv.
	 * Four rounds of 2 to 5 turns each: the scheduling point after the
	 * bit may be one that polls the bits (one in POLL_IRQ_EVERY), and
	 * with a fixed count it would be the same one in every round. */
	CHECK_EQ(dom_sem_init(&dw_sem, 0), 0);
	dw_fired = 0;
	dw_end = mk_clock_now_ns() + DW_LIMIT;
	wd = spawn("dw-watchdog", dw_watchdog, NULL);
	for (int round = 0; round < 4 && !dw_fired; round++) {
		ndtrace = 0;
		dw_turns = 2 + round;
		dw_self_ran = 0;
		t[0] = spawn("dw-woken", dw_woken, NULL);
		t[1] = spawn("dw-other", dw_other, NULL);
		t[2] = spawn("dw-self", dw_self, NULL);
		CHECK_EQ(dom_yield(), 0); /* each runs to its wait */
		mk_microkit_get_stats(&s0);
		microkit_notify(CH_POKER);
		if (dw_wait_done() != 0)
			break; /* the watchdog fired: failed (and the threads stuck) */
		for (int i = 0; i < 3; i++)
			join(t[i]);
		mk_microkit_get_stats(&s1);
		dtrace[ndtrace] = '\0';
		if (memcmp(dtrace, "wowowowowo", 2 * (size_t)dw_turns) != 0 || ndtrace != 2 * dw_turns) {
			pd_put("pdtest: direct wake: turns ");
			pd_put(dtrace);
			pd_put(" (want wo, each turn)\n");
			failures++;
		}
		CHECK_EQ(dw_self_ran, 1);
		CHECK_EQ(dw_lr_self, dw_lr_woken); /* no trip to seL4_Recv between */
#ifdef PDTEST_DIRECT_WAKE
		/* the path was taken: the direct wake; with the library's
		 * event loop after the first round, the runner's receive in
		 * place (the previous round's direct wake ran it, and it
		 * blocks last) */
		if (PDTEST_OWN && round > 0) {
			CHECK_EQ(s1.direct_wakes, s0.direct_wakes);
			CHECK(s1.in_place_receives > s0.in_place_receives);
		} else {
			CHECK(s1.direct_wakes > s0.direct_wakes);
		}
#endif
		CHECK(s1.loop_returns > s0.loop_returns);
	}

	/* a deadline set by the woken thread is armed: the nap ends long
	 * before the watchdog's */
	if (dw_fired)
		return;
	t[0] = spawn("dw-napper", dw_napper, NULL);
	CHECK_EQ(dom_yield(), 0);
	microkit_notify(CH_POKER);
	if (dw_wait_done() != 0)
		return;
	join(t[0]);

	/* a raw mk wait of the woken thread holds the domain; a notification
	 * meanwhile stays pending until the wait is over */
	dw_in_raw = 0;
	dw_pending_in_raw = -1;
	dw_pending_rc = 1;
	CHECK_EQ(mk_notification_init(&gate_ntf, 0), 0);
	t[0] = spawn("dw-raw", dw_raw, NULL);
	t[1] = spawn("dw-pending", dw_pending, NULL);
	CHECK_EQ(dom_yield(), 0);
	microkit_notify(CH_POKER);
	if (dw_wait_done() != 0)
		return;
	join(t[0]);
	join(t[1]);
	CHECK_EQ(dw_pending_rc, 0);
	CHECK_EQ(dw_pending_in_raw, 0);
	CHECK_EQ(mk_notification_destroy(&gate_ntf), 0);

	/* after a direct wake the domain is idle as before: a post from the
	 * PD context runs the waiter at once, not when its deadline's timer
	 * interrupt happens to resume the domain */
	t[0] = spawn("dw-poster", dw_poster, NULL);
	CHECK_EQ(dom_yield(), 0);
	mk_microkit_get_stats(&s0);
	microkit_notify(CH_POKER);
	CHECK_EQ(dom_sem_timedwait(&dw_sem, dw_end), 0);
	mk_microkit_get_stats(&s1);
	CHECK_EQ(s1.timer_irqs, s0.timer_irqs);
	join(t[0]);

	/* the woken thread exits and its joiner waits for nothing else: the
	 * exit makes the joiner runnable (the reap, in the switch to the idle
	 * context, i.e. back in the direct wake), and it runs before the PD
	 * returns to seL4_Recv, not when the next interrupt or notification
	 * resumes the idle loop (here the watchdog's, at dw_end) */
	t[0] = spawn("dw-exiter", dw_exiter, NULL);
	CHECK_EQ(dom_yield(), 0);
	mk_microkit_get_stats(&s0);
	microkit_notify(CH_POKER);
	join(t[0]);
	mk_microkit_get_stats(&s1);
	CHECK_EQ(s1.loop_returns, dw_lr_exit); /* no trip to seL4_Recv between */
	CHECK_EQ(s1.timer_irqs, s0.timer_irqs);
	CHECK_EQ(dom_event_signal(d, UINT64_C(1) << DW_BIT_STOP), 0);
	join(wd);
	CHECK_EQ(dw_fired, 0);
	CHECK_EQ(dom_sem_destroy(&dw_sem), 0);
}

/* ---- one vCPU, no atomic read-modify-write: in this build the wait
 * protocol's exchanges, compare-and-exchanges and fetch-ors (the thread's
 * state, the waiter's claim, the spin locks, the notification word, the
 * idle mask; src/dom/dom_atomic.h, src/mk/microkit/notification.c) are
 * loads and stores.  Each part fails when one of them loses, doubles or
 * makes up a bit or a wake-up; every wait is bounded (at_end). */
#define AT_ROUNDS 64 /* 8 times POLL_IRQ_EVERY: every tick of the poll */
#define AT_X (UINT64_C(1) << 20)
#define AT_Y (UINT64_C(1) << 21)
#define AT_Z (UINT64_C(1) << 22)
#define AT_LIMIT (5000 * MS)
static uint64_t at_end;
static uint64_t at_sum;

/* Raises X, waits for X|Y: takes the thread's wake-up while it is still
 * BLOCKING (the bit delivered by the scheduling point of its own switch
 * out, one round in POLL_IRQ_EVERY) or BLOCKED (by the idle loop). */
static void *at_self(void *arg)
{
	uint64_t bits;

	(void)arg;
	for (uint64_t i = 1; i <= AT_ROUNDS; i++) {
		CHECK_EQ(dom_event_signal(d, AT_X), 0);
		if (dom_event_wait_until(d, AT_X | AT_Y, at_end, &bits) != 0) {
			pd_put("pdtest: atomics: a self-raised bit was lost\n");
			failures++;
			break;
		}
		/* exactly the bit raised: not the mask, not a stale bit */
		CHECK_EQ(bits, AT_X);
		if (bits == AT_X)
			at_sum += i;
	}
	return NULL;
}

/* Waits for Z with a deadline that passes before the runner raises Z (or
 * not, every other round): either way Z is taken exactly once. */
static void *at_timed(void *arg)
{
	uint64_t bits, dl = *(const uint64_t *)arg;
	int r = dom_event_wait_until(d, AT_Z, dl, &bits);

	if (r == -ETIMEDOUT) {
		CHECK_EQ(bits, 0);
		r = dom_event_wait_until(d, AT_Z, at_end, &bits);
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(bits, AT_Z);
	if (r == 0 && bits == AT_Z)
		at_sum++;
	return NULL;
}

static void test_atomics(void)
{
	struct dom_thread *t;
	uint64_t bits, got, dl, sum_want = 0;

	at_end = mk_clock_now_ns() + AT_LIMIT;
	/* two bits raised before either is delivered are both kept (the
	 * notification word's or, then d->pending's) */
	for (int round = 0; round < 8; round++) {
		CHECK_EQ(dom_event_signal(d, AT_X), 0);
		CHECK_EQ(dom_event_signal(d, AT_Y), 0);
		for (int k = 0; k < round; k++) /* the poll at a different tick */
			CHECK_EQ(dom_yield(), 0);
		got = 0;
		while (got != (AT_X | AT_Y) &&
		       dom_event_wait_until(d, AT_X | AT_Y, at_end, &bits) == 0) {
			CHECK_EQ(bits & got, 0); /* none twice */
			got |= bits;
		}
		CHECK_EQ(got, AT_X | AT_Y);
	}
	/* a thread woken while BLOCKING or BLOCKED: each wake-up once */
	at_sum = 0;
	t = spawn("at-self", at_self, NULL);
	join(t);
	CHECK_EQ(at_sum, (uint64_t)AT_ROUNDS * (AT_ROUNDS + 1) / 2);
	/* the timer and an event for the same wait: exactly one wakes it */
	at_sum = 0;
	for (int round = 0; round < 8; round++) {
		dl = mk_clock_now_ns() + MS;
		t = spawn("at-timed", at_timed, &dl);
		CHECK_EQ(dom_yield(), 0); /* it waits */
		if (round & 1) /* past its deadline, no scheduling point */
			while (mk_clock_now_ns() < dl + MS)
				;
		CHECK_EQ(dom_event_signal(d, AT_Z), 0);
		sum_want++;
		join(t);
	}
	CHECK_EQ(at_sum, sum_want);
	/* nothing left over */
	CHECK_EQ(dom_event_wait_until(d, AT_X | AT_Y | AT_Z, mk_clock_now_ns() + MS, &bits),
		 -ETIMEDOUT);
}

/* ---- timers ---- */
static char wake_order[8];
static int nwake;
static uint64_t deadline_of[4], woke_at[4];

static void *sleeper(void *arg)
{
	uintptr_t n = (uintptr_t)arg;
	uint64_t t0 = mk_clock_now_ns();

	deadline_of[n] = t0 + n * 25 * MS;
	CHECK_EQ(dom_sleep_until(deadline_of[n]), 0);
	woke_at[n] = mk_clock_now_ns();
	CHECK(woke_at[n] >= deadline_of[n]); /* never early */
	wake_order[nwake++] = (char)('0' + n);
	return NULL;
}

static int position(char c)
{
	for (int i = 0; i < nwake; i++)
		if (wake_order[i] == c)
			return i;
	return -1;
}

static void test_timer(void)
{
	struct dom_thread *t[3];
	struct mk_microkit_stats s0, s1;
	uint64_t t0;

	nwake = 0;
	mk_microkit_get_stats(&s0);
	t[0] = spawn("sleep3", sleeper, (void *)3);
	t[1] = spawn("sleep1", sleeper, (void *)1);
	t[2] = spawn("sleep2", sleeper, (void *)2);
	for (int i = 0; i < 3; i++)
		join(t[i]);
	wake_order[nwake] = '\0';
	CHECK_EQ(nwake, 3);
	/* Deadline order, wherever it is defined: a sleeper that ran before
	 * the next deadline was woken in an earlier pass of the timers than
	 * the next one, so it must come first.  (Sleepers whose deadlines
	 * passed together, as when the emulator stalls, are woken in one
	 * pass, latest deadline first: dom_timer_run.) */
	for (unsigned k = 1; k < 3; k++) {
		if (woke_at[k] < deadline_of[k + 1] &&
		    position((char)('0' + k)) > position((char)('0' + k + 1))) {
			pd_put("pdtest: wake order ");
			pd_put(wake_order);
			pd_put("\n");
			failures++;
		}
	}
	mk_microkit_get_stats(&s1);
	/* Asleep, all of them: the PD waited in seL4_Recv for the timer
	 * interrupt, unless the emulator stalled past the last deadline
	 * before the domain went idle. */
	if (woke_at[3] < deadline_of[3] + 20 * MS) {
		CHECK(s1.timer_irqs > s0.timer_irqs);
		CHECK(s1.loop_returns > s0.loop_returns);
	}
	t0 = mk_clock_now_ns();
	CHECK_EQ(dom_sleep_until(t0 + 3 * MS), 0);
	CHECK(mk_clock_now_ns() >= t0 + 3 * MS);
	/* a sleep of 0 and one in the past return at once */
	CHECK_EQ(dom_sleep_ns(0), 0);
	CHECK_EQ(dom_sleep_until(t0), 0);
}

/* ---- the backend ---- */
static void *test_dummy(void *arg)
{
	return arg;
}

static void test_backend(void)
{
	struct mk_stack st[NSTACKS];
	struct mk_microkit_stats s;
	uint64_t w;
	unsigned n = 0;
	char *p, *q2;

	p = mk_mem_alloc(100);
	CHECK(p != NULL && ((uintptr_t)p & 63) == 0);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(p[i], 0);
	memset(p, 0x5a, 100);
	mk_mem_free(p);
	q2 = mk_mem_alloc(90); /* same class: the same block, zeroed again */
	CHECK(q2 == p);
	CHECK_EQ(q2[0], 0);
	mk_mem_free(q2);
	CHECK(mk_mem_alloc(0) == NULL);
	CHECK(mk_mem_alloc(HEAP_SIZE) == NULL);
	/* stacks: take the free slots until -ENOMEM, each named */
	while (n < NSTACKS && mk_stack_create(&st[n], 4096, "probe") == 0)
		n++;
	CHECK(n > 0 && n < NSTACKS); /* some slots are in use by threads */
	CHECK_EQ(mk_stack_create(&st[n < NSTACKS ? n : 0], 4096, "x"), -ENOMEM);
	CHECK(strcmp(mk_microkit_stack_owner((uintptr_t)st[0].base), "probe") == 0);
	/* the guard page below a stack names its owner too */
	CHECK(strcmp(mk_microkit_stack_owner((uintptr_t)st[0].base - 8), "probe") == 0);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(mk_stack_destroy(&st[i]), 0);
	CHECK_EQ(mk_stack_destroy(&st[0]), -EINVAL);
	CHECK_EQ(mk_stack_create(&st[0], STACK_STRIDE, "big"), -ENOMEM);
	mk_microkit_get_stats(&s);
	CHECK(s.heap_used > 0 && s.heap_used <= HEAP_SIZE);
	/* clock */
	uint64_t a = mk_clock_now_ns(), b = mk_clock_now_ns();
	CHECK(b >= a);
	/* notifications are local to the PD */
	struct mk_notification n1;
	CHECK_EQ(mk_notification_init(&n1, MK_SHARED), -ENOTSUP);
	CHECK_EQ(mk_notification_init(&n1, 0), 0);
	CHECK_EQ(mk_notification_poll(&n1, &w), -EAGAIN);
	CHECK_EQ(mk_notification_signal(&n1, 6), 0);
	CHECK_EQ(mk_notification_signal(&n1, 1), 0);
	CHECK_EQ(mk_notification_poll(&n1, &w), 0);
	CHECK_EQ(w, 7);
	CHECK_EQ(mk_notification_destroy(&n1), 0);
	CHECK_EQ(mk_thread_create(NULL, "x", NULL, NULL), -EINVAL);
	CHECK_EQ(mk_thread_create((struct mk_thread **)&p, "x", test_dummy, NULL), -EAGAIN);
	static struct mk_endpoint ep;
	CHECK_EQ(mk_endpoint_init(&ep, 0), -ENOTSUP);
	CHECK(strcmp(mk_strerror(-ENOTSUP), "not supported") == 0);
	/* set-up calls: once, from the PD context */
	struct mk_microkit_config mc = {.heap = p, .heap_size = 4096, .stacks = 0x1000,
					.stack_stride = 0x2000, .nstacks = 1, .timer_channel = -1};
	CHECK_EQ(mk_microkit_init(&mc), -EBUSY);
	CHECK_EQ(mk_microkit_init(NULL), -EINVAL);
	CHECK_EQ(mk_microkit_start(test_dummy, NULL), -EPERM); /* from the vCPU context */
	CHECK_EQ(mk_microkit_start(NULL, NULL), -EINVAL);
	/* the parent's side of the fault table */
	static struct mk_microkit_fault_table ft;
	char nm[MK_MICROKIT_NAME_LEN];
	int guard;
	CHECK_EQ(mk_microkit_fault_name(&ft, 0x1000, nm, sizeof(nm), &guard), -EBADF);
	CHECK_EQ(mk_microkit_fault_name(NULL, 0x1000, nm, sizeof(nm), &guard), -EINVAL);
	ft.magic = MK_MICROKIT_FAULT_MAGIC;
	ft.nstacks = 2;
	ft.stacks = 0x100000;
	ft.stack_stride = 0x5000;
	strcpy(ft.names[1], "t1");
	CHECK_EQ(mk_microkit_fault_name(&ft, 0x105010, nm, sizeof(nm), &guard), 0);
	CHECK(strcmp(nm, "t1") == 0 && guard == 1);
	CHECK_EQ(mk_microkit_fault_name(&ft, 0x106010, nm, 2, &guard), 0); /* cut to fit */
	CHECK(strcmp(nm, "t") == 0 && guard == 0);
	CHECK_EQ(mk_microkit_fault_name(&ft, 0x100010, nm, sizeof(nm), &guard), -ENOENT);
	CHECK_EQ(mk_microkit_fault_name(&ft, 0x10a000, nm, sizeof(nm), &guard), -ENOENT);
	ft.nstacks = 1000; /* the child's memory is not trusted */
	CHECK_EQ(mk_microkit_fault_name(&ft, 0x105010, nm, sizeof(nm), &guard), -ENOENT);
}

static int init_deadlk = 1;

/* ---- the PD context calling into the domain ----
 * init() runs in the PD context: it is no member of the domain (blocking
 * calls say -EPERM), and its dom_sem_post wakes the waiting green thread
 * at once (the vCPU context runs until idle before the post returns). */
static struct dom_sem pd_sem;
static struct dom_mutex pd_mtx;
static int pd_self_null = -1, pd_mutex_eperm = -1, pd_post_ran = -1;
static volatile int pd_woken;

static void test_pdctx(void)
{
	pd_woken = 0;
	CHECK_EQ(dom_sem_wait(&pd_sem), 0); /* posted by init() */
	pd_woken = 1;
	CHECK_EQ(pd_self_null, 1);
	CHECK_EQ(pd_mutex_eperm, 1);
	CHECK(dom_self() != NULL); /* and the vCPU context got its own back */
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{"pdctx", test_pdctx},	 {"thread", test_thread},
	{"direct", test_direct}, /* before yieldgate, which closes the yield gate for good */
	/* pdtest_inplace.c: before yieldgate too (a thread with fpenv turns
	 * the receive in place off) */
	{"order", test_loop_order},
	{"roundtrip", test_loop_roundtrip},
	{"bound", test_loop_bound},
	{"ppc", test_loop_ppc},
	{"hstack", test_loop_hstack},
	{"recvtimer", test_loop_timer},
	{"loopcall", test_loop_misuse},
	{"yieldgate", test_yieldgate},
	{"yield", test_yield},
	{"mutex", test_mutex},
	{"cv", test_cv},	 {"sem", test_sem},	  {"rwlock", test_rwlock},
	{"event", test_event},	 {"atomics", test_atomics},
	{"timer", test_timer},	 {"backend", test_backend},
};

static void *runner(void *arg)
{
	int passed = 0, failed = 0;

	(void)arg;
	if (init_deadlk != 0) {
		pd_put("pdtest: a wait in the PD context did not return -EDEADLK\n");
		failed++;
	}
	for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		int f0 = failures;
		tests[i].fn();
		pd_put("pdtest: test ");
		pd_put(tests[i].name);
		if (failures == f0) {
			pd_put(" ok\n");
			passed++;
		} else {
			pd_put(" FAILED\n");
			failed++;
		}
	}
	pd_put("pdtest: ");
	pd_put_i64(passed);
	pd_put(" passed, ");
	pd_put_i64(failed);
	pd_put(" failed\n");
	return NULL;
}

void init(void)
{
	struct mk_microkit_config mc = PD_MICROKIT_CONFIG(HEAP_SIZE, STACK_STRIDE, NSTACKS, CH_TIMER);
	struct dom_config dc = {.name = "pdtest"};
	struct dom_thread_attr a = {.name = "runner", .vcpu = -1, .detached = true};
	struct mk_notification n;
	const char *what;
	uint64_t w;

	pd_put(PDTEST_OWN ? "pdtest: event loop: own\n" : "pdtest: event loop: libmicrokit\n");
	mc.handler_stack = PDTEST_HANDLER_STACK;
	if (pd_domain_create(&d, &mc, &dc, &what) != 0 ||
	    dom_thread_create(d, NULL, &a, runner, NULL) != 0) {
		pd_put("pdtest: FAIL setup\n");
		return;
	}
	/* The PD context must never block but in seL4_Recv. */
	mk_notification_init(&n, 0);
	init_deadlk = mk_notification_wait(&n, &w) == -EDEADLK ? 0 : 1;
	mk_notification_destroy(&n);
	dom_sem_init(&pd_sem, 0);
	dom_mutex_init(&pd_mtx);
	if (pd_domain_start(d) != 0) {
		pd_put("pdtest: FAIL start\n");
		return;
	}
	/* the runner waits in test_pdctx now */
	pd_self_null = dom_self() == NULL;
	pd_mutex_eperm = dom_mutex_enter(&pd_mtx) == -EPERM;
	dom_sem_post(&pd_sem);
	pd_post_ran = pd_woken;
	if (pd_post_ran != 1)
		pd_put("pdtest: FAIL the post from init() did not run the waiter\n");
#ifdef PDTEST_OWN_LOOP
	/* the library's event loop: the receive in place */
	int r = mk_microkit_event_loop();

	pd_put("pdtest: FAIL mk_microkit_event_loop returned");
	pd_kv("r", (uint64_t)-r);
	pd_put("\n");
#endif
}

void notified(microkit_channel ch)
{
	if (inplace_notified(ch))
		return;
	if (ch == CH_POKER && gate_hook != 0) {
		/* test_yieldgate, a green thread waits in a raw mk wait */
		if (gate_hook == GATE_WAKE)
			dom_sem_post(&gate_sem); /* a thread runs: the domain queue */
		else if (gate_hook == GATE_NOTIFY)
			mk_microkit_notified(DW_BIT_PENDING); /* test_direct */
		else if (gate_hook == GATE_POST) {
			/* test_direct, the domain idle: the post runs the
			 * runner on, before it returns */
			gate_hook = 0;
			dom_sem_post(&dw_sem);
			return;
		} else
			trace_write_rc = dom_trace_write(trace_sink, NULL);
		gate_hook = 0;
		mk_notification_signal(&gate_ntf, 1); /* resumes the vCPU context */
		return;
	}
	mk_microkit_notified(ch);
}
