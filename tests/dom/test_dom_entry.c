/* SPDX-License-Identifier: BSD-2-Clause */
/* Foreign entry, the per-thread current pointer, and the seed's scenario:
 * plain host threads calling into a "kernel" that blocks, and a green
 * thread waiting on an outside event, while the other green threads run. */
#include <errno.h>

#include "dom_test.h"

static void enter_leave_nesting(void **s)
{
	(void)s;
	struct dom *d = dom_new(1), *e = dom_new(1);

	assert_null(dom_self());
	assert_int_equal(dom_leave(d), -EPERM);
	assert_int_equal(dom_enter(d), 0);
	struct dom_thread *me = dom_self();
	assert_non_null(me);
	assert_false(dom_thread_is_green(me));
	assert_ptr_equal(dom_thread_dom(me), d);
	assert_int_equal(dom_enter(d), 0); /* nests */
	assert_int_equal(dom_enter(e), -EBUSY);
	assert_int_equal(dom_leave(e), -EPERM);
	assert_int_equal(dom_leave(d), 0);
	assert_ptr_equal(dom_self(), me); /* still inside */
	assert_int_equal(dom_leave(d), 0);
	assert_null(dom_self());
	/* the record is cached: the same one comes back, now for e */
	assert_int_equal(dom_enter(e), 0);
	assert_ptr_equal(dom_self(), me);
	assert_ptr_equal(dom_thread_dom(me), e);
	/* destroying d while we are in e is fine; e refuses while we are in */
	assert_int_equal(dom_leave(e), 0);
	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_enter(e), 0);
	assert_int_equal(dom_destroy(d), -EPERM); /* from inside a domain */
	assert_int_equal(dom_leave(e), 0);
	assert_int_equal(dom_destroy(d), 0);
	assert_int_equal(dom_destroy(e), 0);
}

static struct mk_notification in_ntf, out_ntf;

static void *entered_host_holds_domain(void *p)
{
	struct dom *d = p;
	uint64_t w;

	if (dom_enter(d) != 0)
		return (void *)1;
	mk_notification_signal(&in_ntf, 1);
	mk_notification_wait(&out_ntf, &w);
	return (void *)(intptr_t)dom_leave(d);
}

static void *forgetful(void *p)
{
	dom_enter(p); /* and exits without leaving */
	return NULL;
}

static void destroy_refuses_entered_host(void **s)
{
	(void)s;
	struct dom *d = dom_new(1);
	struct mk_thread *t;
	uint64_t w;
	void *r;

	mk_notification_init(&in_ntf, 0);
	mk_notification_init(&out_ntf, 0);
	assert_int_equal(mk_thread_create(&t, "holder", entered_host_holds_domain, d), 0);
	mk_notification_wait(&in_ntf, &w);
	assert_int_equal(dom_destroy(d), -EBUSY); /* names 'holder' */
	mk_notification_signal(&out_ntf, 1);
	assert_int_equal(mk_thread_join(t, &r), 0);
	assert_null(r);
	/* a thread that exits while entered is reported and unbound */
	assert_int_equal(mk_thread_create(&t, "forgetful", forgetful, d), 0);
	assert_int_equal(mk_thread_join(t, NULL), 0);
	assert_int_equal(dom_destroy(d), 0);
	mk_notification_destroy(&in_ntf);
	mk_notification_destroy(&out_ntf);
}

static void *green_current(void *a)
{
	dom_current_set(a);
	for (int i = 0; i < 50; i++) {
		dom_yield();
		if (dom_current() != a)
			return (void *)1;
	}
	return NULL;
}

static void *host_current(void *a)
{
	return green_current(a);
}

static void current_is_per_thread(void **s)
{
	(void)s;
	struct dom *d = dom_new(4);
	struct actor a[8];
	static int tags[8];

	assert_int_equal(dom_enter(d), 0);
	for (int i = 0; i < 8; i++)
		actor_start(&a[i], mixed(i), d, mixed(i) == GREEN ? green_current : host_current,
			    &tags[i]);
	for (int i = 0; i < 8; i++)
		assert_null(actor_join(&a[i]));
	assert_int_equal(dom_leave(d), 0);
	assert_null(dom_current());
	assert_int_equal(dom_destroy(d), 0);
}

/* ---- the seed's scenario ---- */

/* A fake library kernel: one lock, one condition, a queue of "packets". */
static struct dom_mutex klock;
static struct dom_cv kcv;
static int kqueue;
static _Atomic long progress;
static _Atomic bool stop_spinners;

