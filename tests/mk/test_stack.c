/* SPDX-License-Identifier: BSD-2-Clause */
/* Stacks with guard pages: an overflow is reported with the owner's name. */
#include <errno.h>
#include <signal.h>
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
	assert_null(mk_mem_alloc(0));
	void *p = mk_mem_alloc(100);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 64, 0);
	mk_mem_free(p);
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

static void overflow_names_the_thread(void **state)
{
	(void)state;
	int fds[2], status;
	char out[512] = "";

	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct mk_stack s;
		dup2(fds[1], STDERR_FILENO);
		mk_thread_prepare_current();
		if (mk_stack_create(&s, 16384, "deep-recursion") != 0)
			_exit(1);
		getcontext(&deep_ctx);
		deep_ctx.uc_stack.ss_sp = s.base;
		deep_ctx.uc_stack.ss_size = s.size;
		deep_ctx.uc_link = &main_ctx;
		makecontext(&deep_ctx, run_deep, 0);
		swapcontext(&main_ctx, &deep_ctx);
		_exit(2); /* not reached: the recursion never returns */
	}
	close(fds[1]);
	size_t n = 0;
	ssize_t k;
	while ((k = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)k;
	out[n] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	assert_non_null(strstr(out, "stack overflow in green thread 'deep-recursion'"));
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_and_destroy),
#ifndef RUMPBRIDGE_ASAN
		cmocka_unit_test(overflow_names_the_thread),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
