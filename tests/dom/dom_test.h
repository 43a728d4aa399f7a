/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helpers: run a function as a green thread or as an entered host
 * thread, so every primitive is tried under both kinds. */
#ifndef DOM_TEST_H
#define DOM_TEST_H

#include <rumpbridge/dom.h>

#include "rb_test.h"

enum actor_kind { GREEN, HOST };

struct actor {
	enum actor_kind kind;
	struct dom *d;
	void *(*fn)(void *);
	void *arg;
	void *ret;
	struct dom_thread *gt;
	struct mk_thread *ht;
};

static inline void *actor_host_main(void *p)
{
	struct actor *a = p;

	if (dom_enter(a->d) != 0)
		return (void *)-1;
	a->ret = a->fn(a->arg);
	dom_leave(a->d);
	return NULL;
}

static inline void actor_start(struct actor *a, enum actor_kind k, struct dom *d,
			       void *(*fn)(void *), void *arg)
{
	*a = (struct actor){.kind = k, .d = d, .fn = fn, .arg = arg};
	if (k == GREEN)
		assert_int_equal(dom_thread_create(d, &a->gt, NULL, fn, arg), 0);
	else
		assert_int_equal(mk_thread_create(&a->ht, "host-actor", actor_host_main, a), 0);
}

/* Join from a host thread that is entered in d. */
static inline void *actor_join(struct actor *a)
{
	void *r = NULL;

	if (a->kind == GREEN) {
		assert_int_equal(dom_thread_join(a->gt, &r), 0);
		return r;
	}
	assert_int_equal(mk_thread_join(a->ht, NULL), 0);
	return a->ret;
}

static inline struct dom *dom_new(unsigned vcpus)
{
	struct dom *d;
	struct dom_config c = {.name = "test", .vcpus = vcpus};

	assert_int_equal(dom_create(&d, &c), 0);
	return d;
}

/* Kind of the i-th of n actors in a mixed set. */
static inline enum actor_kind mixed(int i)
{
	return (i & 1) ? HOST : GREEN;
}

#endif
