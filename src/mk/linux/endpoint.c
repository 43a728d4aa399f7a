/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Endpoint on Linux.  Everything lives inside struct mk_endpoint, so it
 * works between processes that map it (no pointers, only slot indices;
 * which is also why the FIFO below is hand-linked by index and not a
 * sys/queue.h list, whose links are pointers).
 *
 * A call takes a free slot, writes its message there and appends the slot
 * to a FIFO, all under ep->lock (a futex mutex held for a few stores).
 * The caller then sleeps on the slot's state word.  A server dequeues the
 * head slot under the lock, marks it SERVING and copies the message out;
 * the reply token names the slot and its generation.  The caller, woken
 * by REPLIED or ABORTED, copies the reply and frees the slot.
 *
 * Slot state word (the caller's futex word):
 *   bits 0..7   the state
 *   bit  8      SLEEPING: the caller is (about to be) in futex_wait
 *   bits 9..31  the low 23 bits of the slot's generation (GEN_*)
 * The generation is bumped each time a call takes the slot, and lives in
 * the same word as the state, so a reply checks "SERVING, and still the
 * call my token names" and claims the slot in one CAS:
 *
 *   FREE -> QUEUED (caller, lock) -> SERVING (server, lock)
 *        -> REPLYING (one replier, CAS on state+generation)
 *        -> REPLIED | ABORTED (that replier) -> FREE (caller, lock)
 *
 * Of two replies with one token exactly one wins the CAS; the other sees
 * REPLYING, REPLIED, FREE or a newer generation and returns -ESTALE.  A
 * reply whose call has finished and whose slot serves a newer call fails
 * the CAS too (the generation differs), so it never lands on the reused
 * slot.  Only the winner writes the reply message, between its CAS and
 * its final store.  A token is ambiguous only if the slot was taken 2^23
 * times while it was held.
 *
 * The SLEEPING bit is set by the caller (CAS) before it sleeps; the
 * replier wakes the futex only when it sees the bit, so a caller that has
 * not gone to sleep yet costs no system call.
 *
 * MK_SPIN: the hand-off between two processes on two CPUs without a
 * system call, in the manner of seL4's IPC fastpath.  Before the caller
 * sets SLEEPING it polls its state word for REPLIED/ABORTED; before a
 * server registers in srv_waiters (and so asks callers for a wake) it
 * polls head for a queued call.  A poll that succeeds means the peer's
 * wake was skipped: a spinning caller has no SLEEPING bit, a spinning
 * server is not in srv_waiters.  Polling only delays the caller's CAS and
 * the server's locked re-check of head, the two steps on which no wake-up
 * can be lost, so the protocol above is unchanged.  head is read without
 * the lock there, as a hint (relaxed); the call is taken under the lock.
 * Each poll is bounded and adaptive, per thread and role (struct
 * spinner, spin() below): no poll for a peer that last ran on this CPU
 * (the caller's CPU is in its slot, a server's in srv_cpu; relaxed,
 * hints); a poll lasts 1.5 times the recent average of waits of its kind
 * (the peer was awake, or had to be woken; 5..80 us) while that average
 * is at most 80 us, and otherwise SPIN_NS (5 us), skipped altogether by
 * a thread whose polls did not pay lately but for a probe now and then.
 * The kind comes from srv_waiters (read under the lock by the caller)
 * and from the SLEEPING bit (seen by the reply): it only sets how long
 * a poll lasts, on which nothing depends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../mk_impl.h"
#include "endpoint_stats.h"
#include "futex.h"
#include "hints.h"

enum {
	SLOT_FREE = 0,
	SLOT_QUEUED = 1,
	SLOT_SERVING = 2,
	SLOT_REPLIED = 3,
	SLOT_ABORTED = 4,
	SLOT_REPLYING = 5,
	SLOT_STATE = 0xff,
	SLOT_SLEEPING = 0x100,
	GEN_SHIFT = 9,
	NIL = UINT32_MAX,
};

#define GEN_MASK (UINT32_MAX << GEN_SHIFT)

/* The generation bits of the state word for generation gen. */
static inline uint32_t gen_tag(uint32_t gen)
{
	return (gen << GEN_SHIFT) & GEN_MASK;
}

/* ---- MK_SPIN: bounded adaptive polling before a sleep ---- */

/* How long one poll may last (wall time): SPIN_NS, or, when the waits of
 * its kind took at most SPIN_MAX_NS lately, 1.5 times their average
 * (between SPIN_NS and SPIN_MAX_NS).  A wait's time enters the average
 * clamped to SAMPLE_MAX_NS, so that after one long wait (a server left
 * idle) a few short ones bring it down again. */
#define SPIN_NS 5000u
#define SPIN_MAX_NS 80000u
#define SAMPLE_MAX_NS 1000000u
/* pay: how often polling paid off lately, an average in 0..PAY_ONE that
 * moves an eighth of the way to PAY_ONE when a poll pays and to 0 when it
 * does not.  Below PAY_MIN a thread blocks at once, but still polls once
 * in PROBE_EVERY waits, to see whether polling pays again. */
#define PAY_ONE 1024u
#define PAY_MIN 256u
#define PROBE_EVERY 64u

/* The kind of a wait, from what the waiter knows of its peer: the caller
 * found the server awake (no server in srv_waiters: it was serving or
 * polling) or had to wake it; the server found, at its last reply, its
 * caller awake (no SLEEPING bit: it was polling) or had to wake it.  The
 * peer a waiter had to wake comes back after a cold wake-up (tens of
 * microseconds across CPUs here), the other at once: the two kinds keep
 * separate averages.  These are hints: they only choose how long to
 * poll, and the protocol does not depend on them. */
enum { PEER_AWAKE = 0, PEER_WOKEN = 1 };

/* One thread's record in one role: waiting for a reply (reply_spinner)
 * or for a call (call_spinner).  Thread-local: no other thread, let alone
 * the peer process, reads or writes it. */
struct spinner {
	uint32_t pay;
	uint32_t waits;	    /* waits that blocked without polling, in a row */
	uint32_t peer_cpu;  /* call_spinner: the CPU the caller served last ran on */
	uint32_t kind;	    /* of the coming wait: PEER_AWAKE or PEER_WOKEN */
	uint32_t avg_ns[2]; /* per kind: moving average of wait times (an eighth) */
	uint64_t start;	    /* when the wait being timed began; 0: none */
};

/* This thread's counts (endpoint_stats.h): thread-local, plain stores. */
static _Thread_local struct mk_endpoint_stats stats;

void mk_endpoint_stats_take(struct mk_endpoint_stats *out)
{
	*out = stats;
	memset(&stats, 0, sizeof stats);
}

#define SPINNER_INIT {PAY_ONE, 0, UINT32_MAX, PEER_WOKEN, {SPIN_NS, SPIN_NS}, 0}
static _Thread_local struct spinner reply_spinner = SPINNER_INIT, call_spinner = SPINNER_INIT;

/* The adaptive bound: 1 on, -1 off (RUMPBRIDGE_ENDPOINT_ADAPTIVE_SPIN=0:
 * every poll SPIN_NS, as before it), 0 not asked yet.  relaxed: every
 * thread computes the same answer. */
static _Atomic int adaptive_state;
/* mk_endpoint_spin_lie (endpoint_stats.h); relaxed, a test setting. */
static _Atomic int lie_mode;

void mk_endpoint_spin_lie(int mode)
{
	atomic_store_explicit(&lie_mode, mode, memory_order_relaxed);
}

static bool adaptive(void)
{
	return mk_env_switch_on(&adaptive_state, "RUMPBRIDGE_ENDPOINT_ADAPTIVE_SPIN");
}

/* A lying hint (mk_endpoint_spin_lie): the poll bound in ns, from a
 * per-thread xorshift for mode 2. */
static uint32_t lie_bound(int mode)
{
	static _Thread_local uint32_t x = 0x9e3779b9u;

	if (mode == 1)
		return SPIN_MAX_NS;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x % (SPIN_MAX_NS + 1);
}


static bool reply_landed(const void *p)
{
	const struct mk_endpoint_slot *s = p;
	/* Acquire pairs with the replier's exchange of REPLIED/ABORTED (the
	 * caller re-reads the word seq_cst anyway before it reads msg). */
	uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire) & SLOT_STATE;

	return st == SLOT_REPLIED || st == SLOT_ABORTED;
}

