/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rumpuser conformance: the test plays the rump kernel (fake_kernel.h)
 * and checks every hypercall's contract: blocking calls release and
 * retake the rump CPU, _nowrap ones do not, curlwp is per thread (green
 * and host), cv wake-ups are never lost, timedwait times out, the mutex
 * owner is right, join returns after exit, bad arguments give errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fake_kernel.h"
#include "rumpuser/netbsd_errno.h"
#include "dom/dom_impl.h"
#include "rumpuser/rumpuser_impl.h"

/* The fake kernel's hz(9), under the name a rump build gives it: the
 * clock's ABSMONO sleeps (the kernel's ticks) align to 1/hz (sleep.c). */
int rumpns_hz = 100;
#define TICK_NS 10000000u

static struct dom *d;

static int setup(void **s)
{
	struct dom_config c = {.name = "rumptest", .vcpus = 2};

	(void)s;
	mk_thread_prepare_current();
	assert_int_equal(rumpuser_init(16, &fk_hyp), NETBSD_EINVAL); /* wrong version */
	assert_int_equal(dom_create(&d, &c), 0);
	assert_null(rumpbridge_domain());
	assert_int_equal(rumpbridge_set_domain(d), 0);
	assert_int_equal(rumpuser_init(RUMPUSER_VERSION, NULL), NETBSD_EINVAL);
	assert_int_equal(rumpuser_init(RUMPUSER_VERSION, &fk_hyp), 0);
	assert_int_equal(rumpuser_init(RUMPUSER_VERSION, &fk_hyp), NETBSD_EBUSY);
	assert_int_equal(rumpbridge_set_domain(d), -EBUSY);
	assert_ptr_equal(rumpbridge_domain(), d);
	return 0;
}

/* Run fn as a rump kernel thread (green, created by the hypercall) and as
 * a plain host thread, each bound to its own lwp. */
struct kt {
	void *(*fn)(void *);
	void *arg;
	void *ret;
};

static void *kt_main(void *p)
{
	struct kt *k = p;
	struct lwp *l = fk_bind();

	k->ret = k->fn(k->arg);
	fk_unbind(l);
	return NULL;
}

/* Join as the kernel does: from a thread that holds a rump CPU. */
static void kjoin(void *cookie)
{
	struct lwp *l = fk_bind();

	assert_int_equal(rumpuser_thread_join(cookie), 0);
	assert_int_equal(atomic_load(&l->unsched), 1);
	assert_int_equal(atomic_load(&l->sched), 1);
	fk_unbind(l);
}

static void *run_green(void *(*fn)(void *), void *arg)
{
	struct kt k = {fn, arg, NULL};
	void *cookie;

	assert_int_equal(rumpuser_thread_create(kt_main, &k, "ktest", 1, 0, -1, &cookie), 0);
	kjoin(cookie);
	return k.ret;
}

static void *run_host(void *(*fn)(void *), void *arg)
{
	struct kt k = {fn, arg, NULL};
	struct mk_thread *t;

	assert_int_equal(mk_thread_create(&t, "khost", kt_main, &k), 0);
	assert_int_equal(mk_thread_join(t, NULL), 0);
	return k.ret;
}

static void check_no_kernel_errors(void)
{
	assert_int_equal(atomic_load(&fk_errors), 0);
}

/* ---- parameters, memory, misc ---- */

