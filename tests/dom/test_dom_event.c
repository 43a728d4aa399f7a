/* SPDX-License-Identifier: BSD-2-Clause */
/* Events (wait, bind), dom_post and dom_call. */
#include <errno.h>

#include "dom_test.h"

static void *wait_mask(void *p)
{
	struct dom *d = dom_thread_dom(dom_self());
	uint64_t bits;
	int r = dom_event_wait(d, (uint64_t)(uintptr_t)p, &bits);

	return r == 0 ? (void *)(uintptr_t)bits : NULL;
}

static void event_wait_takes_only_its_mask(void **s)
{
	(void)s;
	struct dom *d = dom_new(2);
	struct actor a, b;
	uint64_t bits;

	assert_int_equal(dom_enter(d), 0);
	/* bits raised before anyone waits stay pending */
	assert_int_equal(dom_event_signal(d, 0x10), 0);
	actor_start(&a, GREEN, d, wait_mask, (void *)0x30);
	assert_ptr_equal(actor_join(&a), (void *)0x10);
	actor_start(&a, GREEN, d, wait_mask, (void *)0x1);
	actor_start(&b, HOST, d, wait_mask, (void *)0x2);
	rb_sleep_ms(5);
	assert_int_equal(dom_event_signal(d, 0x2), 0);
	assert_ptr_equal(actor_join(&b), (void *)0x2);
	assert_int_equal(dom_event_signal(d, 0x1 | 0x8), 0);
	assert_ptr_equal(actor_join(&a), (void *)0x1);
	/* 0x8 is still pending, for the next waiter */
	assert_int_equal(dom_event_wait_until(d, 0x8, 0, &bits), 0);
	assert_int_equal(bits, 0x8);
	assert_int_equal(dom_event_wait_until(d, 0x8, mk_clock_now_ns() + 2000000, &bits),
			 -ETIMEDOUT);
	assert_int_equal(bits, 0);
	assert_int_equal(dom_event_signal(d, UINT64_C(1) << 63), -EINVAL);
	assert_int_equal(dom_event_signal(d, 0), -EINVAL);
	assert_int_equal(dom_event_wait(d, 0, &bits), -EINVAL);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_event_wait(d, 1, &bits), -EPERM);
	assert_int_equal(dom_destroy(d), 0);
}

/* An event must reach a green thread whatever the vCPUs do: here one
 * vCPU runs a thread that never passes a scheduling point, so only the
 * other, idle one can see the domain notification (it must be the one
 * that listens, whichever vCPU is busy; docs/dom.md, "Idle vCPUs").  The
 * 10 s limit only turns a hang into a failure. */
static _Atomic int spinning, released;

static void *spin_until_released(void *p)
{
	(void)p;
	uint64_t end = mk_clock_now_ns() + UINT64_C(10000000000);

	atomic_store(&spinning, 1);
	while (!atomic_load(&released) && mk_clock_now_ns() < end)
		;
	return (void *)(uintptr_t)atomic_load(&released);
}

static void *wait_then_release(void *p)
{
	void *r = wait_mask(p);

	atomic_store(&released, 1);
	return r;
}

static void event_reaches_an_idle_vcpu_while_another_is_busy(void **s)
{
	(void)s;

	for (int busy = 0; busy < 2; busy++) {
		struct dom *d = dom_new(2);
		struct dom_thread *spinner, *waiter;
		struct dom_thread_attr sa = {.name = "spinner", .vcpu = busy};
		struct dom_thread_attr wa = {.name = "waiter", .vcpu = 1 - busy};
		void *r;

		atomic_store(&spinning, 0);
		atomic_store(&released, 0);
		assert_int_equal(dom_thread_create(d, &spinner, &sa, spin_until_released, NULL), 0);
		while (!atomic_load(&spinning))
			rb_sleep_ms(1);
		assert_int_equal(dom_thread_create(d, &waiter, &wa, wait_then_release, (void *)0x4), 0);
		rb_sleep_ms(5); /* usually blocked by now; either order must work */
		assert_int_equal(dom_event_signal(d, 0x4), 0);
		assert_int_equal(dom_enter(d), 0);
		assert_int_equal(dom_thread_join(waiter, &r), 0);
		assert_ptr_equal(r, (void *)0x4);
		assert_int_equal(dom_thread_join(spinner, &r), 0);
		assert_ptr_equal(r, (void *)1);
		assert_int_equal(dom_leave(d), 0);
		assert_int_equal(dom_destroy(d), 0);
	}
}

static _Atomic uint64_t handled;
static _Atomic int handler_green;

static void on_event(unsigned bit, void *arg)
{
	atomic_fetch_or(&handled, (UINT64_C(1) << bit) | (uint64_t)(uintptr_t)arg);
	if (dom_thread_is_green(dom_self()))
		atomic_fetch_add(&handler_green, 1);
}

