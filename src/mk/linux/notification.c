/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Notification on Linux: an atomic 64-bit word plus a 32-bit futex.
 *
 * Protocol (modelled inside tests/model/waitq.pml and idle.pml):
 *
 *   signal(b):  word |= b;  if (waiters != 0) { seq++; futex_wake(seq, 1); }
 *   wait():     loop {
 *                 if ((w = xchg(word, 0)) != 0) return w;
 *                 s = seq; waiters++;
 *                 if ((w = xchg(word, 0)) != 0) { waiters--; return w; }
 *                 futex_wait(seq, s); waiters--;
 *               }
 *
 * No lost wake-up: the signaller's "word |= b; read waiters" and the
 * waiter's "waiters++; read word" are both sequentially consistent, so at
 * least one of them sees the other's store (Dekker).  If the waiter missed
 * the bit, the signaller saw waiters != 0 and bumps seq after the waiter
 * read s, so futex_wait either returns at once (seq changed) or is woken.
 * When nobody waits, signal is one atomic OR and one load: no system call.
 *
 * Waiting on two (wait2, futex_waitv): the same protocol on both at once.
 *
 *   wait2(a, b):  loop {
 *                   wa = xchg(a.word, 0); wb = xchg(b.word, 0);
 *                   if (wa | wb) return wa, wb;
 *                   sa = a.seq; sb = b.seq; a.waiters++; b.waiters++;
 *                   wa = xchg(a.word, 0); wb = xchg(b.word, 0);
 *                   if (!(wa | wb)) futex_waitv({a.seq, sa}, {b.seq, sb});
 *                   a.waiters--; b.waiters--;
 *                   if (wa | wb) return wa, wb;
 *                 }
 *
 * The waiter is one of the waiters of each word, so a signal of either
 * one wakes it or finds the bits taken (Dekker as above, per word).  With
 * several threads waiting on b, signal(b) wakes one of them (FUTEX_WAKE
 * nr=1 picks among the waitv waiters of b.seq too), and the one woken
 * takes b's word on its way out, whatever woke it: it always takes both
 * words.  So a wake is never spent by a thread that leaves b's bits
 * behind for the others, who still sleep.  (A signal may also wake a
 * thread that finds the bits already taken by another: a spurious
 * round, never a lost one.)
 *
 * MK_SPIN: before a waiter counts itself in waiters it polls the word
 * (relaxed loads) for a bounded, adaptive time (spin_poll below), so that
 * a signaller on another CPU finds waiters == 0 and makes no system call.
 * The poll only delays the "waiters++; read word" step, on which no
 * wake-up can be lost: the protocol above is unchanged.  The signaller
 * notes its CPU in sig_cpu (relaxed, a hint): a waiter on that CPU does
 * not poll, since the signaller could not run while it polls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../mk_impl.h"
#include "futex.h"
#include "hints.h"

int mk_notification_init(struct mk_notification *n, unsigned flags)
{
	if (n == NULL || (flags & ~(MK_SHARED | MK_SPIN)) != 0)
		return -EINVAL;
	n->flags = flags;
	atomic_init(&n->sig_cpu, UINT32_MAX);
	n->pad_ = 0;
	atomic_init(&n->seq, 0);
	atomic_init(&n->waiters, 0);
	atomic_init(&n->word, 0);
	mk_publish(n, MK_MAGIC_NOTIFICATION);
	return 0;
}

int mk_notification_destroy(struct mk_notification *n)
{
	int r = mk_check(n, MK_MAGIC_NOTIFICATION);

	if (r != 0)
		return r;
	if (atomic_load(&n->waiters) != 0)
		return -EBUSY;
	mk_publish(n, MK_MAGIC_DEAD);
	return 0;
}

/* ---- MK_SPIN: bounded adaptive polling before a sleep ---- */

/* A poll lasts 1.5 times the average of this thread's recent waits on
 * MK_SPIN notifications, SPIN_MIN_NS..SPIN_MAX_NS, and none while that
 * average is above SPIN_MAX_NS; a wait enters the average (an eighth)
 * clamped to SAMPLE_MAX_NS, so that a few short waits after a long one
 * bring it down again.  Thread-local: no other thread reads it. */