static int kernel_sendto(int pkt)
{
	dom_mutex_enter(&klock);
	while (kqueue != 0) /* wait for the "driver" to drain it */
		dom_cv_wait(&kcv, &klock);
	kqueue = pkt;
	dom_cv_broadcast(&kcv);
	dom_mutex_exit(&klock);
	return 0;
}

static void *driver(void *a)
{
	long n = (long)(uintptr_t)a, sum = 0;

	for (long i = 0; i < n; i++) {
		dom_mutex_enter(&klock);
		while (kqueue == 0)
			dom_cv_wait(&kcv, &klock);
		sum += kqueue;
		kqueue = 0;
		dom_cv_broadcast(&kcv);
		dom_mutex_exit(&klock);
	}
	return (void *)sum;
}

static void *spinner(void *a)
{
	(void)a;
	while (!atomic_load(&stop_spinners)) {
		atomic_fetch_add(&progress, 1);
		dom_yield();
	}
	return NULL;
}

struct rpc_handler_arg {
	struct dom *d;
	int first, count;
};

/* A plain host thread, as an RPC handler of a component would be. */
static void *rpc_handler(void *p)
{
	struct rpc_handler_arg *h = p;

	for (int i = 0; i < h->count; i++) {
		if (dom_enter(h->d) != 0)
			return (void *)1;
		kernel_sendto(h->first + i);
		dom_leave(h->d);
	}
	return NULL;
}

static void seed_plain_threads_call_in(void **s)
{
	(void)s;
	struct dom *d = dom_new(1); /* one vCPU: the hard case */
	struct dom_thread *drv, *spin[2];
	struct mk_thread *h[3];
	struct rpc_handler_arg ha[3];
	int per = RB_SCALE(1000);
	void *sum;

	dom_mutex_init(&klock);
	dom_cv_init(&kcv);
	kqueue = 0;
	atomic_store(&progress, 0);
	atomic_store(&stop_spinners, false);
	assert_int_equal(dom_thread_create(d, &drv, NULL, driver, (void *)(uintptr_t)(3 * per)), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(dom_thread_create(d, &spin[i], NULL, spinner, NULL), 0);
	long sum_expect = 0;
	for (int i = 0; i < 3; i++) {
		ha[i] = (struct rpc_handler_arg){d, 1 + i * per, per};
		for (int k = 0; k < per; k++)
			sum_expect += 1 + i * per + k;
		assert_int_equal(mk_thread_create(&h[i], "rpc-handler", rpc_handler, &ha[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		void *r;
		assert_int_equal(mk_thread_join(h[i], &r), 0);
		assert_null(r);
	}
	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_thread_join(drv, &sum), 0);
	assert_int_equal((long)sum, sum_expect);
	/* the spinners ran all along, on the single vCPU */
	long p0 = atomic_load(&progress);
	assert_true(p0 > 0);
	atomic_store(&stop_spinners, true);
	for (int i = 0; i < 2; i++)
		assert_int_equal(dom_thread_join(spin[i], NULL), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

/* A green thread waits on an outside event; the others keep running. */
static void *event_waiter(void *p)
{
	struct dom *d = p;
	uint64_t bits, got = 0;

	while (got != 0x6) {
		if (dom_event_wait(d, 0x6, &bits) != 0)
			return (void *)1;
		got |= bits;
	}
	return (void *)(uintptr_t)got;
}

static void seed_green_waits_for_outside(void **s)
{
	(void)s;
	struct dom *d = dom_new(1);
	struct dom_thread *w, *spin;
	void *r;

	atomic_store(&progress, 0);
	atomic_store(&stop_spinners, false);
	assert_int_equal(dom_thread_create(d, &w, NULL, event_waiter, d), 0);
	assert_int_equal(dom_thread_create(d, &spin, NULL, spinner, NULL), 0);
	/* the spinner progresses while the waiter is blocked */
	long p0 = atomic_load(&progress);
	while (atomic_load(&progress) < p0 + 1000)
		rb_sleep_ms(1);
	/* an outside source raises the events, as a component would */
	assert_int_equal(mk_notification_signal(dom_irq(d), 0x2), 0);
	assert_int_equal(dom_event_signal(d, 0x4), 0);
	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_thread_join(w, &r), 0);
	assert_ptr_equal(r, (void *)0x6);
	atomic_store(&stop_spinners, true);
	assert_int_equal(dom_thread_join(spin, NULL), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

int main(void)
{
	mk_thread_prepare_current();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(enter_leave_nesting),
		cmocka_unit_test(destroy_refuses_entered_host),
		cmocka_unit_test(current_is_per_thread),
		cmocka_unit_test(seed_plain_threads_call_in),
		cmocka_unit_test(seed_green_waits_for_outside),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
