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
 */
#include <errno.h>
#include <stdbool.h>

#include "../mk_impl.h"
#include "futex.h"

int mk_notification_init(struct mk_notification *n, unsigned flags)
{
	if (n == NULL || (flags & ~MK_SHARED) != 0)
		return -EINVAL;
	n->flags = flags;
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

int mk_notification_signal(struct mk_notification *n, uint64_t badge)
{
	int r = mk_check(n, MK_MAGIC_NOTIFICATION);

	if (r != 0)
		return r;
	if (badge == 0)
		return -EINVAL;
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
	uint64_t w;

	if (r != 0)
		return r;
	if (word == NULL)
		return -EINVAL;
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
			*word = 0;
			return -ETIMEDOUT;
		}
	}
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
