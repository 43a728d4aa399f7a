/* SPDX-License-Identifier: BSD-2-Clause */
/* Stacks with guard pages: an overflow is reported with the owner's name. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "rb_test.h"

static void create_and_destroy(void **state)
{
	(void)state;
	struct mk_stack s;

	assert_int_equal(mk_stack_create(&s, 10000, "t"), 0);
	assert_true(s.size >= 10000);
	memset(s.base, 0xab, s.size); /* the whole usable range is writable */
	assert_int_equal(mk_stack_destroy(&s), 0);
	assert_int_equal(mk_stack_destroy(&s), -EINVAL);
	assert_int_equal(mk_stack_create(&s, 0, "t"), -EINVAL);
	assert_int_equal(mk_stack_create(NULL, 4096, "t"), -EINVAL);
	assert_int_equal(mk_stack_create(&s, (size_t)2 << 30, "t"), -EINVAL);
	assert_int_equal(mk_stack_create_guard(&s, 4096, MK_STACK_GUARD_MAX + 1, "t"), -EINVAL);
	assert_null(mk_mem_alloc(0));
	void *p = mk_mem_alloc(100);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 64, 0);
	mk_mem_free(p);
}

/* Sizes below MK_STACK_MIN are rounded up to it; the guard is
 * MK_STACK_GUARD unless chosen, at least one page, in whole pages. */
static void minimum_size_and_guard(void **state)
{
	(void)state;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	struct mk_stack s;

	assert_int_equal(mk_stack_create(&s, 1, "tiny"), 0);
	assert_true(s.size >= MK_STACK_MIN);
	assert_int_equal(s.size % ps, 0);
	assert_int_equal(s.guard, MK_STACK_GUARD);
	assert_ptr_equal((char *)s.map + s.guard, s.base);
	memset(s.base, 1, s.size);
	assert_int_equal(mk_stack_destroy(&s), 0);

	assert_int_equal(mk_stack_create_guard(&s, 100000, 1, "g"), 0);
	assert_int_equal(s.guard, ps);
	assert_true(s.size >= 100000);
	assert_int_equal(mk_stack_destroy(&s), 0);
	assert_int_equal(mk_stack_create_guard(&s, 100000, 0, "g"), 0);
	assert_int_equal(s.guard, MK_STACK_GUARD);
	assert_int_equal(mk_stack_destroy(&s), 0);
	assert_int_equal(mk_stack_create_guard(&s, 100000, 3 * ps + 1, "g"), 0);
	assert_int_equal(s.guard, 4 * ps);
	assert_int_equal(mk_stack_destroy(&s), 0);
}

/* Many stacks (more than one registry chunk), created and destroyed out
 * of order: records are reused, none is lost. */
static void many_stacks_reuse_records(void **state)
{
	(void)state;
	enum { N = 700 };
	static struct mk_stack s[N];

	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i++)
			assert_int_equal(mk_stack_create_guard(&s[i], 1, 4096, "many"), 0);
		for (int i = 0; i < N; i += 2)
			assert_int_equal(mk_stack_destroy(&s[i]), 0);
		for (int i = 1; i < N; i += 2)
			assert_int_equal(mk_stack_destroy(&s[i]), 0);
	}
}

#ifndef RUMPBRIDGE_ASAN /* ASan owns SIGSEGV and cannot follow makecontext */
static ucontext_t main_ctx, deep_ctx;

static volatile int depth_limit = 1 << 30; /* never reached: the guard is */

static int recurse(int n)
{
	volatile char pad[512];
	pad[0] = (char)n;
	if (n >= depth_limit)
		return 0;
	return recurse(n + 1) + pad[0];
}

static void run_deep(void)
{
	recurse(0);
}

/* One frame far larger than the guard: with -fstack-clash-protection it
 * touches each page on the way down and hits the guard; without, it
 * writes below it, into whatever is mapped there. */
static volatile size_t big_index = 0;

__attribute__((noinline)) static int big_frame(void)
{
	volatile char buf[1024 * 1024];

	buf[big_index] = 1;
	return buf[big_index];
}

static void run_big_frame(void)
{
	big_frame();
}

/* printf with floating point on the smallest stack there is. */
static char small_out[128];

static void run_printf(void)
{
	snprintf(small_out, sizeof(small_out), "%f %Lg %s %d", 3.25, (long double)1e300, "x", 7);
}

static volatile int churning = 1;

/* Create and destroy stacks while another thread overflows: the fault
 * handler walks the registry while it changes. */
