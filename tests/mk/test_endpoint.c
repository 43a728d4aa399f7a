/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rb_test.h"

static struct mk_msg msg1(uint64_t label, uint64_t v)
{
	struct mk_msg m = {.label = label, .len = 1};
	m.w[0] = v;
	return m;
}

struct server_arg {
	struct mk_endpoint *ep;
	_Atomic uint64_t served;
	_Atomic uint64_t replied; /* counted after each reply (check_server) */
};

/* Echo server: reply w[i] * 3 + badge; label 0 stops it. */
static void *echo_server(void *p)
{
	struct server_arg *a = p;
	struct mk_msg m;
	struct mk_reply rep;
	uint64_t badge;

	if (mk_endpoint_recv(a->ep, MK_FOREVER, &m, &badge, &rep) != 0)
		return (void *)1;
	for (;;) {
		int stop = m.label == 0;
		for (uint32_t i = 0; i < m.len; i++)
			m.w[i] = m.w[i] * 3 + badge;
		atomic_fetch_add(&a->served, 1);
		if (stop)
			return mk_endpoint_reply(a->ep, &rep, &m) == 0 ? NULL : (void *)2;
		if (mk_endpoint_reply_recv(a->ep, &rep, &m, &badge) != 0)
			return (void *)3;
	}
}

static void call_recv_reply_roundtrip(void **state)
{
	(void)state;
	struct mk_endpoint ep;
	struct server_arg sa = {.ep = &ep};
	struct mk_thread *t;
	void *ret;

	assert_int_equal(mk_endpoint_init(&ep, 0), 0);
	assert_int_equal(mk_thread_create(&t, "server", echo_server, &sa), 0);
	struct mk_msg m = {.label = 7, .len = 4, .w = {1, 2, 3, 4}};
	assert_int_equal(mk_endpoint_call(&ep, 100, &m), 0);
	assert_int_equal(m.len, 4);
	assert_int_equal(m.w[0], 103);
	assert_int_equal(m.w[3], 112);
	assert_int_equal(m.label, 7);
	m = msg1(0, 5);
	assert_int_equal(mk_endpoint_call(&ep, 1, &m), 0);
	assert_int_equal(m.w[0], 16);
	mk_thread_join(t, &ret);
	assert_null(ret);
	assert_int_equal(mk_endpoint_destroy(&ep), 0);
}

static void bad_arguments_are_errors(void **state)
{
	(void)state;
	struct mk_endpoint ep;
	struct mk_notification n;
	struct mk_msg m = {.len = MK_MSG_WORDS + 1};
	struct mk_reply rep = {.slot = 0, .gen = 0};
	uint64_t badge;

	assert_int_equal(mk_endpoint_init(NULL, 0), -EINVAL);
	assert_int_equal(mk_endpoint_init(&ep, 0x80), -EINVAL);
	mk_endpoint_init(&ep, 0);
	assert_int_equal(mk_endpoint_call(&ep, 1, &m), -EINVAL);
	assert_int_equal(mk_endpoint_call(&ep, 1, NULL), -EINVAL);
	assert_int_equal(mk_endpoint_recv(&ep, 0, &m, NULL, &rep), -EINVAL);
	m.len = 0;
	assert_int_equal(mk_endpoint_reply(&ep, &rep, &m), -ESTALE);
	rep.slot = MK_ENDPOINT_SLOTS;
	assert_int_equal(mk_endpoint_reply(&ep, &rep, &m), -EINVAL);
	assert_int_equal(mk_endpoint_recv(&ep, rb_deadline(10000000), &m, &badge, &rep),
			 -ETIMEDOUT);
	mk_notification_init(&n, 0);
	assert_int_equal(mk_endpoint_call((struct mk_endpoint *)&n, 1, &m), -EPROTOTYPE);
	assert_int_equal(mk_endpoint_destroy(&ep), 0);
	assert_int_equal(mk_endpoint_call(&ep, 1, &m), -EBADF);
	assert_int_equal(mk_endpoint_destroy(&ep), -EBADF);
}

struct caller_arg {
	struct mk_endpoint *ep;
	uint64_t badge;
	int calls;
	int result;
};

