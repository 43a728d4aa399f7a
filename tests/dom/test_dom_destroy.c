/* SPDX-License-Identifier: BSD-2-Clause */
/* Domain teardown: a refused dom_destroy changes nothing, a destroy never
 * hangs on work in flight, and handles used after join or destroy are
 * refused with -EBADF. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "dom_test.h"

/* A refused destroy names what is alive on the console: the loops below
 * refuse thousands of times, so they run with stderr on /dev/null. */
static int saved_stderr = -1;

static void quiet(void)
{
	int fd = open("/dev/null", O_WRONLY);

	assert_true(fd >= 0);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static void loud(void)
{
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
}

/* Wait (bounded: only a lost wake-up reaches the limit) until *c >= n. */
static bool reaches(_Atomic int *c, int n)
{
	uint64_t end = rb_deadline(RB_HANG_NS / 6);

	while (atomic_load(c) < n && mk_clock_now_ns() < end)
		rb_sleep_ms(1);
	return atomic_load(c) >= n;
}

static void count_post(void *p)
{
	atomic_fetch_add((_Atomic int *)p, 1);
}

static void count_event(unsigned bit, void *p)
{
	(void)bit;
	atomic_fetch_add((_Atomic int *)p, 1);
}

static void *sem_waiter(void *p)
{
	dom_sem_wait(p);
	return NULL;
}

static void *plus_one(void *p)
{
	return (void *)((uintptr_t)p + 1);
}

/* Defect 1: a refused destroy used to set the domain's stopping flag for
 * a moment; a service thread woken then (by the post after the previous
 * refusal) left for good, and posts, bound events, dom_enter,
 * dom_thread_create and dom_call failed on a domain that lives on.  Each
 * refusal here is followed by a post, so the service thread is busy
 * during the next refusal, thousands of times; HOLD live threads make
 * each refusal write HOLD lines, which widens the window the old code
 * had. */
enum { HOLD = 32 };

static void hold_start(struct dom *d, struct dom_sem *hold, struct dom_thread **g)
{
	assert_int_equal(dom_sem_init(hold, 0), 0);
	for (int i = 0; i < HOLD; i++)
		assert_int_equal(dom_thread_create(d, &g[i], NULL, sem_waiter, hold), 0);
}

/* From an entered thread. */
static void hold_end(struct dom_sem *hold, struct dom_thread **g)
{
	for (int i = 0; i < HOLD; i++)
		assert_int_equal(dom_sem_post(hold), 0);
	for (int i = 0; i < HOLD; i++)
		assert_int_equal(dom_thread_join(g[i], NULL), 0);
	assert_int_equal(dom_sem_destroy(hold), 0);
}

static void refused_destroy_changes_nothing(void **s)
{
	(void)s;
	enum { N = 3000 };
	struct dom *d = dom_new(2);
	static _Atomic int posts, events;
	struct dom_thread *g[HOLD], *t;
	struct dom_sem hold;
	void *r;

	atomic_store(&posts, 0);
	atomic_store(&events, 0);
	hold_start(d, &hold, g);
	assert_int_equal(dom_event_bind(d, 3, count_event, &events), 0);
	quiet();
	for (int i = 0; i < N; i++) {
		int rc = dom_destroy(d);
		if (rc != -EBUSY) {
			loud();
			fail_msg("destroy %d: %d, not -EBUSY", i, rc);
		}
		/* a full ring drains unless the service thread is gone */
		uint64_t end = rb_deadline(RB_HANG_NS / 6);
		while ((rc = dom_post(d, count_post, &posts)) == -EAGAIN &&
		       mk_clock_now_ns() < end)
			mk_thread_yield();
		if (rc != 0) {
			loud();
			fail_msg("post after refused destroy %d: %d", i, rc);
		}
	}
	loud();
	assert_true(reaches(&posts, N));

	/* everything still works */
	assert_int_equal(dom_post(d, count_post, &posts), 0);
	assert_true(reaches(&posts, N + 1));
	assert_int_equal(dom_event_signal(d, UINT64_C(1) << 3), 0);
	assert_true(reaches(&events, 1));
	assert_int_equal(dom_call(d, plus_one, (void *)41, &r), 0);
	assert_ptr_equal(r, (void *)42);
	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_thread_create(d, &t, NULL, plus_one, (void *)1), 0);
	assert_int_equal(dom_thread_join(t, &r), 0);
	assert_ptr_equal(r, (void *)2);
	hold_end(&hold, g);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

/* The same, with the refusals racing entries from another host thread:
 * every entry either succeeds or the destroy is refused; none sees
 * -ESHUTDOWN, since no destroy succeeds. */
static _Atomic bool racing_done;

static void *enter_leave_loop(void *p)
{
	struct dom *d = p;
	intptr_t bad = 0;

	while (!atomic_load(&racing_done)) {
		int r = dom_enter(d);
		if (r != 0) {
			bad = r;
			break;
		}
		dom_leave(d);
	}
	return (void *)bad;
}

static void refused_destroy_races_entries(void **s)
{
	(void)s;
	struct dom *d = dom_new(1);
	struct mk_thread *h;
	struct dom_thread *g[HOLD];
	struct dom_sem hold;
	void *bad;

	hold_start(d, &hold, g);
	atomic_store(&racing_done, false);
	assert_int_equal(mk_thread_create(&h, "enterer", enter_leave_loop, d), 0);
	quiet();
	for (int i = 0; i < RB_SCALE(2000); i++) {
		int rc = dom_destroy(d);
		if (rc != -EBUSY) {
			loud();
			fail_msg("destroy %d: %d, not -EBUSY", i, rc);
		}
	}
	loud();
	atomic_store(&racing_done, true);
	assert_int_equal(mk_thread_join(h, &bad), 0);
	assert_ptr_equal(bad, NULL);
	assert_int_equal(dom_enter(d), 0);
	hold_end(&hold, g);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

/* Defect 7: dom_destroy waited for the service threads to end, and so
 * for ever when the function they ran waits on the destroying thread.
 * It must refuse instead.  dom_destroy runs on a helper host thread here
 * so that a hang is a failure after 10 s, not a stuck suite. */
struct bounded {
	struct dom *d;
	int rc;
	struct mk_notification done;
};

static void *destroy_main(void *p)
{
	struct bounded *b = p;

	b->rc = dom_destroy(b->d);
	mk_notification_signal(&b->done, 1);
	return NULL;
}

static int destroy_bounded(struct dom *d)
{
	static struct bounded b; /* outlives a hung helper */
	struct mk_thread *h;
	uint64_t bits;

	b.d = d;
	b.rc = 1;
	mk_notification_init(&b.done, 0);
	assert_int_equal(mk_thread_create(&h, "destroyer", destroy_main, &b), 0);
	if (mk_notification_wait_until(&b.done, rb_deadline(RB_HANG_NS / 6), &bits) != 0)
		fail_msg("dom_destroy hangs on work in flight");
	assert_int_equal(mk_thread_join(h, NULL), 0);
	mk_notification_destroy(&b.done);
	return b.rc;
}

static struct dom_sem gate;
static _Atomic int started, finished;

static void *wait_gate(void *p)
{
	atomic_fetch_add(&started, 1);
	dom_sem_wait(&gate);
	atomic_fetch_add(&finished, 1);
	return p;
}

static void post_wait_gate(void *p)
{
	wait_gate(p);
}

static void handler_wait_gate(unsigned bit, void *p)
{
	(void)bit;
	wait_gate(p);
}

static void in_flight_setup(void)
{
	atomic_store(&started, 0);
	atomic_store(&finished, 0);
	assert_int_equal(dom_sem_init(&gate, 0), 0);
}

/* Release the gate n times, see the functions finish, destroy. */
static void in_flight_finish(struct dom *d, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(dom_sem_post(&gate), 0);
	assert_true(reaches(&finished, n));
	assert_int_equal(destroy_bounded(d), 0);
	assert_int_equal(dom_sem_destroy(&gate), 0);
}

static void destroy_refuses_while_a_post_runs(void **s)
{
	(void)s;
	struct dom *d = dom_new(1);
	static _Atomic int after;

	in_flight_setup();
	atomic_store(&after, 0);
	assert_int_equal(dom_post(d, post_wait_gate, NULL), 0);
	assert_true(reaches(&started, 1));
	assert_int_equal(destroy_bounded(d), -EBUSY);
	/* refused, so nothing changed: a second post queues and runs */
	assert_int_equal(dom_post(d, count_post, &after), 0);
	assert_int_equal(destroy_bounded(d), -EBUSY); /* running + queued */
	assert_int_equal(dom_sem_post(&gate), 0);
	assert_true(reaches(&after, 1));
	in_flight_finish(d, 0);
}

static void destroy_refuses_while_a_handler_runs(void **s)
{
	(void)s;
	struct dom *d = dom_new(2);

	in_flight_setup();
	assert_int_equal(dom_event_bind(d, 2, handler_wait_gate, NULL), 0);
	assert_int_equal(dom_event_signal(d, UINT64_C(1) << 2), 0);
	assert_true(reaches(&started, 1));
	assert_int_equal(destroy_bounded(d), -EBUSY);
	in_flight_finish(d, 1);
}

static void *call_wait_gate(void *p)
{
	struct dom *d = p;
	void *r = NULL;

	return (void *)(intptr_t)dom_call(d, wait_gate, (void *)7, &r) + (intptr_t)r;
}

static void destroy_refuses_while_calls_run(void **s)
{
	(void)s;
	struct dom_config c = {.name = "calls", .vcpus = 2, .max_workers = 1};
	struct mk_thread *h[2];
	struct dom *d;
	void *r;

	assert_int_equal(dom_create(&d, &c), 0);
	in_flight_setup();
	/* one worker: the first call runs, the second is queued */
	for (int i = 0; i < 2; i++)
		assert_int_equal(mk_thread_create(&h[i], "caller", call_wait_gate, d), 0);
	assert_true(reaches(&started, 1));
	assert_int_equal(destroy_bounded(d), -EBUSY);
	assert_int_equal(dom_sem_post(&gate), 0);
	assert_true(reaches(&started, 2));
	assert_int_equal(destroy_bounded(d), -EBUSY);
	assert_int_equal(dom_sem_post(&gate), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(mk_thread_join(h[i], &r), 0);
		assert_ptr_equal(r, (void *)7);
	}
	in_flight_finish(d, 0);
}

static void job_wait_gate(void *p)
{
	wait_gate(p);
}

static void destroy_refuses_while_a_host_job_runs(void **s)
{
	(void)s;
	struct dom *d = dom_new(1);

	in_flight_setup();
	assert_int_equal(dom_host_run(d, job_wait_gate, NULL), 0);
	assert_true(reaches(&started, 1));
	assert_int_equal(destroy_bounded(d), -EBUSY);
	assert_int_equal(dom_sem_post(&gate), 0);
	assert_true(reaches(&finished, 1));
	/* the job may still be leaving the domain: refused until it has */
	int r;
	for (int i = 0; i < 1000 && (r = destroy_bounded(d)) == -EBUSY; i++)
		rb_sleep_ms(1);
	assert_int_equal(r, 0);
	assert_int_equal(dom_sem_destroy(&gate), 0);
}

/* Defect 6: handles used after join or destroy were heap use-after-free
 * (ASan reports them: the asan suite runs this file).  Records are now
 * type-stable, so a stale handle reads as dead and is refused. */
static void nop_post(void *p)
{
	(void)p;
}

static void nop_handler(unsigned bit, void *p)
{
	(void)bit, (void)p;
}

static void stale_thread_handles(void **s)
{
	(void)s;
	struct dom *d = dom_new(2);
	struct dom_thread *t, *unjoined;
	void *r;

	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_thread_create(d, &t, NULL, plus_one, (void *)1), 0);
	assert_int_equal(dom_thread_join(t, &r), 0);
	assert_ptr_equal(r, (void *)2);
	assert_int_equal(dom_thread_join(t, &r), -EBADF); /* joined twice */
	assert_null(dom_thread_name(t));
	assert_null(dom_thread_dom(t));
	assert_false(dom_thread_is_green(t));
	/* exited, never joined: freed by dom_destroy */
	assert_int_equal(dom_thread_create(d, &unjoined, NULL, plus_one, NULL), 0);
	assert_int_equal(dom_leave(d), 0);
	rb_sleep_ms(10);
	assert_int_equal(dom_destroy(d), 0);
	assert_int_equal(dom_thread_join(unjoined, NULL), -EBADF);
	assert_null(dom_thread_name(unjoined));
}

static void stale_domain_handles(void **s)
{
	(void)s;
	struct dom *d = dom_new(2), *other;
	struct dom_thread *t;
	void *r;

	assert_int_equal(dom_destroy(d), 0);
	assert_int_equal(dom_destroy(d), -EBADF); /* destroyed twice */
	assert_int_equal(dom_event_signal(d, 1), -EBADF);
	assert_int_equal(dom_event_bind(d, 1, nop_handler, NULL), -EBADF);
	assert_int_equal(dom_post(d, nop_post, NULL), -EBADF);
	assert_int_equal(dom_call(d, plus_one, NULL, &r), -EBADF);
	assert_int_equal(dom_enter(d), -EBADF);
	assert_int_equal(dom_thread_create(d, &t, NULL, plus_one, NULL), -EBADF);
	assert_int_equal(dom_stop(d), -EBADF);
	assert_null(dom_irq(d));
	assert_int_equal(dom_vcpus(d), 0);
	/* still refused after other domains came and went (quarantine) */
	for (int i = 0; i < 8; i++) {
		other = dom_new(1);
		assert_int_equal(dom_destroy(other), 0);
	}
	assert_int_equal(dom_destroy(d), -EBADF);
	assert_int_equal(dom_post(d, nop_post, NULL), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refused_destroy_changes_nothing),
		cmocka_unit_test(refused_destroy_races_entries),
		cmocka_unit_test(destroy_refuses_while_a_post_runs),
		cmocka_unit_test(destroy_refuses_while_a_handler_runs),
		cmocka_unit_test(destroy_refuses_while_calls_run),
		cmocka_unit_test(destroy_refuses_while_a_host_job_runs),
		cmocka_unit_test(stale_thread_handles),
		cmocka_unit_test(stale_domain_handles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
