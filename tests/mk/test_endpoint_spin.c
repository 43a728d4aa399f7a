/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MK_SPIN endpoints: the hand-off between polling and sleeping loses no
 * wake-up.  A caller polls for its reply and a server for its next call
 * before they sleep (src/mk/linux/endpoint.c); the peers here alternate
 * fast turns, which a poll catches, turns of a few microseconds, around
 * the end of a poll, and slow ones (sleeps far longer than a poll), which
 * make the other side go to sleep and need a wake.  Every call carries a
 * number and every reply a function of it, summed on both sides: a lost
 * or doubled call or reply changes the sums, a lost wake-up stops the
 * progress counter, which the test watches with a bound far beyond any
 * wake-up latency and fails naming the call it stopped at.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mk/linux/endpoint_stats.h"
#include "rb_test.h"

/* No progress for this long means a lost wake-up. */
#define STALL_NS (30ull * 1000000000ull)

/* A turn: 0 fast, > 0 busy for that many ns (around the end of a poll),
 * < 0 asleep for that many us (far longer than a poll). */
static const int server_turns[] = {0, 0,    3000, -200, 0,   6000,
                                   0, 4500, -50,  0,    9000};
static const int caller_turns[] = {0, 5000, 0,   0, -150, 2000, 0,
                                   0, 7000, -30, 0, 0,    4000};

#define NTURNS(a) (sizeof(a) / sizeof((a)[0]))

static void take_turn(int t) {
  if (t > 0) {
    uint64_t end = mk_clock_now_ns() + (uint64_t)t;

    while (mk_clock_now_ns() < end)
      ;
  } else if (t < 0) {
    struct timespec ts = {0, (long)-t * 1000};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
      ;
  }
}

static uint64_t answer(uint64_t v) { return v * 0x9e3779b97f4a7c15ull + 7; }

/* Shared between the test and its server (thread or process). */
struct spin_test {
  struct mk_endpoint ep;
  _Atomic uint64_t progress; /* replies received, all callers */
  _Atomic uint64_t served;   /* calls served, all servers */
  _Atomic uint64_t srv_sum;  /* sum of the requests the servers saw */
  _Atomic uint32_t callers_done;
  _Atomic uint32_t bad; /* replies that do not answer their call */
};

/* Serve until a call with label 0; the turn follows the call's number. */
static int serve(struct spin_test *t) {
  struct mk_msg m;
  struct mk_reply rep;
  uint64_t badge;

  if (mk_endpoint_recv(&t->ep, MK_FOREVER, &m, &badge, &rep) != 0)
    return 1;
  for (;;) {
    if (m.label == 0)
      return mk_endpoint_reply(&t->ep, &rep, &m) == 0 ? 0 : 2;
    take_turn(server_turns[m.w[0] % NTURNS(server_turns)]);
    atomic_fetch_add(&t->srv_sum, m.w[0]);
    atomic_fetch_add(&t->served, 1);
    m.w[1] = answer(m.w[0]);
    m.len = 2;
    if (mk_endpoint_reply_recv(&t->ep, &rep, &m, &badge) != 0)
      return 3;
  }
}

static void *server_thread(void *p) { return serve(p) == 0 ? NULL : (void *)1; }

struct caller {
  struct spin_test *t;
  uint64_t first, calls; /* call numbers first .. first + calls - 1 */
  uint64_t sum;          /* of the replies */
};

static void *caller_thread(void *p) {
  struct caller *c = p;

  for (uint64_t i = 0; i < c->calls; i++) {
    uint64_t v = c->first + i;
    struct mk_msg m = {.label = 1, .len = 1, .w = {v}};

    take_turn(caller_turns[v % NTURNS(caller_turns)]);
    if (mk_endpoint_call(&c->t->ep, 9, &m) != 0 || m.len != 2 || m.w[0] != v ||
        m.w[1] != answer(v))
      atomic_fetch_add(&c->t->bad, 1);
    c->sum += m.w[1];
    atomic_fetch_add(&c->t->progress, 1);
  }
  atomic_fetch_add(&c->t->callers_done, 1);
  return NULL;
}

/* Wait until ncallers callers are done, failing if the calls stop moving
 * for STALL_NS. */
