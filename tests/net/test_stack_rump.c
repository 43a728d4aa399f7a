/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The NetBSD rump kernel's stack behind the stack interface
 * (src/net/stack.h, stack_rump.c), with our host half of if_virt on the
 * rings (virtif_host.c, virt_ring.c), against the peer written by hand
 * (peer.c, frame.c) on the other ends of the rings: a datagram sent
 * through the kernel appears on the tx ring as a correct
 * Ethernet/IPv4/UDP frame (IP and UDP checksums, addresses, MACs, payload
 * checksum, order per sender); plain host threads that entered the
 * domain (as a PD's RPC handler or notification callback does) call
 * sendto with no rumpbridge_adopt and keep one lwp of their own; and the
 * cases every stack passes (stack_cases.c): frames put on the rx ring
 * reach a bound socket's callback, every error of the interface, the
 * counters.
 *
 * The kernel lives in one domain for the whole program (a rump kernel
 * cannot be shut down within a process); each test brings a stack (an
 * interface virtN) up and down in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <rump/rump.h>

#include <rumpbridge/dom.h>

#include "peer.h"
#include "rb_test.h"
#include "stack_cases.h"

#define PORT_SRC 5000

static struct dom *the_dom;

static int setup(void **state)
{
	*state = peer_setup("rump", the_dom);
	return 0;
}

/* The domain stays: the kernel lives in it until the process ends. */
static int teardown(void **state)
{
	peer_teardown(*state);
	return 0;
}

struct sender_arg {
	struct peer *f;
	struct net_udp *u;
	uint32_t sender, count;
	bool enter;	  /* a plain host thread that enters the domain */
	void *lwp_before; /* its lwp after its first datagram */
	void *lwp_after;  /* and after its last */
};

static void *sender_main(void *arg)
{
	struct sender_arg *g = arg;

	if (g->enter)
		assert_int_equal(dom_enter(g->f->d), 0);
	peer_send(g->f, g->u, g->sender, 0, 1);
	if (g->enter)
		g->lwp_before = rump_pub_lwproc_curlwp();
	peer_send(g->f, g->u, g->sender, 1, g->count);
	if (g->enter) {
		g->lwp_after = rump_pub_lwproc_curlwp();
		assert_int_equal(dom_leave(g->f->d), 0);
	}
	return NULL;
}

/* Datagrams from a green thread, the test's entered main thread and two
 * plain host threads that entered the domain (as a PD's RPC handler or
 * notification callback does; no rumpbridge_adopt): all arrive as correct
 * frames, intact and in order per sender; each plain thread keeps one lwp
 * of its own across its calls (the kernel's implicit path would give it a
 * new one per call). */
static void test_send_every_kind(void **state)
{
	struct peer *f = *state;
	uint32_t n = RB_SCALE(2000);
	struct net_udp *u[4];
	struct dom_thread *t;
	struct dom_thread_attr a = {.name = "sender", .vcpu = -1};
	struct sender_arg g[4];
	pthread_t th[2];
	struct net_stack_stats st;

	peer_stack_up(f);
	peer_start(f);
	for (int i = 0; i < 4; i++)
		assert_int_equal(f->ops->udp_open(f->s, &u[i], NULL, NULL), 0);
	assert_int_equal(f->ops->udp_bind(u[0], 0, PORT_SRC), 0);
	peer_warm_up(f, u[0]);
	for (int i = 0; i < 4; i++)
		g[i] = (struct sender_arg){f, u[i], (uint32_t)i + 1, n, i >= 2, NULL, NULL};
	assert_int_equal(dom_thread_create(f->d, &t, &a, sender_main, &g[0]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, sender_main, &g[2 + i]), 0);
	sender_main(&g[1]);
	assert_int_equal(dom_thread_join(t, NULL), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (unsigned s = 1; s < PEER_SENDERS; s++)
		peer_wait_got(f, s, n);
	assert_int_equal(atomic_load(&f->bad), 0);
	for (int i = 2; i < 4; i++) {
		assert_non_null(g[i].lwp_before);
		assert_ptr_equal(g[i].lwp_before, g[i].lwp_after);
	}
	assert_ptr_not_equal(g[2].lwp_before, g[3].lwp_before);
	assert_int_equal(f->ops->get_stats(f->s, &st), 0);
	assert_int_equal(st.udp_sent, 4 * (uint64_t)n + 1);
	assert_true(st.tx_frames >= 4 * (uint64_t)n + 1);
	assert_int_equal(st.ring_errors, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(f->ops->udp_close(u[i]), 0);
}

/* The stack comes up again after fini, on a new interface of the same
 * kernel, and works. */
static void test_again(void **state)
{
	struct peer *f = *state;
	struct net_udp *u;

	for (int i = 0; i < 3; i++) {
		u = peer_up_warm(f);
		peer_send(f, u, 0, 1, 100);
		peer_wait_got(f, 0, 100);
		peer_stop(f);
		assert_int_equal(f->ops->fini(f->s), 0);
		f->s = NULL;
	}
	assert_int_equal(atomic_load(&f->bad), 0);
}

/* librumpuser's counts of the idle clock (src/rumpuser/clock_idle.c;
 * internal, exported by the shared library): the kernel's clock threads
 * in a long sleep, the long sleeps so far, those that activity ended. */
void ru_clock_idle_stats(int *sleepers, unsigned long *long_sleeps, unsigned long *woken);

static unsigned long clock_woken(int *sleepers)
{
	unsigned long l, w;

	ru_clock_idle_stats(sleepers, &l, &w);
	return w;
}

/* Wait (bounded) until every clock thread is in a long sleep. */
static void wait_clock_asleep(struct peer *f, const char *what)
{
	uint64_t end = mk_clock_now_ns() + RB_HANG_NS;
	unsigned n = dom_vcpus(f->d); /* rump CPUs: one clock thread each */
	int s;

	while (clock_woken(&s), s < (int)n) {
		if (mk_clock_now_ns() > end)
			fail_msg("%s (clock threads in a long sleep: %d of %u)", what, s, n);
		dom_sleep_ns(1000000);
	}
}

/* Wait (bounded) until activity has ended at least `count` long sleeps
 * since `before`. */
static void wait_clock_woken(unsigned long before, unsigned long count, const char *what)
{
	uint64_t end = mk_clock_now_ns() + RB_HANG_NS;
	int s;

	while (clock_woken(&s) < before + count) {
		if (mk_clock_now_ns() > end)
			fail_msg("%s (%lu long sleeps ended by activity, %d asleep)", what,
				 clock_woken(&s) - before, s);
		dom_sleep_ns(1000000);
	}
}

/* The idle clock (docs/network.md, "Idle: the kernel's clock"): once the
 * stack has had no frame for its grace, the kernel's clock sleeps long;
 * a datagram sent (a frame out) wakes every clock thread (one per rump
 * CPU) and arrives, and a frame from the NIC (a frame in) wakes them. */
static void test_idle_clock(void **state)
{
	struct peer *f = *state;
	struct net_udp *u;
	uint8_t junk[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 9, 0x88, 0xb5};
	const char *off = getenv("RUMPBRIDGE_IDLE_CLOCK");
	unsigned long w, l;
	int s;

	u = peer_up_warm(f);
	if (off != NULL && strcmp(off, "0") == 0) {
		/* Turned off (test_stack_rump_ticking): no long sleep in four
		 * times the grace plus the skip of the stack's idle clock. */
		dom_sleep_ns(6000000000ull);
		ru_clock_idle_stats(&s, &l, &w);
		if (s != 0 || l != 0)
			fail_msg("RUMPBRIDGE_IDLE_CLOCK=0, yet the clock slept long (%lu sleeps, %d asleep)",
				 l, s);
		assert_int_equal(f->ops->udp_close(u), 0);
		return;
	}
	wait_clock_asleep(f, "the idle stack's clock never slept long");
	w = clock_woken(&s);
	peer_send(f, u, 0, 1, 100);
	wait_clock_woken(w, (unsigned long)s, "a datagram sent did not wake every clock thread");
	peer_wait_got(f, 0, 100);
	assert_int_equal(atomic_load(&f->bad), 0);
	peer_stop(f);
	wait_clock_asleep(f, "the clock never slept long again");
	w = clock_woken(&s);
	peer_put(f, junk, sizeof(junk)); /* an unknown ethertype: dropped, but a frame */
	wait_clock_woken(w, (unsigned long)s, "a frame from the NIC did not wake every clock thread");
	assert_int_equal(f->ops->udp_close(u), 0);
}

/* Sockets are the kernel's descriptors of its initproc: opening them
 * until the kernel has none left ends in -ENOMEM (udp_open's one error
 * for "out of sockets"), and closing them gives them back. */
static void test_out_of_sockets(void **state)
{
	enum { MAX = 4096 };
	struct peer *f = *state;
	struct net_udp **u = calloc(MAX, sizeof(*u));
	int n = 0, e = 0;

	assert_non_null(u);
	peer_stack_up(f);
	while (n < MAX && (e = f->ops->udp_open(f->s, &u[n], NULL, NULL)) == 0)
		n++;
	if (n == MAX)
		fail_msg("%d sockets open and the kernel has not run out", n);
	assert_int_equal(e, -ENOMEM);
	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(f->ops->udp_close(u[i]), 0);
	assert_int_equal(f->ops->udp_open(f->s, &u[0], NULL, NULL), 0);
	assert_int_equal(f->ops->udp_close(u[0]), 0);
	free(u);
}

struct other_dom_init {
	struct peer *f;
	int e;
};

/* On a domain of its own, entered by this plain thread: init there. */
static void *init_on_other_domain(void *arg)
{
	struct other_dom_init *o = arg;
	struct dom_config dc = {.name = "other", .vcpus = 1};
	struct net_stack_config c = peer_config(o->f);
	struct net_stack *s;
	struct dom *d2;

	o->e = 1;
	if (dom_create(&d2, &dc) != 0)
		return NULL;
	if (dom_enter(d2) == 0) {
		c.d = d2;
		o->e = o->f->ops->init(&s, &c);
		dom_leave(d2);
	}
	dom_destroy(d2);
	return NULL;
}

/* The kernel lives on the domain it first came up on: init on another
 * one is -EINVAL (stack.h), and the stack still comes up on its own. */
static void test_init_other_domain(void **state)
{
	struct peer *f = *state;
	struct other_dom_init o = {f, 0};
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, init_on_other_domain, &o), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(o.e, -EINVAL);
	peer_stack_up(f);
}

static int group_setup(void **state)
{
	struct dom_config dc = {.name = "rump", .vcpus = 2};
	const char *v = getenv("NET_TEST_VCPUS");

	(void)state;
	if (v != NULL)
		dc.vcpus = (unsigned)atoi(v);
	return dom_create(&the_dom, &dc) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_send_every_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(stack_case_receive, setup, teardown),
		cmocka_unit_test_setup_teardown(stack_case_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(stack_case_callers, setup, teardown),
		cmocka_unit_test_setup_teardown(stack_case_tx_ring_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_sockets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_other_domain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_clock, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
