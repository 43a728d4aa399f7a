/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <limits.h>
#include <time.h>

#include "rb_test.h"

static void clock_is_monotonic(void **state)
{
	(void)state;
	uint64_t prev = mk_clock_now_ns();

	for (int i = 0; i < 100000; i++) {
		uint64_t now = mk_clock_now_ns();
		assert_true(now >= prev);
		prev = now;
	}
}

static void clock_matches_host_monotonic(void **state)
{
	(void)state;
	struct timespec ts;

	uint64_t a = mk_clock_now_ns();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t b = mk_clock_now_ns();
	uint64_t h = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	assert_true(a <= h && h <= b);
}

static void clock_advances_across_sleep(void **state)
{
	(void)state;
	uint64_t a = mk_clock_now_ns();
	rb_sleep_ms(20);
	assert_true(mk_clock_now_ns() - a >= 20000000u);
}

static void strerror_names_codes(void **state)
{
	(void)state;
	assert_string_equal(mk_strerror(-EBADF), "object destroyed or never initialised");
	assert_string_equal(mk_strerror(EPROTOTYPE), "object is of another kind");
	assert_string_equal(mk_strerror(-12345), "unknown error");
}

/* Every code the mk, dom, mk_microkit and rumpuser headers document has a text; the
 * extremes of int are "unknown error", not undefined behaviour
 * (-INT_MIN overflows). */
static void strerror_covers_documented_codes_and_extremes(void **state)
{
	(void)state;
	static const int documented[] = {
		EINVAL, EBADF, EPROTOTYPE, EBUSY, ETIMEDOUT, EAGAIN, EDEADLK, EPERM,
		ENOMEM, ENAMETOOLONG, ERANGE, EOVERFLOW, ESTALE, ECANCELED, EEXIST,
		ESRCH, ESHUTDOWN, EMFILE, ENXIO, ENOTSUP,
	};

	for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++) {
		assert_string_not_equal(mk_strerror(-documented[i]), "unknown error");
		assert_string_equal(mk_strerror(-documented[i]), mk_strerror(documented[i]));
	}
	assert_string_equal(mk_strerror(0), "success");
	assert_string_equal(mk_strerror(INT_MIN), "unknown error");
	assert_string_equal(mk_strerror(INT_MIN + 1), "unknown error");
	assert_string_equal(mk_strerror(INT_MAX), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clock_is_monotonic),
		cmocka_unit_test(clock_matches_host_monotonic),
		cmocka_unit_test(clock_advances_across_sleep),
		cmocka_unit_test(strerror_names_codes),
		cmocka_unit_test(strerror_covers_documented_codes_and_extremes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
