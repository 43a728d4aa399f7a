/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Condition variables.  A waiter queues itself under cv->wq.lock *before*
 * it releases the mutex, so a signal sent by anyone who took the mutex
 * after it finds it in the queue.  Between queueing and blocking the
 * waiter only releases the mutex, which never blocks.  No lock is held
 * while another is taken (docs/locking.md): cv->wq.lock is dropped before
 * the mutex is released, and the wake-ups are delivered after it is
 * dropped.
 */
#include "dom_impl.h"

static int check(const struct dom_cv *cv)
{
	if (cv == NULL)
		return -EINVAL;
	return cv->magic == DOM_MAGIC_CV ? 0 : -EBADF;
}

int dom_cv_init(struct dom_cv *cv)
{
	if (cv == NULL)
		return -EINVAL;
	dom_waitq_init(&cv->wq);
	cv->magic = DOM_MAGIC_CV;
	return 0;
}

int dom_cv_destroy(struct dom_cv *cv)
{
	int r = check(cv);

	if (r != 0)
		return r;
	dom_spin_lock(&cv->wq.lock);
	if (!dom_waitq_empty(&cv->wq))
		r = -EBUSY;
	else
		cv->magic = DOM_MAGIC_DEAD;
	dom_spin_unlock(&cv->wq.lock);
	return r;
}

int dom_cv_timedwait(struct dom_cv *cv, struct dom_mutex *m, uint64_t deadline_ns)
{
	struct dom_thread *self = dom_self_inline();
	struct dom_waiter w;
	int r = check(cv);

	if (r != 0)
		return r;
	if (m == NULL)
		return -EINVAL;
	if (self == NULL)
		return -EPERM;
	if (dom_mutex_owner(m) != self)
		return m->magic != DOM_MAGIC_MUTEX ? -EBADF : -EPERM;
	dom_spin_lock(&cv->wq.lock);
	dom_waitq_prepare(&cv->wq, &w, self, 0);
	dom_spin_unlock(&cv->wq.lock);
	dom_mutex_exit(m);
	r = dom_waitq_commit(&w, deadline_ns);
	dom_mutex_enter(m); /* cannot fail: m is valid and not ours */
	return r;
}

int dom_cv_wait(struct dom_cv *cv, struct dom_mutex *m)
{
	return dom_cv_timedwait(cv, m, MK_FOREVER);
}

static int wake(struct dom_cv *cv, bool all)
{
	struct dom_waiter *list = NULL, **tail = &list, *w;
	int r = check(cv);

	if (r != 0)
		return r;
	dom_spin_lock(&cv->wq.lock);
	while ((w = dom_waitq_claim_first(&cv->wq)) != NULL) {
		w->next = NULL; /* unlinked: reuse the link, keep FIFO order */
		*tail = w;
		tail = &w->next;
		if (!all)
			break;
	}
	dom_spin_unlock(&cv->wq.lock);
	while ((w = list) != NULL) {
		list = w->next;
		dom_waiter_wake(w);
	}
	return 0;
}

int dom_cv_signal(struct dom_cv *cv)
{
	return wake(cv, false);
}

int dom_cv_broadcast(struct dom_cv *cv)
{
	return wake(cv, true);
}

bool dom_cv_has_waiters(struct dom_cv *cv)
{
	bool r;

	if (check(cv) != 0)
		return false;
	dom_spin_lock(&cv->wq.lock);
	r = !dom_waitq_empty(&cv->wq);
	dom_spin_unlock(&cv->wq.lock);
	return r;
}
