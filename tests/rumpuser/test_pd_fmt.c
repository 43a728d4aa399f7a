/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Microkit backend's console formatter (src/mk/microkit/format.c, built
 * here with its mk_console_vformat renamed pd_console_vformat so that it
 * does not meet the Linux backend's), on the host, against the C library's
 * snprintf for every conversion it claims, and its truncation.
 */
#include "rb_test.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pd_console_vformat(char *buf, size_t n, const char *fmt, va_list ap);

static int ru_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pd_console_vformat(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

#define SAME(...)                                                                          \
	do {                                                                               \
		char a[128], b[128];                                                      \
		int ra = ru_snprintf(a, sizeof(a), __VA_ARGS__);                           \
		int rb = snprintf(b, sizeof(b), __VA_ARGS__);                              \
		assert_string_equal(a, b);                                                 \
		assert_int_equal(ra, rb);                                                  \
	} while (0)

static void test_conversions(void **state)
{
	(void)state;
	SAME("plain text");
	SAME("%d %i %d %d", 0, -1, 2147483647, (int)-2147483647 - 1);
	SAME("%u %x %X %o", 4000000000u, 0xdeadbeefu, 0xabcdefu, 0755u);
	SAME("%ld %lu %lx", -1234567890123L, 18446744073709551615UL, 0x123456789abcUL);
	SAME("%lld %llu", -9223372036854775807LL - 1, 18446744073709551615ULL);
	SAME("%zu %zx %jd %td", (size_t)123456789, (size_t)0xfff, (intmax_t)-5, (ptrdiff_t)-7);
	SAME("%hd %hu %hhd %hhu", (short)-3, (unsigned short)65535, (signed char)-4,
	     (unsigned char)200);
	SAME("[%5d] [%-5d] [%05d] [%05d] [%-05d]", 42, 42, 42, -42, 42);
	SAME("[%8x] [%08x] [%-8x]", 0xbeefu, 0xbeefu, 0xbeefu);
	SAME("[%s] [%10s] [%-10s] [%s]", "abc", "abc", "abc", "");
	SAME("[%c] [%3c] [%-3c]", 'x', 'y', 'z');
	SAME("100%% %s", "done");
	SAME("[%*d] [%*s]", 6, 7, 4, "ab");
	SAME("%p", (void *)0x1234abcdUL);
}

static void test_truncation(void **state)
{
	char b[8];

	(void)state;
	assert_int_equal(ru_snprintf(b, sizeof(b), "%s-%d", "abcdef", 12345), 12);
	assert_string_equal(b, "abcdef-");
	assert_int_equal(ru_snprintf(b, 1, "xyz"), 3);
	assert_string_equal(b, "");
	assert_int_equal(ru_snprintf(NULL, 0, "%d", 100), 3);
	assert_int_equal(ru_snprintf(b, sizeof(b), "%s", (char *)NULL), 6);
	assert_string_equal(b, "(null)");
	assert_int_equal(ru_snprintf(b, sizeof(b), "%q%"), 2); /* unknown, lone % */
	assert_string_equal(b, "%q");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
