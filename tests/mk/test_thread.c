/* SPDX-License-Identifier: BSD-2-Clause */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rb_test.h"

static void *return_arg_plus_one(void *p)
{
	return (char *)p + 1;
}

static void create_and_join(void **state)
{
	(void)state;
	struct mk_thread *t;
	void *ret;
	char buf[4];

	assert_int_equal(mk_thread_create(&t, "plus-one", return_arg_plus_one, buf), 0);
	assert_int_equal(mk_thread_join(t, &ret), 0);
	assert_ptr_equal(ret, buf + 1);
}

static void *report_comm(void *p)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/comm", (long)syscall(SYS_gettid));
	f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	if (fgets(p, 32, f) == NULL)
		((char *)p)[0] = '\0';
	fclose(f);
	((char *)p)[strcspn(p, "\n")] = '\0';
	return p;
}

static void name_visible_in_proc(void **state)
{
	(void)state;
	struct mk_thread *t;
	char comm[32] = "";

	assert_int_equal(mk_thread_create(&t, "rb-named-thread", report_comm, comm), 0);
	mk_thread_join(t, NULL);
	assert_string_equal(comm, "rb-named-thread");
}

static void bad_arguments(void **state)
{
	(void)state;
	struct mk_thread *t;

	assert_int_equal(mk_thread_create(NULL, "x", return_arg_plus_one, NULL), -EINVAL);
	assert_int_equal(mk_thread_create(&t, NULL, return_arg_plus_one, NULL), -EINVAL);
	assert_int_equal(mk_thread_create(&t, "x", NULL, NULL), -EINVAL);
	assert_int_equal(mk_thread_create(&t, "sixteen-chars-xx", return_arg_plus_one, NULL),
			 -ENAMETOOLONG);
	assert_int_equal(mk_thread_join(NULL, NULL), -EINVAL);
}

static void *tls_roundtrip(void *p)
{
	(void)p;
	if (mk_tls_get(MK_TLS_DOM_CURRENT) != NULL)
		return (void *)1; /* slots start empty in a new thread */
	mk_tls_set(MK_TLS_DOM_CURRENT, (void *)0x1234);
	return mk_tls_get(MK_TLS_DOM_CURRENT);
}

static void tls_slots_are_per_thread(void **state)
{
	(void)state;
	struct mk_thread *t;
	void *ret;

	mk_tls_set(MK_TLS_DOM_CURRENT, (void *)0x99);
	assert_int_equal(mk_thread_create(&t, "tls", tls_roundtrip, NULL), 0);
	mk_thread_join(t, &ret);
	assert_ptr_equal(ret, (void *)0x1234);
	assert_ptr_equal(mk_tls_get(MK_TLS_DOM_CURRENT), (void *)0x99);
	assert_null(mk_tls_get(MK_TLS_SLOTS)); /* out of range reads NULL */
	mk_tls_set(MK_TLS_DOM_CURRENT, NULL);
}

static _Atomic int dtor_runs;
static void *dtor_seen;

static void count_dtor(void *v)
{
	dtor_seen = v;
	atomic_fetch_add(&dtor_runs, 1);
}

static void *set_slot2(void *p)
{
	mk_tls_set(2, p);
	return NULL;
}

static void tls_destructor_runs_at_exit(void **state)
{
	(void)state;
	struct mk_thread *t;

	assert_int_equal(mk_tls_set_destructor(2, count_dtor), 0);
	assert_int_equal(mk_tls_set_destructor(2, count_dtor), 0); /* same: fine */
	assert_int_equal(mk_tls_set_destructor(2, (void (*)(void *))free), -EEXIST);
	assert_int_equal(mk_tls_set_destructor(MK_TLS_SLOTS, count_dtor), -EINVAL);
	mk_thread_create(&t, "dtor", set_slot2, (void *)0x77);
	mk_thread_join(t, NULL);
	assert_int_equal(atomic_load(&dtor_runs), 1);
	assert_ptr_equal(dtor_seen, (void *)0x77);
}

static struct mk_thread *self_thread;
static _Atomic int self_ready;
static void *join_self(void *p)
{
	(void)p;
	while (!atomic_load(&self_ready))
		mk_thread_yield();
	return (void *)(intptr_t)mk_thread_join(self_thread, NULL);
}

static void join_self_is_edeadlk(void **state)
{
	(void)state;
	void *ret;

	mk_thread_create(&self_thread, "self", join_self, NULL);
	atomic_store(&self_ready, 1);
	struct mk_thread *t = self_thread;
	mk_thread_join(t, &ret);
	assert_int_equal((intptr_t)ret, -EDEADLK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_and_join),
		cmocka_unit_test(name_visible_in_proc),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(tls_slots_are_per_thread),
		cmocka_unit_test(tls_destructor_runs_at_exit),
		cmocka_unit_test(join_self_is_edeadlk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