static bool call_queued(const void *p)
{
	const struct mk_endpoint *ep = p;

	/* A hint only: relaxed, the call is taken under ep->lock, which
	 * orders everything the caller wrote. */
	return atomic_load_explicit(&ep->head, memory_order_relaxed) != NIL;
}

/* What a poll did (counted in stats). */
enum spin_result { SPIN_PAID, SPIN_FAILED, SPIN_SKIP_CPU, SPIN_SKIP_PAY };

/* The wait sp timed has ended at now: fold its time into the average of
 * its kind. */
static void wait_ended(struct spinner *sp, uint64_t now)
{
	if (sp->start == 0)
		return;
	mk_wait_avg_fold(&sp->avg_ns[sp->kind], now - sp->start, SAMPLE_MAX_NS);
	sp->start = 0;
}

/*
 * Poll ready(arg) before a sleep: SPIN_PAID when it came true.  No poll when
 * the peer last ran on this CPU (while we poll it cannot run, unless
 * preempting us: two processes pinned to one CPU block at once).  The
 * bound: when waits of this kind (sp->kind) took at most SPIN_MAX_NS
 * lately, 1.5 times their average, at least SPIN_NS, at most SPIN_MAX_NS,
 * whatever polls paid (the wait is expected to end within the bound; if
 * it does not, its time raises the average, which soon passes
 * SPIN_MAX_NS); otherwise SPIN_NS, and no poll when polling has not paid
 * lately (sp->pay).  Never past deadline_ns; the clock is read every 16
 * checks.  A timed wait (sp->start) ends in wait_ended, here when the
 * poll pays, or in the caller after its sleep.
 *
 * It does not yield: on a loaded host sched_yield hands the CPU to every
 * other runnable task for its slice, milliseconds, where the poll was to
 * save microseconds (one bench_comp run at a load of 10 on 2 CPUs: 183 us
 * per PPC against 8 us without polling); the bound caps what a poll takes
 * from a task queued behind it.
 */
