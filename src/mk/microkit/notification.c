/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Notifications inside one PD.
 *
 * The word is the state; there is one seL4 thread, so a waiter is always
 * the vCPU context (pd.c) and a signaller is either the vCPU context
 * itself or the PD context (notified(), protected(), init()).  A wait that
 * finds the word empty suspends the vCPU context, which hands the PD back
 * to the Microkit event loop (seL4_Recv): that is where the PD blocks,
 * for this and every other notification.  A signal from the PD context
 * resumes the vCPU context so that it looks again.  Notifications are
 * local to the PD: MK_SHARED is refused, as channels are the Microkit's
 * way between PDs (the PD notification's bit ch is channel ch).
 *
 * The word is read and written by relaxed atomic loads and stores, no
 * read-modify-write: there is no second thread, and nothing runs in the
 * PD between two of its instructions (src/dom/dom_atomic.h says why), so
 * a fetch-or is a load and a store.  The accesses are atomic only to keep
 * the type of the shared header (mk.h); on AArch64 they are plain
 * LDR/STR, where an atomic exchange or fetch-or is a load/store-exclusive
 * loop (ARMv8.0), a translation block more under QEMU.  The word changes
 * only across a context switch, a call the compiler cannot see into.
 */
#include "microkit_impl.h"

int mk_notification_init(struct mk_notification *n, unsigned flags)
{
	if (n == NULL || (flags & ~MK_SHARED) != 0)
		return -EINVAL;
	if (flags & MK_SHARED)
		return -ENOTSUP;
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
	if (atomic_load_explicit(&n->waiters, memory_order_relaxed) != 0)
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
	atomic_store_explicit(&n->word, atomic_load_explicit(&n->word, memory_order_relaxed) | badge,
			      memory_order_relaxed);
	/* From the PD context, with the vCPU context waiting (on n or on
	 * anything else: it looks again and suspends if it was not n). */
	if (atomic_load_explicit(&n->waiters, memory_order_relaxed) != 0)
		mk_pd_resume();
	return 0;
}

MK_WAKE_PATH int mk_notification_poll(struct mk_notification *n, uint64_t *word)
{
	int r = mk_check(n, MK_MAGIC_NOTIFICATION);

	if (r != 0)
		return r;
	if (word == NULL)
		return -EINVAL;
	if ((*word = atomic_load_explicit(&n->word, memory_order_relaxed)) == 0)
		return -EAGAIN;
	atomic_store_explicit(&n->word, 0, memory_order_relaxed);
	return 0;
}

int mk_notification_wait_until(struct mk_notification *n, uint64_t deadline_ns, uint64_t *word)
{
	int r = mk_check(n, MK_MAGIC_NOTIFICATION);
	bool timed = deadline_ns != MK_FOREVER;

	if (r != 0)
		return r;
	if (word == NULL)
		return -EINVAL;
	for (;;) {
		if ((*word = atomic_load_explicit(&n->word, memory_order_relaxed)) != 0) {
			atomic_store_explicit(&n->word, 0, memory_order_relaxed);
			return 0;
		}
		if (timed && mk_clock_now_ns() >= deadline_ns)
			return -ETIMEDOUT;
		/* Only the vCPU context can wait: the PD context is the
		 * event loop, which must not block anywhere but seL4_Recv. */
		if (!mk_pd_in_vcpu())
			return -EDEADLK;
		if (timed)
			mk_timer_arm(deadline_ns);
		atomic_store_explicit(&n->waiters,
				      atomic_load_explicit(&n->waiters, memory_order_relaxed) + 1,
				      memory_order_relaxed);
		mk_pd_suspend();
		atomic_store_explicit(&n->waiters,
				      atomic_load_explicit(&n->waiters, memory_order_relaxed) - 1,
				      memory_order_relaxed);
		/* Woken before the deadline: stop the timer, or its interrupt
		 * would come later for nothing (the next wait arms it again). */
		if (timed)
			mk_timer_stop();
	}
}

int mk_notification_wait(struct mk_notification *n, uint64_t *word)
{
	return mk_notification_wait_until(n, MK_FOREVER, word);
}

/* One vCPU in a PD: the domain never needs to wait on two notifications
 * (its idle vCPU waits on the PD notification alone), so there is no
 * such wait here. */
int mk_notification_wait2_until(struct mk_notification *a, struct mk_notification *b,
				uint64_t deadline_ns, uint64_t *word_a, uint64_t *word_b)
{
	(void)deadline_ns;
	if (a == NULL || b == NULL || a == b || word_a == NULL || word_b == NULL)
		return -EINVAL;
	return -ENOSYS;
}

int mk_notification_wait2_probe(void)
{
	return -ENOSYS;
}
