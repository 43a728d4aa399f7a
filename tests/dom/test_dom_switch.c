/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The context switch itself: callee-saved registers come back across
 * dom_yield on every kind of switch, and FP control modes are per thread
 * exactly for threads created with fpenv (dom.h, "FP control modes").
 */
#include <fenv.h>
#include <stdatomic.h>
#include <stdint.h>

#include <rumpbridge/dom.h>

#include "dom_test.h"

/* tests/dom/arch/<cpu>/regs.S */
int rb_yield_keeps_regs(uint64_t pattern);

enum { ROUNDS = RB_SCALE(20000) };

static void *regs_worker(void *arg)
{
	uint64_t base = (uint64_t)(uintptr_t)arg << 32;

	for (uint64_t i = 0; i < ROUNDS; i++) {
		int r = rb_yield_keeps_regs(base + i * 64);
		if (r != 0)
			return (void *)(intptr_t)r;
	}
	return NULL;
}

static void regs_survive(unsigned vcpus)
{
	struct dom *d = dom_new(vcpus);
	struct actor a[5];

	assert_int_equal(dom_enter(d), 0);
	for (int i = 0; i < 4; i++)
		actor_start(&a[i], GREEN, d, regs_worker, (void *)(uintptr_t)(i + 1));
	/* a host thread's dom_yield is a host yield: the same contract */
	actor_start(&a[4], HOST, d, regs_worker, (void *)(uintptr_t)5);
	for (int i = 0; i < 5; i++)
		assert_int_equal((intptr_t)actor_join(&a[i]), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

static void callee_saved_registers_survive_yield_1(void **s)
{
	(void)s;
	regs_survive(1);
}

static void callee_saved_registers_survive_yield_4(void **s)
{
	(void)s;
	regs_survive(4);
}

/* ------------------------------------------------------------------ */
/* FP control modes                                                     */

/* The rounding mode the FPU's SSE/NEON side applies now, from divisions
 * whose results depend on it (fegetround reads only the x87 control word
 * on x86_64, so both are checked).  1/3 rounds down to nearest, 5/3 up,
 * and -1/3 tells downward from toward zero. */
static int arith_mode(void)
{
	volatile double one = 1.0, three = 3.0, five = 5.0, mone = -1.0;
	double third = one / three, five3 = five / three, mthird = mone / three;

	if (third > 0x1.5555555555555p-2)
		return FE_UPWARD;
	if (five3 == 0x1.aaaaaaaaaaaabp+0)
		return FE_TONEAREST;
	return mthird < -0x1.5555555555555p-2 ? FE_DOWNWARD : FE_TOWARDZERO;
}

static bool in_mode(int mode)
{
	return fegetround() == mode && arith_mode() == mode;
}

struct fpstate {
	_Atomic int bad;
	_Atomic int stop;
};

struct fpthread {
	struct fpstate *st;
	int mode; /* fpenv threads set this one */
};

/* A thread with fpenv: sets its mode and keeps finding it. */
static void *fp_keeper(void *arg)
{
	struct fpthread *t = arg;

	if (fesetround(t->mode) != 0 || !in_mode(t->mode))
		atomic_fetch_add(&t->st->bad, 1000);
	for (int i = 0; i < 2000; i++) {
		dom_yield();
		if (!in_mode(t->mode))
			atomic_fetch_add(&t->st->bad, 1);
	}
	return NULL;
}

/* A default thread: always finds the default mode. */
static void *fp_default(void *arg)
{
	struct fpthread *t = arg;

	for (int i = 0; i < 2000; i++) {
		if (!in_mode(FE_TONEAREST))
			atomic_fetch_add(&t->st->bad, 1);
		dom_yield();
	}
	return NULL;
}

static void fp_modes_are_per_thread(unsigned vcpus)
{
	struct dom *d = dom_new(vcpus);
	struct fpstate st = {0};
	struct fpthread t[5] = {
		{&st, FE_UPWARD}, {&st, FE_DOWNWARD}, {&st, FE_TOWARDZERO}, {&st, 0}, {&st, 0},
	};
	struct dom_thread *h[5];
	struct dom_thread_attr keep = {.name = "fp-keeper", .vcpu = -1, .fpenv = true};
	struct dom_thread_attr dflt = {.name = "fp-default", .vcpu = -1};

	assert_int_equal(dom_enter(d), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(dom_thread_create(d, &h[i], &keep, fp_keeper, &t[i]), 0);
	for (int i = 3; i < 5; i++)
		assert_int_equal(dom_thread_create(d, &h[i], &dflt, fp_default, &t[i]), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(dom_thread_join(h[i], NULL), 0);
	assert_int_equal(atomic_load(&st.bad), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
	assert_true(in_mode(FE_TONEAREST)); /* this host thread never changed */
}

static void fp_modes_are_per_thread_1(void **s)
{
	(void)s;
	fp_modes_are_per_thread(1);
}

static void fp_modes_are_per_thread_4(void **s)
{
	(void)s;
	fp_modes_are_per_thread(4);
}

/* An fpenv thread that exits with a changed mode leaves nothing behind. */
static void *set_upward_and_exit(void *arg)
{
	(void)arg;
	fesetround(FE_UPWARD);
	return in_mode(FE_UPWARD) ? NULL : (void *)1;
}

static void *report_mode(void *arg)
{
	(void)arg;
	return in_mode(FE_TONEAREST) ? NULL : (void *)1;
}

static void fp_modes_do_not_outlive_their_thread(void **s)
{
	(void)s;
	struct dom *d = dom_new(1);
	struct dom_thread *a, *b;
	struct dom_thread_attr keep = {.name = "fp-exit", .vcpu = -1, .fpenv = true};
	void *r;

	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_thread_create(d, &a, &keep, set_upward_and_exit, NULL), 0);
	assert_int_equal(dom_thread_join(a, &r), 0);
	assert_null(r);
	assert_int_equal(dom_thread_create(d, &b, NULL, report_mode, NULL), 0);
	assert_int_equal(dom_thread_join(b, &r), 0);
	assert_null(r);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

/* Detaching moves a thread to a porter host thread and back: its modes
 * go with it, and the vCPU's and the porter's stay the defaults. */
static void *fp_detacher(void *arg)
{
	intptr_t bad = 0;

	(void)arg;
	fesetround(FE_TOWARDZERO);
	for (int i = 0; i < 20; i++) {
		bad += !in_mode(FE_TOWARDZERO);
		if (dom_detach() != 0)
			return (void *)-1;
		bad += !in_mode(FE_TOWARDZERO);
		if (dom_reattach() != 0)
			return (void *)-2;
		bad += !in_mode(FE_TOWARDZERO);
		dom_yield();
	}
	return (void *)bad;
}

static void *fp_watcher(void *arg)
{
	intptr_t bad = 0;
	_Atomic int *stop = arg;

	while (!atomic_load(stop)) {
		bad += !in_mode(FE_TONEAREST);
		dom_yield();
	}
	return (void *)bad;
}

static void fp_modes_follow_a_detached_thread(void **s)
{
	(void)s;
	struct dom *d = dom_new(1);
	struct dom_thread *a, *w;
	struct dom_thread_attr keep = {.name = "fp-detach", .vcpu = -1, .fpenv = true};
	_Atomic int stop = 0;
	void *r;

	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_thread_create(d, &w, NULL, fp_watcher, &stop), 0);
	assert_int_equal(dom_thread_create(d, &a, &keep, fp_detacher, NULL), 0);
	assert_int_equal(dom_thread_join(a, &r), 0);
	assert_int_equal((intptr_t)r, 0);
	atomic_store(&stop, 1);
	assert_int_equal(dom_thread_join(w, &r), 0);
	assert_int_equal((intptr_t)r, 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(callee_saved_registers_survive_yield_1),
		cmocka_unit_test(callee_saved_registers_survive_yield_4),
		cmocka_unit_test(fp_modes_are_per_thread_1),
		cmocka_unit_test(fp_modes_are_per_thread_4),
		cmocka_unit_test(fp_modes_do_not_outlive_their_thread),
		cmocka_unit_test(fp_modes_follow_a_detached_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