static void params(void **s)
{
	(void)s;
	char buf[64];

	assert_int_equal(rumpuser_getparam(RUMPUSER_PARAM_NCPU, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2"); /* the domain's vCPUs */
	/* RUMP_NCPU, as NetBSD's librumpuser reads it: the rump CPUs of a
	 * kernel on a given domain, whatever its vCPUs */
	setenv("RUMP_NCPU", "3", 1);
	assert_int_equal(rumpuser_getparam(RUMPUSER_PARAM_NCPU, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "3");
	setenv("RUMP_NCPU", "host", 1); /* not a number: the vCPUs */
	assert_int_equal(rumpuser_getparam(RUMPUSER_PARAM_NCPU, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2");
	unsetenv("RUMP_NCPU");
	assert_int_equal(rumpuser_getparam(RUMPUSER_PARAM_HOSTNAME, buf, sizeof(buf)), 0);
	assert_true(strlen(buf) > 0);
	setenv("RUMPBRIDGE_TEST_PARAM", "value", 1);
	assert_int_equal(rumpuser_getparam("RUMPBRIDGE_TEST_PARAM", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "value");
	assert_int_equal(rumpuser_getparam("RUMPBRIDGE_TEST_PARAM", buf, 3), NETBSD_ENAMETOOLONG);
	assert_int_equal(rumpuser_getparam("RUMPBRIDGE_NO_SUCH_PARAM", buf, sizeof(buf)), NETBSD_ENOENT);
	assert_int_equal(rumpuser_getparam(NULL, buf, sizeof(buf)), NETBSD_EINVAL);
	rumpuser_seterrno(NETBSD_ETIMEDOUT);
	assert_int_equal(errno, NETBSD_ETIMEDOUT);
	/* the domain exists: its vCPU threads would not survive a fork */
	assert_int_equal(rumpuser_daemonize_begin(), NETBSD_EBUSY);
	assert_int_equal(rumpuser_daemonize_done(0), NETBSD_ENOENT); /* never began */
	/* sysproxy: addresses first, then the kernel (the fake one has no
	 * sysproxy upcalls); the hypercalls refuse a NULL client */
	assert_int_equal(rumpuser_sp_init(NULL, "NetBSD", "9", "amd64"), NETBSD_EINVAL);
	assert_int_equal(rumpuser_sp_init("unix://x", NULL, "9", "amd64"), NETBSD_EINVAL);
	assert_int_equal(rumpuser_sp_init("udp://x", "NetBSD", "9", "amd64"), NETBSD_EINVAL);
	assert_int_equal(rumpuser_sp_init("unix://", "NetBSD", "9", "amd64"), NETBSD_EINVAL);
	assert_int_equal(rumpuser_sp_init("tcp://127.0.0.1", "NetBSD", "9", "amd64"), NETBSD_EINVAL);
	assert_int_equal(rumpuser_sp_init("tcp://:1", "NetBSD", "9", "amd64"), NETBSD_EINVAL);
	assert_int_equal(rumpuser_sp_init("tcp://1.2.3:1", "NetBSD", "9", "amd64"), NETBSD_EINVAL);
	assert_int_equal(rumpuser_sp_init("tcp://127.0.0.1:65536", "NetBSD", "9", "amd64"),
			 NETBSD_ERANGE);
	assert_int_equal(rumpuser_sp_init("tcp://127.0.0.1:1x", "NetBSD", "9", "amd64"),
			 NETBSD_EINVAL);
	assert_int_equal(rumpuser_sp_init("tcp6://[::1]:1", "NetBSD", "9", "amd64"),
			 NETBSD_EOPNOTSUPP);
	memset(buf, 'a', sizeof(buf) - 1);
	{
		char url[200];
		snprintf(url, sizeof(url), "unix:///%.63s%.63s%.63s", buf, buf, buf);
		assert_int_equal(rumpuser_sp_init(url, "NetBSD", "9", "amd64"),
				 NETBSD_ENAMETOOLONG);
	}
	assert_int_equal(rumpuser_sp_init("tcp://127.0.0.1:1/", "NetBSD", "9", "amd64"),
			 NETBSD_ENXIO);
	assert_int_equal(rumpuser_sp_copyin(NULL, buf, buf, 1), NETBSD_EFAULT);
	assert_int_equal(rumpuser_sp_copyout(NULL, buf, buf, 1), NETBSD_EFAULT);
	assert_int_equal(rumpuser_sp_anonmmap(NULL, 1, NULL), NETBSD_EINVAL);
	assert_int_equal(rumpuser_sp_raise(NULL, 1), NETBSD_EINVAL);
	rumpuser_sp_fini(NULL); /* no server: nothing to do */
	assert_int_equal(rumpuser_kill(RUMPUSER_PID_SELF, 0), 0);
}

static void memory(void **s)
{
	(void)s;
	void *p;

	assert_int_equal(rumpuser_malloc(100, 0, &p), 0);
	memset(p, 1, 100);
	rumpuser_free(p, 100);
	assert_int_equal(rumpuser_malloc(100, 4096, &p), 0);
	assert_int_equal((uintptr_t)p % 4096, 0);
	rumpuser_free(p, 100);
	assert_int_equal(rumpuser_malloc(100, 3, &p), NETBSD_EINVAL);
	assert_int_equal(rumpuser_anonmmap(NULL, 1 << 20, 20, 0, &p), 0);
	assert_int_equal((uintptr_t)p % (1 << 20), 0);
	memset(p, 2, 1 << 20);
	rumpuser_unmap(p, 1 << 20);
	assert_int_equal(rumpuser_anonmmap(NULL, 0, 0, 0, &p), NETBSD_EINVAL);
}

static void random_bytes(void **s)
{
	(void)s;
	uint8_t b[64] = {0};
	size_t got = 0;
	int nz = 0;

	assert_int_equal(rumpuser_getrandom(b, sizeof(b), 0, &got), 0);
	assert_int_equal(got, sizeof(b));
	for (size_t i = 0; i < sizeof(b); i++)
		nz += b[i] != 0;
	assert_true(nz > 32);
	assert_int_equal(rumpuser_getrandom(NULL, 1, 0, &got), NETBSD_EINVAL);
}

/* ---- console ---- */

/* What fn writes to the console (fd 2), captured through a pipe: at most
 * len - 1 bytes, NUL-terminated, in buf. */
static void console_capture(void (*fn)(void), char *buf, size_t len)
{
	int p[2], saved;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	assert_true((saved = dup(2)) >= 0);
	assert_int_equal(dup2(p[1], 2), 2);
	fn();
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	close(p[1]);
	n = read(p[0], buf, len - 1);
	close(p[0]);
	assert_true(n >= 0);
	buf[n] = 0;
}

static void console_writes(void)
{
	char line[700];

	rumpuser_putchar('a');
	rumpuser_putchar('\n');
	rumpuser_dprintf("%s=%d %#x|%-4s|%c\n", "n", -42, 255u, "x", 'z');
	memset(line, 'y', sizeof(line) - 1);
	line[sizeof(line) - 1] = 0;
	rumpuser_dprintf("%s\n", line); /* longer than MK_CONSOLE_LINE: cut */
}

/* putchar and dprintf reach the console, formatted as printf does, a
 * dprintf longer than MK_CONSOLE_LINE cut to its first MK_CONSOLE_LINE - 1
 * characters (the kernel prints its console through them). */
static void console(void **s)
{
	char got[2048], want[2048];
	int n;

	(void)s;
	console_capture(console_writes, got, sizeof(got));
	n = snprintf(want, sizeof(want), "a\nn=-42 0xff|x   |z\n");
	memset(want + n, 'y', MK_CONSOLE_LINE - 1);
	want[n + MK_CONSOLE_LINE - 1] = 0;
	assert_string_equal(got, want);
}

/* ---- curlwp ---- */

static void *curlwp_stable(void *a)
{
	struct lwp *me = rumpuser_curlwp();

	(void)a;
	for (int i = 0; i < 100; i++) {
		dom_yield();
		if (rumpuser_curlwp() != me)
			return (void *)1;
	}
	return NULL;
}

static void *spawn_many(void *a)
{
	struct kt k[8];
	void *cookie[8];

	(void)a;
	for (int i = 0; i < 8; i++) {
		k[i] = (struct kt){curlwp_stable, NULL, NULL};
		if (rumpuser_thread_create(kt_main, &k[i], "lwptest", 1, 0, -1, &cookie[i]) != 0)
			return (void *)2;
	}
	for (int i = 0; i < 8; i++) {
		rumpuser_thread_join(cookie[i]);
		if (k[i].ret != NULL)
			return k[i].ret;
	}
	return NULL;
}

static void curlwp_per_thread(void **s)
{
	(void)s;
	assert_null(rumpuser_curlwp()); /* a plain thread has none */
	assert_null(run_green(curlwp_stable, NULL));
	assert_null(run_host(curlwp_stable, NULL));
	/* eight green lwps sharing two vCPUs keep theirs */
	struct lwp *l = fk_bind();
	assert_null(spawn_many(NULL));
	fk_unbind(l);
	assert_null(rumpuser_curlwp());
	assert_null(dom_self()); /* CLEAR left the domain again */
	check_no_kernel_errors();
}

/* ---- mutexes ---- */

static struct rumpuser_mtx *mtx;
static struct rumpuser_cv *cv;
static struct rumpuser_rw *rw;

/* The holder keeps the mutex until the contender is about to ask for it
 * (and 20 ms more), so the contender always finds it held, however late
 * either thread gets to run on a loaded machine. */
static _Atomic int holder_in, contender_coming;

static void *hold_mutex_a_while(void *a)
{
	(void)a;
	rumpuser_mutex_enter(mtx);
	atomic_store(&holder_in, 1);
	while (!atomic_load(&contender_coming))
		rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 1000000);
	rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 20 * 1000000);
	rumpuser_mutex_exit(mtx);
	return NULL;
}

struct contend {
	long unsched_delta;
	int owner_ok;
	int nowrap;
};

static void *contend_mutex(void *p)
{
	struct contend *c = p;
	struct lwp *me = rumpuser_curlwp();
	long u0 = atomic_load(&me->unsched);

	while (!atomic_load(&holder_in)) /* let the holder in */
		rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 1000000);
	long u1 = atomic_load(&me->unsched);
	atomic_store(&contender_coming, 1);
	if (c->nowrap)
		rumpuser_mutex_enter_nowrap(mtx);
	else
		rumpuser_mutex_enter(mtx);
	struct lwp *o;
	rumpuser_mutex_owner(mtx, &o);
	c->owner_ok = o == me && atomic_load(&me->has_cpu) == 1;
	c->unsched_delta = atomic_load(&me->unsched) - u1;
	(void)u0;
	rumpuser_mutex_exit(mtx);
	rumpuser_mutex_owner(mtx, &o);
	c->owner_ok &= o == NULL;
	return NULL;
}

static void mutex_releases_cpu_only_when_blocking(int flags, int nowrap, long want_unsched)
{
	struct dom_thread *holder;
	struct contend c = {.nowrap = nowrap};
	struct kt hk = {hold_mutex_a_while, NULL, NULL};

	rumpuser_mutex_init(&mtx, flags);
	/* uncontended: no CPU release */
	struct lwp *l = fk_bind();
	long u = atomic_load(&l->unsched);
	rumpuser_mutex_enter(mtx);
	assert_int_equal(rumpuser_mutex_tryenter(mtx), NETBSD_EBUSY);
	rumpuser_mutex_exit(mtx);
	assert_int_equal(rumpuser_mutex_tryenter(mtx), 0);
	rumpuser_mutex_exit(mtx);
	assert_int_equal(atomic_load(&l->unsched), u);
	fk_unbind(l);
	/* contended, from a green and from a host thread */
	for (int k = 0; k < 2; k++) {
		struct dom_thread_attr a = {.name = "holder", .vcpu = -1};
		atomic_store(&holder_in, 0);
		atomic_store(&contender_coming, 0);
		assert_int_equal(dom_thread_create(d, &holder, &a, kt_main, &hk), 0);
		if (k == 0)
			run_green(contend_mutex, &c);
		else
			run_host(contend_mutex, &c);
		assert_int_equal(dom_enter(d), 0);
		assert_int_equal(dom_thread_join(holder, NULL), 0);
		assert_int_equal(dom_leave(d), 0);
		assert_true(c.owner_ok);
		assert_int_equal(c.unsched_delta, want_unsched);
	}
	rumpuser_mutex_destroy(mtx);
	check_no_kernel_errors();
}

static void mutex_kmutex(void **s)
{
	(void)s;
	mutex_releases_cpu_only_when_blocking(RUMPUSER_MTX_KMUTEX, 0, 1);
}

static void mutex_nowrap(void **s)
{
	(void)s;
	mutex_releases_cpu_only_when_blocking(RUMPUSER_MTX_KMUTEX, 1, 0);
}

static void mutex_spin(void **s)
{
	(void)s;
	mutex_releases_cpu_only_when_blocking(RUMPUSER_MTX_KMUTEX | RUMPUSER_MTX_SPIN, 0, 0);
}

/* ---- condition variables ---- */

static long queue_val;
static int queue_full;

static void *cv_producer(void *a)
{
	long n = (long)(uintptr_t)a;

	for (long i = 1; i <= n; i++) {
		rumpuser_mutex_enter(mtx);
		while (queue_full)
			rumpuser_cv_wait(cv, mtx);
		queue_val = i;
		queue_full = 1;
		rumpuser_cv_broadcast(cv);
		rumpuser_mutex_exit(mtx);
	}
	return NULL;
}

static void *cv_consumer(void *a)
{
	long n = (long)(uintptr_t)a, sum = 0;
	struct lwp *me = rumpuser_curlwp();

	for (long i = 0; i < n; i++) {
		rumpuser_mutex_enter(mtx);
		while (!queue_full) {
			long u = atomic_load(&me->unsched);
			rumpuser_cv_wait(cv, mtx);
			if (atomic_load(&me->unsched) != u + 1 || !atomic_load(&me->has_cpu))
				return (void *)-1; /* the wait must release and retake */
			struct lwp *o;
			rumpuser_mutex_owner(mtx, &o);
			if (o != me)
				return (void *)-2;
		}
		sum += queue_val;
		queue_full = 0;
		rumpuser_cv_broadcast(cv);
		rumpuser_mutex_exit(mtx);
	}
	return (void *)sum;
}

struct pc {
	int producer_green, consumer_green;
	long n;
	void *ret;
};

static void *pc_producer_main(void *p)
{
	struct pc *x = p;
	return x->producer_green ? run_green(cv_producer, (void *)(uintptr_t)x->n)
				 : run_host(cv_producer, (void *)(uintptr_t)x->n);
}

static void cv_no_lost_wakeups(void **s)
{
	(void)s;
	rumpuser_mutex_init(&mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&cv);
	for (int combo = 0; combo < 4; combo++) {
		struct pc x = {.producer_green = combo & 1, .consumer_green = combo >> 1,
			       .n = RB_SCALE(3000)};
		struct mk_thread *pt;
		queue_full = 0;
		assert_int_equal(mk_thread_create(&pt, "producer", pc_producer_main, &x), 0);
		void *sum = x.consumer_green ? run_green(cv_consumer, (void *)(uintptr_t)x.n)
					     : run_host(cv_consumer, (void *)(uintptr_t)x.n);
		mk_thread_join(pt, NULL);
		assert_int_equal((long)sum, x.n * (x.n + 1) / 2);
	}
	int w;
	rumpuser_cv_has_waiters(cv, &w);
	assert_int_equal(w, 0);
	rumpuser_cv_destroy(cv);
	rumpuser_mutex_destroy(mtx);
	check_no_kernel_errors();
}

static void *timedwait_times_out(void *a)
{
	struct lwp *me = rumpuser_curlwp();
	uint64_t t0 = mk_clock_now_ns();
	int r;

	(void)a;
	rumpuser_mutex_enter(mtx);
	long u = atomic_load(&me->unsched);
	r = rumpuser_cv_timedwait(cv, mtx, 0, 10 * 1000000);
	/* released and retaken once, handing the kernel the mutex as the
	 * interlock */
	int ok = r == NETBSD_ETIMEDOUT && mk_clock_now_ns() - t0 >= 10 * 1000000 &&
		 atomic_load(&me->unsched) == u + 1 && me->interlock == (void *)mtx;
	rumpuser_mutex_exit(mtx);
	return (void *)(uintptr_t)ok;
}

static _Atomic int signalled;

static void *waiter_nowrap(void *a)
{
	struct lwp *me = rumpuser_curlwp();
	long u;
	int waited = 0;

	(void)a;
	rumpuser_mutex_enter(mtx); /* may block (and release the CPU) */
	u = atomic_load(&me->unsched);
	while (!atomic_load(&signalled)) {
		rumpuser_cv_wait_nowrap(cv, mtx);
		waited = 1;
	}
	int ok = atomic_load(&me->unsched) == u && atomic_load(&me->has_cpu);
	rumpuser_mutex_exit(mtx);
	(void)waited;
	return (void *)(uintptr_t)ok;
}

static void *signaller(void *a)
{
	(void)a;
	rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 5 * 1000000);
	rumpuser_mutex_enter(mtx);
	atomic_store(&signalled, 1);
	rumpuser_cv_signal(cv);
	rumpuser_mutex_exit(mtx);
	return NULL;
}

static void cv_timedwait_and_nowrap(void **s)
{
	(void)s;

	rumpuser_mutex_init(&mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&cv);
	assert_ptr_equal(run_green(timedwait_times_out, NULL), (void *)1);
	assert_ptr_equal(run_host(timedwait_times_out, NULL), (void *)1);
	atomic_store(&signalled, 0);
	struct kt sk = {signaller, NULL, NULL};
	struct dom_thread *st;
	assert_int_equal(dom_thread_create(d, &st, NULL, kt_main, &sk), 0);
	assert_ptr_equal(run_host(waiter_nowrap, NULL), (void *)1);
	assert_int_equal(dom_enter(d), 0);
	dom_thread_join(st, NULL);
	assert_int_equal(dom_leave(d), 0);
	rumpuser_cv_destroy(cv);
	rumpuser_mutex_destroy(mtx);
	check_no_kernel_errors();
}

/* ---- rwlocks ---- */

static void *rw_checks(void *a)
{
	int h;
	(void)a;

	rumpuser_rw_enter(RUMPUSER_RW_READER, rw);
	rumpuser_rw_held(RUMPUSER_RW_READER, rw, &h);
	if (!h)
		return (void *)1;
	if (rumpuser_rw_tryenter(RUMPUSER_RW_WRITER, rw) != 16)
		return (void *)2;
	if (rumpuser_rw_tryupgrade(rw) != 0)
		return (void *)3;
	rumpuser_rw_held(RUMPUSER_RW_WRITER, rw, &h);
	if (!h)
		return (void *)4;
	rumpuser_rw_downgrade(rw);
	rumpuser_rw_held(RUMPUSER_RW_WRITER, rw, &h);
	if (h)
		return (void *)5;
	if (rumpuser_rw_tryenter(RUMPUSER_RW_READER, rw) != 0)
		return (void *)6;
	rumpuser_rw_exit(rw);
	rumpuser_rw_exit(rw);
	rumpuser_rw_enter(RUMPUSER_RW_WRITER, rw);
	rumpuser_rw_exit(rw);
	return NULL;
}

static void rwlocks(void **s)
{
	(void)s;
	rumpuser_rw_init(&rw);
	assert_null(run_green(rw_checks, NULL));
	assert_null(run_host(rw_checks, NULL));
	rumpuser_rw_destroy(rw);
	check_no_kernel_errors();
}

/* ---- threads, clock ---- */

static _Atomic int detached_ran;

static void *detached_body(void *a)
{
	(void)a;
	atomic_store(&detached_ran, 1);
	rumpuser_thread_exit();
}

static void *exits_early(void *a)
{
	*(int *)a = 42;
	rumpuser_thread_exit();
}

static void threads(void **s)
{
	(void)s;
	void *cookie;
	int v = 0;

	assert_int_equal(rumpuser_thread_create(exits_early, &v,
						"a-very-long-kernel-thread-name", 1, 0, -1, &cookie),
			 0);
	kjoin(cookie);
	assert_int_equal(v, 42);
	atomic_store(&detached_ran, 0);
	assert_int_equal(rumpuser_thread_create(detached_body, NULL, "det", 0, 0, -1, NULL), 0);
	while (!atomic_load(&detached_ran))
		rb_sleep_ms(1);
	assert_int_equal(rumpuser_thread_create(NULL, NULL, "x", 1, 0, -1, &cookie), NETBSD_EINVAL);
	assert_int_equal(rumpuser_thread_create(exits_early, &v, "x", 1, 0, -1, NULL), NETBSD_EINVAL);
}

static void *sleeps(void *a)
{
	struct lwp *me = rumpuser_curlwp();
	long u = atomic_load(&me->unsched);
	int64_t s0, s1;
	long n0, n1;

	(void)a;
	rumpuser_clock_gettime(RUMPUSER_CLOCK_ABSMONO, &s0, &n0);
	rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 10 * 1000000);
	rumpuser_clock_gettime(RUMPUSER_CLOCK_ABSMONO, &s1, &n1);
	int64_t el = (s1 - s0) * 1000000000 + (n1 - n0);
	/* absolute: 5 ms from now */
	int64_t t = s1 * 1000000000 + n1 + 5000000;
	rumpuser_clock_sleep(RUMPUSER_CLOCK_ABSMONO, t / 1000000000, t % 1000000000);
	rumpuser_clock_gettime(RUMPUSER_CLOCK_ABSMONO, &s0, &n0);
	int ok = el >= 10000000 && s0 * 1000000000 + n0 >= t && atomic_load(&me->unsched) == u + 2;
	return (void *)(uintptr_t)ok;
}

/* Two clock threads (rump CPUs) whose ticks are 3 ms apart sleep at
 * once: each ABSMONO sleep ends on the next multiple of 1/hz, the same
 * instant for both, never before its deadline. */
struct tick {
	uint64_t deadline, woke;
	int affinity, vcpu; /* of the thread, after its sleep */
};

static void *tick_sleep(void *a)
{
	struct tick *t = a;

	rumpuser_clock_sleep(RUMPUSER_CLOCK_ABSMONO, (int64_t)(t->deadline / 1000000000u),
			     (long)(t->deadline % 1000000000u));
	t->woke = mk_clock_now_ns();
	t->affinity = dom_self()->affinity;
	t->vcpu = (int)dom_self()->vcpu->id;
	return NULL;
}

static void ticks_on_one_grid(void **s)
{
	uint64_t now = mk_clock_now_ns();
	/* 1 ms into the tick after next, and 3 ms later: one grid point */
	uint64_t t0 = (now / TICK_NS + 2) * TICK_NS + 1000000u, grid = t0 - 1000000u + TICK_NS;
	struct tick tk[3] = {{t0, 0, 0, 0}, {t0 + 3000000u, 0, 0, 0}, {t0, 0, 0, 0}};
	struct kt k[3] = {{tick_sleep, &tk[0], NULL},
			  {tick_sleep, &tk[1], NULL},
			  {tick_sleep, &tk[2], NULL}};
	const char *name[3] = {"rumpclk0", "rumpclk1", "rsi1/2"};
	void *cookie[3];

	(void)s;
	assert_int_equal(ru_tick_ns(), TICK_NS);
	assert_int_equal(ru_tick_align(t0, TICK_NS), grid);
	assert_int_equal(ru_tick_align(tk[1].deadline, TICK_NS), grid);
	assert_int_equal(ru_tick_align(5 * TICK_NS, TICK_NS), 5 * TICK_NS); /* on the grid */
	assert_int_equal(ru_tick_align(t0, 0), t0);			      /* no tick known */
	assert_int_equal(ru_tick_align(MK_FOREVER - 1, TICK_NS), MK_FOREVER - 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(
			rumpuser_thread_create(kt_main, &k[i], name[i], 1, 0, i & 1, &cookie[i]), 0);
	for (int i = 0; i < 3; i++) {
		kjoin(cookie[i]);
		assert_true(tk[i].woke >= grid); /* not at its own deadline: on the grid */
	}
	/* the clock threads run on the domain's last vCPU (thread.c), where
	 * their timers wake it alone; any other kernel thread anywhere */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tk[i].affinity, 1);
		assert_int_equal(tk[i].vcpu, 1);
	}
	assert_int_equal(tk[2].affinity, -1);
	check_no_kernel_errors();
}