static enum spin_result spin(struct spinner *sp, bool (*ready)(const void *), const void *arg,
			     uint64_t deadline_ns, uint32_t peer_cpu)
{
	uint64_t start, now, bound = SPIN_NS;
	bool expected = false;
	int lie;

	sp->start = 0;
	if (peer_cpu != UINT32_MAX && peer_cpu == mk_cpu_now())
		return SPIN_SKIP_CPU;
	if (adaptive()) {
		uint32_t avg = sp->avg_ns[sp->kind];
		uint64_t b;

		lie = atomic_load_explicit(&lie_mode, memory_order_relaxed);
		if (lie != 0) {
			expected = true;
			bound = lie_bound(lie);
		} else if ((b = mk_poll_bound(avg, SPIN_NS, SPIN_MAX_NS)) != 0) {
			expected = true;
			bound = b;
		}
	}
	if (!expected && sp->pay < PAY_MIN && ++sp->waits < PROBE_EVERY)
		return SPIN_SKIP_PAY;
	sp->waits = 0;
	now = start = mk_clock_now_ns();
	if (adaptive())
		sp->start = start;
	if (start >= deadline_ns)
		return SPIN_FAILED;
	for (unsigned i = 1;; i++) {
		if (ready(arg)) {
			/* The end is the last clock read, up to 16 checks
			 * early: no clock read on the fast path. */
			sp->pay += (PAY_ONE - sp->pay) / 8;
			wait_ended(sp, now);
			return SPIN_PAID;
		}
		mk_cpu_relax();
		if ((i & 15) != 0)
			continue;
		now = mk_clock_now_ns();
		if (now - start >= bound || now >= deadline_ns)
			break;
	}
	sp->pay -= sp->pay / 8;
	return SPIN_FAILED;
}

