/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared helpers for the cmocka tests. */
#ifndef RB_TEST_H
#define RB_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <rumpbridge/mk.h>

/* Iteration counts: sanitizer builds run the same code, fewer times. */
#if defined(RUMPBRIDGE_TSAN) || defined(RUMPBRIDGE_ASAN) || defined(RUMPBRIDGE_SLOW)
#define RB_SCALE(n) ((n) / 10)
#else
#define RB_SCALE(n) (n)
#endif

/* A deadline far enough away that only a lost wake-up reaches it. */
#define RB_HANG_NS (60ull * 1000000000ull)

static inline uint64_t rb_deadline(uint64_t from_now_ns)
{
	return mk_clock_now_ns() + from_now_ns;
}

/* The process's mappings now (lines of /proc/self/maps). */
static inline long rb_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long n = 0;
	int c;

	assert_non_null(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static inline void rb_sleep_ms(unsigned ms)
{
	uint64_t end = mk_clock_now_ns() + (uint64_t)ms * 1000000u;
	struct mk_notification n;
	uint64_t w;

	mk_notification_init(&n, 0);
	while (mk_notification_wait_until(&n, end, &w) != -ETIMEDOUT)
		;
	mk_notification_destroy(&n);
}

#endif