/* The idle clock (clock_idle.c): with it on, an ABSMONO sleep whose
 * deadline has passed (a tick slept through, replayed) returns at once
 * and keeps the rump CPU; within the grace after activity a sleep is a
 * tick's; past it, the sleep is long (until a multiple of the skip) and
 * activity from any thread ends it at once, for every clock thread; off,
 * the old behaviour. */
struct idle_sleep {
	uint64_t deadline; /* 0: the first tick after the next multiple of SKIP */
	uint64_t pause_ns; /* a RELWALL sleep first (past the grace) */
	long unsched;	   /* unschedules the ABSMONO sleep made */
	_Atomic int done;
};

#define IDLE_GRACE 20000000ull	  /* 20 ms */
#define IDLE_SKIP 30000000000ull /* 30 s: a long sleep never ends by itself here */

static void *idle_sleeper(void *a)
{
	struct idle_sleep *z = a;
	struct lwp *me = rumpuser_curlwp();
	long u;

	if (z->pause_ns != 0)
		rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, (long)z->pause_ns);
	if (z->deadline == 0) /* its long sleep ends a whole skip from now, or later */
		z->deadline = (mk_clock_now_ns() / IDLE_SKIP + 1) * IDLE_SKIP + TICK_NS;
	u = atomic_load(&me->unsched);
	rumpuser_clock_sleep(RUMPUSER_CLOCK_ABSMONO, (int64_t)(z->deadline / 1000000000u),
			     (long)(z->deadline % 1000000000u));
	z->unsched = atomic_load(&me->unsched) - u;
	atomic_store(&z->done, 1);
	return NULL;
}

