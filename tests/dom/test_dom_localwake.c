/* SPDX-License-Identifier: BSD-2-Clause */
/* Local wake-ups: the idle vCPU that delivers an outside event runs the
 * green thread it wakes itself, and (where the host can wait on two
 * notifications) an event costs one host wake-up, not two (sched.c,
 * "Idle and kicks", "Local wake-ups").  RUMPBRIDGE_FUTEX_WAITV=0 runs the
 * listener fallback (test_dom_localwake_fallback in CTest). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <rumpbridge/dom.h>

#include "dom/dom_impl.h"
#include "rb_test.h"

enum { ROUNDS = 200, NV = 2 };

static struct dom *dm;
static _Atomic int waiting; /* round the green thread waits in, -1: none */
static int ran_on[ROUNDS];
static int delivered_by[ROUNDS];
static unsigned long wakes[ROUNDS]; /* idle_wakes of all vCPUs, per round */

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

/* Wait (bounded) until the green thread waits in round i (ROUNDS: has
 * returned) and every vCPU is idle, with one listening in the fallback:
 * every wake-up the last event caused is over. */
static void quiet(int i)
{
	uint64_t deadline = rb_deadline(RB_HANG_NS);

	for (;;) {
		if (atomic_load(&waiting) == i && atomic_load(&dm->idle_mask) == (1u << NV) - 1 &&
		    (dm->waitv || atomic_load(&dm->listener) >= 0))
			return;
		if (mk_clock_now_ns() > deadline)
			fail_msg("round %d: domain never went quiet", i);
		rb_sleep_ms(1);
	}
}

static void snapshot(unsigned long lw[NV], unsigned long *iw)
{
	*iw = 0;
	for (unsigned k = 0; k < NV; k++) {
		lw[k] = atomic_load(&dm->vcpu[k].local_wakes);
		*iw += atomic_load(&dm->vcpu[k].idle_wakes);
	}
}

/* ROUNDS events, one at a time, each into a quiet domain: which vCPU
 * delivered each (the one whose local_wakes grew), where the thread ran,
 * and how many times idle vCPUs woke for it. */
static void run_rounds(void)
{
	const struct dom_config cfg = {.name = "lw", .vcpus = NV};
	unsigned long lw0[NV], lw1[NV], iw0, iw1;
	struct dom_thread *t;
	void *r;

	atomic_store(&waiting, -1);
	assert_int_equal(dom_create(&dm, &cfg), 0);
	assert_int_equal(dom_thread_create(dm, &t, NULL, waiter, NULL), 0);
	quiet(0);
	snapshot(lw0, &iw0);
	for (int i = 0; i < ROUNDS; i++) {
		assert_int_equal(dom_event_signal(dm, 1), 0);
		if (i + 1 < ROUNDS) {
			quiet(i + 1);
		} else {
			uint64_t deadline = rb_deadline(RB_HANG_NS);
			/* the thread returns; wait until both vCPUs idle */
			while (atomic_load(&dm->idle_mask) != (1u << NV) - 1 ||
			       atomic_load(&dm->vcpu[0].local_wakes) +
					       atomic_load(&dm->vcpu[1].local_wakes) ==
				       lw0[0] + lw0[1] ||
			       (!dm->waitv && atomic_load(&dm->listener) < 0)) {
				if (mk_clock_now_ns() > deadline)
					fail_msg("last round: domain never went quiet");
				rb_sleep_ms(1);
			}
		}
		snapshot(lw1, &iw1);
		delivered_by[i] = -1;
		for (int k = 0; k < NV; k++)
			if (lw1[k] != lw0[k]) {
				if (delivered_by[i] >= 0 || lw1[k] != lw0[k] + 1)
					fail_msg("round %d: %lu+%lu local wake-ups for one event", i,
						 lw1[0] - lw0[0], lw1[1] - lw0[1]);
				delivered_by[i] = k;
			}
		wakes[i] = iw1 - iw0;
		memcpy(lw0, lw1, sizeof(lw0));
		iw0 = iw1;
	}
	assert_int_equal(dom_enter(dm), 0);
	assert_int_equal(dom_thread_join(t, &r), 0);
	assert_int_equal(dom_leave(dm), 0);
	assert_null(r);
}

static void delivering_vcpu_runs_the_woken_thread(void **state)
{
	(void)state;
	run_rounds();
	for (int i = 0; i < ROUNDS; i++) {
		if (delivered_by[i] < 0)
			fail_msg("round %d: the woken thread was not run from keep", i);
		if (ran_on[i] != delivered_by[i])
			fail_msg("round %d: woken on vCPU %d, delivered by vCPU %d", i, ran_on[i],
				 delivered_by[i]);
	}
	assert_int_equal(dom_destroy(dm), 0);
}

/* With futex_waitv every idle vCPU waits on the domain notification, so
 * one event wakes one vCPU and nothing else: no hand-over of a listener
 * role (the fallback wakes a second vCPU for that, two per event). */
static void one_wake_per_event(void **state)
{
	unsigned long total = 0, most = 0;

	(void)state;
	run_rounds();
	for (int i = 0; i < ROUNDS; i++) {
		total += wakes[i];
		most = wakes[i] > most ? wakes[i] : most;
	}
	printf("# %s: %lu idle wake-ups for %d events (at most %lu for one)\n",
	       dm->waitv ? "futex_waitv" : "listener fallback", total, (int)ROUNDS, most);
	if (mk_notification_wait2_probe() == 0) {
		for (int i = 0; i < ROUNDS; i++)
			if (wakes[i] != 1)
				fail_msg("round %d: %lu idle vCPU wake-ups for one event", i, wakes[i]);
	} else {
		/* the fallback: the deliverer, and at most the vCPU the role
		 * is handed to, whose wake-up may come after the round's
		 * quiet look (the deliverer may take the role back first) */
		if (total < ROUNDS || total > 2 * ROUNDS)
			fail_msg("%lu idle vCPU wake-ups for %d events", total, (int)ROUNDS);
	}
	assert_int_equal(dom_destroy(dm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(delivering_vcpu_runs_the_woken_thread),
		cmocka_unit_test(one_wake_per_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
