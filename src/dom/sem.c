/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Counting semaphore.  A post with waiters hands its unit straight to the
 * longest waiter; otherwise it adds to the count.  State under s->wq.lock.
 */
#include "dom_impl.h"

static int check(const struct dom_sem *s)
{
	if (s == NULL)
		return -EINVAL;
	return s->magic == DOM_MAGIC_SEM ? 0 : -EBADF;
}

int dom_sem_init(struct dom_sem *s, unsigned count)
{
	if (s == NULL || count > INT32_MAX)
		return -EINVAL;
	s->count = count;
	dom_waitq_init(&s->wq);
	s->magic = DOM_MAGIC_SEM;
	return 0;
}

int dom_sem_destroy(struct dom_sem *s)
{
	int r = check(s);

	if (r != 0)
		return r;
	dom_spin_lock(&s->wq.lock);
	if (!dom_waitq_empty(&s->wq))
		r = -EBUSY;
	else
		s->magic = DOM_MAGIC_DEAD;
	dom_spin_unlock(&s->wq.lock);
	return r;
}

static int take(struct dom_sem *s, bool block, uint64_t deadline)
{
	struct dom_thread *self = dom_self_inline();
	struct dom_waiter w;
	int r = check(s);

	if (r != 0)
		return r;
	if (block && self == NULL)
		return -EPERM;
	dom_spin_lock(&s->wq.lock);
	if (s->count > 0) {
		s->count--;
		dom_spin_unlock(&s->wq.lock);
		return 0;
	}
	if (!block) {
		dom_spin_unlock(&s->wq.lock);
		return -EAGAIN;
	}
	return dom_waitq_block(&s->wq, &w, self, 0, deadline);
}

int dom_sem_wait(struct dom_sem *s)
{
	return take(s, true, MK_FOREVER);
}

int dom_sem_timedwait(struct dom_sem *s, uint64_t deadline_ns)
{
	return take(s, true, deadline_ns);
}

int dom_sem_trywait(struct dom_sem *s)
{
	return take(s, false, 0);
}

int dom_sem_post(struct dom_sem *s)
{
	struct dom_waiter *w;
	int r = check(s);

	if (r != 0)
		return r;
	dom_spin_lock(&s->wq.lock);
	w = dom_waitq_claim_first(&s->wq);
	if (w == NULL) {
		if (s->count >= INT32_MAX)
			r = -EOVERFLOW;
		else
			s->count++;
	}
	dom_spin_unlock(&s->wq.lock);
	if (w != NULL)
		dom_waiter_wake(w);
	return r;
}
