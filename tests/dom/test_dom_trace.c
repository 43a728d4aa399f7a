/* SPDX-License-Identifier: BSD-2-Clause */
/* The trace recorder: a scripted scenario records exactly the expected
 * events in order; timers, events and host threads are seen; a full
 * buffer keeps the newest events and counts the dropped ones; bad calls
 * get their error codes. */
#include <rumpbridge/trace.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dom_test.h"

/* ---- reading a trace back (the file format of docs/tracing.md) ---- */

struct mem {
	unsigned char *p;
	size_t len, cap;
};

static int mem_sink(void *arg, const void *buf, size_t len)
{
	struct mem *m = arg;

	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->p = realloc(m->p, m->cap);
		if (m->p == NULL)
			return -ENOMEM;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

struct rec {
	struct dom_trace_event ev[4096];
	int n;
	uint64_t dropped;
	unsigned buffers;
};

static int cmp_ts(const void *a, const void *b)
{
	const struct dom_trace_event *x = a, *y = b;

	return (x->ts > y->ts) - (x->ts < y->ts);
}

/* Every event of the recording, in time order. */
static void read_trace(struct rec *r)
{
	struct mem m = {0};
	size_t off = 24;
	uint32_t ndom, nbuf;

	assert_int_equal(dom_trace_write(mem_sink, &m), 0);
	assert_true(m.len >= 24);
	assert_memory_equal(m.p, "RBTRACE1", 8);
	memcpy(&ndom, m.p + 16, 4);
	memcpy(&nbuf, m.p + 20, 4);
	off += (size_t)ndom * 24;
	r->n = 0;
	r->dropped = 0;
	r->buffers = nbuf;
	for (uint32_t i = 0; i < nbuf; i++) {
		uint64_t dropped, count;
		memcpy(&dropped, m.p + off + 8, 8);
		memcpy(&count, m.p + off + 16, 8);
		off += 40;
		r->dropped += dropped;
		assert_true(r->n + count <= 4096);
		memcpy(&r->ev[r->n], m.p + off, count * sizeof(struct dom_trace_event));
		r->n += (int)count;
		off += count * sizeof(struct dom_trace_event);
	}
	assert_int_equal(off, m.len);
	free(m.p);
	/* each buffer is in order; a stable merge by time keeps that */
	for (int i = 1; i < r->n; i++)
		for (int j = i; j > 0 && cmp_ts(&r->ev[j - 1], &r->ev[j]) > 0; j--) {
			struct dom_trace_event t = r->ev[j];
			r->ev[j] = r->ev[j - 1];
			r->ev[j - 1] = t;
		}
}

/* ---- the scripted scenario ---- */

static struct dom *sd;
static struct dom_sem sem;
static struct dom_thread *ta, *tb;

static void *thread_a(void *arg)
{
	(void)arg;
	assert_int_equal(dom_sem_wait(&sem), 0); /* blocks: b posts */
	dom_stop(sd);
	return NULL;
}

static void *thread_b(void *arg)
{
	(void)arg;
	assert_int_equal(dom_sem_post(&sem), 0); /* wakes a */
	return NULL;
}

#define A ((uint64_t)(uintptr_t)ta)
#define B ((uint64_t)(uintptr_t)tb)
#define IDLE UINT64_MAX	     /* "the vCPU's idle context" in the expectations */
#define ANY (UINT64_MAX - 1) /* whatever ran before (the service thread, idle) */

struct want {
	unsigned type;
	uint64_t a, b;
	int vcpu;
};

static bool about_ab(const struct dom_trace_event *e)
{
	return e->a == A || e->a == B || e->b == A || e->b == B;
}

static void test_scenario(void **state)
{
	struct dom_config c = {.name = "scripted", .vcpus = 1, .flags = DOM_CALLER_IS_VCPU0};
	const struct dom_thread_attr aa = {.name = "a", .vcpu = -1}, ab = {.name = "b", .vcpu = -1};
	static struct rec r;
	void *ret;
	int k = 0;

	(void)state;
	assert_int_equal(dom_create(&sd, &c), 0);
	assert_int_equal(dom_sem_init(&sem, 0), 0);
	assert_int_equal(dom_trace_start(sd, 1024), 0);
	assert_int_equal(dom_thread_create(sd, &ta, &aa, thread_a, NULL), 0);
	assert_int_equal(dom_thread_create(sd, &tb, &ab, thread_b, NULL), 0);
	assert_int_equal(dom_run(sd), 0);
	assert_int_equal(dom_enter(sd), 0);
	assert_int_equal(dom_thread_join(ta, &ret), 0);
	assert_int_equal(dom_thread_join(tb, &ret), 0);
	assert_int_equal(dom_leave(sd), 0);
	assert_int_equal(dom_trace_stop(sd), 0);
	/* tests/dom/trace_tool.sh converts this trace: a known wake-up */
	if (getenv("RB_TRACE_SCENARIO") != NULL)
		assert_int_equal(dom_trace_save(getenv("RB_TRACE_SCENARIO")), 0);

	const struct want w[] = {
		{DOM_TR_THREAD_CREATE, A, 0, -1}, /* by the test's thread, not a member */
		{DOM_TR_THREAD_CREATE, B, 0, -1},
		{DOM_TR_SWITCH, ANY, A, 0},
		{DOM_TR_BLOCK, A, 0, 0},
		{DOM_TR_SWITCH, A, B, 0},
		{DOM_TR_WAKE, B, A, 0},
		{DOM_TR_THREAD_EXIT, B, 0, 0},
		{DOM_TR_SWITCH, B, A, 0},
		{DOM_TR_THREAD_EXIT, A, 0, 0},
		{DOM_TR_SWITCH, A, IDLE, 0},
	};
	read_trace(&r);
	assert_int_equal(r.dropped, 0);
	for (int i = 0; i < r.n; i++) {
		const struct dom_trace_event *e = &r.ev[i];
		uint64_t ea = e->a, eb = e->b;
		if (!about_ab(e))
			continue;
		if (e->type == DOM_TR_SWITCH) {
			if (e->c & DOM_TR_IDLE_PREV)
				ea = IDLE;
			if (e->c & DOM_TR_IDLE_NEXT)
				eb = IDLE;
		}
		if (k == (int)(sizeof(w) / sizeof(w[0])))
			fail_msg("event %d: type %u a %llx b %llx after the expected ones", i,
				 e->type, (unsigned long long)e->a, (unsigned long long)e->b);
		if (w[k].a == ANY)
			ea = ANY;
		if (e->type != w[k].type || ea != w[k].a || eb != w[k].b || e->vcpu != w[k].vcpu)
			fail_msg("event %d (expected #%d): type %u a %llx b %llx vcpu %d; expected "
				 "type %u a %llx b %llx vcpu %d",
				 i, k, e->type, (unsigned long long)ea, (unsigned long long)eb,
				 e->vcpu, w[k].type, (unsigned long long)w[k].a,
				 (unsigned long long)w[k].b, w[k].vcpu);
		assert_int_equal(e->dom, r.ev[0].dom);
		k++;
	}
	assert_int_equal(k, sizeof(w) / sizeof(w[0]));
	/* the names ride along */
	for (int i = 0; i < r.n; i++)
		if (r.ev[i].type == DOM_TR_THREAD_CREATE && r.ev[i].a == A)
			assert_string_equal(r.ev[i].name, "a");
	/* the test's own thread entered and left, as a host thread */
	int enter = -1, leave = -1;
	for (int i = 0; i < r.n; i++) {
		if (r.ev[i].type == DOM_TR_HOST_ENTER && enter < 0)
			enter = i;
		if (r.ev[i].type == DOM_TR_HOST_LEAVE)
			leave = i;
	}
	assert_true(enter >= 0 && leave > enter);
	assert_int_equal(r.ev[enter].vcpu, -1);
	assert_int_equal(dom_sem_destroy(&sem), 0);
	assert_int_equal(dom_destroy(sd), 0);
}

/* ---- timers, events, host threads ---- */

static void *sleeper(void *arg)
{
	uint64_t bits = 0;

	(void)arg;
	assert_int_equal(dom_sleep_ns(1000000), 0);
	assert_int_equal(dom_event_wait(sd, UINT64_C(1) << 3, &bits), 0);
	assert_int_equal(bits, UINT64_C(1) << 3);
	return NULL;
}

static int find(const struct rec *r, int from, unsigned type, uint64_t a, uint64_t b)
{
	for (int i = from; i < r->n; i++)
		if (r->ev[i].type == type && (a == 0 || r->ev[i].a == a) &&
		    (b == 0 || r->ev[i].b == b))
			return i;
	return -1;
}

static struct dom_trace_event *nth(struct rec *r, int i)
{
	return i >= 0 ? &r->ev[i] : NULL;
}

static void test_timer_event_order(void **state)
{
	const struct dom_thread_attr at = {.name = "sleeper", .vcpu = -1};
	static struct rec r;
	struct dom_thread *t;
	uint64_t T;
	void *ret;
	int i, blk1, exp, wk1, blk2, arr, wk2, ex;

	(void)state;
	sd = dom_new(1);
	assert_int_equal(dom_trace_start(sd, 0), 0);
	assert_int_equal(dom_thread_create(sd, &t, &at, sleeper, NULL), 0);
	T = (uint64_t)(uintptr_t)t;
	/* From this host thread, not entered: a bit signalled before the
	 * sleeper waits for it stays pending. */
	assert_int_equal(dom_event_signal(sd, UINT64_C(1) << 3), 0);
	assert_int_equal(dom_enter(sd), 0);
	assert_int_equal(dom_thread_join(t, &ret), 0);
	assert_int_equal(dom_leave(sd), 0);
	assert_int_equal(dom_trace_stop(sd), 0);
	read_trace(&r);
	blk1 = find(&r, 0, DOM_TR_BLOCK, T, 0);
	exp = find(&r, blk1 + 1, DOM_TR_TIMER_EXPIRE, T, 0);
	wk1 = find(&r, exp + 1, DOM_TR_WAKE, 0, T);
	arr = find(&r, 0, DOM_TR_EVENT_ARRIVE, UINT64_C(1) << 3, 0);
	blk2 = find(&r, wk1 + 1, DOM_TR_BLOCK, T, 0);
	wk2 = find(&r, arr + 1, DOM_TR_WAKE, 0, T);
	ex = find(&r, 0, DOM_TR_THREAD_EXIT, T, 0);
	if (blk1 < 0 || exp < 0 || wk1 < 0 || arr < 0 || ex < 0)
		fail_msg("missing: block %d, timer %d, wake %d, event %d, exit %d", blk1, exp, wk1,
			 arr, ex);
	assert_true(ex > wk1);
	/* the bit was pending before the sleeper waited for it, or woke it */
	assert_true(blk2 < 0 || wk2 > blk2);
	assert_int_equal(nth(&r, exp)->vcpu, 0);
	/* the host thread that joined: entered, blocked, woken by the exit */
	i = find(&r, 0, DOM_TR_HOST_ENTER, 0, 0);
	assert_true(i >= 0);
	uint64_t host = r.ev[i].a;
	int hb = find(&r, i + 1, DOM_TR_BLOCK, host, 0);
	if (hb >= 0) {
		/* the joiner is woken after the switch away from the exited
		 * thread, by whatever runs next on the vCPU */
		int hw = find(&r, hb + 1, DOM_TR_WAKE, 0, host);
		assert_true(hw > hb);
		assert_int_equal(r.ev[hw].vcpu, 0); /* from the vCPU, across threads */
		assert_true(hw > ex);
	}
	assert_true(find(&r, 0, DOM_TR_VCPU_IDLE, 0, 0) >= 0);
	assert_int_equal(dom_destroy(sd), 0);
}

/* ---- a full buffer drops its oldest events ---- */

static _Atomic int started;

/* Both yielders run before either counts: then each yield is a switch. */
static void *yielder(void *arg)
{
	atomic_fetch_add(&started, 1);
	while (atomic_load(&started) < 2)
		dom_yield();
	for (int i = 0; i < 1000; i++)
		dom_yield();
	return arg;
}

static void test_overwrite(void **state)
{
	const struct dom_thread_attr at = {.name = "y", .vcpu = 0};
	static struct rec r;
	struct dom_thread *t[2];
	void *ret;

	(void)state;
	sd = dom_new(1);
	atomic_store(&started, 0);
	assert_int_equal(dom_trace_start(sd, 16), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(dom_thread_create(sd, &t[i], &at, yielder, NULL), 0);
	assert_int_equal(dom_enter(sd), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(dom_thread_join(t[i], &ret), 0);
	assert_int_equal(dom_leave(sd), 0);
	assert_int_equal(dom_trace_stop(sd), 0);
	read_trace(&r);
	/* 2000 switches at least went through buffers of 16 */
	if (r.dropped + 16 * r.buffers < 2000)
		fail_msg("dropped %llu, %u buffers", (unsigned long long)r.dropped, r.buffers);
	assert_true(r.n <= (int)(16 * r.buffers));
	assert_int_equal(dom_trace_dropped(), r.dropped);
	/* the vCPU's buffer kept the newest: the last exit is in it */
	assert_true(find(&r, 0, DOM_TR_THREAD_EXIT, (uint64_t)(uintptr_t)t[1], 0) >= 0 ||
		    find(&r, 0, DOM_TR_THREAD_EXIT, (uint64_t)(uintptr_t)t[0], 0) >= 0);
	/* a new recording starts empty */
	assert_int_equal(dom_trace_start(sd, 16), 0);
	assert_int_equal(dom_trace_stop(sd), 0);
	assert_int_equal(dom_trace_dropped(), 0);
	assert_int_equal(dom_destroy(sd), 0);
}

/* ---- bad calls ---- */

static int failing_sink(void *arg, const void *buf, size_t len)
{
	(void)arg, (void)buf, (void)len;
	return -EPIPE;
}

static void test_errors(void **state)
{
	(void)state;
	sd = dom_new(1);
	assert_int_equal(dom_trace_start(NULL, 0), -EINVAL);
	assert_int_equal(dom_trace_start(sd, 3), -EINVAL);
	assert_int_equal(dom_trace_start(sd, DOM_TRACE_EVENTS_MAX * 2), -EINVAL);
	assert_int_equal(dom_trace_stop(NULL), -EINVAL);
	assert_int_equal(dom_trace_stop(sd), -ENOENT);
	assert_int_equal(dom_trace_start(sd, 64), 0);
	assert_int_equal(dom_trace_start(sd, 64), -EALREADY);
	assert_int_equal(dom_trace_write(mem_sink, &(struct mem){0}), -EBUSY);
	assert_int_equal(dom_trace_save("/nonexistent-dir/x"), -EBUSY);
	assert_int_equal(dom_trace_stop(sd), 0);
	assert_int_equal(dom_trace_write(NULL, NULL), -EINVAL);
	assert_int_equal(dom_trace_write(failing_sink, NULL), -EPIPE);
	assert_int_equal(dom_trace_save(NULL), -EINVAL);
	assert_int_equal(dom_trace_save("/nonexistent-dir/x"), -ENOENT);
	assert_int_equal(dom_destroy(sd), 0);
}

/* ---- trace sources (components without a domain) ---- */

static void test_source(void **state)
{
	static struct rec r;
	struct mem m = {0};
	uint64_t id = 0, id2, fid, ids[2];
	uint32_t version, ndom;
	char names[2][16];
	struct dom *fd;
	int nsrc = 0, nfol = 0;

	(void)state;
	assert_int_equal(dom_trace_source_start(NULL, 0, 0, &id), -EINVAL);
	assert_int_equal(dom_trace_source_start("pd", 0, 0, NULL), -EINVAL);
	assert_int_equal(dom_trace_source_start("pd", 5, 0, &id), -EINVAL);
	assert_int_equal(dom_trace_record(1, DOM_TR_COMP_NOTIFY, 1, 2, 3, NULL), -ENOENT);
	assert_int_equal(dom_trace_source_start("a-pd-with-a-long-name", 64, DOM_TRACE_FOLLOW, &id),
			 0);
	assert_true(id & DOM_TRACE_SOURCE_BIT);
	assert_int_equal(dom_trace_record(id, DOM_TR_SWITCH, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(dom_trace_record(id, DOM_TR_COMP_LAST + 1, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(dom_trace_record(id + 1, DOM_TR_COMP_NOTIFY, 0, 0, 0, NULL), -ENOENT);
	/* followed: a domain created now is traced from its start */
	fd = dom_new(1);
	fid = dom_trace_id(fd);
	assert_int_equal(dom_trace_start(fd, 0), -EALREADY);
	assert_int_equal(dom_trace_record(fid, DOM_TR_COMP_NOTIFIED, 7, 8, DOM_TR_COMP_WAITER, "w"),
			 0);
	for (unsigned t = DOM_TR_COMP_FIRST; t <= DOM_TR_COMP_LAST; t++)
		assert_int_equal(dom_trace_record(id, t, t, 100 + t, 200 + t, NULL), 0);
	assert_int_equal(dom_trace_write(mem_sink, &m), -EBUSY);
	assert_int_equal(dom_trace_stop_all(), 2);
	assert_int_equal(dom_trace_record(id, DOM_TR_COMP_NOTIFY, 0, 0, 0, NULL), -ENOENT);
	/* the stop ended following: a new domain is not traced */
	assert_int_equal(dom_destroy(fd), 0);
	fd = dom_new(1);
	assert_int_equal(dom_trace_stop(fd), -ENOENT);
	assert_int_equal(dom_destroy(fd), 0);

	/* version 2; the source and the followed domain listed, in order */
	assert_int_equal(dom_trace_write(mem_sink, &m), 0);
	memcpy(&version, m.p + 8, 4);
	memcpy(&ndom, m.p + 16, 4);
	assert_int_equal(version, 2);
	assert_int_equal(ndom, 2);
	for (int i = 0; i < 2; i++) {
		memcpy(&ids[i], m.p + 24 + 24 * i, 8);
		memcpy(names[i], m.p + 32 + 24 * i, 16);
	}
	free(m.p);
	assert_true(ids[0] == id && ids[1] == fid);
	assert_string_equal(names[0], "a-pd-with-a-lon"); /* DOM_NAME_MAX */
	read_trace(&r);
	for (int i = 0; i < r.n; i++) {
		const struct dom_trace_event *e = &r.ev[i];

		if (e->dom == id) {
			assert_int_equal(e->type, DOM_TR_COMP_FIRST + nsrc);
			assert_int_equal(e->a, e->type);
			assert_int_equal(e->b, 100 + e->type);
			assert_int_equal(e->c, 200 + e->type);
			assert_int_equal(e->vcpu, -1);
			nsrc++;
		} else if (e->dom == fid && e->type == DOM_TR_COMP_NOTIFIED) {
			assert_true(e->a == 7 && e->b == 8 && e->c == DOM_TR_COMP_WAITER);
			assert_string_equal(e->name, "w");
			nfol++;
		}
	}
	assert_int_equal(nsrc, DOM_TR_COMP_LAST - DOM_TR_COMP_FIRST + 1);
	assert_int_equal(nfol, 1);
	/* a second source is a new id */
	assert_int_equal(dom_trace_source_start("other", 0, 0, &id2), 0);
	assert_true(id2 != id && (id2 & DOM_TRACE_SOURCE_BIT));
	assert_int_equal(dom_trace_stop_all(), 1);
	assert_int_equal(dom_trace_stop_all(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenario),
		cmocka_unit_test(test_timer_event_order),
		cmocka_unit_test(test_overwrite),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
