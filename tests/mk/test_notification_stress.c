/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A million signals and more between threads and between processes, with
 * a checksum.  Each producer owns one badge bit and one mailbox: it writes
 * its next sequence number to the mailbox, signals its bit, and waits for
 * the consumer's ack before the next one.  The consumer checks that each
 * bit it receives comes with exactly the next sequence number of that
 * producer (a duplicated wake-up shows a repeated number, a lost one hangs
 * until the deadline and fails), and sums them all.
 */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rb_test.h"

#define MAX_PROD 3

struct shared {
	struct mk_notification to_consumer;
	struct mk_notification ack[MAX_PROD];
	_Atomic uint64_t mailbox[MAX_PROD];
	_Atomic int failed;
	int producers;
	uint64_t per_producer;
};

struct prod_arg {
	struct shared *s;
	int id;
};

static int produce(struct shared *s, int id)
{
	uint64_t w;

	for (uint64_t seq = 1; seq <= s->per_producer; seq++) {
		atomic_store(&s->mailbox[id], seq);
		mk_notification_signal(&s->to_consumer, 1ull << id);
		if (mk_notification_wait_until(&s->ack[id], rb_deadline(RB_HANG_NS), &w) != 0 ||
		    w != 1)
			return -1;
	}
	return 0;
}

static void *producer_thread(void *p)
{
	struct prod_arg *a = p;

	if (produce(a->s, a->id) != 0)
		atomic_store(&a->s->failed, 1);
	return NULL;
}

/* Returns the checksum, or 0 on a protocol error. */
static uint64_t consume(struct shared *s)
{
	uint64_t next[MAX_PROD], sum = 0, got = 0, total, w;

	for (int i = 0; i < s->producers; i++)
		next[i] = 1;
	total = s->per_producer * (uint64_t)s->producers;
	while (got < total) {
		if (mk_notification_wait_until(&s->to_consumer, rb_deadline(RB_HANG_NS), &w) != 0)
			return 0; /* lost wake-up */
		if (w >> s->producers != 0)
			return 0; /* a bit nobody sent */
		for (int i = 0; i < s->producers; i++) {
			if (!(w & (1ull << i)))
				continue;
			uint64_t v = atomic_load(&s->mailbox[i]);
			if (v != next[i])
				return 0; /* duplicated or out-of-order wake-up */
			next[i]++;
			sum += v;
			got++;
			mk_notification_signal(&s->ack[i], 1);
		}
	}
	return sum;
}

static void setup(struct shared *s, int producers, uint64_t total, unsigned flags)
{
	s->producers = producers;
	s->per_producer = total / (uint64_t)producers;
	atomic_store(&s->failed, 0);
	mk_notification_init(&s->to_consumer, flags);
	for (int i = 0; i < producers; i++) {
		mk_notification_init(&s->ack[i], flags);
		atomic_store(&s->mailbox[i], 0);
	}
}

static uint64_t expected_sum(const struct shared *s)
{
	uint64_t n = s->per_producer;
	return (uint64_t)s->producers * n * (n + 1) / 2;
}

static void run_threads(int producers, uint64_t total, unsigned flags)
{
	static struct shared s;
	struct mk_thread *t[MAX_PROD];
	struct prod_arg a[MAX_PROD];

	setup(&s, producers, total, flags);
	for (int i = 0; i < producers; i++) {
		a[i] = (struct prod_arg){&s, i};
		assert_int_equal(mk_thread_create(&t[i], "producer", producer_thread, &a[i]), 0);
	}
	uint64_t sum = consume(&s);
	for (int i = 0; i < producers; i++)
		mk_thread_join(t[i], NULL);
	assert_int_equal(atomic_load(&s.failed), 0);
	assert_int_equal(sum, expected_sum(&s));
}

static void two_threads_million_signals(void **state)
{
	(void)state;
	run_threads(1, RB_SCALE(1200000), 0);
}

static void four_threads_million_signals(void **state)
{
	(void)state;
	run_threads(3, RB_SCALE(1200000), 0);
}

/* MK_SPIN: waiters poll the word before they count themselves as
 * waiters; nothing may be lost or doubled (the checksum). */
static void spin_threads_signals(void **state)
{
	(void)state;
	run_threads(1, RB_SCALE(300000), MK_SPIN);
	run_threads(3, RB_SCALE(300000), MK_SPIN);
}

static void two_processes(uint64_t total, unsigned flags)
{
	struct mk_region r;
	struct shared *s;
	int status;

	assert_int_equal(mk_region_create(&r, "stress", sizeof(*s)), 0);
	assert_int_equal(mk_region_at(&r, 0, sizeof(*s), 64, (void **)&s), 0);
	setup(s, 1, total, flags);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(produce(s, 0) == 0 ? 0 : 1);
	uint64_t sum = consume(s);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(sum, expected_sum(s));
	mk_region_destroy(&r);
}

static void two_processes_million_signals(void **state)
{
	(void)state;
	two_processes(RB_SCALE(1000000), MK_SHARED);
}

static void spin_processes_signals(void **state)
{
	(void)state;
	two_processes(RB_SCALE(300000), MK_SHARED | MK_SPIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_threads_million_signals),
		cmocka_unit_test(four_threads_million_signals),
		cmocka_unit_test(two_processes_million_signals),
		cmocka_unit_test(spin_threads_signals),
		cmocka_unit_test(spin_processes_signals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
