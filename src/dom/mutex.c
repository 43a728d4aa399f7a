/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Mutex with an owner.  m->owner holds the owning thread record, with the
 * WAITERS bit set while threads are queued.  Uncontended enter and exit
 * are one CAS each.  A contended exit hands the mutex straight to the
 * longest waiter (owner := waiter, under the queue lock), so a woken
 * waiter never has to compete again and cannot be starved.
 *
 * Invariant: WAITERS is set iff the queue is non-empty, both changed only
 * under m->wq.lock (the fast paths only move 0 <-> owner without WAITERS).
 */
#include "dom_impl.h"

#define WAITERS ((uintptr_t)1)

static int check(const struct dom_mutex *m)
{
	if (m == NULL)
		return -EINVAL;
	if (m->magic == DOM_MAGIC_MUTEX)
		return 0;
	return -EBADF;
}

int dom_mutex_init(struct dom_mutex *m)
{
	if (m == NULL)
		return -EINVAL;
	atomic_init(&m->owner, 0);
	dom_waitq_init(&m->wq);
	m->magic = DOM_MAGIC_MUTEX;
	return 0;
}

int dom_mutex_destroy(struct dom_mutex *m)
{
	int r = check(m);

	if (r != 0)
		return r;
	dom_spin_lock(&m->wq.lock);
	if (atomic_load(&m->owner) != 0 || !dom_waitq_empty(&m->wq))
		r = -EBUSY;
	else
		m->magic = DOM_MAGIC_DEAD;
	dom_spin_unlock(&m->wq.lock);
	return r;
}

int dom_mutex_tryenter(struct dom_mutex *m)
{
	struct dom_thread *self = dom_self_inline();
	uintptr_t o = 0;
	int r = check(m);

	if (r != 0)
		return r;
	if (self == NULL)
		return -EPERM;
	/* acquire: pairs with the release in dom_mutex_exit */
	if (atomic_compare_exchange_strong_explicit(&m->owner, &o, (uintptr_t)self,
						    memory_order_acquire, memory_order_relaxed))
		return 0;
	return (o & ~WAITERS) == (uintptr_t)self ? -EDEADLK : -EBUSY;
}

int dom_mutex_enter(struct dom_mutex *m)
{
	struct dom_waiter w;
	uintptr_t o;
	int r = dom_mutex_tryenter(m); /* the fast path and every error */

	if (r != -EBUSY)
		return r;
	struct dom_thread *self = dom_self_inline();
	dom_spin_lock(&m->wq.lock);
	for (;;) {
		o = atomic_load(&m->owner);
		if (o == 0) {
			if (atomic_compare_exchange_strong(&m->owner, &o, (uintptr_t)self)) {
				dom_spin_unlock(&m->wq.lock);
				return 0;
			}
			continue;
		}
		/* Mark the queue non-empty before queueing; an exit that
		 * races its CAS owner -> 0 against this one fails and takes
		 * the slow path, which needs the lock we hold. */
		if ((o & WAITERS) || atomic_compare_exchange_strong(&m->owner, &o, o | WAITERS))
			break;
	}
	dom_waitq_block(&m->wq, &w, self, 0, MK_FOREVER);
	/* handed over: the exiting owner made us the owner */
	return 0;
}

int dom_mutex_exit(struct dom_mutex *m)
{
	struct dom_thread *self = dom_self_inline();
	struct dom_waiter *w;
	uintptr_t o = (uintptr_t)self;
	int r = check(m);

	if (r != 0)
		return r;
	if (self == NULL)
		return -EPERM;
	/* release: pairs with the acquire of the next owner */
	if (atomic_compare_exchange_strong_explicit(&m->owner, &o, 0, memory_order_release,
						    memory_order_relaxed))
		return 0;
	if ((o & ~WAITERS) != (uintptr_t)self)
		return -EPERM;
	dom_spin_lock(&m->wq.lock);
	w = dom_waitq_claim_first(&m->wq);
	if (w == NULL) {
		atomic_store(&m->owner, 0);
	} else {
		atomic_store(&m->owner,
			     (uintptr_t)w->t | (dom_waitq_empty(&m->wq) ? 0 : WAITERS));
	}
	dom_spin_unlock(&m->wq.lock);
	if (w != NULL)
		dom_waiter_wake(w);
	return 0;
}

struct dom_thread *dom_mutex_owner(const struct dom_mutex *m)
{
	if (check(m) != 0)
		return NULL;
	return (struct dom_thread *)(atomic_load(&m->owner) & ~WAITERS);
}