static void *caller(void *p)
{
	struct caller_arg *a = p;

	a->result = 0;
	for (int i = 0; i < a->calls; i++) {
		struct mk_msg m = {.label = 1, .len = 2, .w = {(uint64_t)i, a->badge}};
		int r = mk_endpoint_call(a->ep, a->badge, &m);
		if (r != 0) {
			a->result = r;
			return NULL;
		}
		if (m.w[0] != (uint64_t)i * 3 + a->badge || m.w[1] != a->badge * 4) {
			a->result = -1000; /* reply reached the wrong caller */
			return NULL;
		}
	}
	return NULL;
}

static void stale_and_double_reply_detected(void **state)
{
	(void)state;
	struct mk_endpoint ep;
	struct mk_msg m;
	struct mk_reply rep;
	uint64_t badge;
	struct mk_thread *t;
	struct caller_arg ca = {.ep = &ep, .badge = 9, .calls = 1};

	mk_endpoint_init(&ep, 0);
	mk_thread_create(&t, "caller", caller, &ca);
	assert_int_equal(mk_endpoint_recv(&ep, rb_deadline(RB_HANG_NS), &m, &badge, &rep), 0);
	assert_int_equal(badge, 9);
	assert_int_equal(mk_endpoint_destroy(&ep), -EBUSY);
	m.w[0] = m.w[0] * 3 + badge;
	m.w[1] = m.w[1] * 4;
	struct mk_reply old = rep;
	old.gen++;
	assert_int_equal(mk_endpoint_reply(&ep, &old, &m), -ESTALE);
	assert_int_equal(mk_endpoint_reply(&ep, &rep, &m), 0);
	assert_int_equal(mk_endpoint_reply(&ep, &rep, &m), -ESTALE);
	mk_thread_join(t, NULL);
	assert_int_equal(ca.result, 0);
	assert_int_equal(mk_endpoint_destroy(&ep), 0);
}

static void abort_fails_the_call(void **state)
{
	(void)state;
	struct mk_endpoint ep;
	struct mk_msg m;
	struct mk_reply rep;
	uint64_t badge;
	struct mk_thread *t;
	struct caller_arg ca = {.ep = &ep, .badge = 2, .calls = 1};

	mk_endpoint_init(&ep, 0);
	mk_thread_create(&t, "caller", caller, &ca);
	assert_int_equal(mk_endpoint_recv(&ep, rb_deadline(RB_HANG_NS), &m, &badge, &rep), 0);
	assert_int_equal(mk_endpoint_abort(&ep, &rep), 0);
	mk_thread_join(t, NULL);
	assert_int_equal(ca.result, -ECANCELED);
	assert_int_equal(mk_endpoint_destroy(&ep), 0);
}

static void callers_are_served_in_fifo_order(void **state)
{
	(void)state;
	struct mk_endpoint ep;
	struct mk_thread *t[5];
	struct caller_arg ca[5];
	struct mk_msg m;
	struct mk_reply rep;
	uint64_t badge;

	mk_endpoint_init(&ep, 0);
	for (int i = 0; i < 5; i++) {
		ca[i] = (struct caller_arg){.ep = &ep, .badge = 10 + (uint64_t)i, .calls = 1};
		mk_thread_create(&t[i], "caller", caller, &ca[i]);
		/* wait until this call is queued before starting the next */
		while (mk_endpoint_pending(&ep) < i + 1)
			rb_sleep_ms(1);
	}
	assert_int_equal(mk_endpoint_pending(&ep), 5);
	assert_int_equal(mk_endpoint_pending(NULL), -EINVAL);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(mk_endpoint_recv(&ep, rb_deadline(RB_HANG_NS), &m, &badge, &rep), 0);
		assert_int_equal(badge, 10 + (uint64_t)i);
		m.w[0] = m.w[0] * 3 + badge;
		m.w[1] *= 4;
		assert_int_equal(mk_endpoint_reply(&ep, &rep, &m), 0);
	}
	for (int i = 0; i < 5; i++) {
		mk_thread_join(t[i], NULL);
		assert_int_equal(ca[i].result, 0);
	}
	mk_endpoint_destroy(&ep);
}