#define ALL_SLOTS (MK_ENDPOINT_SLOTS == 64 ? UINT64_MAX : ((1ull << MK_ENDPOINT_SLOTS) - 1))

static inline bool shared(const struct mk_endpoint *ep)
{
	return ep->flags & MK_SHARED;
}

/* ep->lock, counting the acquisitions that found it taken. */
static void ep_lock(struct mk_endpoint *ep)
{
	uint32_t c = 0;

	if (!atomic_compare_exchange_strong(&ep->lock, &c, 1)) {
		stats.lock_sleeps++;
		mk_futex_lock(&ep->lock, shared(ep));
	}
}

/* Count what a poll did, waiting for a reply or for a call. */
static void count_spin(enum spin_result r, bool for_reply)
{
	uint64_t *reply[] = {&stats.reply_paid, &stats.reply_failed, &stats.reply_skip_cpu,
			     &stats.reply_skip_pay};
	uint64_t *call[] = {&stats.call_paid, &stats.call_failed, &stats.call_skip_cpu,
			    &stats.call_skip_pay};

	(*(for_reply ? reply : call)[r])++;
}

int mk_endpoint_init(struct mk_endpoint *ep, unsigned flags)
{
	if (ep == NULL || (flags & ~(MK_SHARED | MK_SPIN)) != 0)
		return -EINVAL;
	memset(ep, 0, sizeof(*ep));
	ep->flags = flags;
	atomic_init(&ep->head, NIL);
	atomic_init(&ep->srv_cpu, UINT32_MAX);
	ep->tail = NIL;
	ep->free_mask = ALL_SLOTS;
	mk_publish(ep, MK_MAGIC_ENDPOINT);
	return 0;
}

int mk_endpoint_destroy(struct mk_endpoint *ep)
{
	int r = mk_check(ep, MK_MAGIC_ENDPOINT);

	if (r != 0)
		return r;
	ep_lock(ep);
	if (ep->free_mask != ALL_SLOTS || atomic_load(&ep->srv_waiters) != 0 ||
	    atomic_load(&ep->slot_waiters) != 0)
		r = -EBUSY;
	else
		mk_publish(ep, MK_MAGIC_DEAD);
	mk_futex_unlock(&ep->lock, shared(ep));
	return r;
}

int mk_endpoint_pending(struct mk_endpoint *ep)
{
	int r = mk_check(ep, MK_MAGIC_ENDPOINT);

	if (r != 0)
		return r;
	ep_lock(ep);
	r = MK_ENDPOINT_SLOTS - __builtin_popcountll(ep->free_mask);
	mk_futex_unlock(&ep->lock, shared(ep));
	return r;
}

static int check_msg(const struct mk_msg *m)
{
	return (m == NULL || m->len > MK_MSG_WORDS) ? -EINVAL : 0;
}

