/* SPDX-License-Identifier: BSD-2-Clause */
/* mk_notification_wait2_until: waiting on two notifications at once (the
 * idle wait of dom's vCPUs, docs/mk.md).  Where the host has no
 * futex_waitv (QEMU user mode) the tests check the -ENOSYS contract and
 * skip the rest. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rb_test.h"

static bool have_waitv(void)
{
	return mk_notification_wait2_probe() == 0;
}

static void bad_arguments_are_errors(void **state)
{
	(void)state;
	struct mk_notification a, b;
	struct mk_endpoint ep;
	uint64_t wa, wb;

	mk_notification_init(&a, 0);
	mk_notification_init(&b, 0);
	assert_int_equal(mk_notification_wait2_until(NULL, &b, 0, &wa, &wb), -EINVAL);
	assert_int_equal(mk_notification_wait2_until(&a, NULL, 0, &wa, &wb), -EINVAL);
	assert_int_equal(mk_notification_wait2_until(&a, &a, 0, &wa, &wb), -EINVAL);
	assert_int_equal(mk_notification_wait2_until(&a, &b, 0, NULL, &wb), -EINVAL);
	assert_int_equal(mk_notification_wait2_until(&a, &b, 0, &wa, NULL), -EINVAL);
	mk_endpoint_init(&ep, 0);
	assert_int_equal(
		mk_notification_wait2_until(&a, (struct mk_notification *)&ep, 0, &wa, &wb),
		-EPROTOTYPE);
	mk_endpoint_destroy(&ep);
	assert_int_equal(mk_notification_destroy(&b), 0);
	assert_int_equal(mk_notification_wait2_until(&a, &b, 0, &wa, &wb), -EBADF);
	assert_int_equal(mk_notification_wait2_until(&b, &a, 0, &wa, &wb), -EBADF);
	assert_int_equal(mk_notification_destroy(&a), 0);
}

/* RUMPBRIDGE_FUTEX_WAITV=0 (read once per process: in a child) turns it
 * off: -ENOSYS, and pending bits stay. */