static void idle_clock(void **s)
{
	struct idle_sleep past = {mk_clock_now_ns() - TICK_NS, 0, -1, 0};
	struct idle_sleep tick = {0, 0, -1, 0};
	struct idle_sleep lng[2] = {{0, 2 * IDLE_GRACE, -1, 0}, {0, 2 * IDLE_GRACE, -1, 0}};
	struct idle_sleep off = {mk_clock_now_ns() - TICK_NS, 0, -1, 0};
	struct kt k[2] = {{idle_sleeper, &lng[0], NULL}, {idle_sleeper, &lng[1], NULL}};
	unsigned long l0, l1, w0, w1;
	uint64_t end;
	void *cookie[2];
	int n;

	(void)s;
	assert_int_equal(rumpbridge_clock_idle(0, TICK_NS - 1), -EINVAL);
	assert_int_equal(rumpbridge_clock_idle(0, 61000000000ull), -EINVAL);
	assert_int_equal(rumpbridge_clock_idle(3601000000000ull, TICK_NS), -EINVAL);
	assert_int_equal(rumpbridge_clock_idle(IDLE_GRACE, IDLE_SKIP), 0);
	ru_clock_idle_stats(&n, &l0, &w0);

	/* a clock thread whose now is older than the time of the activity
	 * another one just took: still within the grace, a tick's sleep */
	{
		uint64_t now = mk_clock_now_ns(), seen = 0;
		bool lg = true;

		rumpbridge_clock_activity();
		ru_clock_idle_deadline(now + TICK_NS, now, &seen, &lg); /* takes it: last = now */
		assert_false(lg);
		ru_clock_idle_deadline(now + TICK_NS, now - 1000000u, &seen, &lg);
		assert_false(lg);
	}

	/* a passed deadline: at once, the CPU kept */
	run_green(idle_sleeper, &past);
	assert_int_equal(past.unsched, 0);

	/* activity, then a sleep: a tick's, the CPU given back */
	rumpbridge_clock_activity();
	tick.deadline = mk_clock_now_ns() + TICK_NS;
	run_green(idle_sleeper, &tick);
	assert_int_equal(tick.unsched, 1);
	ru_clock_idle_stats(&n, &l1, &w1);
	assert_int_equal(l1, l0);

	/* past the grace without activity: two clock threads (two rump
	 * CPUs) in a long sleep, which activity from this plain host thread
	 * ends, for both */
	for (int i = 0; i < 2; i++)
		assert_int_equal(rumpuser_thread_create(kt_main, &k[i], i ? "rumpclk1" : "rumpclk0",
							1, 0, i, &cookie[i]),
				 0);
	end = mk_clock_now_ns() + 10000000000ull;
	do {
		ru_clock_idle_stats(&n, &l1, &w1);
		if (n == 2)
			break;
		usleep(1000);
	} while (mk_clock_now_ns() < end && !atomic_load(&lng[0].done) &&
		 !atomic_load(&lng[1].done));
	if (n != 2)
		fail_msg("the clock threads never slept long (%d of 2; done %d %d)", n,
			 atomic_load(&lng[0].done), atomic_load(&lng[1].done));
	assert_int_equal(l1, l0 + 2);
	assert_int_equal(w1, w0);
	assert_int_equal(atomic_load(&lng[0].done) + atomic_load(&lng[1].done), 0);
	rumpbridge_clock_activity();
	end = mk_clock_now_ns() + 10000000000ull;
	while (!(atomic_load(&lng[0].done) && atomic_load(&lng[1].done)) &&
	       mk_clock_now_ns() < end)
		usleep(1000);
	if (!(atomic_load(&lng[0].done) && atomic_load(&lng[1].done)))
		fail_msg("activity did not end both long sleeps in 10 s (done %d %d)",
			 atomic_load(&lng[0].done), atomic_load(&lng[1].done));
	for (int i = 0; i < 2; i++) {
		kjoin(cookie[i]);
		assert_int_equal(lng[i].unsched, 1);
	}
	ru_clock_idle_stats(&n, &l1, &w1);
	assert_int_equal(w1, w0 + 2);

	/* off: a passed deadline goes through the scheduler as before */
	assert_int_equal(rumpbridge_clock_idle(0, 0), 0);
	run_green(idle_sleeper, &off);
	assert_int_equal(off.unsched, 1);
	ru_clock_idle_stats(&n, &l0, &w0);
	assert_int_equal(l0, l1);
	check_no_kernel_errors();
}