static void bound_handlers_run_on_the_service_thread(void **s)
{
	(void)s;
	struct dom *d = dom_new(1);

	atomic_store(&handled, 0);
	atomic_store(&handler_green, 0);
	assert_int_equal(dom_event_signal(d, UINT64_C(1) << 5), 0); /* before the bind */
	assert_int_equal(dom_event_bind(d, 5, on_event, (void *)0), 0);
	assert_int_equal(dom_event_bind(d, 5, on_event, NULL), -EEXIST);
	assert_int_equal(dom_event_bind(d, 63, on_event, NULL), -EINVAL);
	assert_int_equal(dom_event_bind(d, 62, on_event, NULL), 0);
	assert_int_equal(mk_notification_signal(dom_irq(d), UINT64_C(1) << 62), 0);
	while (atomic_load(&handled) != ((UINT64_C(1) << 5) | (UINT64_C(1) << 62)))
		rb_sleep_ms(1);
	assert_int_equal(atomic_load(&handler_green), 2);
	assert_int_equal(dom_event_bind(d, 5, NULL, NULL), 0); /* unbind */
	assert_int_equal(dom_destroy(d), 0);
}

static _Atomic int post_seq;
static _Atomic int post_bad;

static void posted(void *arg)
{
	int want = (int)(uintptr_t)arg;
	if (atomic_fetch_add(&post_seq, 1) != want || !dom_thread_is_green(dom_self()))
		atomic_fetch_add(&post_bad, 1);
}

static struct dom_sem hold;

static void blocker(void *arg)
{
	(void)arg;
	dom_sem_wait(&hold);
}

static void post_runs_in_order_and_reports_full(void **s)
{
	(void)s;
	struct dom *d;
	struct dom_config c = {.name = "post", .vcpus = 2, .post_capacity = 8};
	int queued = 0;

	assert_int_equal(dom_create(&d, &c), 0);
	atomic_store(&post_seq, 0);
	atomic_store(&post_bad, 0);
	dom_sem_init(&hold, 0);
	/* park the service thread so the queue fills up */
	assert_int_equal(dom_post(d, blocker, NULL), 0);
	atomic_store(&post_seq, -1);
	int r;
	while ((r = dom_post(d, posted, (void *)(uintptr_t)queued)) == 0)
		queued++;
	assert_int_equal(r, -EAGAIN);
	assert_true(queued >= 7 && queued <= 8);
	atomic_store(&post_seq, 0);
	assert_int_equal(dom_sem_post(&hold), 0);
	while (atomic_load(&post_seq) < queued)
		rb_sleep_ms(1);
	assert_int_equal(atomic_load(&post_bad), 0);
	assert_int_equal(dom_post(d, NULL, NULL), -EINVAL);
	assert_int_equal(dom_destroy(d), 0);
	dom_sem_destroy(&hold);
}

static void *twice(void *a)
{
	if (!dom_thread_is_green(dom_self()))
		return NULL;
	return (void *)((uintptr_t)a * 2);
}

static void *call_from_green(void *d)
{
	void *r = NULL;
	if (dom_call(d, twice, (void *)21, &r) != 0)
		return NULL;
	return r;
}

static void *blocking_call(void *a)
{
	(void)a;
	dom_sem_wait(&hold);
	return (void *)5;
}

static void *caller_thread(void *d)
{
	void *r = NULL;
	dom_call(d, blocking_call, NULL, &r);
	return r;
}

static void call_returns_result(void **s)
{
	(void)s;
	struct dom *d = dom_new(2);
	struct dom_thread *g;
	struct mk_thread *h[3];
	void *r = NULL;

	/* from a plain (not entered) host thread */
	assert_int_equal(dom_call(d, twice, (void *)4, &r), 0);
	assert_ptr_equal(r, (void *)8);
	for (int i = 0; i < RB_SCALE(2000); i++) {
		assert_int_equal(dom_call(d, twice, (void *)(uintptr_t)i, &r), 0);
		assert_ptr_equal(r, (void *)(uintptr_t)(2 * i));
	}
	/* from a green thread: runs in place */
	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_thread_create(d, &g, NULL, call_from_green, d), 0);
	assert_int_equal(dom_thread_join(g, &r), 0);
	assert_ptr_equal(r, (void *)42);
	assert_int_equal(dom_leave(d), 0);
	/* calls that block each hold a worker; others still get served */
	dom_sem_init(&hold, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(mk_thread_create(&h[i], "caller", caller_thread, d), 0);
	assert_int_equal(dom_call(d, twice, (void *)1, &r), 0);
	assert_ptr_equal(r, (void *)2);
	for (int i = 0; i < 3; i++)
		dom_sem_post(&hold);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(mk_thread_join(h[i], &r), 0);
		assert_ptr_equal(r, (void *)5);
	}
	dom_sem_destroy(&hold);
	assert_int_equal(dom_call(d, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(dom_destroy(d), 0);
}

int main(void)
{
	mk_thread_prepare_current();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(event_wait_takes_only_its_mask),
		cmocka_unit_test(event_reaches_an_idle_vcpu_while_another_is_busy),
		cmocka_unit_test(bound_handlers_run_on_the_service_thread),
		cmocka_unit_test(post_runs_in_order_and_reports_full),
		cmocka_unit_test(call_returns_result),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
