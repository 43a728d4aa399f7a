/* SPDX-License-Identifier: BSD-2-Clause */
/* Mutex, condition variable, rwlock and semaphore, each used by green
 * threads and entered host threads together, on 1 and on 4 vCPUs. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dom_test.h"

#define ACTORS 4

/* Debug builds check more (src/dom/rwlock.c RW_TRACK, mutex.c MUTEX_TRACK). */
#if !defined(NDEBUG) || defined(RUMPBRIDGE_DEBUG)
#define RW_DEBUG 1
#else
#define RW_DEBUG 0
#endif

static struct dom_mutex mtx;
static struct dom_cv cv;
static struct dom_rwlock rw;
static struct dom_sem sem;
static uint64_t counter;	/* under mtx */
static int inside, max_inside; /* under rw's protection, checked */

static void *mutex_worker(void *a)
{
	long n = (long)(uintptr_t)a;

	for (long i = 0; i < n; i++) {
		if (dom_mutex_enter(&mtx) != 0)
			return (void *)1;
		if (dom_mutex_owner(&mtx) != dom_self())
			return (void *)2;
		uint64_t c = counter;
		if ((i & 15) == 0)
			dom_yield(); /* hold it across a switch */
		counter = c + 1;
		if (dom_mutex_exit(&mtx) != 0)
			return (void *)3;
	}
	return NULL;
}