/* Server for the concurrency tests: the reply depends on the badge and
 * the message, so a reply delivered to the wrong caller is detected. */
static void *check_server(void *p)
{
	struct server_arg *a = p;
	struct mk_msg m;
	struct mk_reply rep;
	uint64_t badge;

	for (;;) {
		if (mk_endpoint_recv(a->ep, MK_FOREVER, &m, &badge, &rep) != 0)
			return (void *)1;
		if (m.label == 0) {
			mk_endpoint_reply(a->ep, &rep, &m);
			return NULL;
		}
		m.w[0] = m.w[0] * 3 + badge;
		m.w[1] = m.w[1] * 4;
		atomic_fetch_add(&a->served, 1);
		mk_endpoint_reply(a->ep, &rep, &m);
		atomic_fetch_add(&a->replied, 1);
	}
}

/* Wait until the servers have counted n replies.  After callers in other
 * processes, the servers' writes to the slots reach this thread through
 * those processes' atomics, which ThreadSanitizer cannot follow: this
 * edge (each reply, then the count) is one it sees.  Bounded: a server
 * that never counts fails the test by name. */
static void wait_replied(struct server_arg *a, uint64_t n)
{
	uint64_t deadline = mk_clock_now_ns() + 60 * 1000000000ull;

	while (atomic_load(&a->replied) < n) {
		if (mk_clock_now_ns() > deadline)
			fail_msg("servers counted %llu of %llu replies in 60 s",
				 (unsigned long long)atomic_load(&a->replied),
				 (unsigned long long)n);
		sched_yield();
	}
}

static void stop_servers(struct mk_endpoint *ep, struct mk_thread **srv, int n)
{
	for (int i = 0; i < n; i++) {
		struct mk_msg m = {.label = 0};
		mk_endpoint_call(ep, 0, &m);
	}
	for (int i = 0; i < n; i++)
		mk_thread_join(srv[i], NULL);
}

static void many_concurrent_callers_each_get_their_reply(void **state)
{
	(void)state;
	enum { CALLERS = 80, SERVERS = 2 }; /* more callers than slots */
	static struct mk_endpoint ep;
	struct server_arg sa = {.ep = &ep};
	struct mk_thread *srv[SERVERS], *t[CALLERS];
	static struct caller_arg ca[CALLERS];
	int calls = RB_SCALE(2000);

	mk_endpoint_init(&ep, 0);
	for (int i = 0; i < SERVERS; i++)
		mk_thread_create(&srv[i], "server", check_server, &sa);
	for (int i = 0; i < CALLERS; i++) {
		ca[i] = (struct caller_arg){.ep = &ep, .badge = 1000 + (uint64_t)i, .calls = calls};
		assert_int_equal(mk_thread_create(&t[i], "caller", caller, &ca[i]), 0);
	}
	for (int i = 0; i < CALLERS; i++) {
		mk_thread_join(t[i], NULL);
		assert_int_equal(ca[i].result, 0);
	}
	stop_servers(&ep, srv, SERVERS);
	assert_int_equal(atomic_load(&sa.served), (uint64_t)CALLERS * (uint64_t)calls);
	assert_int_equal(mk_endpoint_destroy(&ep), 0);
}

/*
 * Racing replies.  Each server pair receives a call, hands the token to
 * its racer, and both reply with it at the same moment (the racer
 * sometimes a little later, so its reply also meets the slot after the
 * caller freed it or while it serves a newer call).  Exactly one of the
 * two replies must win and the other get -ESTALE, and every caller must
 * get a reply made for its own call (a checksum of its request).
 */
enum { RACE_PAIRS = 2, RACE_CALLERS = 4 };

static uint64_t race_sum(uint64_t v)
{
	v ^= v >> 31;
	v *= 0x9e3779b97f4a7c15ull;
	return v ^ (v >> 29);
}

struct race_pair {
	struct mk_endpoint *ep;
	_Atomic uint32_t seq;	/* bumped by the server per token */
	_Atomic uint32_t ready; /* the racer took token seq */
	_Atomic uint32_t done;	/* the racer replied for token seq */
	_Atomic int stop;
	struct mk_reply rep;
	struct mk_msg req;
	int racer_r;
	uint64_t wins[2], stale, bad;
};

