/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Mutex with an owner.  m->owner holds the owning thread record, with the
 * WAITERS bit set while threads are queued.  Uncontended enter and exit
 * are one CAS each.  A contended exit hands the mutex straight to the
 * longest waiter (owner := waiter, under the queue lock), so a woken
 * waiter never has to compete again and cannot be starved.
 *
 * Invariant: WAITERS is set while the queue is non-empty, both changed
 * only under m->wq.lock (the fast paths only move 0 <-> owner without
 * WAITERS).  WAITERS with an empty queue (a debug-build waiter that timed
 * out, below) only sends the next exit down the slow path.
 *
 * Debug builds (NDEBUG undefined, or RUMPBRIDGE_DEBUG) remember, for
 * every owned mutex, the owner's name and where it took the mutex, and a
 * waiter wakes every HANG_NS to say who it is waiting for: a thread that
 * exited (or hangs) owning a mutex leaves its waiters blocked for ever,
 * and this names both ends instead of hanging silently.
 */
#include "dom_impl.h"

#define WAITERS ((uintptr_t)1)

#if !defined(NDEBUG) || defined(RUMPBRIDGE_DEBUG)
#define MUTEX_TRACK 1
#define HANG_NS (2ull * 1000000000ull) /* the report says "2 s" */

/* Owned mutexes: m -> owner, its name and where it took m (hash under
 * owned_lock, a leaf lock). */
struct owned {
	const struct dom_mutex *m;
	const struct dom_thread *t;
	const void *pc;
	char name[DOM_NAME_MAX + 1];
	struct owned *next;
};
#define OWNED_BUCKETS 256
static struct owned *owned[OWNED_BUCKETS];
static _Atomic uint32_t owned_lock;

static struct owned **owned_find(const struct dom_mutex *m)
{
	uintptr_t h = (uintptr_t)m >> 4;
	struct owned **p = &owned[(h ^ (h >> 8)) % OWNED_BUCKETS];

	while (*p != NULL && (*p)->m != m)
		p = &(*p)->next;
	return p;
}

static void owned_set(const struct dom_mutex *m, const struct dom_thread *t, const void *pc)
{
	struct owned **p, *o;

	dom_leaf_lock(&owned_lock);
	p = owned_find(m);
	o = *p;
	if (o == NULL && (o = mk_mem_alloc(sizeof(*o))) != NULL) {
		o->m = m;
		o->next = NULL;
		*p = o;
	}
	if (o != NULL) {
		o->t = t;
		o->pc = pc;
		memcpy(o->name, t->name, sizeof(o->name));
		o->name[DOM_NAME_MAX] = '\0';
	}
	dom_leaf_unlock(&owned_lock);
}

static void owned_clear(const struct dom_mutex *m)
{
	struct owned **p, *o;

	dom_leaf_lock(&owned_lock);
	p = owned_find(m);
	o = *p;
	if (o != NULL)
		*p = o->next;
	dom_leaf_unlock(&owned_lock);
	mk_mem_free(o);
}

/* Append s to buf[*n..cap) (dom has no stdio). */
static void put(char *buf, size_t *n, size_t cap, const char *s)
{
	while (*s != '\0' && *n + 1 < cap)
		buf[(*n)++] = *s++;
	buf[*n] = '\0';
}

static void put_ptr(char *buf, size_t *n, size_t cap, const void *p)
{
	char tmp[2 + 2 * sizeof(uintptr_t) + 1], *q = tmp + sizeof(tmp) - 1;
	uintptr_t v = (uintptr_t)p;

	*q = '\0';
	do {
		*--q = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v != 0);
	*--q = 'x';
	*--q = '0';
	put(buf, n, cap, q);
}