static void disabled_is_enosys_and_consumes_nothing(void **state)
{
	(void)state;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct mk_notification a, b;
		uint64_t wa = 7, wb = 7, w;

		setenv("RUMPBRIDGE_FUTEX_WAITV", "0", 1);
		mk_notification_init(&a, 0);
		mk_notification_init(&b, 0);
		mk_notification_signal(&b, 4);
		if (mk_notification_wait2_probe() != -ENOSYS)
			_exit(2);
		if (mk_notification_wait2_until(&a, &b, MK_FOREVER, &wa, &wb) != -ENOSYS)
			_exit(3);
		if (mk_notification_poll(&b, &w) != 0 || w != 4)
			_exit(4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void takes_both_words(void **state)
{
	(void)state;
	struct mk_notification a, b;
	uint64_t wa, wb;

	if (!have_waitv()) {
		assert_int_equal(mk_notification_wait2_probe(), -ENOSYS);
		skip();
	}
	mk_notification_init(&a, 0);
	mk_notification_init(&b, 0);
	mk_notification_signal(&a, 1);
	mk_notification_signal(&b, 6);
	assert_int_equal(mk_notification_wait2_until(&a, &b, MK_FOREVER, &wa, &wb), 0);
	assert_int_equal(wa, 1);
	assert_int_equal(wb, 6);
	assert_int_equal(mk_notification_poll(&a, &wa), -EAGAIN);
	assert_int_equal(mk_notification_poll(&b, &wb), -EAGAIN);
	/* only b: a's word comes back 0 */
	mk_notification_signal(&b, 8);
	assert_int_equal(mk_notification_wait2_until(&a, &b, MK_FOREVER, &wa, &wb), 0);
	assert_int_equal(wa, 0);
	assert_int_equal(wb, 8);
	assert_int_equal(mk_notification_destroy(&a), 0);
	assert_int_equal(mk_notification_destroy(&b), 0);
}

static void times_out_consuming_nothing(void **state)
{
	(void)state;
	struct mk_notification a, b;
	uint64_t wa = 7, wb = 7;

	if (!have_waitv())
		skip();
	mk_notification_init(&a, 0);
	mk_notification_init(&b, 0);
	assert_int_equal(mk_notification_wait2_until(&a, &b, rb_deadline(20000000), &wa, &wb),
			 -ETIMEDOUT);
	assert_int_equal(wa, 0);
	assert_int_equal(wb, 0);
	assert_int_equal(mk_notification_wait2_until(&a, &b, 0, &wa, &wb), -ETIMEDOUT);
	assert_int_equal(atomic_load(&a.waiters), 0);
	assert_int_equal(atomic_load(&b.waiters), 0);
	assert_int_equal(mk_notification_destroy(&a), 0);
	assert_int_equal(mk_notification_destroy(&b), 0);
}

/* Waiters: each on a notification of its own and the shared one. */
enum { NW = 3 };
static struct mk_notification shared, own[NW];
static _Atomic int returned;
static _Atomic bool stop;
static uint64_t got_shared[NW], got_own[NW];

static void *waiter(void *p)
{
	int i = (int)(intptr_t)p;
	uint64_t wa, wb;

	while (!atomic_load(&stop)) {
		if (mk_notification_wait2_until(&own[i], &shared, rb_deadline(RB_HANG_NS), &wa,
						&wb) != 0)
			return (void *)1;
		got_own[i] += wa;
		got_shared[i] += wb;
		atomic_fetch_add(&returned, 1);
	}
	return NULL;
}

static void wait_returned(int n)
{
	uint64_t deadline = rb_deadline(RB_HANG_NS);

	while (atomic_load(&returned) < n) {
		if (mk_clock_now_ns() > deadline)
			fail_msg("only %d of %d waits returned", atomic_load(&returned), n);
		rb_sleep_ms(1);
	}
}

/* Bounded: until n counts at least k waiters. */
static void wait_waiters(struct mk_notification *n, uint32_t k)
{
	uint64_t deadline = rb_deadline(RB_HANG_NS);

	while (atomic_load(&n->waiters) < k) {
		if (mk_clock_now_ns() > deadline)
			fail_msg("only %u of %u waiters", atomic_load(&n->waiters), k);
		rb_sleep_ms(1);
	}
}

static void start_waiters(struct mk_thread *t[NW])
{
	mk_notification_init(&shared, 0);
	for (int i = 0; i < NW; i++) {
		mk_notification_init(&own[i], 0);
		got_own[i] = got_shared[i] = 0;
	}
	atomic_store(&returned, 0);
	atomic_store(&stop, false);
	for (int i = 0; i < NW; i++)
		assert_int_equal(mk_thread_create(&t[i], "w2", waiter, (void *)(intptr_t)i), 0);
}

static void stop_waiters(struct mk_thread *t[NW])
{
	void *r;

	atomic_store(&stop, true);
	for (int i = 0; i < NW; i++)
		mk_notification_signal(&own[i], 1);
	for (int i = 0; i < NW; i++) {
		assert_int_equal(mk_thread_join(t[i], &r), 0);
		assert_null(r);
	}
	for (int i = 0; i < NW; i++)
		assert_int_equal(mk_notification_destroy(&own[i]), 0);
	assert_int_equal(mk_notification_destroy(&shared), 0);
}

/* A signal of the shared notification wakes one of its waiters, which
 * takes the bits; a signal of a waiter's own wakes that one. */
static void shared_signal_wakes_one(void **state)
{
	(void)state;
	struct mk_thread *t[NW];
	uint64_t sum = 0;
	int who = -1;

	if (!have_waitv())
		skip();
	start_waiters(t);
	wait_waiters(&shared, NW);
	mk_notification_signal(&shared, 0x10);
	wait_returned(1);
	rb_sleep_ms(50);
	assert_int_equal(atomic_load(&returned), 1);
	for (int i = 0; i < NW; i++) {
		sum += got_shared[i];
		if (got_shared[i] != 0)
			who = i;
	}
	assert_int_equal(sum, 0x10);
	/* its own notification wakes a given waiter */
	int other = (who + 1) % NW;
	wait_waiters(&own[other], 1);
	mk_notification_signal(&own[other], 0x20);
	wait_returned(2);
	assert_int_equal(got_own[other], 0x20);
	stop_waiters(t);
}

/* Tokens through the shared notification, one at a time, while the
 * waiters' own notifications are signalled too (so a waiter often wakes
 * for both): every token is taken exactly once.  Checksum: the sum of
 * the tokens' badges. */
static void tokens_with_own_signals_checksum(void **state)
{
	(void)state;
	const int rounds = RB_SCALE(20000);
	struct mk_thread *t[NW];
	uint64_t want = 0, sum = 0;

	if (!have_waitv())
		skip();
	start_waiters(t);
	for (int r = 0; r < rounds; r++) {
		uint64_t badge = (uint64_t)1 << (1 + r % 40);

		if (r % 3 == 0)
			mk_notification_signal(&own[r % NW], 1);
		mk_notification_signal(&shared, badge);
		want += badge;
		/* only a waiter empties the word: then it has the token */
		uint64_t deadline = rb_deadline(RB_HANG_NS);
		while (atomic_load(&shared.word) != 0) {
			if (mk_clock_now_ns() > deadline)
				fail_msg("round %d: token 0x%llx never taken", r,
					 (unsigned long long)badge);
			mk_thread_yield();
		}
	}
	stop_waiters(t);
	for (int i = 0; i < NW; i++)
		sum += got_shared[i];
	assert_int_equal(sum, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_arguments_are_errors),
		cmocka_unit_test(disabled_is_enosys_and_consumes_nothing),
		cmocka_unit_test(takes_both_words),
		cmocka_unit_test(times_out_consuming_nothing),
		cmocka_unit_test(shared_signal_wakes_one),
		cmocka_unit_test(tokens_with_own_signals_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