static void race_reply(struct race_pair *p, const struct mk_reply *rep,
		       const struct mk_msg *req, uint64_t who, int *r)
{
	struct mk_msg m = {.label = 1, .len = 3};

	m.w[0] = req->w[0];
	m.w[1] = race_sum(req->w[0]);
	m.w[2] = who;
	*r = mk_endpoint_reply(p->ep, rep, &m);
}

static void *race_racer(void *arg)
{
	struct race_pair *p = arg;
	uint32_t seen = 0;

	for (;;) {
		uint32_t s;

		while ((s = atomic_load(&p->seq)) == seen) {
			if (atomic_load(&p->stop))
				return NULL;
			mk_thread_yield();
		}
		seen = s;
		struct mk_reply rep = p->rep;
		struct mk_msg req = p->req;
		atomic_store(&p->ready, s);
		/* Every fourth token: reply late, when the call may be over
		 * and its slot taken by the next one. */
		if (s % 4 == 0)
			for (int i = 0; i < (int)(s % 64) * 8; i++)
				mk_thread_yield();
		race_reply(p, &rep, &req, 1, &p->racer_r);
		atomic_store(&p->done, s);
	}
}

static void *race_server(void *arg)
{
	struct race_pair *p = arg;
	struct mk_thread *racer;
	struct mk_msg req;
	struct mk_reply rep;
	uint64_t badge;
	uint32_t seq = 0;
	int r;

	if (mk_thread_create(&racer, "racer", race_racer, p) != 0)
		return (void *)1;
	for (;;) {
		if (mk_endpoint_recv(p->ep, MK_FOREVER, &req, &badge, &rep) != 0)
			break;
		if (req.label == 0) {
			mk_endpoint_reply(p->ep, &rep, &req);
			break;
		}
		p->rep = rep;
		p->req = req;
		atomic_store(&p->seq, ++seq);
		/* Spin, do not yield: both replies must run at once, on two
		 * CPUs (a yield hands this CPU to the racer, which then
		 * replies alone, and the race is gone). */
		while (atomic_load(&p->ready) != seq)
			;
		race_reply(p, &rep, &req, 0, &r);
		while (atomic_load(&p->done) != seq)
			mk_thread_yield();
		if (r == 0 && p->racer_r == -ESTALE)
			p->wins[0]++, p->stale++;
		else if (r == -ESTALE && p->racer_r == 0)
			p->wins[1]++, p->stale++;
		else
			p->bad++;
	}
	atomic_store(&p->stop, 1);
	mk_thread_join(racer, NULL);
	return NULL;
}

struct race_caller {
	struct mk_endpoint *ep;
	uint64_t id;
	int calls;
	int wrong;
};

static void *race_caller(void *arg)
{
	struct race_caller *c = arg;

	for (int i = 0; i < c->calls; i++) {
		uint64_t v = c->id << 32 | (uint64_t)i;
		struct mk_msg m = {.label = 1, .len = 1, .w = {v}};

		if (mk_endpoint_call(c->ep, c->id, &m) != 0 || m.len != 3 || m.w[0] != v ||
		    m.w[1] != race_sum(v) || m.w[2] > 1)
			c->wrong++;
	}
	return NULL;
}

