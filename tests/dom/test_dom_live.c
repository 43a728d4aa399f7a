/* SPDX-License-Identifier: BSD-2-Clause */
/* Many green threads alive at once under the default vm.max_map_count,
 * and the stack cache that makes spawning cheap. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <rumpbridge/dom.h>

#include "dom/dom_impl.h"
#include "rb_test.h"

static long max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	long v = 65530;

	if (f != NULL) {
		if (fscanf(f, "%ld", &v) != 1)
			v = 65530;
		fclose(f);
	}
	return v;
}

/* RB_LIVE_N sets N; the bench (bench_dom live_100k) runs 100,000. */
static unsigned live_n(void)
{
	const char *e = getenv("RB_LIVE_N");

	return e != NULL && atoi(e) > 0 ? (unsigned)atoi(e) : RB_SCALE(40000u);
}

static _Atomic unsigned alive;
static struct dom_sem gate;

static void *blocker(void *arg)
{
	atomic_fetch_add(&alive, 1);
	if (dom_sem_wait(&gate) != 0)
		return NULL;
	return (void *)((uintptr_t)arg * 2 + 1);
}

/* N threads with 16 KiB stacks (rounded up to MK_STACK_MIN) all blocked
 * at once: more than the 32,000 the two-mappings-per-stack layout allowed
 * under the default limit; then all woken and joined, with a checksum. */
static void many_threads_alive_at_once(void **state)
{
	(void)state;
	const struct dom_config cfg = {.name = "live", .vcpus = 2, .stack_size = 16 * 1024};
	unsigned n = live_n();
	struct dom_thread **t = calloc(n, sizeof(*t));
	uint64_t deadline, sum = 0, want = 0;
	long m0, m1;
	struct dom *d;

	assert_non_null(t);
	atomic_store(&alive, 0);
	assert_int_equal(dom_create(&d, &cfg), 0);
	assert_int_equal(dom_sem_init(&gate, 0), 0);
	m0 = rb_count_maps();
	assert_int_equal(dom_enter(d), 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(dom_thread_create(d, &t[i], NULL, blocker, (void *)(uintptr_t)i), 0);
	deadline = rb_deadline(RB_HANG_NS);
	while (atomic_load(&alive) < n) {
		if (mk_clock_now_ns() > deadline)
			fail_msg("only %u of %u threads started", atomic_load(&alive), n);
		dom_sleep_ns(1000000);
	}
	m1 = rb_count_maps();
	fprintf(stderr, "%u threads alive: %ld -> %ld mappings (limit %ld)\n", n, m0, m1,
		max_map_count());
	assert_true(m1 < max_map_count());
#if !defined(RUMPBRIDGE_TSAN) && !defined(RUMPBRIDGE_ASAN)
	/* two mappings per stack only for the hard-guarded ones (a quarter
	 * of the limit, docs/mk.md), then about one per 16 MiB arena (the
	 * sanitizers map state of their own for every fiber, so only the
	 * limit is checked there) */
	{
		long hard = max_map_count() / 4 < (long)n ? max_map_count() / 4 : (long)n;

		assert_true(m1 - m0 <= 2 * hard + (long)n / 64 + 64);
		if ((long)n > 4 * hard)
			assert_true(m1 - m0 < (long)n);
	}
#endif
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(dom_sem_post(&gate), 0);
	for (unsigned i = 0; i < n; i++) {
		void *r;

		assert_int_equal(dom_thread_join(t[i], &r), 0);
		sum += (uintptr_t)r;
		want += (uint64_t)i * 2 + 1;
	}
	assert_true(sum == want);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_sem_destroy(&gate), 0);
	assert_int_equal(dom_destroy(d), 0);
	free(t);
}

static _Atomic uintptr_t where;

/* Records where this thread's stack is (compared, never dereferenced). */
static void *frame(void *arg)
{
	volatile char here = 0;

	atomic_store(&where, (uintptr_t)&here);
	return arg;
}

/* An exited thread's stack (of the domain's size) goes to the domain's
 * cache, at most DOM_STACK_CACHE of them, and the next thread gets the
 * most recent one; other sizes are not kept. */
static void stacks_are_cached_and_bounded(void **state)
{
	(void)state;
	const struct dom_config cfg = {.name = "cache", .vcpus = 1, .stack_size = 64 * 1024};
	const struct dom_thread_attr big = {.stack_size = 256 * 1024, .vcpu = -1};
	enum { N = DOM_STACK_CACHE + 40 };
	static struct dom_thread *t[N];
	void *a, *b;
	struct dom *d;

	assert_int_equal(dom_create(&d, &cfg), 0);
	assert_int_equal(dom_enter(d), 0);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(dom_thread_create(d, &t[i], NULL, frame, NULL), 0);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(dom_thread_join(t[i], NULL), 0);
	assert_int_equal(d->nstacks, DOM_STACK_CACHE);

	assert_int_equal(dom_thread_create(d, &t[0], NULL, frame, NULL), 0);
	assert_int_equal(d->nstacks, DOM_STACK_CACHE - 1);
	assert_int_equal(dom_thread_join(t[0], NULL), 0);
	a = (void *)atomic_load(&where);
	assert_int_equal(d->nstacks, DOM_STACK_CACHE);
	assert_int_equal(dom_thread_create(d, &t[0], NULL, frame, NULL), 0);
	assert_int_equal(dom_thread_join(t[0], NULL), 0);
	b = (void *)atomic_load(&where);
	assert_ptr_equal(a, b); /* the same stack again */

	assert_int_equal(dom_thread_create(d, &t[0], &big, frame, NULL), 0);
	assert_int_equal(d->nstacks, DOM_STACK_CACHE); /* not from the cache */
	assert_int_equal(dom_thread_join(t[0], NULL), 0);
	assert_int_equal(d->nstacks, DOM_STACK_CACHE); /* nor into it */
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stacks_are_cached_and_bounded),
		cmocka_unit_test(many_threads_alive_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