static void watch(struct spin_test *t, uint32_t ncallers, uint64_t total) {
  uint64_t last = atomic_load(&t->progress), since = mk_clock_now_ns();

  while (atomic_load(&t->callers_done) < ncallers) {
    uint64_t now = atomic_load(&t->progress);

    if (now != last) {
      last = now;
      since = mk_clock_now_ns();
    } else if (mk_clock_now_ns() - since > STALL_NS) {
      fail_msg(
          "no reply for 30 s after %llu of %llu calls (%llu served): a lost "
          "wake-up in the MK_SPIN hand-off",
          (unsigned long long)now, (unsigned long long)total,
          (unsigned long long)atomic_load(&t->served));
    }
    rb_sleep_ms(10);
  }
}

static uint64_t expected_sum(uint64_t first, uint64_t calls,
                             uint64_t (*f)(uint64_t)) {
  uint64_t s = 0;

  for (uint64_t v = first; v < first + calls; v++)
    s += f ? f(v) : v;
  return s;
}

/* One caller in this process, the server in another: the PD runtime's
 * shape (the launcher makes PD endpoints MK_SHARED | MK_SPIN).  lie: the
 * mode of mk_endpoint_spin_lie for both processes. */
static void between_processes(int lie) {
  struct mk_region r;
  struct spin_test *t;
  struct mk_thread *ct;
  uint64_t calls = RB_SCALE(20000);
  int status;

  assert_int_equal(mk_region_create(&r, "ep-spin", sizeof(*t)), 0);
  assert_int_equal(mk_region_at(&r, 0, sizeof(*t), 64, (void **)&t), 0);
  memset(t, 0, sizeof(*t));
  assert_int_equal(mk_endpoint_init(&t->ep, MK_SHARED | MK_SPIN), 0);
  mk_endpoint_spin_lie(lie);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* A server left behind by a failed test ends with it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
      _exit(4);
    _exit(serve(t));
  }
  struct caller c = {.t = t, .first = 1, .calls = calls};
  assert_int_equal(mk_thread_create(&ct, "caller", caller_thread, &c), 0);
  watch(t, 1, calls);
  mk_thread_join(ct, NULL);
  struct mk_msg m = {.label = 0};
  assert_int_equal(mk_endpoint_call(&t->ep, 0, &m), 0);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_int_equal(atomic_load(&t->bad), 0);
  assert_int_equal(atomic_load(&t->served), calls);
  assert_int_equal(atomic_load(&t->srv_sum), expected_sum(1, calls, NULL));
  assert_int_equal(c.sum, expected_sum(1, calls, answer));
  assert_int_equal(mk_endpoint_pending(&t->ep), 0);
  mk_endpoint_spin_lie(0);
  mk_region_destroy(&r);
}

static void handoff_between_processes(void **state) {
  (void)state;
  between_processes(0);
}

/* Three callers and two servers, threads of one process: polls that race
 * for one queued call, and callers queued behind each other.  lie: as in
 * between_processes. */
static void many_callers_and_servers(int lie) {
  enum { CALLERS = 3, SERVERS = 2 };
  static struct spin_test t;
  struct caller c[CALLERS];
  struct mk_thread *ct[CALLERS], *st[SERVERS];
  uint64_t calls = RB_SCALE(8000), sum = 0;
  void *ret;

  memset(&t, 0, sizeof t);
  assert_int_equal(mk_endpoint_init(&t.ep, MK_SPIN), 0);
  mk_endpoint_spin_lie(lie);
  for (int i = 0; i < SERVERS; i++)
    assert_int_equal(mk_thread_create(&st[i], "server", server_thread, &t), 0);
  for (int i = 0; i < CALLERS; i++) {
    c[i] = (struct caller){
        .t = &t, .first = 1 + (uint64_t)i * calls, .calls = calls};
    assert_int_equal(mk_thread_create(&ct[i], "caller", caller_thread, &c[i]),
                     0);
  }
  watch(&t, CALLERS, CALLERS * calls);
  for (int i = 0; i < CALLERS; i++) {
    mk_thread_join(ct[i], NULL);
    sum += c[i].sum;
  }
  for (int i = 0; i < SERVERS; i++) {
    struct mk_msg m = {.label = 0};
    assert_int_equal(mk_endpoint_call(&t.ep, 0, &m), 0);
  }
  for (int i = 0; i < SERVERS; i++) {
    mk_thread_join(st[i], &ret);
    assert_null(ret);
  }
  assert_int_equal(atomic_load(&t.bad), 0);
  assert_int_equal(atomic_load(&t.served), CALLERS * calls);
  assert_int_equal(atomic_load(&t.srv_sum),
                   expected_sum(1, CALLERS * calls, NULL));
  assert_int_equal(sum, expected_sum(1, CALLERS * calls, answer));
  assert_int_equal(mk_endpoint_destroy(&t.ep), 0);
  mk_endpoint_spin_lie(0);
}

