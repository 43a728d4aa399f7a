/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reader-writer lock.  All state lives under rw->wq.lock; waiters carry
 * READ or WRITE in their data.  A waiting writer stops new readers from
 * entering, so writers are not starved.  Unlocking grants in queue order:
 * the head writer alone, or the run of readers at the head.  Granted
 * waiters already hold the lock when they wake (handoff).
 */
#include "dom_impl.h"

enum { READ = 1, WRITE = 2 };

static int check(const struct dom_rwlock *rw)
{
	if (rw == NULL)
		return -EINVAL;
	return rw->magic == DOM_MAGIC_RW ? 0 : -EBADF;
}

int dom_rwlock_init(struct dom_rwlock *rw)
{
	if (rw == NULL)
		return -EINVAL;
	rw->writer = 0;
	rw->readers = 0;
	rw->writers_waiting = 0;
	dom_waitq_init(&rw->wq);
	rw->magic = DOM_MAGIC_RW;
	return 0;
}

int dom_rwlock_destroy(struct dom_rwlock *rw)
{
	int r = check(rw);

	if (r != 0)
		return r;
	dom_spin_lock(&rw->wq.lock);
	if (rw->writer != 0 || rw->readers != 0 || !dom_waitq_empty(&rw->wq))
		r = -EBUSY;
	else
		rw->magic = DOM_MAGIC_DEAD;
	dom_spin_unlock(&rw->wq.lock);
	return r;
}

/* Under the lock: wake whoever may now hold the lock.  Returns the list
 * of granted waiters, to be woken after unlocking. */
static struct dom_waiter *grant(struct dom_rwlock *rw)
{
	struct dom_waiter *list = NULL, **tail = &list, *w;

	while (rw->writer == 0 && (w = rw->wq.head) != NULL) {
		if (w->data == WRITE && rw->readers != 0)
			break;
		if (!dom_waitq_claim(&rw->wq, w)) {
			/* timed out (no timed rw waits exist today) */
			break;
		}
		if (w->data == WRITE) {
			rw->writer = (uintptr_t)w->t;
			rw->writers_waiting--;
		} else {
			rw->readers++;
		}
		*tail = w;
		tail = &w->next;
		w->next = NULL;
		if (rw->writer != 0)
			break;
	}
	return list;
}

static void wake_list(struct dom_waiter *list)
{
	struct dom_waiter *w;

	while ((w = list) != NULL) {
		list = w->next;
		dom_waiter_wake(w);
	}
}

static int lock(struct dom_rwlock *rw, bool write, bool try)
{
	struct dom_thread *self = dom_self_inline();
	struct dom_waiter w;
	int r = check(rw);

	if (r != 0)
		return r;
	if (self == NULL)
		return -EPERM;
	dom_spin_lock(&rw->wq.lock);
	if (rw->writer == (uintptr_t)self) {
		dom_spin_unlock(&rw->wq.lock);
		return -EDEADLK;
	}
	if (write ? (rw->writer == 0 && rw->readers == 0)
		  : (rw->writer == 0 && rw->writers_waiting == 0)) {
		if (write)
			rw->writer = (uintptr_t)self;
		else
			rw->readers++;
		dom_spin_unlock(&rw->wq.lock);
		return 0;
	}
	if (try) {
		dom_spin_unlock(&rw->wq.lock);
		return -EBUSY;
	}
	if (write)
		rw->writers_waiting++;
	dom_waitq_block(&rw->wq, &w, self, write ? WRITE : READ, MK_FOREVER);
	return 0; /* granted by the unlocker */
}

int dom_rwlock_rdlock(struct dom_rwlock *rw)
{
	return lock(rw, false, false);
}

int dom_rwlock_wrlock(struct dom_rwlock *rw)
{
	return lock(rw, true, false);
}

int dom_rwlock_tryrdlock(struct dom_rwlock *rw)
{
	return lock(rw, false, true);
}

int dom_rwlock_trywrlock(struct dom_rwlock *rw)
{
	return lock(rw, true, true);
}

int dom_rwlock_unlock(struct dom_rwlock *rw)
{
	struct dom_thread *self = dom_self_inline();
	struct dom_waiter *list;
	int r = check(rw);

	if (r != 0)
		return r;
	if (self == NULL)
		return -EPERM;
	dom_spin_lock(&rw->wq.lock);
	if (rw->writer == (uintptr_t)self) {
		rw->writer = 0;
	} else if (rw->writer == 0 && rw->readers > 0) {
		rw->readers--;
	} else {
		dom_spin_unlock(&rw->wq.lock);
		return -EPERM;
	}
	list = grant(rw);
	dom_spin_unlock(&rw->wq.lock);
	wake_list(list);
	return 0;
}

int dom_rwlock_tryupgrade(struct dom_rwlock *rw)
{
	struct dom_thread *self = dom_self_inline();
	int r = check(rw);

	if (r != 0)
		return r;
	if (self == NULL)
		return -EPERM;
	dom_spin_lock(&rw->wq.lock);
	if (rw->writer == 0 && rw->readers == 1) {
		rw->readers = 0;
		rw->writer = (uintptr_t)self;
	} else {
		r = rw->readers == 0 ? -EPERM : -EBUSY;
	}
	dom_spin_unlock(&rw->wq.lock);
	return r;
}

int dom_rwlock_downgrade(struct dom_rwlock *rw)
{
	struct dom_thread *self = dom_self_inline();
	struct dom_waiter *list;
	int r = check(rw);

	if (r != 0)
		return r;
	if (self == NULL)
		return -EPERM;
	dom_spin_lock(&rw->wq.lock);
	if (rw->writer != (uintptr_t)self) {
		dom_spin_unlock(&rw->wq.lock);
		return -EPERM;
	}
	rw->writer = 0;
	rw->readers = 1;
	/* let the readers at the head in with us; a writer at the head
	 * keeps waiting */
	list = NULL;
	if (rw->wq.head != NULL && ((struct dom_waiter *)rw->wq.head)->data == READ)
		list = grant(rw);
	dom_spin_unlock(&rw->wq.lock);
	wake_list(list);
	return 0;
}

bool dom_rwlock_wrheld(struct dom_rwlock *rw)
{
	struct dom_thread *self = dom_self_inline();
	bool h;

	if (check(rw) != 0 || self == NULL)
		return false;
	dom_spin_lock(&rw->wq.lock);
	h = rw->writer == (uintptr_t)self;
	dom_spin_unlock(&rw->wq.lock);
	return h;
}

bool dom_rwlock_rdheld(struct dom_rwlock *rw)
{
	bool h;

	if (check(rw) != 0)
		return false;
	dom_spin_lock(&rw->wq.lock);
	h = rw->readers > 0;
	dom_spin_unlock(&rw->wq.lock);
	return h;
}