static void clocks(void **s)
{
	(void)s;
	int64_t sec;
	long nsec;

	assert_int_equal(rumpuser_clock_gettime(RUMPUSER_CLOCK_RELWALL, &sec, &nsec), 0);
	assert_true(sec > 1600000000); /* wall clock: after 2020 */
	assert_int_equal(rumpuser_clock_gettime(7, &sec, &nsec), NETBSD_EINVAL);
	assert_int_equal(rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 2000000000L), NETBSD_EINVAL);
	assert_ptr_equal(run_green(sleeps, NULL), (void *)1);
	assert_ptr_equal(run_host(sleeps, NULL), (void *)1);
	check_no_kernel_errors();
}

/* ---- files ---- */

static char path[64];

static void *file_io(void *a)
{
	int fd, type;
	uint64_t size;
	size_t n;
	char out[32] = "";
	struct rumpuser_iovec wv[2] = {{"hello ", 6}, {"world", 5}};
	struct rumpuser_iovec rv = {out, sizeof(out)};

	(void)a;
	if (rumpuser_open(path, RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE, &fd) != 0)
		return (void *)1;
	if (rumpuser_iovwrite(fd, wv, 2, 0, &n) != 0 || n != 11)
		return (void *)2;
	if (rumpuser_syncfd(fd, RUMPUSER_SYNCFD_WRITE, 0, 0) != 0)
		return (void *)3;
	if (rumpuser_iovread(fd, &rv, 1, 0, &n) != 0 || n != 11 || memcmp(out, "hello world", 11))
		return (void *)4;
	if (rumpuser_getfileinfo(path, &size, &type) != 0 || size != 11 || type != RUMPUSER_FT_REG)
		return (void *)5;
	if (rumpuser_getfileinfo("/", NULL, &type) != 0 || type != RUMPUSER_FT_DIR)
		return (void *)6;
	if (rumpuser_close(fd) != 0)
		return (void *)7;
	if (rumpuser_open("/nonexistent/file", RUMPUSER_OPEN_RDONLY, &fd) != 2)
		return (void *)8;
	if (rumpuser_open(path, RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE | RUMPUSER_OPEN_EXCL,
			  &fd) != 17)
		return (void *)9;
	unlink(path);
	return NULL;
}