/* A waiter has waited HANG_NS: name the mutex, its owner and the waiter. */
static void owned_report(const struct dom_mutex *m, const struct dom_thread *self)
{
	struct owned o = {.name = "?"};
	struct owned **p;
	char buf[224];
	size_t n = 0;

	dom_leaf_lock(&owned_lock);
	p = owned_find(m);
	if (*p != NULL)
		o = **p;
	dom_leaf_unlock(&owned_lock);
	put(buf, &n, sizeof(buf), "thread '");
	put(buf, &n, sizeof(buf), self->name);
	put(buf, &n, sizeof(buf), "' waited 2 s for mutex ");
	put_ptr(buf, &n, sizeof(buf), m);
	put(buf, &n, sizeof(buf), ", owned by thread '");
	put(buf, &n, sizeof(buf), o.name);
	put(buf, &n, sizeof(buf), "' (record ");
	put_ptr(buf, &n, sizeof(buf), o.t);
	put(buf, &n, sizeof(buf), ", took it at pc ");
	put_ptr(buf, &n, sizeof(buf), o.pc);
	put(buf, &n, sizeof(buf), ") and not released: did it exit owning it?");
	dom_log(self->dom, buf, "", "");
}
#else
#define MUTEX_TRACK 0
#define HANG_NS 0
#define owned_set(m, t, pc) ((void)0)
#define owned_clear(m) ((void)0)
#endif

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

static int try_enter(struct dom_mutex *m, struct dom_thread *self, const void *pc)
{
	uintptr_t o = 0;
	int r = check(m);

	(void)pc;
	if (r != 0)
		return r;
	if (self == NULL)
		return -EPERM;
	/* acquire: pairs with the release in dom_mutex_exit */
	if (atomic_compare_exchange_strong_explicit(&m->owner, &o, (uintptr_t)self,
						    memory_order_acquire, memory_order_relaxed)) {
		owned_set(m, self, pc);
		return 0;
	}
	return (o & ~WAITERS) == (uintptr_t)self ? -EDEADLK : -EBUSY;
}

int dom_mutex_tryenter(struct dom_mutex *m)
{
	return try_enter(m, dom_self_inline(), __builtin_return_address(0));
}

int dom_mutex_enter(struct dom_mutex *m)
{
	struct dom_thread *self = dom_self_inline();
	const void *pc = __builtin_return_address(0);
	struct dom_waiter w;
	uintptr_t o;
	int r = try_enter(m, self, pc); /* the fast path and every error */

	if (r != -EBUSY)
		return r;
	for (bool reported = false;; reported = true) {
		dom_spin_lock(&m->wq.lock);
		for (;;) {
			o = atomic_load(&m->owner);
			if (o == 0) {
				if (atomic_compare_exchange_strong(&m->owner, &o,
								   (uintptr_t)self)) {
					dom_spin_unlock(&m->wq.lock);
					owned_set(m, self, pc);
					return 0;
				}
				continue;
			}
			/* Mark the queue non-empty before queueing; an exit
			 * that races its CAS owner -> 0 against this one fails
			 * and takes the slow path, which needs the lock we
			 * hold. */
			if ((o & WAITERS) ||
			    atomic_compare_exchange_strong(&m->owner, &o, o | WAITERS))
				break;
		}
		/* w.data: where we called from, for the owner table */
		r = dom_waitq_block(&m->wq, &w, self, (uint64_t)(uintptr_t)pc,
				    MUTEX_TRACK && !reported ? mk_clock_now_ns() + HANG_NS
							     : MK_FOREVER);
		if (r == 0)
			return 0; /* handed over: the exiting owner made us the owner */
#if MUTEX_TRACK
		owned_report(m, self);
#endif
	}
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
#if MUTEX_TRACK
	if ((atomic_load_explicit(&m->owner, memory_order_relaxed) & ~WAITERS) ==
	    (uintptr_t)self)
		owned_clear(m); /* before a next owner can set its entry */
#endif
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
	if (w != NULL) {
#if MUTEX_TRACK
		/* After wq.lock (spin locks do not nest: docs/locking.md) and
		 * before the wake-up: w was claimed, so nothing else runs it
		 * and its own exit cannot clear the entry before this sets it. */
		owned_set(m, w->t, (const void *)(uintptr_t)w->data);
#endif
		dom_waiter_wake(w);
	}
	return 0;
}

struct dom_thread *dom_mutex_owner(const struct dom_mutex *m)
{
	if (check(m) != 0)
		return NULL;
	return (struct dom_thread *)(atomic_load(&m->owner) & ~WAITERS);
}
