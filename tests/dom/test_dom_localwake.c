/* SPDX-License-Identifier: BSD-2-Clause */
/* Local wake-ups: the idle vCPU that delivers an outside event runs the
 * green thread it wakes itself (sched.c, "Local wake-ups"). */
#include <stdatomic.h>
#include <stdio.h>

#include <rumpbridge/dom.h>

#include "dom/dom_impl.h"
#include "rb_test.h"

enum { ROUNDS = 200 };

static struct dom *dm;
static _Atomic int waiting; /* round the green thread waits in, -1: none */
static int ran_on[ROUNDS];

static void *waiter(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t bits;

		atomic_store(&waiting, i);
		if (dom_event_wait(dm, 1, &bits) != 0 || bits != 1)
			return (void *)1;
		ran_on[i] = (int)dom_self()->vcpu->id;
	}
	return NULL;
}

/* Wait (bounded) until the green thread waits in round i and both vCPUs
 * are idle with one listening; return the listener. */
static int quiet(int i)
{
	uint64_t deadline = rb_deadline(RB_HANG_NS);

	for (;;) {
		int l = atomic_load(&dm->listener);

		/* both idle after the thread said "round i": it blocked */
		if (atomic_load(&waiting) == i && atomic_load(&dm->idle_mask) == 3 && l >= 0)
			return l;
		if (mk_clock_now_ns() > deadline)
			fail_msg("round %d: domain never went quiet", i);
		rb_sleep_ms(1);
	}
}

static void delivering_vcpu_runs_the_woken_thread(void **state)
{
	(void)state;
	const struct dom_config cfg = {.name = "lw", .vcpus = 2};
	unsigned long before = 0, after = 0;
	int listener[ROUNDS];
	struct dom_thread *t;
	void *r;

	atomic_store(&waiting, -1);
	assert_int_equal(dom_create(&dm, &cfg), 0);
	for (unsigned k = 0; k < 2; k++)
		before += atomic_load(&dm->vcpu[k].local_wakes);
	assert_int_equal(dom_thread_create(dm, &t, NULL, waiter, NULL), 0);
	for (int i = 0; i < ROUNDS; i++) {
		listener[i] = quiet(i);
		assert_int_equal(dom_event_signal(dm, 1), 0);
	}
	assert_int_equal(dom_enter(dm), 0);
	assert_int_equal(dom_thread_join(t, &r), 0);
	assert_int_equal(dom_leave(dm), 0);
	assert_null(r);
	for (unsigned k = 0; k < 2; k++)
		after += atomic_load(&dm->vcpu[k].local_wakes);
	for (int i = 0; i < ROUNDS; i++)
		if (ran_on[i] != listener[i])
			fail_msg("round %d: woken on vCPU %d, delivered by vCPU %d", i, ran_on[i],
				 listener[i]);
	assert_int_equal(after - before, ROUNDS);
	assert_int_equal(dom_destroy(dm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(delivering_vcpu_runs_the_woken_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
