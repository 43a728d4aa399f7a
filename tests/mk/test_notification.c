/* SPDX-License-Identifier: BSD-2-Clause */
/* Semantics of mk notifications, one behaviour per test. */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rb_test.h"

static void init_rejects_bad_arguments(void **state)
{
	(void)state;
	struct mk_notification n;

	assert_int_equal(mk_notification_init(NULL, 0), -EINVAL);
	assert_int_equal(mk_notification_init(&n, 0x80), -EINVAL);
	assert_int_equal(mk_notification_init(&n, MK_SPIN | 0x80), -EINVAL);
	assert_int_equal(mk_notification_init(&n, MK_SPIN | MK_SHARED), 0);
	assert_int_equal(mk_notification_destroy(&n), 0);
}

static void poll_on_empty_is_eagain(void **state)
{
	(void)state;
	struct mk_notification n;
	uint64_t w = 99;

	assert_int_equal(mk_notification_init(&n, 0), 0);
	assert_int_equal(mk_notification_poll(&n, &w), -EAGAIN);
	assert_int_equal(w, 0);
	assert_int_equal(mk_notification_destroy(&n), 0);
}

static void badges_accumulate_until_wait(void **state)
{
	(void)state;
	struct mk_notification n;
	uint64_t w;

	mk_notification_init(&n, 0);
	assert_int_equal(mk_notification_signal(&n, 0x1), 0);
	assert_int_equal(mk_notification_signal(&n, 0x8000000000000000ull), 0);
	assert_int_equal(mk_notification_signal(&n, 0x1), 0);
	assert_int_equal(mk_notification_wait(&n, &w), 0);
	assert_int_equal(w, 0x8000000000000001ull);
	/* wait consumed the word */
	assert_int_equal(mk_notification_poll(&n, &w), -EAGAIN);
	mk_notification_signal(&n, 0x30);
	assert_int_equal(mk_notification_poll(&n, &w), 0);
	assert_int_equal(w, 0x30);
	mk_notification_destroy(&n);
}

static void signal_badge_zero_is_einval(void **state)
{
	(void)state;
	struct mk_notification n;
	uint64_t w;

	mk_notification_init(&n, 0);
	assert_int_equal(mk_notification_signal(&n, 0), -EINVAL);
	assert_int_equal(mk_notification_poll(&n, &w), -EAGAIN);
	assert_int_equal(mk_notification_signal(NULL, 1), -EINVAL);
	assert_int_equal(mk_notification_wait(&n, NULL), -EINVAL);
	mk_notification_destroy(&n);
}

static void wait_until_times_out(void **state)
{
	(void)state;
	struct mk_notification n;
	uint64_t w = 5;

	mk_notification_init(&n, 0);
	uint64_t t0 = mk_clock_now_ns();
	assert_int_equal(mk_notification_wait_until(&n, t0 + 30000000u, &w), -ETIMEDOUT);
	assert_true(mk_clock_now_ns() >= t0 + 30000000u);
	assert_int_equal(w, 0);
	/* a deadline in the past returns at once, and pending bits win */
	assert_int_equal(mk_notification_wait_until(&n, 0, &w), -ETIMEDOUT);
	mk_notification_signal(&n, 4);
	assert_int_equal(mk_notification_wait_until(&n, 0, &w), 0);
	assert_int_equal(w, 4);
	mk_notification_destroy(&n);
}

static void destroyed_and_wrong_kind_are_errors(void **state)
{
	(void)state;
	struct mk_notification n;
	struct mk_endpoint ep;
	uint64_t w;

	mk_notification_init(&n, 0);
	assert_int_equal(mk_notification_destroy(&n), 0);
	assert_int_equal(mk_notification_signal(&n, 1), -EBADF);
	assert_int_equal(mk_notification_wait(&n, &w), -EBADF);
	assert_int_equal(mk_notification_poll(&n, &w), -EBADF);
	assert_int_equal(mk_notification_destroy(&n), -EBADF);

	memset(&n, 0x5a, sizeof(n)); /* never initialised */
	assert_int_equal(mk_notification_signal(&n, 1), -EBADF);

	mk_endpoint_init(&ep, 0);
	assert_int_equal(mk_notification_signal((struct mk_notification *)&ep, 1), -EPROTOTYPE);
	assert_int_equal(mk_notification_wait((struct mk_notification *)&ep, &w), -EPROTOTYPE);
	mk_endpoint_destroy(&ep);
}

