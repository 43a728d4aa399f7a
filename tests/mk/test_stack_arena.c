/* SPDX-License-Identifier: BSD-2-Clause */
/* Stacks as arena slots: hard guards up to a budget, soft guards beyond
 * it (an overflow into one is found when the stack is released), and
 * many live stacks cost far fewer mappings than two each. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rb_test.h"

#define BUDGET 100 /* hard guards (RUMPBRIDGE_STACK_HARD_GUARDS, set in main) */

static unsigned live_n(void)
{
	const char *e = getenv("RB_LIVE_N");

	return e != NULL && atoi(e) > 0 ? (unsigned)atoi(e) : RB_SCALE(40000u);
}

/* The first BUDGET slots get hard guards, the rest soft ones. */
static void hard_guards_up_to_the_budget(void **state)
{
	(void)state;
	enum { N = BUDGET + 50 };
	static struct mk_stack s[N];
	unsigned long hard, soft;

	for (int i = 0; i < N; i++)
		assert_int_equal(mk_stack_create(&s[i], 16384, "budget"), 0);
	mk_stack_stats(&hard, &soft);
	assert_int_equal(hard, BUDGET);
	assert_true(soft >= N - BUDGET);
	for (int i = 0; i < N; i++)
		assert_int_equal(mk_stack_destroy(&s[i]), 0);
}

/* A write below a soft-guarded stack's base is reported at release
 * (-EFAULT); the slot stays usable and a clean stack releases with 0. */
static void soft_guard_overflow_is_found_at_release(void **state)
{
	(void)state;
	unsigned long soft0, soft1;
	struct mk_stack s;

	mk_stack_stats(NULL, &soft0);
	/* a guard size of its own: a fresh class, all of whose slots are
	 * carved after the budget is spent */
	assert_int_equal(mk_stack_create_guard(&s, 1, 3 * 4096, "soft-victim"), 0);
	mk_stack_stats(NULL, &soft1);
	assert_int_equal(soft1, soft0 + 1);
	memset(s.base, 1, s.size);
	((volatile char *)s.base)[-100] = 7; /* an overflow of 100 bytes */
	assert_int_equal(mk_stack_destroy(&s), -EFAULT);

	assert_int_equal(mk_stack_create_guard(&s, 1, 3 * 4096, "soft-clean"), 0);
	memset(s.base, 2, s.size);
	assert_int_equal(mk_stack_destroy(&s), 0);
}

/* Reuse renames a live stack and refuses a dead one. */
static void reuse_renames(void **state)
{
	(void)state;
	struct mk_stack s;

	assert_int_equal(mk_stack_create(&s, 1, "first"), 0);
	assert_int_equal(mk_stack_reuse(&s, "second"), 0);
	assert_string_equal(s.name, "second");
	assert_int_equal(mk_stack_reuse(NULL, "x"), -EINVAL);
	assert_int_equal(mk_stack_destroy(&s), 0);
	assert_int_equal(mk_stack_reuse(&s, "x"), -EINVAL);
}

/* N live 16 KiB stacks, each touched: the mappings grow by far less than
 * the two per stack of a mapping each (which vm.max_map_count's default
 * 65,530 would stop near 32,000 stacks). */
static void many_live_stacks_share_mappings(void **state)
{
	(void)state;
	unsigned n = live_n();
	struct mk_stack *s = calloc(n, sizeof(*s));
	long m0 = rb_count_maps(), m1;
	uint64_t sum = 0, want = 0;

	assert_non_null(s);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(mk_stack_create(&s[i], 16384, "live"), 0);
		((volatile uint32_t *)((char *)s[i].base + s[i].size))[-1] = i;
	}
	m1 = rb_count_maps();
	for (unsigned i = 0; i < n; i++) {
		sum += ((volatile uint32_t *)((char *)s[i].base + s[i].size))[-1];
		want += i;
	}
	assert_true(sum == want);
	fprintf(stderr, "%u live stacks: %ld -> %ld mappings\n", n, m0, m1);
	assert_true(m1 - m0 < (long)n / 4 + 2 * BUDGET + 64);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(mk_stack_destroy(&s[i]), 0);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hard_guards_up_to_the_budget),
		cmocka_unit_test(soft_guard_overflow_is_found_at_release),
		cmocka_unit_test(reuse_renames),
		cmocka_unit_test(many_live_stacks_share_mappings),
	};

	setenv("RUMPBRIDGE_STACK_HARD_GUARDS", "100", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