static struct dom_sem bio_done;
static _Atomic int bio_green, bio_err;
static _Atomic size_t bio_len;

static void biodone(void *arg, size_t len, int err)
{
	(void)arg;
	atomic_store(&bio_len, len);
	atomic_store(&bio_err, err);
	atomic_store(&bio_green, dom_thread_is_green(dom_self()));
	dom_sem_post(&bio_done);
}

static void *bio_io(void *a)
{
	int fd;
	char buf[4096];

	(void)a;
	if (rumpuser_open(path, RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE, &fd) != 0)
		return (void *)1;
	memset(buf, 'x', sizeof(buf));
	dom_sem_init(&bio_done, 0);
	rumpuser_bio(fd, RUMPUSER_BIO_WRITE | RUMPUSER_BIO_SYNC, buf, sizeof(buf), 4096, biodone,
		     NULL);
	dom_sem_wait(&bio_done);
	if (atomic_load(&bio_err) != 0 || atomic_load(&bio_len) != sizeof(buf) ||
	    !atomic_load(&bio_green))
		return (void *)2;
	memset(buf, 0, sizeof(buf));
	rumpuser_bio(fd, RUMPUSER_BIO_READ, buf, sizeof(buf), 4096, biodone, NULL);
	dom_sem_wait(&bio_done);
	if (atomic_load(&bio_len) != sizeof(buf) || buf[0] != 'x' || buf[4095] != 'x')
		return (void *)3;
	dom_sem_destroy(&bio_done);
	rumpuser_close(fd);
	unlink(path);
	return NULL;
}