int mk_endpoint_call(struct mk_endpoint *ep, uint64_t badge, struct mk_msg *msg)
{
	int r = mk_check(ep, MK_MAGIC_ENDPOINT);
	struct mk_endpoint_slot *s;
	uint32_t i, st;
	bool wake;

	if (r == 0)
		r = check_msg(msg);
	if (r != 0)
		return r;

	stats.calls++;
	ep_lock(ep);
	while (ep->free_mask == 0) {
		/* Every slot is taken: sleep until one frees.  Reading the
		 * sequence under the lock and waiting after dropping it
		 * cannot miss the bump, which is done under the lock. */
		uint32_t seq = atomic_load(&ep->slot_seq);
		atomic_fetch_add(&ep->slot_waiters, 1);
		mk_futex_unlock(&ep->lock, shared(ep));
		mk_futex_wait(&ep->slot_seq, seq, MK_FOREVER, shared(ep));
		ep_lock(ep);
		atomic_fetch_sub(&ep->slot_waiters, 1);
	}
	i = (uint32_t)__builtin_ctzll(ep->free_mask);
	ep->free_mask &= ~(1ull << i);
	s = &ep->slot[i];
	s->gen++;
	s->badge = badge;
	s->msg = *msg;
	if (ep->flags & MK_SPIN)
		s->cpu = mk_cpu_now();
	s->next = NIL;
	atomic_store(&s->state, gen_tag(s->gen) | SLOT_QUEUED);
	/* head: relaxed under the lock, which orders it for every locked
	 * reader; the spinning server reads it as a hint only. */
	if (ep->tail == NIL)
		atomic_store_explicit(&ep->head, i, memory_order_relaxed);
	else
		ep->slot[ep->tail].next = i;
	ep->tail = i;
	wake = atomic_load(&ep->srv_waiters) != 0;
	if (wake)
		atomic_fetch_add(&ep->srv_seq, 1);
	mk_futex_unlock(&ep->lock, shared(ep));
	if (wake) {
		stats.srv_wakes++;
		mk_futex_wake(&ep->srv_seq, 1, shared(ep));
	}

	/* Wait for the reply.  Set SLEEPING with a CAS so that a reply which
	 * lands in between is seen instead of slept through. */
	reply_spinner.kind = wake ? PEER_WOKEN : PEER_AWAKE;
	if (ep->flags & MK_SPIN) /* srv_cpu: relaxed, a hint (see recv) */
		count_spin(spin(&reply_spinner, reply_landed, s, MK_FOREVER,
				atomic_load_explicit(&ep->srv_cpu, memory_order_relaxed)),
			   true);
	for (;;) {
		st = atomic_load(&s->state);
		if ((st & SLOT_STATE) == SLOT_REPLIED || (st & SLOT_STATE) == SLOT_ABORTED)
			break;
		if (!(st & SLOT_SLEEPING) &&
		    !atomic_compare_exchange_strong(&s->state, &st, st | SLOT_SLEEPING))
			continue;
		stats.reply_sleeps++;
		mk_futex_wait(&s->state, st | SLOT_SLEEPING, MK_FOREVER, shared(ep));
	}
	if (reply_spinner.start != 0)
		wait_ended(&reply_spinner, mk_clock_now_ns());
	r = (st & SLOT_STATE) == SLOT_ABORTED ? -ECANCELED : 0;
	if (r == 0)
		*msg = s->msg;

	ep_lock(ep);
	/* Keep the generation: a late reply must still see a mismatch. */
	atomic_store(&s->state, gen_tag(s->gen) | SLOT_FREE);
	ep->free_mask |= 1ull << i;
	wake = atomic_load(&ep->slot_waiters) != 0;
	if (wake)
		atomic_fetch_add(&ep->slot_seq, 1);
	mk_futex_unlock(&ep->lock, shared(ep));
	if (wake)
		mk_futex_wake(&ep->slot_seq, 1, shared(ep));
	return r;
}

