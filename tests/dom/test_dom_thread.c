/* SPDX-License-Identifier: BSD-2-Clause */
/* Green threads: create, join, yield, sleep, affinity, detach, teardown. */
#include <errno.h>
#include <string.h>

#include <rumpbridge/dom.h>

#include "rb_test.h"

static struct dom *mkdom(unsigned vcpus)
{
	struct dom *d;
	struct dom_config c = {.name = "t", .vcpus = vcpus};

	assert_int_equal(dom_create(&d, &c), 0);
	return d;
}

static void *ret_arg(void *a)
{
	return a;
}

static void create_join(unsigned vcpus)
{
	struct dom *d = mkdom(vcpus);
	struct dom_thread *t[8];
	void *r;

	assert_int_equal(dom_enter(d), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(dom_thread_create(d, &t[i], NULL, ret_arg, (void *)(uintptr_t)(i + 1)), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(dom_thread_join(t[i], &r), 0);
		assert_ptr_equal(r, (void *)(uintptr_t)(i + 1));
	}
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

static void create_join_1(void **s)
{
	(void)s;
	create_join(1);
}

static void create_join_4(void **s)
{
	(void)s;
	create_join(4);
}

/* N=1 is rumprun's scheduler: yields interleave strictly. */
static char trace[64];
static _Atomic int tpos;

static void *yielder(void *a)
{
	for (int i = 0; i < 3; i++) {
		trace[atomic_fetch_add(&tpos, 1)] = *(const char *)a;
		dom_yield();
	}
	return NULL;
}

static struct dom_thread *ya, *yb;

/* Creates both from inside, so both are queued before either runs. */
static void *starter(void *d)
{
	dom_thread_create(d, &ya, NULL, yielder, "a");
	dom_thread_create(d, &yb, NULL, yielder, "b");
	return NULL;
}

static void yield_round_robin_on_one_vcpu(void **s)
{
	(void)s;
	struct dom *d = mkdom(1);
	struct dom_thread *a, *b, *st;

	atomic_store(&tpos, 0);
	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_thread_create(d, &st, NULL, starter, d), 0);
	assert_int_equal(dom_thread_join(st, NULL), 0);
	a = ya;
	b = yb;
	assert_int_equal(dom_thread_join(a, NULL), 0);
	assert_int_equal(dom_thread_join(b, NULL), 0);
	trace[atomic_load(&tpos)] = 0;
	assert_string_equal(trace, "ababab");
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

static void *sleeper(void *a)
{
	uint64_t t0 = mk_clock_now_ns();
	dom_sleep_ns(20 * 1000000ull);
	*(uint64_t *)a = mk_clock_now_ns() - t0;
	return NULL;
}

static void sleep_sleeps(void **s)
{
	(void)s;
	struct dom *d = mkdom(2);
	struct dom_thread *t[4];
	uint64_t el[4];

	assert_int_equal(dom_enter(d), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(dom_thread_create(d, &t[i], NULL, sleeper, &el[i]), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(dom_thread_join(t[i], NULL), 0);
		assert_true(el[i] >= 20 * 1000000ull);
	}
	/* a host thread sleeps too */
	uint64_t t0 = mk_clock_now_ns();
	assert_int_equal(dom_sleep_ns(5 * 1000000ull), 0);
	assert_true(mk_clock_now_ns() - t0 >= 5 * 1000000ull);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

static void *where(void *a)
{
	(void)a;
	/* the seat's vCPU: the host thread name ends in /<n> */
	char n[16];
	mk_thread_get_name(n, sizeof(n));
	for (int i = 0; i < 10; i++)
		dom_yield();
	char m[16];
	mk_thread_get_name(m, sizeof(m));
	return (void *)(uintptr_t)(strcmp(n, "t/2") == 0 && strcmp(m, "t/2") == 0);
}

static void affinity_pins_to_vcpu(void **s)
{
	(void)s;
	struct dom *d = mkdom(4);
	struct dom_thread *t[6];
	struct dom_thread_attr a = {.name = "pinned", .vcpu = 2};
	void *r;

	assert_int_equal(dom_enter(d), 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(dom_thread_create(d, &t[i], &a, where, NULL), 0);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(dom_thread_join(t[i], &r), 0);
		assert_ptr_equal(r, (void *)1);
	}
	a.vcpu = 4;
	assert_int_equal(dom_thread_create(d, &t[0], &a, where, NULL), -EINVAL);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

static _Atomic int detached_done;

static void *detached_fn(void *a)
{
	(void)a;
	dom_yield();
	atomic_fetch_add(&detached_done, 1);
	return NULL;
}

static void detached_threads_free_themselves(void **s)
{
	(void)s;
	struct dom *d = mkdom(2);
	struct dom_thread_attr a = {.name = "det", .vcpu = -1, .detached = true};

	atomic_store(&detached_done, 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(dom_thread_create(d, NULL, &a, detached_fn, NULL), 0);
	while (atomic_load(&detached_done) < 100)
		rb_sleep_ms(1);
	/* the last ones may still be between exit and reap: destroy copes */
	while (dom_destroy(d) == -EBUSY)
		rb_sleep_ms(1);
}

static struct dom_sem gate;

static void *blocked_on_gate(void *a)
{
	(void)a;
	dom_sem_wait(&gate);
	return NULL;
}

static void destroy_with_live_threads_is_refused(void **s)
{
	(void)s;
	struct dom *d = mkdom(1);
	struct dom_thread *t;
	struct dom_thread_attr a = {.name = "stuck-thread", .vcpu = -1};

	dom_sem_init(&gate, 0);
	assert_int_equal(dom_thread_create(d, &t, &a, blocked_on_gate, NULL), 0);
	assert_int_equal(dom_destroy(d), -EBUSY);
	/* the domain still works: release and join */
	assert_int_equal(dom_sem_post(&gate), 0);
	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_destroy(d), -EPERM); /* from inside */
	assert_int_equal(dom_thread_join(t, NULL), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
	dom_sem_destroy(&gate);
}

static void *exit_early(void *a)
{
	dom_thread_exit(a);
	return NULL; /* not reached */
}

static void bad_arguments(void **s)
{
	(void)s;
	struct dom *d;
	struct dom_thread *t;
	struct dom_config c = {.vcpus = 65};
	struct dom_thread_attr a = {.name = "a-name-much-too-long", .vcpu = -1};

	assert_int_equal(dom_create(&d, &c), -EINVAL);
	c = (struct dom_config){.name = "a-name-much-too-long"};
	assert_int_equal(dom_create(&d, &c), -ENAMETOOLONG);
	assert_int_equal(dom_create(NULL, NULL), -EINVAL);
	d = mkdom(1);
	assert_int_equal(dom_thread_create(d, &t, &a, ret_arg, NULL), -ENAMETOOLONG);
	assert_int_equal(dom_thread_create(d, &t, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(dom_thread_create(d, NULL, NULL, ret_arg, NULL), -EINVAL);
	/* not entered: primitives refuse */
	assert_int_equal(dom_yield(), -EPERM);
	assert_int_equal(dom_sleep_ns(1), -EPERM);
	assert_int_equal(dom_thread_exit(NULL), -EPERM);
	assert_null(dom_self());
	assert_int_equal(dom_current_set(NULL), -EPERM);
	assert_int_equal(dom_leave(d), -EPERM);
	assert_int_equal(dom_enter(d), 0);
	void *r;
	assert_int_equal(dom_thread_create(d, &t, NULL, exit_early, (void *)7), 0);
	assert_int_equal(dom_thread_join(t, &r), 0);
	assert_ptr_equal(r, (void *)7);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
	assert_int_equal(dom_destroy(NULL), -EINVAL);
}

/* A green thread detaches, makes a blocking host call, and the other
 * green thread on the single vCPU keeps running meanwhile. */
static struct mk_notification host_event, host_ack;
static _Atomic long spins;
static _Atomic int stop_spin;

static void *spinner(void *a)
{
	(void)a;
	while (!atomic_load(&stop_spin)) {
		atomic_fetch_add(&spins, 1);
		dom_yield();
	}
	return NULL;
}

static void *detacher(void *a)
{
	uint64_t w;
	int ok = 1;

	(void)a;
	for (int round = 0; round < 3; round++) {
		ok &= dom_detach() == 0;
		ok &= !dom_thread_is_green(dom_self()) && dom_detach() == -EPERM;
		long s0 = atomic_load(&spins);
		mk_notification_signal(&host_ack, 1); /* ready */
		/* a blocking host call: the vCPU must not be held */
		ok &= mk_notification_wait(&host_event, &w) == 0;
		ok &= atomic_load(&spins) > s0;
		ok &= dom_reattach() == 0;
		ok &= dom_thread_is_green(dom_self()) && dom_reattach() == -EPERM;
		ok &= dom_yield() == 0;
	}
	return (void *)(uintptr_t)ok;
}

static void detach_for_blocking_host_calls(void **s)
{
	(void)s;
	struct dom *d = mkdom(1);
	struct dom_thread *dt, *sp;
	void *r;

	mk_notification_init(&host_event, 0);
	mk_notification_init(&host_ack, 0);
	atomic_store(&stop_spin, 0);
	assert_int_equal(dom_detach(), -EPERM); /* not a green thread */
	assert_int_equal(dom_thread_create(d, &sp, NULL, spinner, NULL), 0);
	assert_int_equal(dom_thread_create(d, &dt, NULL, detacher, NULL), 0);
	for (int round = 0; round < 3; round++) {
		uint64_t w;
		assert_int_equal(mk_notification_wait_until(&host_ack, rb_deadline(RB_HANG_NS), &w), 0);
		long s0 = atomic_load(&spins);
		while (atomic_load(&spins) < s0 + 100) /* the vCPU runs on */
			rb_sleep_ms(1);
		mk_notification_signal(&host_event, 1);
	}
	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_thread_join(dt, &r), 0);
	assert_ptr_equal(r, (void *)1);
	atomic_store(&stop_spin, 1);
	assert_int_equal(dom_thread_join(sp, NULL), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
	mk_notification_destroy(&host_event);
	mk_notification_destroy(&host_ack);
}

/* Exiting while on a porter: by returning and by dom_thread_exit, joinable
 * and detached; the threads are reaped and the domain tears down clean
 * (the porters are free again, nothing leaks under ASan). */
static _Atomic int detached_exits;

static void *exit_while_detached(void *a)
{
	if (dom_detach() != 0)
		return (void *)-1;
	if (dom_thread_is_green(dom_self()))
		return (void *)-2;
	if (a == (void *)1) {
		atomic_fetch_add(&detached_exits, 1);
		dom_thread_exit((void *)7);
		return (void *)-3; /* not reached */
	}
	atomic_fetch_add(&detached_exits, 1);
	return (void *)8;
}

static void exit_while_on_a_porter(void **s)
{
	(void)s;
	struct dom *d = mkdom(2);
	struct dom_thread *t[2];
	const struct dom_thread_attr det = {.name = "det-exit", .vcpu = -1, .detached = true};
	void *r;

	atomic_store(&detached_exits, 0);
	assert_int_equal(dom_thread_create(d, &t[0], NULL, exit_while_detached, (void *)1), 0);
	assert_int_equal(dom_thread_create(d, &t[1], NULL, exit_while_detached, (void *)2), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(dom_thread_create(d, NULL, &det, exit_while_detached,
						   (void *)(uintptr_t)(1 + (i & 1))), 0);
	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_thread_join(t[0], &r), 0);
	assert_ptr_equal(r, (void *)7);
	assert_int_equal(dom_thread_join(t[1], &r), 0);
	assert_ptr_equal(r, (void *)8);
	assert_int_equal(dom_leave(d), 0);
	while (atomic_load(&detached_exits) < 6)
		rb_sleep_ms(1);
	/* the detached ones are gone once destroy stops refusing (it names
	 * the ones still alive on the console) */
	int r2;
	rb_sleep_ms(20);
	for (int i = 0; (r2 = dom_destroy(d)) == -EBUSY && i < 1000; i++)
		rb_sleep_ms(5);
	assert_int_equal(r2, 0);
}

/* dom_host_run: jobs on the porters, entered host threads that may
 * block; more jobs than porters queue and all run, each exactly once
 * (a checksum of their ids). */
enum { JOBS = 40 };
static struct dom_sem job_gate;
static _Atomic uint64_t job_sum;
static _Atomic int job_bad;

static void job(void *arg)
{
	struct dom_thread *self = dom_self();

	if (self == NULL || dom_thread_is_green(self))
		atomic_fetch_add(&job_bad, 1);
	dom_sem_wait(&job_gate); /* blocks a host thread, not a vCPU */
	atomic_fetch_add(&job_sum, (uintptr_t)arg);
}

static void *release_jobs(void *arg)
{
	for (int i = 0; i < JOBS; i++) {
		dom_sem_post(&job_gate);
		dom_yield();
	}
	return arg;
}

static void host_run_jobs(void **s)
{
	(void)s;
	struct dom *d = mkdom(1);
	struct dom_thread *t;
	uint64_t want = 0;

	atomic_store(&job_sum, 0);
	atomic_store(&job_bad, 0);
	assert_int_equal(dom_sem_init(&job_gate, 0), 0);
	for (uintptr_t i = 1; i <= JOBS; i++) {
		assert_int_equal(dom_host_run(d, job, (void *)(i * i)), 0);
		want += i * i;
	}
	assert_int_equal(dom_host_run(d, NULL, NULL), -EINVAL);
	assert_int_equal(dom_thread_create(d, &t, NULL, release_jobs, NULL), 0);
	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_thread_join(t, NULL), 0);
	assert_int_equal(dom_leave(d), 0);
	for (int i = 0; i < 10000 && atomic_load(&job_sum) != want; i++)
		rb_sleep_ms(1);
	assert_int_equal(atomic_load(&job_sum), want);
	assert_int_equal(atomic_load(&job_bad), 0);
	/* the last job may still be leaving the domain */
	int r;
	for (int i = 0; i < 1000 && (r = dom_destroy(d)) == -EBUSY; i++)
		rb_sleep_ms(1);
	assert_int_equal(r, 0);
	assert_int_equal(dom_sem_destroy(&job_gate), 0);
}

int main(void)
{
	mk_thread_prepare_current();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_join_1),
		cmocka_unit_test(create_join_4),
		cmocka_unit_test(yield_round_robin_on_one_vcpu),
		cmocka_unit_test(sleep_sleeps),
		cmocka_unit_test(affinity_pins_to_vcpu),
		cmocka_unit_test(detached_threads_free_themselves),
		cmocka_unit_test(destroy_with_live_threads_is_refused),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(detach_for_blocking_host_calls),
		cmocka_unit_test(exit_while_on_a_porter),
		cmocka_unit_test(host_run_jobs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
