/* SPDX-License-Identifier: BSD-2-Clause */
/* Timers of bound threads (timer.c): a green thread bound to a vCPU waits
 * in that vCPU's heap, so only that vCPU wakes for it; its sleeps still
 * end at or after their deadlines, beside an unbound thread's. */
#include <stdatomic.h>
#include <stdio.h>

#include <rumpbridge/dom.h>

#include "dom/dom_impl.h"
#include "rb_test.h"

enum { ROUNDS = 100, SLEEP_NS = 2000000 };

static struct dom *dm;

/* ROUNDS sleeps of SLEEP_NS; 0 when each ended at or after its deadline
 * on the vCPU the thread is bound to (or any, unbound). */
static void *sleeper(void *arg)
{
	int bound = (int)(intptr_t)arg;

	for (int i = 0; i < ROUNDS; i++) {
		uint64_t deadline = mk_clock_now_ns() + SLEEP_NS;

		if (dom_sleep_until(deadline) != 0 || mk_clock_now_ns() < deadline)
			return (void *)1;
		if (bound >= 0 && (int)dom_self()->vcpu->id != bound)
			return (void *)2;
	}
	return NULL;
}

static void *join(struct dom_thread *t)
{
	void *r = (void *)-1;

	assert_int_equal(dom_enter(dm), 0);
	assert_int_equal(dom_thread_join(t, &r), 0);
	assert_int_equal(dom_leave(dm), 0);
	return r;
}

static void bound_timers_wake_their_vcpu_only(void **state)
{
	(void)state;
	const struct dom_config cfg = {.name = "tmr", .vcpus = 2};
	struct dom_thread_attr a = {.name = "bound1", .vcpu = 1};
	struct dom_thread *t;
	unsigned long w0, w1;

	assert_int_equal(dom_create(&dm, &cfg), 0);
	w0 = atomic_load(&dm->vcpu[0].timed_wakes);
	w1 = atomic_load(&dm->vcpu[1].timed_wakes);
	assert_int_equal(dom_thread_create(dm, &t, &a, sleeper, (void *)(intptr_t)1), 0);
	assert_null(join(t));
	/* vCPU 0 had no deadline to wait for: it never timed out (with one
	 * heap for the domain it timed out with vCPU 1 at every sleep) */
	assert_int_equal(atomic_load(&dm->vcpu[0].timed_wakes) - w0, 0);
	assert_true(atomic_load(&dm->vcpu[1].timed_wakes) - w1 > 0);
	assert_int_equal(dom_destroy(dm), 0);
}

static void bound_and_unbound_sleepers(void **state)
{
	(void)state;
	const struct dom_config cfg = {.name = "tmr2", .vcpus = 2};
	struct dom_thread_attr a0 = {.name = "bound0", .vcpu = 0};
	struct dom_thread_attr a1 = {.name = "bound1", .vcpu = 1};
	struct dom_thread *t[3];

	assert_int_equal(dom_create(&dm, &cfg), 0);
	assert_int_equal(dom_thread_create(dm, &t[0], &a0, sleeper, (void *)(intptr_t)0), 0);
	assert_int_equal(dom_thread_create(dm, &t[1], &a1, sleeper, (void *)(intptr_t)1), 0);
	assert_int_equal(dom_thread_create(dm, &t[2], NULL, sleeper, (void *)(intptr_t)-1), 0);
	for (int i = 0; i < 3; i++)
		assert_null(join(t[i]));
	assert_int_equal(dom_destroy(dm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bound_timers_wake_their_vcpu_only),
		cmocka_unit_test(bound_and_unbound_sleepers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