static void files(void **s)
{
	(void)s;
	snprintf(path, sizeof(path), "/tmp/rumpbridge-test-%d", (int)getpid());
	assert_null(run_green(file_io, NULL)); /* on an I/O helper, not the vCPU */
	assert_null(run_host(file_io, NULL));
	assert_null(run_green(bio_io, NULL));
	assert_null(run_host(bio_io, NULL));
	check_no_kernel_errors();
}

/* ---- a rump thread waits on an outside event; others keep running ---- */

static _Atomic long ticks;
static _Atomic int stop_ticking;

static void *ticker(void *a)
{
	(void)a;
	while (!atomic_load(&stop_ticking)) {
		atomic_fetch_add(&ticks, 1);
		rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 100000);
	}
	return NULL;
}

static void *event_waiter(void *a)
{
	uint64_t bits = 0;
	(void)a;
	int r = rumpbridge_event_wait(0x8, &bits);
	return (void *)(uintptr_t)(r == 0 && bits == 0x8);
}

static void outside_event(void **s)
{
	(void)s;
	struct kt tk = {ticker, NULL, NULL}, wk = {event_waiter, NULL, NULL};
	void *tc, *wc;

	atomic_store(&stop_ticking, 0);
	assert_int_equal(rumpuser_thread_create(kt_main, &wk, "waiter", 1, 0, -1, &wc), 0);
	assert_int_equal(rumpuser_thread_create(kt_main, &tk, "ticker", 1, 0, -1, &tc), 0);
	long t0 = atomic_load(&ticks);
	while (atomic_load(&ticks) < t0 + 20)
		rb_sleep_ms(1);
	assert_int_equal(dom_event_signal(d, 0x8), 0);
	kjoin(wc);
	assert_ptr_equal(wk.ret, (void *)1);
	atomic_store(&stop_ticking, 1);
	kjoin(tc);
	check_no_kernel_errors();
}

/* ---- adoption ---- */

static void *adopt_main(void *a)
{
	(void)a;
	if (rumpbridge_unadopt() != -EPERM)
		return (void *)1;
	if (rumpbridge_adopt() != 0 || rumpbridge_adopt() != 0)
		return (void *)2;
	struct lwp *l = rumpuser_curlwp();
	if (l == NULL || dom_self() == NULL || atomic_load(&l->has_cpu))
		return (void *)3;
	if (rumpbridge_unadopt() != 0)
		return (void *)4;
	return NULL;
}

static void *adopt_green(void *a)
{
	(void)a;
	return (void *)(intptr_t)rumpbridge_adopt();
}

