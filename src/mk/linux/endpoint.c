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
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "../mk_impl.h"
#include "futex.h"

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

#define ALL_SLOTS (MK_ENDPOINT_SLOTS == 64 ? UINT64_MAX : ((1ull << MK_ENDPOINT_SLOTS) - 1))

static inline bool shared(const struct mk_endpoint *ep)
{
	return ep->flags & MK_SHARED;
}

int mk_endpoint_init(struct mk_endpoint *ep, unsigned flags)
{
	if (ep == NULL || (flags & ~MK_SHARED) != 0)
		return -EINVAL;
	memset(ep, 0, sizeof(*ep));
	ep->flags = flags;
	ep->head = ep->tail = NIL;
	ep->free_mask = ALL_SLOTS;
	mk_publish(ep, MK_MAGIC_ENDPOINT);
	return 0;
}

int mk_endpoint_destroy(struct mk_endpoint *ep)
{
	int r = mk_check(ep, MK_MAGIC_ENDPOINT);

	if (r != 0)
		return r;
	mk_futex_lock(&ep->lock, shared(ep));
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
	mk_futex_lock(&ep->lock, shared(ep));
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

	mk_futex_lock(&ep->lock, shared(ep));
	while (ep->free_mask == 0) {
		/* Every slot is taken: sleep until one frees.  Reading the
		 * sequence under the lock and waiting after dropping it
		 * cannot miss the bump, which is done under the lock. */
		uint32_t seq = atomic_load(&ep->slot_seq);
		atomic_fetch_add(&ep->slot_waiters, 1);
		mk_futex_unlock(&ep->lock, shared(ep));
		mk_futex_wait(&ep->slot_seq, seq, MK_FOREVER, shared(ep));
		mk_futex_lock(&ep->lock, shared(ep));
		atomic_fetch_sub(&ep->slot_waiters, 1);
	}
	i = (uint32_t)__builtin_ctzll(ep->free_mask);
	ep->free_mask &= ~(1ull << i);
	s = &ep->slot[i];
	s->gen++;
	s->badge = badge;
	s->msg = *msg;
	s->next = NIL;
	atomic_store(&s->state, gen_tag(s->gen) | SLOT_QUEUED);
	if (ep->tail == NIL)
		ep->head = i;
	else
		ep->slot[ep->tail].next = i;
	ep->tail = i;
	wake = atomic_load(&ep->srv_waiters) != 0;
	if (wake)
		atomic_fetch_add(&ep->srv_seq, 1);
	mk_futex_unlock(&ep->lock, shared(ep));
	if (wake)
		mk_futex_wake(&ep->srv_seq, 1, shared(ep));

	/* Wait for the reply.  Set SLEEPING with a CAS so that a reply which
	 * lands in between is seen instead of slept through. */
	for (;;) {
		st = atomic_load(&s->state);
		if ((st & SLOT_STATE) == SLOT_REPLIED || (st & SLOT_STATE) == SLOT_ABORTED)
			break;
		if (!(st & SLOT_SLEEPING) &&
		    !atomic_compare_exchange_strong(&s->state, &st, st | SLOT_SLEEPING))
			continue;
		mk_futex_wait(&s->state, st | SLOT_SLEEPING, MK_FOREVER, shared(ep));
	}
	r = (st & SLOT_STATE) == SLOT_ABORTED ? -ECANCELED : 0;
	if (r == 0)
		*msg = s->msg;

	mk_futex_lock(&ep->lock, shared(ep));
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
	mk_futex_lock(&ep->lock, shared(ep));
	while (ep->head == NIL) {
		uint32_t seq = atomic_load(&ep->srv_seq);
		atomic_fetch_add(&ep->srv_waiters, 1);
		mk_futex_unlock(&ep->lock, shared(ep));
		r = mk_futex_wait(&ep->srv_seq, seq, deadline_ns, shared(ep));
		mk_futex_lock(&ep->lock, shared(ep));
		atomic_fetch_sub(&ep->srv_waiters, 1);
		if (r == -ETIMEDOUT && ep->head == NIL) {
			mk_futex_unlock(&ep->lock, shared(ep));
			return -ETIMEDOUT;
		}
	}
	i = ep->head;
	s = &ep->slot[i];
	ep->head = s->next;
	if (ep->head == NIL)
		ep->tail = NIL;
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
	if (st & SLOT_SLEEPING)
		mk_futex_wake(&s->state, 1, shared(ep));
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