static void handoff_many_callers_and_servers(void **state) {
  (void)state;
  many_callers_and_servers(0);
}

/* The hints that set the poll bound (is the peer awake, how long did
 * waits take) lie: every wait polls the longest bound as if its peer
 * were awake (1), or a random time (2), whatever the truth.  The hints
 * only choose how long to poll, so every call must still complete, with
 * the right sums; a hint that the protocol relied on (a reply skipping
 * the wake of a caller said to be awake) stalls here. */
static void handoff_with_lying_hints(void **state) {
  (void)state;
  between_processes(1);
  between_processes(2);
  many_callers_and_servers(2);
}

struct aborter {
  struct mk_endpoint *ep;
  int turn;
};

static void *abort_one(void *p) {
  struct aborter *a = p;
  struct mk_msg m;
  struct mk_reply rep;
  uint64_t badge;

  if (mk_endpoint_recv(a->ep, MK_FOREVER, &m, &badge, &rep) != 0)
    return (void *)1;
  take_turn(a->turn);
  return mk_endpoint_abort(a->ep, &rep) == 0 ? NULL : (void *)2;
}

/* A call aborted while its caller polls, and one aborted after it slept
 * (the launcher aborts the calls of a dead PD): -ECANCELED both. */
static void abort_reaches_a_polling_or_sleeping_caller(void **state) {
  (void)state;
  static struct mk_endpoint ep;
  static const int turns[] = {0, 1000, -2000};

  assert_int_equal(mk_endpoint_init(&ep, MK_SPIN), 0);
  for (size_t i = 0; i < sizeof turns / sizeof turns[0]; i++) {
    struct aborter a = {.ep = &ep, .turn = turns[i]};
    struct mk_thread *th;
    struct mk_msg m = {.label = 1};
    void *ret;

    assert_int_equal(mk_thread_create(&th, "aborter", abort_one, &a), 0);
    assert_int_equal(mk_endpoint_call(&ep, 1, &m), -ECANCELED);
    mk_thread_join(th, &ret);
    assert_null(ret);
  }
  assert_int_equal(mk_endpoint_destroy(&ep), 0);
}

/* MK_SPIN changes no result: flags, deadlines, errors. */
static void spin_flag_and_deadlines(void **state) {
  (void)state;
  struct mk_endpoint ep;
  struct mk_notification n;
  struct mk_msg m;
  struct mk_reply rep;
  uint64_t badge, t0;

  assert_int_equal(mk_endpoint_init(&ep, MK_SPIN | MK_SHARED), 0);
  assert_int_equal(mk_endpoint_destroy(&ep), 0);
  assert_int_equal(mk_endpoint_init(&ep, 0x4), -EINVAL);
  assert_int_equal(mk_notification_init(&n, MK_SPIN | 0x4), -EINVAL);
  assert_int_equal(mk_endpoint_init(&ep, MK_SPIN), 0);
  /* A deadline already past: no poll, at once -ETIMEDOUT. */
  assert_int_equal(mk_endpoint_recv(&ep, 0, &m, &badge, &rep), -ETIMEDOUT);
  /* A deadline shorter than a poll still ends the wait. */
  t0 = mk_clock_now_ns();
  assert_int_equal(mk_endpoint_recv(&ep, t0 + 1000, &m, &badge, &rep),
                   -ETIMEDOUT);
  assert_true(mk_clock_now_ns() >= t0 + 1000);
  assert_int_equal(
      mk_endpoint_recv(&ep, rb_deadline(2000000), &m, &badge, &rep),
      -ETIMEDOUT);
  assert_int_equal(mk_endpoint_destroy(&ep), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(spin_flag_and_deadlines),
      cmocka_unit_test(abort_reaches_a_polling_or_sleeping_caller),
      cmocka_unit_test(handoff_between_processes),
      cmocka_unit_test(handoff_with_lying_hints),
      cmocka_unit_test(handoff_many_callers_and_servers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
