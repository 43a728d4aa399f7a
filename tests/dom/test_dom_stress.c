/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Stress: ping-pong wake-ups between every pair of kinds (green->green,
 * host->green, green->host, host->host), all at once on 4 vCPUs, over
 * semaphores and over events.  Every message carries its sequence number
 * and the receiver keeps a checksum, so a lost wake-up (a timed wait that
 * expires) or a doubled one (a sequence out of order) fails the test.
 */
#include <errno.h>

#include "dom_test.h"

struct pair {
	struct dom_sem ping, pong;
	uint64_t msg;	  /* written before a post, read after a wait */
	long rounds;
	uint64_t sum;	  /* receiver's checksum */
	int err;
};

static int timed(struct dom_sem *s)
{
	return dom_sem_timedwait(s, rb_deadline(RB_HANG_NS));
}

static void *pinger(void *p)
{
	struct pair *x = p;

	for (long i = 1; i <= x->rounds; i++) {
		x->msg = (uint64_t)i;
		dom_sem_post(&x->ping);
		if (timed(&x->pong) != 0) {
			x->err = 1; /* lost wake-up */
			break;
		}
		if (x->msg != (uint64_t)i * 3) {
			x->err = 2;
			break;
		}
	}
	return NULL;
}

static void *ponger(void *p)
{
	struct pair *x = p;

	for (long i = 1; i <= x->rounds; i++) {
		if (timed(&x->ping) != 0) {
			x->err = 3;
			break;
		}
		if (x->msg != (uint64_t)i) {
			x->err = 4; /* doubled or reordered */
			break;
		}
		x->sum += x->msg;
		x->msg *= 3;
		dom_sem_post(&x->pong);
	}
	return NULL;
}

static void cross_kind_pingpong(void **s)
{
	(void)s;
	struct dom *d = dom_new(4);
	static struct pair pr[4];
	const enum actor_kind k[4][2] = {{GREEN, GREEN}, {HOST, GREEN}, {GREEN, HOST}, {HOST, HOST}};
	const long rounds[4] = {RB_SCALE(1000000), RB_SCALE(100000), RB_SCALE(100000),
				RB_SCALE(50000)};
	struct actor a[4][2];

	assert_int_equal(dom_enter(d), 0);
	for (int i = 0; i < 4; i++) {
		pr[i] = (struct pair){.rounds = rounds[i]};
		dom_sem_init(&pr[i].ping, 0);
		dom_sem_init(&pr[i].pong, 0);
		actor_start(&a[i][0], k[i][0], d, pinger, &pr[i]);
		actor_start(&a[i][1], k[i][1], d, ponger, &pr[i]);
	}
	for (int i = 0; i < 4; i++) {
		actor_join(&a[i][0]);
		actor_join(&a[i][1]);
		assert_int_equal(pr[i].err, 0);
		uint64_t n = (uint64_t)rounds[i];
		assert_int_equal(pr[i].sum, n * (n + 1) / 2);
		dom_sem_destroy(&pr[i].ping);
		dom_sem_destroy(&pr[i].pong);
	}
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

/* Outside events to green threads: each of 4 green threads owns an event
 * bit; a host thread raises them and waits for the echo on its own
 * notification.  Events are level-like (bits merge), so the protocol is
 * strictly alternating per bit. */
struct echo {
	struct dom *d;
	unsigned bit;
	struct mk_notification back;
	long rounds;
	uint64_t got;
	int err;
};

static void *echo_green(void *p)
{
	struct echo *e = p;
	uint64_t bits;

	for (long i = 0; i < e->rounds; i++) {
		if (dom_event_wait_until(e->d, UINT64_C(1) << e->bit, rb_deadline(RB_HANG_NS),
					 &bits) != 0) {
			e->err = 1;
			break;
		}
		e->got++;
		mk_notification_signal(&e->back, 1);
	}
	return NULL;
}

static void *echo_host(void *p)
{
	struct echo *e = p;
	uint64_t w;

	for (long i = 0; i < e->rounds; i++) {
		dom_event_signal(e->d, UINT64_C(1) << e->bit);
		if (mk_notification_wait_until(&e->back, rb_deadline(RB_HANG_NS), &w) != 0) {
			e->err = 2;
			break;
		}
	}
	return NULL;
}

static void events_to_green_threads(void **s)
{
	(void)s;
	struct dom *d = dom_new(4);
	static struct echo e[4];
	struct dom_thread *g[4];
	struct mk_thread *h[4];

	for (int i = 0; i < 4; i++) {
		e[i] = (struct echo){.d = d, .bit = (unsigned)(i * 15), .rounds = RB_SCALE(50000)};
		mk_notification_init(&e[i].back, 0);
		assert_int_equal(dom_thread_create(d, &g[i], NULL, echo_green, &e[i]), 0);
		assert_int_equal(mk_thread_create(&h[i], "echo", echo_host, &e[i]), 0);
	}
	assert_int_equal(dom_enter(d), 0);
	for (int i = 0; i < 4; i++) {
		mk_thread_join(h[i], NULL);
		dom_thread_join(g[i], NULL);
		assert_int_equal(e[i].err, 0);
		assert_int_equal(e[i].got, (uint64_t)e[i].rounds);
		mk_notification_destroy(&e[i].back);
	}
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

int main(void)
{
	mk_thread_prepare_current();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cross_kind_pingpong),
		cmocka_unit_test(events_to_green_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