struct waiter_arg {
	struct mk_notification *n;
	_Atomic int *returned;
	uint64_t word;
};

static void *waiter(void *p)
{
	struct waiter_arg *a = p;

	if (mk_notification_wait_until(a->n, rb_deadline(RB_HANG_NS), &a->word) == 0)
		atomic_fetch_add(a->returned, 1);
	return NULL;
}

static void wait_for_waiters(struct mk_notification *n, uint32_t count)
{
	while (atomic_load(&n->waiters) < count)
		rb_sleep_ms(1);
}

static void signal_wakes_exactly_one_waiter(void **state)
{
	(void)state;
	struct mk_notification n;
	struct mk_thread *t[3];
	struct waiter_arg a[3];
	_Atomic int returned = 0;

	mk_notification_init(&n, 0);
	for (int i = 0; i < 3; i++) {
		a[i] = (struct waiter_arg){.n = &n, .returned = &returned};
		assert_int_equal(mk_thread_create(&t[i], "waiter", waiter, &a[i]), 0);
	}
	wait_for_waiters(&n, 3);
	assert_int_equal(mk_notification_destroy(&n), -EBUSY);

	mk_notification_signal(&n, 0x10);
	while (atomic_load(&returned) < 1)
		rb_sleep_ms(1);
	rb_sleep_ms(50);
	assert_int_equal(atomic_load(&returned), 1);

	mk_notification_signal(&n, 0x20);
	while (atomic_load(&returned) < 2)
		rb_sleep_ms(1);
	mk_notification_signal(&n, 0x40);
	for (int i = 0; i < 3; i++)
		mk_thread_join(t[i], NULL);
	assert_int_equal(atomic_load(&returned), 3);
	uint64_t all = a[0].word | a[1].word | a[2].word;
	assert_int_equal(all, 0x70);
	assert_int_equal(a[0].word + a[1].word + a[2].word, 0x70); /* each once */
	assert_int_equal(mk_notification_destroy(&n), 0);
}

static void works_between_processes(void **state)
{
	(void)state;
	struct mk_region r;
	struct mk_notification *n, *ack;
	uint64_t w;
	int status;

	assert_int_equal(mk_region_create(&r, "ntf-test", 4096), 0);
	assert_int_equal(mk_region_at(&r, 0, sizeof(*n), 8, (void **)&n), 0);
	assert_int_equal(mk_region_at(&r, 64, sizeof(*ack), 8, (void **)&ack), 0);
	mk_notification_init(n, MK_SHARED);
	mk_notification_init(ack, MK_SHARED);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* child: wait for each badge, echo it back doubled */
		for (int i = 0; i < 1000; i++) {
			if (mk_notification_wait_until(n, rb_deadline(RB_HANG_NS), &w) != 0)
				_exit(2);
			if (w != (uint64_t)i + 1)
				_exit(3);
			mk_notification_signal(ack, w * 2);
		}
		_exit(0);
	}
	for (int i = 0; i < 1000; i++) {
		mk_notification_signal(n, (uint64_t)i + 1);
		assert_int_equal(mk_notification_wait_until(ack, rb_deadline(RB_HANG_NS), &w), 0);
		assert_int_equal(w, ((uint64_t)i + 1) * 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	mk_region_destroy(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_rejects_bad_arguments),
		cmocka_unit_test(poll_on_empty_is_eagain),
		cmocka_unit_test(badges_accumulate_until_wait),
		cmocka_unit_test(signal_badge_zero_is_einval),
		cmocka_unit_test(wait_until_times_out),
		cmocka_unit_test(destroyed_and_wrong_kind_are_errors),
		cmocka_unit_test(signal_wakes_exactly_one_waiter),
		cmocka_unit_test(works_between_processes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