static void mutex_counts(unsigned vcpus)
{
	struct dom *d = dom_new(vcpus);
	struct actor a[ACTORS];
	long n = RB_SCALE(20000);

	counter = 0;
	dom_mutex_init(&mtx);
	assert_int_equal(dom_enter(d), 0);
	for (int i = 0; i < ACTORS; i++)
		actor_start(&a[i], mixed(i), d, mutex_worker, (void *)(uintptr_t)n);
	for (int i = 0; i < ACTORS; i++)
		assert_null(actor_join(&a[i]));
	assert_int_equal(counter, (uint64_t)ACTORS * (uint64_t)n);
	assert_int_equal(dom_mutex_destroy(&mtx), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

static void mutex_1(void **s)
{
	(void)s;
	mutex_counts(1);
}

static void mutex_4(void **s)
{
	(void)s;
	mutex_counts(4);
}

static void *try_other(void *a)
{
	(void)a;
	return (void *)(intptr_t)dom_mutex_tryenter(&mtx);
}

static void *exit_other(void *a)
{
	(void)a;
	return (void *)(intptr_t)dom_mutex_exit(&mtx);
}

static void mutex_errors(void **s)
{
	(void)s;
	struct dom *d = dom_new(2);
	struct actor a;

	assert_int_equal(dom_mutex_init(NULL), -EINVAL);
	assert_int_equal(dom_mutex_init(&mtx), 0);
	assert_int_equal(dom_mutex_enter(&mtx), -EPERM); /* not entered */
	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_mutex_enter(&mtx), 0);
	assert_int_equal(dom_mutex_enter(&mtx), -EDEADLK);
	assert_int_equal(dom_mutex_tryenter(&mtx), -EDEADLK);
	assert_int_equal(dom_mutex_destroy(&mtx), -EBUSY);
	for (int k = 0; k < 2; k++) {
		actor_start(&a, (enum actor_kind)k, d, try_other, NULL);
		assert_int_equal((intptr_t)actor_join(&a), -EBUSY);
		actor_start(&a, (enum actor_kind)k, d, exit_other, NULL);
		assert_int_equal((intptr_t)actor_join(&a), -EPERM);
	}
	assert_int_equal(dom_mutex_exit(&mtx), 0);
	assert_int_equal(dom_mutex_exit(&mtx), -EPERM);
	assert_null(dom_mutex_owner(&mtx));
	assert_int_equal(dom_mutex_destroy(&mtx), 0);
	assert_int_equal(dom_mutex_enter(&mtx), -EBADF);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

/* Condition variable: a bounded buffer of one slot, producers and
 * consumers of both kinds; the sum proves nothing is lost or doubled. */
static uint64_t slot;
static bool full;
static uint64_t consumed_sum;

static void *producer(void *a)
{
	long n = (long)(uintptr_t)a;

	for (long i = 1; i <= n; i++) {
		dom_mutex_enter(&mtx);
		while (full)
			dom_cv_wait(&cv, &mtx);
		slot = (uint64_t)i;
		full = true;
		dom_cv_broadcast(&cv);
		dom_mutex_exit(&mtx);
	}
	return NULL;
}

static void *consumer(void *a)
{
	long n = (long)(uintptr_t)a;

	for (long i = 0; i < n; i++) {
		dom_mutex_enter(&mtx);
		while (!full)
			dom_cv_wait(&cv, &mtx);
		consumed_sum += slot;
		full = false;
		dom_cv_broadcast(&cv);
		dom_mutex_exit(&mtx);
	}
	return NULL;
}

static void cv_handoff(unsigned vcpus)
{
	struct dom *d = dom_new(vcpus);
	struct actor a[ACTORS];
	long n = RB_SCALE(5000);

	dom_mutex_init(&mtx);
	dom_cv_init(&cv);
	full = false;
	consumed_sum = 0;
	assert_int_equal(dom_enter(d), 0);
	/* producers: green, host; consumers: host, green */
	actor_start(&a[0], GREEN, d, producer, (void *)(uintptr_t)n);
	actor_start(&a[1], HOST, d, producer, (void *)(uintptr_t)n);
	actor_start(&a[2], HOST, d, consumer, (void *)(uintptr_t)n);
	actor_start(&a[3], GREEN, d, consumer, (void *)(uintptr_t)n);
	for (int i = 0; i < ACTORS; i++)
		actor_join(&a[i]);
	assert_int_equal(consumed_sum, (uint64_t)n * (uint64_t)(n + 1));
	assert_false(dom_cv_has_waiters(&cv));
	assert_int_equal(dom_cv_destroy(&cv), 0);
	assert_int_equal(dom_mutex_destroy(&mtx), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

static void cv_1(void **s)
{
	(void)s;
	cv_handoff(1);
}

static void cv_4(void **s)
{
	(void)s;
	cv_handoff(4);
}

static void *timed_waiter(void *a)
{
	(void)a;
	uint64_t t0 = mk_clock_now_ns();
	dom_mutex_enter(&mtx);
	int r = dom_cv_timedwait(&cv, &mtx, t0 + 10 * 1000000ull);
	bool owned = dom_mutex_owner(&mtx) == dom_self();
	dom_mutex_exit(&mtx);
	bool late = mk_clock_now_ns() - t0 >= 10 * 1000000ull;
	return (void *)(uintptr_t)(r == -ETIMEDOUT && owned && late);
}

static void cv_timedwait_times_out(void **s)
{
	(void)s;
	struct dom *d = dom_new(2);
	struct actor a[2];

	dom_mutex_init(&mtx);
	dom_cv_init(&cv);
	assert_int_equal(dom_enter(d), 0);
	actor_start(&a[0], GREEN, d, timed_waiter, NULL);
	actor_start(&a[1], HOST, d, timed_waiter, NULL);
	assert_ptr_equal(actor_join(&a[0]), (void *)1);
	assert_ptr_equal(actor_join(&a[1]), (void *)1);
	/* errors */
	assert_int_equal(dom_cv_wait(&cv, &mtx), -EPERM); /* mutex not held */
	assert_int_equal(dom_cv_wait(NULL, &mtx), -EINVAL);
	assert_int_equal(dom_cv_destroy(&cv), 0);
	assert_int_equal(dom_cv_signal(&cv), -EBADF);
	assert_int_equal(dom_mutex_destroy(&mtx), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

/* rwlock: writers are alone, readers may share. */
static _Atomic int readers_now, writers_now, overlap_seen, violations;

static void *rw_worker(void *a)
{
	long n = (long)(uintptr_t)a;

	for (long i = 0; i < n; i++) {
		if (i % 4 == 0) {
			dom_rwlock_wrlock(&rw);
			if (atomic_fetch_add(&writers_now, 1) != 0 || atomic_load(&readers_now) != 0)
				atomic_fetch_add(&violations, 1);
			if (!dom_rwlock_wrheld(&rw))
				atomic_fetch_add(&violations, 1);
			dom_yield();
			atomic_fetch_sub(&writers_now, 1);
			dom_rwlock_unlock(&rw);
		} else {
			dom_rwlock_rdlock(&rw);
			if (atomic_load(&writers_now) != 0)
				atomic_fetch_add(&violations, 1);
			if (atomic_fetch_add(&readers_now, 1) > 0)
				atomic_fetch_add(&overlap_seen, 1);
			dom_yield();
			atomic_fetch_sub(&readers_now, 1);
			dom_rwlock_unlock(&rw);
		}
	}
	(void)inside, (void)max_inside;
	return NULL;
}

static void rwlock_exclusion(unsigned vcpus)
{
	struct dom *d = dom_new(vcpus);
	struct actor a[ACTORS];
	long n = RB_SCALE(4000);

	dom_rwlock_init(&rw);
	atomic_store(&violations, 0);
	atomic_store(&overlap_seen, 0);
	assert_int_equal(dom_enter(d), 0);
	for (int i = 0; i < ACTORS; i++)
		actor_start(&a[i], mixed(i), d, rw_worker, (void *)(uintptr_t)n);
	for (int i = 0; i < ACTORS; i++)
		actor_join(&a[i]);
	assert_int_equal(atomic_load(&violations), 0);
	/* Whether readers overlapped depends on timing; that they can share
	 * is checked deterministically in rwlock_upgrade_downgrade. */
	assert_int_equal(dom_rwlock_destroy(&rw), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

static void rwlock_1(void **s)
{
	(void)s;
	rwlock_exclusion(1);
}

static void rwlock_4(void **s)
{
	(void)s;
	rwlock_exclusion(4);
}

static void *try_read(void *a)
{
	(void)a;
	int r = dom_rwlock_tryrdlock(&rw);
	if (r == 0)
		dom_rwlock_unlock(&rw);
	return (void *)(intptr_t)r;
}

static void rwlock_upgrade_downgrade(void **s)
{
	(void)s;
	struct dom *d = dom_new(1);
	struct actor a;

	dom_rwlock_init(&rw);
	assert_int_equal(dom_enter(d), 0);
	assert_int_equal(dom_rwlock_unlock(&rw), -EPERM);
	assert_int_equal(dom_rwlock_rdlock(&rw), 0);
	assert_true(dom_rwlock_rdheld(&rw));
	assert_false(dom_rwlock_wrheld(&rw));
	assert_int_equal(dom_rwlock_tryupgrade(&rw), 0);
	assert_true(dom_rwlock_wrheld(&rw));
	assert_int_equal(dom_rwlock_wrlock(&rw), -EDEADLK);
	assert_int_equal(dom_rwlock_trywrlock(&rw), -EDEADLK);
	actor_start(&a, GREEN, d, try_read, NULL);
	assert_int_equal((intptr_t)actor_join(&a), -EBUSY);
	assert_int_equal(dom_rwlock_downgrade(&rw), 0);
	assert_false(dom_rwlock_wrheld(&rw));
	actor_start(&a, HOST, d, try_read, NULL);
	assert_int_equal((intptr_t)actor_join(&a), 0); /* readers share */
	assert_int_equal(dom_rwlock_rdlock(&rw), 0);
	assert_int_equal(dom_rwlock_tryupgrade(&rw), -EBUSY); /* two readers */
	assert_int_equal(dom_rwlock_unlock(&rw), 0);
	assert_int_equal(dom_rwlock_destroy(&rw), -EBUSY);
	assert_int_equal(dom_rwlock_unlock(&rw), 0);
	assert_int_equal(dom_rwlock_destroy(&rw), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

/*
 * Read holds belong to their holder.  A thread that holds nothing may not
 * upgrade a lone reader's hold, nor release it with unlock; the real
 * reader keeps its hold and releases it itself.  Tried with the reader
 * and the intruder green or entered host threads.
 */
static _Atomic int rd_phase; /* 1: reader holds; 2: intruder done */

static void *lone_reader(void *a)
{
	(void)a;
	if (dom_rwlock_rdlock(&rw) != 0)
		return (void *)1;
	atomic_store(&rd_phase, 1);
	while (atomic_load(&rd_phase) != 2)
		dom_yield();
	if (!dom_rwlock_rdheld(&rw) || dom_rwlock_wrheld(&rw))
		return (void *)2; /* the intruder took or released our hold */
	return (void *)(intptr_t)dom_rwlock_unlock(&rw);
}

static void *intruder(void *a)
{
	intptr_t *res = a;

	while (atomic_load(&rd_phase) != 1)
		dom_yield();
	res[0] = dom_rwlock_tryupgrade(&rw);
	if (res[0] == 0)
		dom_rwlock_unlock(&rw);
	res[1] = dom_rwlock_unlock(&rw);
	atomic_store(&rd_phase, 2);
	return NULL;
}

static void rwlock_holds_belong_to_their_reader(void **s)
{
	(void)s;
	struct dom *d = dom_new(2);

	assert_int_equal(dom_enter(d), 0);
	for (int k = 0; k < 4; k++) {
		struct actor reader, other;
		intptr_t res[2] = {99, 99};

		dom_rwlock_init(&rw);
		atomic_store(&rd_phase, 0);
		actor_start(&reader, (k & 1) ? HOST : GREEN, d, lone_reader, NULL);
		actor_start(&other, (k & 2) ? HOST : GREEN, d, intruder, res);
		assert_null(actor_join(&other));
		assert_int_equal(res[0], -EPERM); /* tryupgrade by a non-reader */
		assert_int_equal(res[1], -EPERM); /* unlock by a non-reader */
		assert_int_equal((intptr_t)actor_join(&reader), 0);
		assert_int_equal(dom_rwlock_destroy(&rw), 0);
	}
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

/* Holds counted per thread: recursive read holds, a hold left by another
 * reader, downgrade and granted waiters all name the right holder. */
static void *rd_hold_then_release(void *a)
{
	(void)a;
	return (void *)(intptr_t)dom_rwlock_rdlock(&rw);
}

static void *rd_release(void *a)
{
	(void)a;
	return (void *)(intptr_t)dom_rwlock_unlock(&rw);
}

static void *rd_try_upgrade(void *a)
{
	(void)a;
	int r = dom_rwlock_tryupgrade(&rw);
	if (r == 0)
		dom_rwlock_unlock(&rw);
	return (void *)(intptr_t)r;
}

static void rwlock_read_holders_tracked(void **s)
{
	(void)s;
	struct dom *d = dom_new(1);
	struct actor a;

	dom_rwlock_init(&rw);
	assert_int_equal(dom_enter(d), 0);
	/* free, or held for writing: nobody may upgrade */
	assert_int_equal(dom_rwlock_tryupgrade(&rw), -EPERM);
	assert_int_equal(dom_rwlock_wrlock(&rw), 0);
	actor_start(&a, GREEN, d, rd_try_upgrade, NULL);
	assert_int_equal((intptr_t)actor_join(&a), -EPERM);
	assert_int_equal(dom_rwlock_unlock(&rw), 0);

	/* two holds by the caller: upgrade needs a lone hold */
	assert_int_equal(dom_rwlock_rdlock(&rw), 0);
	assert_int_equal(dom_rwlock_rdlock(&rw), 0);
	assert_int_equal(dom_rwlock_tryupgrade(&rw), -EBUSY);
	assert_int_equal(dom_rwlock_unlock(&rw), 0);
	assert_int_equal(dom_rwlock_tryupgrade(&rw), 0);
	assert_true(dom_rwlock_wrheld(&rw));
	assert_int_equal(dom_rwlock_unlock(&rw), 0);

	/* a green thread takes a read hold and exits without releasing it:
	 * the hold is not ours to upgrade or release, not even once we
	 * have read-held and released the lock ourselves */
	actor_start(&a, GREEN, d, rd_hold_then_release, NULL);
	assert_int_equal((intptr_t)actor_join(&a), 0);
	assert_int_equal(dom_rwlock_tryupgrade(&rw), -EPERM);
	assert_int_equal(dom_rwlock_unlock(&rw), -EPERM);
	assert_int_equal(dom_rwlock_rdlock(&rw), 0);
	assert_int_equal(dom_rwlock_tryupgrade(&rw), -EBUSY); /* two readers */
	assert_int_equal(dom_rwlock_unlock(&rw), 0); /* our own hold */
	assert_int_equal(dom_rwlock_unlock(&rw), -EPERM); /* not ours */
	assert_true(dom_rwlock_rdheld(&rw));
	dom_rwlock_init(&rw); /* drop the orphaned hold */

	/* downgrade: the writer becomes the lone reader */
	assert_int_equal(dom_rwlock_wrlock(&rw), 0);
	assert_int_equal(dom_rwlock_downgrade(&rw), 0);
	actor_start(&a, HOST, d, rd_try_upgrade, NULL);
	assert_int_equal((intptr_t)actor_join(&a), -EPERM);
	actor_start(&a, HOST, d, rd_release, NULL);
	assert_int_equal((intptr_t)actor_join(&a), -EPERM);
	assert_int_equal(dom_rwlock_tryupgrade(&rw), 0);
	assert_int_equal(dom_rwlock_unlock(&rw), 0);
	assert_int_equal(dom_rwlock_destroy(&rw), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

#if RW_DEBUG
/* Debug builds: with several readers, a non-reader's unlock is refused
 * too, and each reader releases only its own hold. */
static _Atomic int many_phase; /* readers in; 100: release */

static void *rd_hold_until_told(void *a)
{
	(void)a;
	if (dom_rwlock_rdlock(&rw) != 0)
		return (void *)1;
	atomic_fetch_add(&many_phase, 1);
	while (atomic_load(&many_phase) < 100)
		dom_yield();
	return (void *)(intptr_t)dom_rwlock_unlock(&rw);
}

static void rwlock_debug_unlock_by_non_reader_of_many(void **s)
{
	(void)s;
	struct dom *d = dom_new(2);
	struct actor r1, r2, b;

	dom_rwlock_init(&rw);
	atomic_store(&many_phase, 0);
	assert_int_equal(dom_enter(d), 0);
	actor_start(&r1, GREEN, d, rd_hold_until_told, NULL);
	actor_start(&r2, HOST, d, rd_hold_until_told, NULL);
	while (atomic_load(&many_phase) != 2)
		dom_yield();
	/* two holds, neither ours nor b's */
	assert_int_equal(dom_rwlock_unlock(&rw), -EPERM);
	assert_int_equal(dom_rwlock_tryupgrade(&rw), -EPERM);
	actor_start(&b, GREEN, d, rd_release, NULL);
	assert_int_equal((intptr_t)actor_join(&b), -EPERM);
	actor_start(&b, HOST, d, rd_release, NULL);
	assert_int_equal((intptr_t)actor_join(&b), -EPERM);
	atomic_store(&many_phase, 100);
	assert_int_equal((intptr_t)actor_join(&r1), 0);
	assert_int_equal((intptr_t)actor_join(&r2), 0);
	assert_int_equal(dom_rwlock_destroy(&rw), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}
#endif

#if RW_DEBUG && !defined(RUMPBRIDGE_TSAN) /* TSan: no threads after fork */
/* Debug builds: a green thread exits owning a mutex; a later caller of
 * dom_mutex_enter would hang for ever.  After a while the waiter names
 * the mutex and the thread that owns it.  Run in a child process, which
 * the test kills once the message is there. */
static struct dom_mutex orphan;

static void *take_and_exit(void *a)
{
	(void)a;
	return (void *)(intptr_t)dom_mutex_enter(&orphan);
}

static void mutex_owner_exit_named_by_waiter(void **s)
{
	(void)s;
	int fds[2], status;
	char out[2048] = "", want[64];

	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct dom *d;
		struct dom_config c = {.name = "orphans", .vcpus = 1};
		struct dom_thread_attr at = {.name = "lock-holder"};
		struct dom_thread *t;
		void *r;

		dup2(fds[1], STDERR_FILENO);
		if (dom_create(&d, &c) != 0 || dom_enter(d) != 0 || dom_mutex_init(&orphan) != 0)
			_exit(1);
		if (dom_thread_create(d, &t, &at, take_and_exit, NULL) != 0 ||
		    dom_thread_join(t, &r) != 0 || r != NULL)
			_exit(2);
		dom_mutex_enter(&orphan); /* never returns */
		_exit(3);
	}
	close(fds[1]);
	snprintf(want, sizeof(want), "mutex %p, owned by thread 'lock-holder'",
		 (void *)&orphan);
	size_t n = 0;
	uint64_t end = mk_clock_now_ns() + 20ull * 1000000000ull;
	while (strstr(out, want) == NULL && mk_clock_now_ns() < end && n < sizeof(out) - 1) {
		struct pollfd pf = {.fd = fds[0], .events = POLLIN};
		if (poll(&pf, 1, 100) == 1) {
			ssize_t k = read(fds[0], out + n, sizeof(out) - 1 - n);
			if (k <= 0)
				break;
			n += (size_t)k;
			out[n] = '\0';
		}
	}
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fds[0]);
	print_message("%s", out);
	assert_true(WIFSIGNALED(status)); /* it was still waiting */
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "did it exit owning it?"));
}
#endif

/* Semaphore: tokens move between kinds; timed wait and limits. */
static void *sem_taker(void *a)
{
	long n = (long)(uintptr_t)a;

	for (long i = 0; i < n; i++)
		if (dom_sem_wait(&sem) != 0)
			return (void *)1;
	return NULL;
}

static void *sem_giver(void *a)
{
	long n = (long)(uintptr_t)a;

	for (long i = 0; i < n; i++) {
		if (dom_sem_post(&sem) != 0)
			return (void *)1;
		if ((i & 7) == 0)
			dom_yield();
	}
	return NULL;
}

static void semaphore(unsigned vcpus)
{
	struct dom *d = dom_new(vcpus);
	struct actor a[ACTORS];
	long n = RB_SCALE(10000);

	assert_int_equal(dom_sem_init(&sem, 0), 0);
	assert_int_equal(dom_enter(d), 0);
	actor_start(&a[0], GREEN, d, sem_taker, (void *)(uintptr_t)n);
	actor_start(&a[1], HOST, d, sem_taker, (void *)(uintptr_t)n);
	actor_start(&a[2], HOST, d, sem_giver, (void *)(uintptr_t)n);
	actor_start(&a[3], GREEN, d, sem_giver, (void *)(uintptr_t)n);
	for (int i = 0; i < ACTORS; i++)
		assert_null(actor_join(&a[i]));
	assert_int_equal(dom_sem_trywait(&sem), -EAGAIN);
	uint64_t t0 = mk_clock_now_ns();
	assert_int_equal(dom_sem_timedwait(&sem, t0 + 5000000), -ETIMEDOUT);
	assert_true(mk_clock_now_ns() - t0 >= 5000000);
	assert_int_equal(dom_sem_post(&sem), 0);
	assert_int_equal(dom_sem_trywait(&sem), 0);
	assert_int_equal(dom_sem_destroy(&sem), 0);
	assert_int_equal(dom_sem_init(&sem, (unsigned)INT32_MAX + 1), -EINVAL);
	assert_int_equal(dom_sem_init(&sem, INT32_MAX), 0);
	assert_int_equal(dom_sem_post(&sem), -EOVERFLOW);
	assert_int_equal(dom_sem_destroy(&sem), 0);
	assert_int_equal(dom_leave(d), 0);
	assert_int_equal(dom_destroy(d), 0);
}

static void sem_1(void **s)
{
	(void)s;
	semaphore(1);
}

static void sem_4(void **s)
{
	(void)s;
	semaphore(4);
}

int main(void)
{
	mk_thread_prepare_current();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mutex_1),
		cmocka_unit_test(mutex_4),
		cmocka_unit_test(mutex_errors),
		cmocka_unit_test(cv_1),
		cmocka_unit_test(cv_4),
		cmocka_unit_test(cv_timedwait_times_out),
		cmocka_unit_test(rwlock_1),
		cmocka_unit_test(rwlock_4),
		cmocka_unit_test(rwlock_upgrade_downgrade),
		cmocka_unit_test(rwlock_holds_belong_to_their_reader),
		cmocka_unit_test(rwlock_read_holders_tracked),
#if RW_DEBUG
		cmocka_unit_test(rwlock_debug_unlock_by_non_reader_of_many),
#endif
#if RW_DEBUG && !defined(RUMPBRIDGE_TSAN)
		cmocka_unit_test(mutex_owner_exit_named_by_waiter),
#endif
		cmocka_unit_test(sem_1),
		cmocka_unit_test(sem_4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