static void adoption(void **s)
{
	(void)s;
	struct mk_thread *t;
	void *r;

	assert_int_equal(mk_thread_create(&t, "adoptee", adopt_main, NULL), 0);
	assert_int_equal(mk_thread_join(t, &r), 0);
	assert_null(r);
	struct kt k = {adopt_green, NULL, NULL};
	void *c;
	assert_int_equal(rumpuser_thread_create(kt_main, &k, "g", 1, 0, -1, &c), 0);
	kjoin(c);
	assert_int_equal((intptr_t)k.ret, -EPERM);
	check_no_kernel_errors();
}

/* ---- foreign threads: an lwp of their own on the first call ---- */

#define FOREIGN_THREADS 4
#define FOREIGN_CALLS RB_SCALE(100000)
#define SHORT_LIVED 1000

struct foreign {
	int first_id;	  /* the lwp of its first call */
	long changes;	  /* calls on another lwp */
	uint64_t sum;	  /* over its calls: lwp id * K + call number */
	long held_cpu;	  /* calls whose lwp already held a CPU */
};

#define K 1000003ull

static _Atomic long foreign_calls;

/* What the kernel does for a rump call from this thread: rump_schedule,
 * the call on curlwp, rump_unschedule. */
static void *foreign_caller(void *p)
{
	struct foreign *f = p;

	for (long i = 0; i < FOREIGN_CALLS; i++) {
		fk_schedule();
		struct lwp *l = rumpuser_curlwp();
		if (i == 0)
			f->first_id = l->id;
		else if (l->id != f->first_id)
			f->changes++;
		f->sum += (uint64_t)l->id * K + (uint64_t)i;
		atomic_fetch_add(&foreign_calls, 1);
		fk_unschedule();
	}
	return NULL;
}

static void *call_once(void *p)
{
	(void)p;
	fk_schedule();
	fk_unschedule();
	return dom_current(); /* its own lwp, kept after the call */
}

static void *unadopt_own(void *p)
{
	(void)p;
	fk_schedule();
	int id = rumpuser_curlwp()->id;
	fk_unschedule();
	if (dom_current() == NULL)
		return (void *)1; /* not kept */
	if (rumpbridge_adopt() != 0 || rumpuser_curlwp()->id != id)
		return (void *)2; /* adopting keeps the lwp it has */
	if (rumpbridge_unadopt() != 0 || dom_current() != NULL || dom_self() != NULL)
		return (void *)3; /* released early, left the domain */
	if (rumpbridge_unadopt() != -EPERM)
		return (void *)4;
	return NULL;
}

static void foreign_lwps(void **s)
{
	(void)s;
	struct foreign f[FOREIGN_THREADS];
	struct mk_thread *t[FOREIGN_THREADS];
	long live0;
	void *r;

	/* rump_init marks the kernel able to make lwps at dl_bootstrap */
	rumpuser_dl_bootstrap(NULL, NULL, NULL);
	live0 = atomic_load(&fk_live);

	memset(f, 0, sizeof(f));
	for (int i = 0; i < FOREIGN_THREADS; i++)
		assert_int_equal(mk_thread_create(&t[i], "foreign", foreign_caller, &f[i]), 0);
	for (int i = 0; i < FOREIGN_THREADS; i++)
		assert_int_equal(mk_thread_join(t[i], NULL), 0);
	assert_int_equal(atomic_load(&foreign_calls), FOREIGN_THREADS * (long)FOREIGN_CALLS);
	for (int i = 0; i < FOREIGN_THREADS; i++) {
		uint64_t n = FOREIGN_CALLS;

		assert_int_equal(f[i].changes, 0); /* one lwp for all its calls */
		assert_true(f[i].sum == (uint64_t)f[i].first_id * K * n + n * (n - 1) / 2);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(f[i].first_id, f[j].first_id);
	}
	/* released when the threads exited */
	assert_int_equal(atomic_load(&fk_live), live0);

	/* many short-lived threads, each calling once */
	for (int i = 0; i < SHORT_LIVED; i++) {
		assert_int_equal(mk_thread_create(&t[0], "short", call_once, NULL), 0);
		assert_int_equal(mk_thread_join(t[0], &r), 0);
		assert_non_null(r);
	}
	assert_int_equal(atomic_load(&fk_live), live0);

	assert_int_equal(mk_thread_create(&t[0], "unadopt", unadopt_own, NULL), 0);
	assert_int_equal(mk_thread_join(t[0], &r), 0);
	assert_null(r);
	assert_int_equal(atomic_load(&fk_live), live0);

	/* a green thread without an lwp keeps the implicit path */
	struct dom_thread *g;
	struct dom_thread_attr a = {.name = "nolwp", .vcpu = -1};
	assert_int_equal(dom_thread_create(d, &g, &a, call_once, NULL), 0);
	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_thread_join(g, &r), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_null(r);
	assert_int_equal(atomic_load(&fk_live), live0);
	check_no_kernel_errors();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(params),
		cmocka_unit_test(memory),
		cmocka_unit_test(random_bytes),
		cmocka_unit_test(console),
		cmocka_unit_test(curlwp_per_thread),
		cmocka_unit_test(mutex_kmutex),
		cmocka_unit_test(mutex_nowrap),
		cmocka_unit_test(mutex_spin),
		cmocka_unit_test(cv_no_lost_wakeups),
		cmocka_unit_test(cv_timedwait_and_nowrap),
		cmocka_unit_test(rwlocks),
		cmocka_unit_test(threads),
		cmocka_unit_test(clocks),
		cmocka_unit_test(ticks_on_one_grid),
		cmocka_unit_test(idle_clock),
		cmocka_unit_test(files),
		cmocka_unit_test(outside_event),
		cmocka_unit_test(adoption),
		cmocka_unit_test(foreign_lwps), /* last: marks the kernel ready */
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