#define SPIN_MIN_NS 5000u
#define SPIN_MAX_NS 50000u
#define SAMPLE_MAX_NS 1000000u
static _Thread_local uint32_t spin_avg_ns = SAMPLE_MAX_NS;

/* RUMPBRIDGE_NOTIFICATION_SPIN=0: 1 on, -1 off, 0 not asked yet.  relaxed:
 * every thread computes the same answer. */
static _Atomic int spin_state;

static bool spin_on(void)
{
	return mk_env_switch_on(&spin_state, "RUMPBRIDGE_NOTIFICATION_SPIN");
}

static void note_signaller(struct mk_notification *n)
{
	uint32_t c = mk_cpu_now();

	/* relaxed: a hint for spin_poll; read first so that an unchanged
	 * CPU does not write the line the waiter polls */
	if (atomic_load_explicit(&n->sig_cpu, memory_order_relaxed) != c)
		atomic_store_explicit(&n->sig_cpu, c, memory_order_relaxed);
}

/* Poll n's word before a blocking wait that starts at *start (the clock;
 * 0: not read), within the bounds above and deadline_ns.  The wait's
 * time is folded into the average by spin_ended. */
static void spin_poll(struct mk_notification *n, uint64_t deadline_ns, uint64_t *start)
{
	uint64_t bound, now;
	/* relaxed: a hint (note_signaller) */
	uint32_t c = atomic_load_explicit(&n->sig_cpu, memory_order_relaxed);

	/* the signaller's CPU first: no clock read (and no timing) when it
	 * is ours, all pinned to one CPU */
	if (!spin_on() || (c != UINT32_MAX && c == mk_cpu_now()))
		return;
	now = *start = mk_clock_now_ns();
	bound = mk_poll_bound(spin_avg_ns, SPIN_MIN_NS, SPIN_MAX_NS);
	if (bound == 0)
		return;
	for (unsigned i = 1;; i++) {
		/* relaxed: the wait takes the word with an exchange */
		if (atomic_load_explicit(&n->word, memory_order_relaxed) != 0)
			return;
		mk_cpu_relax();
		if ((i & 15) != 0)
			continue;
		now = mk_clock_now_ns();
		if (now - *start >= bound || now >= deadline_ns)
			return;
	}
}

static void spin_ended(uint64_t start)
{
	if (start != 0)
		mk_wait_avg_fold(&spin_avg_ns, mk_clock_now_ns() - start, SAMPLE_MAX_NS);
}

int mk_notification_signal(struct mk_notification *n, uint64_t badge)
{
	int r = mk_check(n, MK_MAGIC_NOTIFICATION);

	if (r != 0)
		return r;
	if (badge == 0)
		return -EINVAL;
	if (n->flags & MK_SPIN)
		note_signaller(n);
	if ((atomic_fetch_or(&n->word, badge) & badge) == badge)
		return 0; /* still pending: its signaller woke (or wakes) the waiter */
	if (atomic_load(&n->waiters) != 0) {
		atomic_fetch_add(&n->seq, 1);
		mk_futex_wake(&n->seq, 1, n->flags & MK_SHARED);
	}
	return 0;
}

static int wait_common(struct mk_notification *n, uint64_t deadline_ns, bool block,
		       uint64_t *word)
{
	int r = mk_check(n, MK_MAGIC_NOTIFICATION);
	uint64_t w, start = 0;

	if (r != 0)
		return r;
	if (word == NULL)
		return -EINVAL;
	if (block && (n->flags & MK_SPIN) &&
	    atomic_load_explicit(&n->word, memory_order_relaxed) == 0)
		spin_poll(n, deadline_ns, &start); /* relaxed: a look, as below */
	for (;;) {
		/* Cheap read first: a poll of an empty word writes nothing, so
		 * vCPUs checking for events do not bounce the cache line. */
		if (atomic_load_explicit(&n->word, memory_order_relaxed) != 0 &&
		    (w = atomic_exchange(&n->word, 0)) != 0)
			break;
		if (!block) {
			*word = 0;
			return -EAGAIN;
		}
		uint32_t s = atomic_load(&n->seq);
		atomic_fetch_add(&n->waiters, 1);
		if ((w = atomic_exchange(&n->word, 0)) != 0) {
			atomic_fetch_sub(&n->waiters, 1);
			break;
		}
		r = mk_futex_wait(&n->seq, s, deadline_ns, n->flags & MK_SHARED);
		atomic_fetch_sub(&n->waiters, 1);
		if (r == -ETIMEDOUT) {
			/* A signal may have raced with the timeout: deliver it
			 * rather than report a timeout with bits pending. */
			if ((w = atomic_exchange(&n->word, 0)) != 0)
				break;
			spin_ended(start);
			*word = 0;
			return -ETIMEDOUT;
		}
	}
	spin_ended(start);
	*word = w;
	return 0;
}