static void racing_replies_exactly_one_wins(void **state)
{
	(void)state;
	static struct mk_endpoint ep;
	static struct race_pair pair[RACE_PAIRS];
	struct race_caller rc[RACE_CALLERS];
	struct mk_thread *srv[RACE_PAIRS], *cl[RACE_CALLERS];
	int calls = RB_SCALE(5000);
	uint64_t wins0 = 0, wins1 = 0, stale = 0, bad = 0;
	int wrong = 0;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip(); /* the two replies must run at once */
	assert_int_equal(mk_endpoint_init(&ep, 0), 0);
	for (int i = 0; i < RACE_PAIRS; i++) {
		memset(&pair[i], 0, sizeof(pair[i]));
		pair[i].ep = &ep;
		assert_int_equal(mk_thread_create(&srv[i], "server", race_server, &pair[i]), 0);
	}
	for (int i = 0; i < RACE_CALLERS; i++) {
		rc[i] = (struct race_caller){.ep = &ep, .id = 1 + (uint64_t)i, .calls = calls};
		assert_int_equal(mk_thread_create(&cl[i], "caller", race_caller, &rc[i]), 0);
	}
	for (int i = 0; i < RACE_CALLERS; i++) {
		mk_thread_join(cl[i], NULL);
		wrong += rc[i].wrong;
	}
	for (int i = 0; i < RACE_PAIRS; i++) {
		struct mk_msg m = {.label = 0};
		mk_endpoint_call(&ep, 0, &m);
	}
	for (int i = 0; i < RACE_PAIRS; i++) {
		mk_thread_join(srv[i], NULL);
		wins0 += pair[i].wins[0];
		wins1 += pair[i].wins[1];
		stale += pair[i].stale;
		bad += pair[i].bad;
	}
	print_message("racing replies: %llu won by the server, %llu by the racer, "
		      "%llu double or no win, %d wrong replies\n",
		      (unsigned long long)wins0, (unsigned long long)wins1,
		      (unsigned long long)bad, wrong);
	assert_int_equal(wrong, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(stale, (uint64_t)RACE_CALLERS * (uint64_t)calls);
	assert_int_equal(mk_endpoint_pending(&ep), 0);
	assert_int_equal(mk_endpoint_destroy(&ep), 0);
}

static void callers_in_other_processes(void **state)
{
	(void)state;
	enum { PROCS = 4 };
	struct mk_region r;
	struct mk_endpoint *ep;
	struct mk_thread *srv[2];
	pid_t pid[PROCS];
	int calls = RB_SCALE(20000), status;

	assert_int_equal(mk_region_create(&r, "ep-test", sizeof(*ep)), 0);
	assert_int_equal(mk_region_at(&r, 0, sizeof(*ep), 64, (void **)&ep), 0);
	mk_endpoint_init(ep, MK_SHARED);
	struct server_arg sa = {.ep = ep};
	for (int i = 0; i < 2; i++)
		mk_thread_create(&srv[i], "server", check_server, &sa);
	for (int p = 0; p < PROCS; p++) {
		pid[p] = fork();
		assert_true(pid[p] >= 0);
		if (pid[p] == 0) {
			struct caller_arg a = {.ep = ep, .badge = 77 + (uint64_t)p, .calls = calls};
			caller(&a);
			_exit(a.result == 0 ? 0 : 1);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		assert_int_equal(waitpid(pid[p], &status, 0), pid[p]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	wait_replied(&sa, (uint64_t)PROCS * (uint64_t)calls);
	stop_servers(ep, srv, 2);
	assert_int_equal(atomic_load(&sa.served), (uint64_t)PROCS * (uint64_t)calls);
	mk_endpoint_destroy(ep);
	mk_region_destroy(&r);
}

static void server_in_other_process(void **state)
{
	(void)state;
	struct mk_region r;
	struct mk_endpoint *ep;
	int status;

	assert_int_equal(mk_region_create(&r, "ep-srv", sizeof(*ep)), 0);
	assert_int_equal(mk_region_at(&r, 0, sizeof(*ep), 64, (void **)&ep), 0);
	mk_endpoint_init(ep, MK_SHARED);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct server_arg sa = {.ep = ep};
		_exit(check_server(&sa) == NULL ? 0 : 1);
	}
	struct caller_arg a = {.ep = ep, .badge = 5, .calls = RB_SCALE(20000)};
	caller(&a);
	assert_int_equal(a.result, 0);
	struct mk_msg m = {.label = 0};
	assert_int_equal(mk_endpoint_call(ep, 0, &m), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	mk_region_destroy(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(call_recv_reply_roundtrip),
		cmocka_unit_test(bad_arguments_are_errors),
		cmocka_unit_test(stale_and_double_reply_detected),
		cmocka_unit_test(abort_fails_the_call),
		cmocka_unit_test(callers_are_served_in_fifo_order),
		cmocka_unit_test(many_concurrent_callers_each_get_their_reply),
		cmocka_unit_test(racing_replies_exactly_one_wins),
		cmocka_unit_test(callers_in_other_processes),
		cmocka_unit_test(server_in_other_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
