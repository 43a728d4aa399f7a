/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reader-writer lock.  All state lives under rw->wq.lock; waiters carry
 * READ or WRITE in their data.  A waiting writer stops new readers from
 * entering, so writers are not starved.  Unlocking grants in queue order:
 * the head writer alone, or the run of readers at the head.  Granted
 * waiters already hold the lock when they wake (handoff).
 *
 * Who holds a read hold.  rw->reader_sum is the sum of the thread
 * records of all read holds (one term per hold), so while there is
 * exactly one hold it names its holder: tryupgrade and unlock refuse a
 * caller that is not that holder (-EPERM) instead of taking or releasing
 * another thread's hold.  With several readers the sum names nobody;
 * tryupgrade then always says -EBUSY (it needs a lone reader anyway),
 * and unlock checks the caller against a table of (lock, thread, count)
 * holds that only debug builds keep (RW_TRACK: NDEBUG undefined, or
 * RUMPBRIDGE_DEBUG).  Release builds take such an unlock on trust.
 */
#include "dom_impl.h"

enum { READ = 1, WRITE = 2 };

#if !defined(NDEBUG) || defined(RUMPBRIDGE_DEBUG)
#define RW_TRACK 1
#else
#define RW_TRACK 0
#endif

#if RW_TRACK
/* Debug builds: every read hold, in a hash of (lock, thread) -> count
 * under hold_lock (taken inside rw->wq.lock, never the other way). */
struct rd_hold {
	const struct dom_rwlock *rw;
	const struct dom_thread *t;
	unsigned n;
	struct rd_hold *next;
};
#define HOLD_BUCKETS 256
static struct rd_hold *holds[HOLD_BUCKETS];
static _Atomic uint32_t hold_lock;
static _Atomic unsigned long holds_lost; /* allocation failed: unchecked */

static struct rd_hold **hold_bucket(const struct dom_rwlock *rw, const struct dom_thread *t)
{
	uintptr_t h = ((uintptr_t)rw >> 4) * 31 + ((uintptr_t)t >> 4);

	return &holds[(h ^ (h >> 8)) % HOLD_BUCKETS];
}

static struct rd_hold **hold_find(const struct dom_rwlock *rw, const struct dom_thread *t)
{
	struct rd_hold **p = hold_bucket(rw, t);

	while (*p != NULL && ((*p)->rw != rw || (*p)->t != t))
		p = &(*p)->next;
	return p;
}

static void hold_add(const struct dom_rwlock *rw, const struct dom_thread *t)
{
	struct rd_hold **p, *h;

	dom_leaf_lock(&hold_lock);
	p = hold_find(rw, t);
	if (*p != NULL) {
		(*p)->n++;
	} else if ((h = mk_mem_alloc(sizeof(*h))) != NULL) {
		*h = (struct rd_hold){.rw = rw, .t = t, .n = 1};
		*p = h;
	} else {
		atomic_fetch_add(&holds_lost, 1);
	}
	dom_leaf_unlock(&hold_lock);
}

/* The caller holds a read hold of rw (or holds are not all known). */
static bool hold_has(const struct dom_rwlock *rw, const struct dom_thread *t)
{
	bool has;

	dom_leaf_lock(&hold_lock);
	has = *hold_find(rw, t) != NULL || atomic_load(&holds_lost) != 0;
	dom_leaf_unlock(&hold_lock);
	return has;
}

/* rw is (re)initialised: forget holds left on it (by threads that exited
 * holding it). */
static void hold_forget(const struct dom_rwlock *rw)
{
	struct rd_hold *dead = NULL, *h;

	dom_leaf_lock(&hold_lock);
	for (unsigned b = 0; b < HOLD_BUCKETS; b++) {
		for (struct rd_hold **p = &holds[b]; (h = *p) != NULL;) {
			if (h->rw == rw) {
				*p = h->next;
				h->next = dead;
				dead = h;
			} else {
				p = &h->next;
			}
		}
	}
	dom_leaf_unlock(&hold_lock);
	while ((h = dead) != NULL) {
		dead = h->next;
		mk_mem_free(h);
	}
}

static void hold_del(const struct dom_rwlock *rw, const struct dom_thread *t)
{
	struct rd_hold **p, *h = NULL;

	dom_leaf_lock(&hold_lock);
	p = hold_find(rw, t);
	if (*p != NULL && --(*p)->n == 0) {
		h = *p;
		*p = h->next;
	}
	dom_leaf_unlock(&hold_lock);
	mk_mem_free(h);
}
#else
static inline void hold_add(const struct dom_rwlock *rw, const struct dom_thread *t)
{
	(void)rw, (void)t;
}
static inline bool hold_has(const struct dom_rwlock *rw, const struct dom_thread *t)
{
	(void)rw, (void)t;
	return true;
}
static inline void hold_del(const struct dom_rwlock *rw, const struct dom_thread *t)
{
	(void)rw, (void)t;
}
static inline void hold_forget(const struct dom_rwlock *rw)
{
	(void)rw;
}
#endif

/* Under the lock: one more read hold, by t. */
static void reader_in(struct dom_rwlock *rw, const struct dom_thread *t)
{
	rw->readers++;
	rw->reader_sum += (uintptr_t)t;
	hold_add(rw, t);
}

static void reader_out(struct dom_rwlock *rw, const struct dom_thread *t)
{
	rw->readers--;
	/* At zero the sum is zero, unless a release build took an unlock
	 * by a non-reader on trust: do not let that outlive the holds. */
	rw->reader_sum = rw->readers == 0 ? 0 : rw->reader_sum - (uintptr_t)t;
	hold_del(rw, t);
}

/* Under the lock, with readers > 0: does t hold one of them?  Exact for
 * a lone reader; for several, exact in debug builds, else "yes". */
static bool is_reader(const struct dom_rwlock *rw, const struct dom_thread *t)
{
	if (rw->readers == 1)
		return rw->reader_sum == (uintptr_t)t;
	return hold_has(rw, t);
}

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
	rw->reader_sum = 0;
	rw->writers_waiting = 0;
	hold_forget(rw);
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
			reader_in(rw, w->t);
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
			reader_in(rw, self);
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
	} else if (rw->writer == 0 && rw->readers > 0 && is_reader(rw, self)) {
		reader_out(rw, self);
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
	if (rw->writer == 0 && rw->readers == 1 && rw->reader_sum == (uintptr_t)self) {
		reader_out(rw, self);
		rw->writer = (uintptr_t)self;
	} else if (rw->writer != 0 || rw->readers == 0 || !is_reader(rw, self)) {
		r = -EPERM; /* the caller has no read hold */
	} else {
		r = -EBUSY; /* other readers hold it too */
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
	reader_in(rw, self);
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