int mk_endpoint_recv(struct mk_endpoint *ep, uint64_t deadline_ns, struct mk_msg *msg,
		     uint64_t *badge, struct mk_reply *reply)
{
	int r = mk_check(ep, MK_MAGIC_ENDPOINT);
	struct mk_endpoint_slot *s;
	uint32_t i;

	if (r != 0)
		return r;
	if (msg == NULL || badge == NULL || reply == NULL)
		return -EINVAL;
	stats.recvs++;
	if (ep->flags & MK_SPIN)
		count_spin(spin(&call_spinner, call_queued, ep, deadline_ns, call_spinner.peer_cpu),
			   false);
	ep_lock(ep);
	/* head: relaxed, under the lock like every store of it (the lock
	 * orders them); only the poll above reads it without the lock. */
	while (atomic_load_explicit(&ep->head, memory_order_relaxed) == NIL) {
		uint32_t seq = atomic_load(&ep->srv_seq);
		atomic_fetch_add(&ep->srv_waiters, 1);
		mk_futex_unlock(&ep->lock, shared(ep));
		stats.call_sleeps++;
		r = mk_futex_wait(&ep->srv_seq, seq, deadline_ns, shared(ep));
		ep_lock(ep);
		atomic_fetch_sub(&ep->srv_waiters, 1);
		if (r == -ETIMEDOUT && atomic_load_explicit(&ep->head, memory_order_relaxed) == NIL) {
			mk_futex_unlock(&ep->lock, shared(ep));
			if (call_spinner.start != 0)
				wait_ended(&call_spinner, mk_clock_now_ns());
			return -ETIMEDOUT;
		}
	}
	if (call_spinner.start != 0)
		wait_ended(&call_spinner, mk_clock_now_ns());
	i = atomic_load_explicit(&ep->head, memory_order_relaxed);
	s = &ep->slot[i];
	atomic_store_explicit(&ep->head, s->next, memory_order_relaxed);
	if (s->next == NIL)
		ep->tail = NIL;
	if (ep->flags & MK_SPIN) {
		/* Where this server runs and where its caller ran: polling
		 * for a peer that last ran on the poller's CPU is useless.
		 * srv_cpu is relaxed: a hint that orders nothing (a stale
		 * value costs one poll too many or too few). */
		call_spinner.peer_cpu = s->cpu;
		atomic_store_explicit(&ep->srv_cpu, mk_cpu_now(), memory_order_relaxed);
	}
	/* The caller may have set SLEEPING already: keep the bit. */
	atomic_fetch_add(&s->state, SLOT_SERVING - SLOT_QUEUED);
	*msg = s->msg;
	*badge = s->badge;
	reply->slot = i;
	reply->gen = s->gen;
	mk_futex_unlock(&ep->lock, shared(ep));
	return 0;
}

static int finish(struct mk_endpoint *ep, const struct mk_reply *reply, const struct mk_msg *msg,
		  uint32_t how)
{
	int r = mk_check(ep, MK_MAGIC_ENDPOINT);
	struct mk_endpoint_slot *s;
	uint32_t st, want;

	if (r != 0)
		return r;
	if (reply == NULL || reply->slot >= MK_ENDPOINT_SLOTS)
		return -EINVAL;
	s = &ep->slot[reply->slot];
	/* Check and claim in one step: SERVING with the token's generation
	 * becomes REPLYING, keeping the caller's SLEEPING bit.  The CAS
	 * fails (and is retried) only when the caller sets SLEEPING. */
	want = gen_tag(reply->gen) | SLOT_SERVING;
	st = atomic_load(&s->state);
	do {
		if ((st & ~SLOT_SLEEPING) != want)
			return -ESTALE;
	} while (!atomic_compare_exchange_weak(&s->state, &st,
					       (st & ~SLOT_STATE) | SLOT_REPLYING));
	/* The slot is ours until the store below: the caller waits for
	 * REPLIED/ABORTED and nobody else can claim REPLYING. */
	if (msg != NULL)
		s->msg = *msg;
	st = atomic_exchange(&s->state, gen_tag(reply->gen) | how);
	/* The kind of this thread's next wait for a call: its caller polls
	 * (and may call again at once) or must be woken first. */
	call_spinner.kind = (st & SLOT_SLEEPING) ? PEER_WOKEN : PEER_AWAKE;
	if (st & SLOT_SLEEPING) {
		stats.reply_wakes++;
		mk_futex_wake(&s->state, 1, shared(ep));
	}
	return 0;
}

int mk_endpoint_reply(struct mk_endpoint *ep, const struct mk_reply *reply,
		      const struct mk_msg *msg)
{
	int r = check_msg(msg);

	return r != 0 ? r : finish(ep, reply, msg, SLOT_REPLIED);
}

int mk_endpoint_abort(struct mk_endpoint *ep, const struct mk_reply *reply)
{
	return finish(ep, reply, NULL, SLOT_ABORTED);
}

int mk_endpoint_reply_recv(struct mk_endpoint *ep, struct mk_reply *reply, struct mk_msg *msg,
			   uint64_t *badge)
{
	int r = mk_endpoint_reply(ep, reply, msg);

	if (r != 0)
		return r;
	return mk_endpoint_recv(ep, MK_FOREVER, msg, badge, reply);
}