int mk_notification_wait(struct mk_notification *n, uint64_t *word)
{
	return wait_common(n, MK_FOREVER, true, word);
}

int mk_notification_wait_until(struct mk_notification *n, uint64_t deadline_ns, uint64_t *word)
{
	return wait_common(n, deadline_ns, true, word);
}

int mk_notification_poll(struct mk_notification *n, uint64_t *word)
{
	return wait_common(n, 0, false, word);
}

/* 1: futex_waitv works; -1: it does not (or RUMPBRIDGE_FUTEX_WAITV=0);
 * 0: not asked yet.  relaxed: every thread that asks computes the same
 * answer, so a race only asks the host twice. */
static _Atomic int waitv_state;

int mk_notification_wait2_probe(void)
{
	int st = atomic_load_explicit(&waitv_state, memory_order_relaxed);

	if (st == 0) {
		const char *e = getenv("RUMPBRIDGE_FUTEX_WAITV");
		_Atomic uint32_t word = 0;
		/* expect 1 while the word holds 0: a kernel that has the call
		 * returns EAGAIN at once, one that has not ENOSYS */
		struct futex_waitv w = mk_futex_waitv_entry(&word, 1, false);

		st = 1;
		if ((e != NULL && strcmp(e, "0") == 0) || mk_futex_waitv(&w, 1, MK_FOREVER) == -ENOSYS)
			st = -1;
		atomic_store_explicit(&waitv_state, st, memory_order_relaxed);
	}
	return st > 0 ? 0 : -ENOSYS;
}

/* Take both words, a relaxed look first (as wait_common's). */
static uint64_t take(struct mk_notification *n)
{
	if (atomic_load_explicit(&n->word, memory_order_relaxed) == 0)
		return 0;
	return atomic_exchange(&n->word, 0);
}

int mk_notification_wait2_until(struct mk_notification *a, struct mk_notification *b,
				uint64_t deadline_ns, uint64_t *word_a, uint64_t *word_b)
{
	uint64_t wa, wb;
	int r;

	if (a == NULL || b == NULL || a == b || word_a == NULL || word_b == NULL)
		return -EINVAL;
	if ((r = mk_check(a, MK_MAGIC_NOTIFICATION)) != 0 ||
	    (r = mk_check(b, MK_MAGIC_NOTIFICATION)) != 0)
		return r;
	if (mk_notification_wait2_probe() != 0)
		return -ENOSYS;
	for (;;) {
		wa = take(a);
		wb = take(b);
		if ((wa | wb) != 0)
			break;
		struct futex_waitv w[2] = {
			mk_futex_waitv_entry(&a->seq, atomic_load(&a->seq), a->flags & MK_SHARED),
			mk_futex_waitv_entry(&b->seq, atomic_load(&b->seq), b->flags & MK_SHARED),
		};
		atomic_fetch_add(&a->waiters, 1);
		atomic_fetch_add(&b->waiters, 1);
		wa = atomic_exchange(&a->word, 0);
		wb = atomic_exchange(&b->word, 0);
		r = 0;
		if ((wa | wb) == 0)
			r = mk_futex_waitv(w, 2, deadline_ns);
		atomic_fetch_sub(&a->waiters, 1);
		atomic_fetch_sub(&b->waiters, 1);
		if ((wa | wb) != 0)
			break;
		if (r == -ETIMEDOUT) {
			/* as wait_common: deliver what raced with the timeout */
			wa = atomic_exchange(&a->word, 0);
			wb = atomic_exchange(&b->word, 0);
			if ((wa | wb) != 0)
				break;
			*word_a = *word_b = 0;
			return -ETIMEDOUT;
		}
		/* woken, EAGAIN (a seq moved), EINTR: look again */
	}
	*word_a = wa;
	*word_b = wb;
	return 0;
}
