/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mk_thread_prepare_current when sigaltstack fails: the error is returned,
 * the alternate stack's mapping is freed, and a later call tries again
 * (instead of reporting success with nothing installed).  Linked with
 * -Wl,--wrap=sigaltstack,--wrap=mmap,--wrap=munmap (tests/mk/CMakeLists.txt)
 * so the test can make the host call fail and count mappings.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "rb_test.h"

int __real_sigaltstack(const stack_t *ss, stack_t *old);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_munmap(void *addr, size_t len);

static int fail_with; /* errno for the next setting sigaltstack, 0: none */
static int maps, unmaps;

int __wrap_sigaltstack(const stack_t *ss, stack_t *old)
{
	if (ss != NULL && !(ss->ss_flags & SS_DISABLE) && fail_with != 0) {
		errno = fail_with;
		return -1;
	}
	return __real_sigaltstack(ss, old);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = __real_mmap(addr, len, prot, flags, fd, off);

	if (p != MAP_FAILED)
		maps++;
	return p;
}

int __wrap_munmap(void *addr, size_t len)
{
	unmaps++;
	return __real_munmap(addr, len);
}

static bool altstack_enabled(void)
{
	stack_t ss;

	assert_int_equal(__real_sigaltstack(NULL, &ss), 0);
	return !(ss.ss_flags & SS_DISABLE);
}

static void failed_sigaltstack_is_an_error_and_frees_the_mapping(void **state)
{
	(void)state;
	stack_t off = {.ss_flags = SS_DISABLE};

	/* Start without an alternate stack (a sanitizer may have set one). */
	assert_int_equal(__real_sigaltstack(&off, NULL), 0);
	assert_false(altstack_enabled());

	fail_with = ENOMEM;
	maps = unmaps = 0;
	assert_int_equal(mk_thread_prepare_current(), -ENOMEM);
	assert_int_equal(maps, unmaps); /* nothing leaked */
	assert_false(altstack_enabled());

	fail_with = EPERM;
	maps = unmaps = 0;
	assert_int_equal(mk_thread_prepare_current(), -EBUSY);
	assert_int_equal(maps, unmaps);

	/* The host works again: the next call really installs one. */
	fail_with = 0;
	assert_int_equal(mk_thread_prepare_current(), 0);
	assert_true(altstack_enabled());
	assert_int_equal(mk_thread_prepare_current(), 0); /* idempotent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(failed_sigaltstack_is_an_error_and_frees_the_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