static void *churn(void *p)
{
	(void)p;
	while (churning) {
		struct mk_stack s[8];
		for (int i = 0; i < 8; i++)
			mk_stack_create_guard(&s[i], 1, 4096, "churn");
		for (int i = 0; i < 8; i++)
			mk_stack_destroy(&s[i]);
	}
	return NULL;
}

enum { PLAIN, CHURN, MANY };

/* Run fn on a fresh stack (size, guard, name) in a child process; return
 * what the child wrote to stderr and its wait status. */
static int run_in_child(void (*fn)(void), size_t size, size_t guard, const char *name,
			int extra, char *out, size_t cap)
{
	int fds[2], status;

	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static struct mk_stack s, other[600];
		struct mk_thread *t[2];
		dup2(fds[1], STDERR_FILENO);
		if (mk_thread_prepare_current() != 0)
			_exit(3);
		if (extra == MANY) /* the stack sits behind two registry chunks */
			for (int i = 0; i < 600; i++)
				if (mk_stack_create_guard(&other[i], 1, 4096, "other") != 0)
					_exit(4);
		if (extra == CHURN)
			for (int i = 0; i < 2; i++)
				if (mk_thread_create(&t[i], "churn", churn, NULL) != 0)
					_exit(5);
		if (mk_stack_create_guard(&s, size, guard, name) != 0)
			_exit(1);
		if (extra == MANY)
			for (int i = 0; i < 600; i += 3)
				mk_stack_destroy(&other[i]);
		getcontext(&deep_ctx);
		deep_ctx.uc_stack.ss_sp = s.base;
		deep_ctx.uc_stack.ss_size = s.size;
		deep_ctx.uc_link = &main_ctx;
		makecontext(&deep_ctx, fn, 0);
		swapcontext(&main_ctx, &deep_ctx);
		if (small_out[0] != '\0')
			write(STDERR_FILENO, small_out, strlen(small_out));
		_exit(0);
	}
	close(fds[1]);
	size_t n = 0;
	ssize_t k;
	while (n < cap - 1 && (k = read(fds[0], out + n, cap - 1 - n)) > 0)
		n += (size_t)k;
	out[n] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void overflow_names_the_thread(void **state)
{
	(void)state;
	char out[512];
	int status = run_in_child(run_deep, 16384, 0, "deep-recursion", PLAIN, out, sizeof(out));

	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	assert_non_null(strstr(out, "stack overflow in green thread 'deep-recursion'"));
}

static void overflow_behind_many_stacks_is_found(void **state)
{
	(void)state;
	char out[512];
	int status = run_in_child(run_deep, 16384, 4096, "needle", MANY, out, sizeof(out));

	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	assert_non_null(strstr(out, "stack overflow in green thread 'needle'"));
}

static void overflow_reported_while_stacks_come_and_go(void **state)
{
	(void)state;
	char out[512];

	for (int i = 0; i < 20; i++) {
		int status = run_in_child(run_deep, 16384, 4096, "racing-overflow", CHURN, out,
					  sizeof(out));
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGSEGV);
		assert_non_null(strstr(out, "stack overflow in green thread 'racing-overflow'"));
	}
}

static void frame_larger_than_the_guard_hits_it(void **state)
{
	(void)state;
	char out[512];
#ifndef RUMPBRIDGE_STACK_CLASH_PROTECTION
	skip();
#endif
	/* A 64 KiB stack, a 1 MiB frame, and the smallest guard the compiler
	 * promises to probe: GCC probes every 4 KiB on x86_64, but every
	 * 64 KiB on AArch64 (it assumes a 64 KiB guard there). */
#if defined(__aarch64__)
	size_t guard = MK_STACK_GUARD;
#else
	size_t guard = 1;
#endif
	int status = run_in_child(run_big_frame, 65536, guard, "big-frame", PLAIN, out, sizeof(out));

	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	assert_non_null(strstr(out, "stack overflow in green thread 'big-frame'"));
}

static void smallest_stack_runs_printf(void **state)
{
	(void)state;
	char out[512];
	int status = run_in_child(run_printf, 1, 0, "tiny", PLAIN, out, sizeof(out));

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "3.250000 1e+300 x 7");
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_and_destroy),
		cmocka_unit_test(minimum_size_and_guard),
		cmocka_unit_test(many_stacks_reuse_records),
#ifndef RUMPBRIDGE_ASAN
		cmocka_unit_test(overflow_names_the_thread),
		cmocka_unit_test(overflow_behind_many_stacks_is_found),
		cmocka_unit_test(overflow_reported_while_stacks_come_and_go),
		cmocka_unit_test(frame_larger_than_the_guard_hits_it),
		cmocka_unit_test(smallest_stack_runs_printf),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
