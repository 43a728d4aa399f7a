/* SPDX-License-Identifier: BSD-2-Clause */
/* The idle poll (sched.c, "Idle poll"): an idle vCPU polls its words for
 * a while before it sleeps.  Events must arrive exactly once whether
 * every idle polls for the cap (DOM_IDLE_POLL_MAX), none does
 * (DOM_IDLE_POLL_NONE) or the adaptive rule decides; RUMPBRIDGE_IDLE_POLL=0
 * turns the rule off, and an idle domain never polls.  Run also with
 * RUMPBRIDGE_FUTEX_WAITV=0 (the listener fallback) in CTest. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/mk.h>

#include "dom/dom_impl.h"
#include "rb_test.h"

enum { PAIRS = 3, ROUNDS = 3000 };

/* One echo pair: a host thread signals event bit `bit` with a payload,
 * a green thread takes it and answers on `back`.  served/sum are the
 * green thread's, read after joining it: the checksum. */
struct pair {
	struct dom *d;
	unsigned bit;
	_Atomic uint64_t payload;
	_Atomic bool stop;
	struct mk_notification back;
	uint64_t served, sum;
	int failed;
	struct dom_thread *t;
	struct mk_thread *host;
};

static void *server(void *p)
{
	struct pair *e = p;
	uint64_t bits, ev = UINT64_C(1) << e->bit;

	for (;;) {
		if (dom_event_wait(e->d, ev, &bits) != 0 || bits != ev) {
			e->failed = 1;
			return NULL;
		}
		if (atomic_load(&e->stop))
			return NULL;
		e->served++;
		e->sum += atomic_load(&e->payload);
		mk_notification_signal(&e->back, 1);
	}
}

/* The host side: ROUNDS events, each answered before the next (bounded
 * waits: a lost event fails here instead of hanging). */
static void *client(void *p)
{
	struct pair *e = p;
	uint64_t w;

	for (uint64_t i = 1; i <= ROUNDS; i++) {
		atomic_store(&e->payload, i * (e->bit + 1));
		if (dom_event_signal(e->d, UINT64_C(1) << e->bit) != 0)
			return (void *)1;
		if (mk_notification_wait_until(&e->back, rb_deadline(RB_HANG_NS), &w) != 0)
			return (void *)2; /* the event or its answer was lost */
	}
	return NULL;
}

static unsigned long polls(struct dom *d)
{
	unsigned long n = 0;

	for (unsigned k = 0; k < d->nvcpu; k++)
		n += atomic_load(&d->vcpu[k].poll_paid) + atomic_load(&d->vcpu[k].poll_failed);
	return n;
}

/* PAIRS echo pairs on a domain of nv vCPUs in the given poll mode; the
 * polls the domain made go to *npolls. */
static void echo(unsigned nv, int mode, unsigned long *npolls)
{
	const struct dom_config cfg = {.name = "ipoll", .vcpus = nv};
	static struct pair e[PAIRS];
	struct dom *d;
	void *r;

	atomic_store(&dom_idle_poll_test, mode);
	assert_int_equal(dom_create(&d, &cfg), 0);
	for (unsigned k = 0; k < PAIRS; k++) {
		memset(&e[k], 0, sizeof e[k]);
		e[k].d = d;
		e[k].bit = k;
		assert_int_equal(mk_notification_init(&e[k].back, 0), 0);
		assert_int_equal(dom_thread_create(d, &e[k].t, NULL, server, &e[k]), 0);
	}
	for (unsigned k = 0; k < PAIRS; k++)
		assert_int_equal(mk_thread_create(&e[k].host, "ipoll-client", client, &e[k]), 0);
	for (unsigned k = 0; k < PAIRS; k++) {
		assert_int_equal(mk_thread_join(e[k].host, &r), 0);
		if (r != NULL)
			fail_msg("pair %u: client failed (%ld: 2 is a lost event)", k, (long)r);
		atomic_store(&e[k].stop, true);
		assert_int_equal(dom_event_signal(d, UINT64_C(1) << k), 0);
	}
	assert_int_equal(dom_enter(d), 0);
	for (unsigned k = 0; k < PAIRS; k++)
		assert_int_equal(dom_thread_join(e[k].t, &r), 0);
	assert_int_equal(dom_leave(d), 0);
	for (unsigned k = 0; k < PAIRS; k++) {
		uint64_t want = (uint64_t)ROUNDS * (ROUNDS + 1) / 2 * (k + 1);

		assert_int_equal(e[k].failed, 0);
		assert_int_equal(e[k].served, ROUNDS);
		assert_int_equal(e[k].sum, want);
		assert_int_equal(mk_notification_destroy(&e[k].back), 0);
	}
	*npolls = polls(d);
	assert_int_equal(dom_destroy(d), 0);
	atomic_store(&dom_idle_poll_test, DOM_IDLE_POLL_AUTO);
}

/* Every idle polls for the cap: the words are taken from a poll or from
 * the wait after it, never lost. */
static void max_polls_lose_nothing(void **state)
{
	unsigned long n;

	(void)state;
	echo(2, DOM_IDLE_POLL_MAX, &n);
	if (n == 0)
		fail_msg("2 vCPUs: no idle poll although every idle must poll");
	echo(1, DOM_IDLE_POLL_MAX, &n);
	if (n == 0)
		fail_msg("1 vCPU: no idle poll although every idle must poll");
}

static void no_polls_lose_nothing(void **state)
{
	unsigned long n;

	(void)state;
	echo(2, DOM_IDLE_POLL_NONE, &n);
	assert_int_equal(n, 0);
	echo(1, DOM_IDLE_POLL_NONE, &n);
	assert_int_equal(n, 0);
}

/* The adaptive rule (whatever it decides on this host). */
static void adaptive_loses_nothing(void **state)
{
	unsigned long n;

	(void)state;
	echo(2, DOM_IDLE_POLL_AUTO, &n);
	echo(1, DOM_IDLE_POLL_AUTO, &n);
}

/* RUMPBRIDGE_IDLE_POLL=0: the rule is off, no poll at all. */
static void env_turns_it_off(void **state)
{
	unsigned long n;

	(void)state;
	assert_int_equal(setenv("RUMPBRIDGE_IDLE_POLL", "0", 1), 0);
	echo(2, DOM_IDLE_POLL_AUTO, &n);
	assert_int_equal(n, 0);
	assert_int_equal(unsetenv("RUMPBRIDGE_IDLE_POLL"), 0);
}

/* An idle domain never polls: its idle periods are long, and the
 * average starts long. */
static void idle_domain_is_silent(void **state)
{
	const struct dom_config cfg = {.name = "ipoll-idle", .vcpus = 2};
	struct dom *d;

	(void)state;
	assert_int_equal(dom_create(&d, &cfg), 0);
	rb_sleep_ms(50);
	assert_int_equal(polls(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(max_polls_lose_nothing),
		cmocka_unit_test(no_polls_lose_nothing),
		cmocka_unit_test(adaptive_loses_nothing),
		cmocka_unit_test(env_turns_it_off),
		cmocka_unit_test(idle_domain_is_silent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
