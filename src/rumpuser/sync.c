/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Mutexes, rwlocks and condition variables for the rump kernel, on the
 * domain's primitives, so a rump thread (green) and a foreign host thread
 * can wait for each other.
 *
 * The rule of the platform: a call that may block gives the rump CPU
 * back first.  Each lock is tried first; only when that fails does the
 * caller release its rump CPU, block, and take a CPU again.  The _nowrap
 * variants and spin mutexes block without releasing it (the kernel calls
 * them where it holds no CPU, or for very short holds).
 */
#include <errno.h>
#include <stdlib.h>

#include "rumpuser_impl.h"

struct rumpuser_mtx {
	struct dom_mutex m;
	int flags;
	/* KMUTEX: written by the holder of m, read by anyone: the kernel's
	 * mutex_owned() asks whether curlwp holds it, which only the
	 * holder's own stores decide; another thread reads a snapshot.
	 * Relaxed, as no other memory is published through it. */
	_Atomic(struct lwp *) owner;
};

struct rumpuser_rw {
	struct dom_rwlock rw;
};

struct rumpuser_cv {
	struct dom_cv cv;
	_Atomic int nwaiters;
};

static void *xalloc(size_t n)
{
	void *p = mk_mem_alloc(n);

	if (p == NULL)
		ru_panic("out of memory for a lock", -ENOMEM);
	return p;
}

void rumpuser_mutex_init(struct rumpuser_mtx **mtxp, int flags)
{
	struct rumpuser_mtx *m = xalloc(sizeof(*m));

	dom_mutex_init(&m->m);
	atomic_init(&m->owner, NULL);
	m->flags = flags;
	*mtxp = m;
}

static void set_owner(struct rumpuser_mtx *m)
{
	if (m->flags & RUMPUSER_MTX_KMUTEX)
		atomic_store_explicit(&m->owner, dom_current(), memory_order_relaxed); /* curlwp */
}

void rumpuser_mutex_enter_nowrap(struct rumpuser_mtx *m)
{
	bool e = ru_enter();
	int r = dom_mutex_enter(&m->m);

	if (r != 0)
		ru_panic("mutex_enter", r);
	set_owner(m);
	ru_leave(e);
}

void rumpuser_mutex_enter(struct rumpuser_mtx *m)
{
	bool e;
	int r, nlocks;

	if (m->flags & RUMPUSER_MTX_SPIN) {
		rumpuser_mutex_enter_nowrap(m);
		return;
	}
	e = ru_enter();
	if ((r = dom_mutex_tryenter(&m->m)) == -EBUSY) {
		ru_unschedule(&nlocks, NULL);
		r = dom_mutex_enter(&m->m);
		ru_schedule(nlocks, NULL);
	}
	if (r != 0)
		ru_panic("mutex_enter", r);
	set_owner(m);
	ru_leave(e);
}

int rumpuser_mutex_tryenter(struct rumpuser_mtx *m)
{
	bool e = ru_enter();
	int r = dom_mutex_tryenter(&m->m);

	if (r == 0)
		set_owner(m);
	ru_leave(e);
	return r == 0 ? 0 : NETBSD_EBUSY;
}

void rumpuser_mutex_exit(struct rumpuser_mtx *m)
{
	bool e = ru_enter();
	int r;

	if (m->flags & RUMPUSER_MTX_KMUTEX)
		atomic_store_explicit(&m->owner, NULL, memory_order_relaxed);
	if ((r = dom_mutex_exit(&m->m)) != 0)
		ru_panic("mutex_exit", r);
	ru_leave(e);
}

void rumpuser_mutex_destroy(struct rumpuser_mtx *m)
{
	int r = dom_mutex_destroy(&m->m);

	if (r != 0)
		ru_panic("mutex_destroy", r);
	mk_mem_free(m);
}

void rumpuser_mutex_owner(struct rumpuser_mtx *m, struct lwp **lp)
{
	*lp = atomic_load_explicit(&m->owner, memory_order_relaxed);
}

void rumpuser_rw_init(struct rumpuser_rw **rwp)
{
	struct rumpuser_rw *l = xalloc(sizeof(*l));

	dom_rwlock_init(&l->rw);
	*rwp = l;
}

void rumpuser_rw_enter(int kind, struct rumpuser_rw *l)
{
	bool e = ru_enter(), w = kind == RUMPUSER_RW_WRITER;
	int r, nlocks;

	r = w ? dom_rwlock_trywrlock(&l->rw) : dom_rwlock_tryrdlock(&l->rw);
	if (r == -EBUSY) {
		ru_unschedule(&nlocks, NULL);
		r = w ? dom_rwlock_wrlock(&l->rw) : dom_rwlock_rdlock(&l->rw);
		ru_schedule(nlocks, NULL);
	}
	if (r != 0)
		ru_panic("rw_enter", r);
	ru_leave(e);
}

int rumpuser_rw_tryenter(int kind, struct rumpuser_rw *l)
{
	bool e = ru_enter();
	int r = kind == RUMPUSER_RW_WRITER ? dom_rwlock_trywrlock(&l->rw)
					   : dom_rwlock_tryrdlock(&l->rw);

	ru_leave(e);
	return r == 0 ? 0 : NETBSD_EBUSY;
}

int rumpuser_rw_tryupgrade(struct rumpuser_rw *l)
{
	bool e = ru_enter();
	int r = dom_rwlock_tryupgrade(&l->rw);

	ru_leave(e);
	return r == 0 ? 0 : NETBSD_EBUSY;
}

void rumpuser_rw_downgrade(struct rumpuser_rw *l)
{
	bool e = ru_enter();
	int r = dom_rwlock_downgrade(&l->rw);

	if (r != 0)
		ru_panic("rw_downgrade", r);
	ru_leave(e);
}

void rumpuser_rw_exit(struct rumpuser_rw *l)
{
	bool e = ru_enter();
	int r = dom_rwlock_unlock(&l->rw);

	if (r != 0)
		ru_panic("rw_exit", r);
	ru_leave(e);
}

void rumpuser_rw_destroy(struct rumpuser_rw *l)
{
	int r = dom_rwlock_destroy(&l->rw);

	if (r != 0)
		ru_panic("rw_destroy", r);
	mk_mem_free(l);
}

void rumpuser_rw_held(int kind, struct rumpuser_rw *l, int *rv)
{
	bool e = ru_enter();

	*rv = kind == RUMPUSER_RW_WRITER ? dom_rwlock_wrheld(&l->rw) : dom_rwlock_rdheld(&l->rw);
	ru_leave(e);
}

void rumpuser_cv_init(struct rumpuser_cv **cvp)
{
	struct rumpuser_cv *c = xalloc(sizeof(*c));

	dom_cv_init(&c->cv);
	atomic_init(&c->nwaiters, 0);
	*cvp = c;
}

void rumpuser_cv_destroy(struct rumpuser_cv *c)
{
	int r = dom_cv_destroy(&c->cv);

	if (r != 0)
		ru_panic("cv_destroy", r);
	mk_mem_free(c);
}

/*
 * Waiting on a cv: give up the rump CPU, then wait (which releases and
 * re-takes mtx).  Coming back, the CPU must be taken without holding a
 * spin mutex that a CPU holder may be spinning for: so for SPIN|KMUTEX
 * mutexes drop mtx, take the CPU, then re-take mtx without blocking on
 * the CPU (resource order: CPU before spin mutex).
 */
static int cv_wait_common(struct rumpuser_cv *c, struct rumpuser_mtx *m, uint64_t deadline,
			  bool wrap)
{
	bool e = ru_enter();
	int r, nlocks = 0;

	atomic_fetch_add(&c->nwaiters, 1);
	if (wrap)
		ru_unschedule(&nlocks, m);
	if (m->flags & RUMPUSER_MTX_KMUTEX)
		atomic_store_explicit(&m->owner, NULL, memory_order_relaxed);
	r = dom_cv_timedwait(&c->cv, &m->m, deadline);
	if (wrap) {
		if ((m->flags & (RUMPUSER_MTX_SPIN | RUMPUSER_MTX_KMUTEX)) ==
		    (RUMPUSER_MTX_SPIN | RUMPUSER_MTX_KMUTEX)) {
			dom_mutex_exit(&m->m);
			ru_schedule(nlocks, m);
			dom_mutex_enter(&m->m);
		} else {
			ru_schedule(nlocks, m);
		}
	}
	set_owner(m);
	atomic_fetch_sub(&c->nwaiters, 1);
	ru_leave(e);
	return r;
}

void rumpuser_cv_wait(struct rumpuser_cv *c, struct rumpuser_mtx *m)
{
	int r = cv_wait_common(c, m, MK_FOREVER, true);

	if (r != 0)
		ru_panic("cv_wait", r);
}

void rumpuser_cv_wait_nowrap(struct rumpuser_cv *c, struct rumpuser_mtx *m)
{
	int r = cv_wait_common(c, m, MK_FOREVER, false);

	if (r != 0)
		ru_panic("cv_wait_nowrap", r);
}

int rumpuser_cv_timedwait(struct rumpuser_cv *c, struct rumpuser_mtx *m, int64_t sec, int64_t nsec)
{
	uint64_t now = mk_clock_now_ns(), rel, deadline;
	int r;

	if (sec < 0 || nsec < 0)
		rel = 0;
	else if ((uint64_t)sec > (MK_FOREVER - 1) / 1000000000u - 1)
		rel = MK_FOREVER - 1 - now;
	else
		rel = (uint64_t)sec * 1000000000u + (uint64_t)nsec;
	deadline = rel > MK_FOREVER - 1 - now ? MK_FOREVER - 1 : now + rel;
	r = cv_wait_common(c, m, deadline, true);
	if (r == -ETIMEDOUT)
		return NETBSD_ETIMEDOUT;
	if (r != 0)
		ru_panic("cv_timedwait", r);
	return 0;
}

void rumpuser_cv_signal(struct rumpuser_cv *c)
{
	dom_cv_signal(&c->cv);
}

void rumpuser_cv_broadcast(struct rumpuser_cv *c)
{
	dom_cv_broadcast(&c->cv);
}

void rumpuser_cv_has_waiters(struct rumpuser_cv *c, int *rv)
{
	*rv = atomic_load(&c->nwaiters) > 0;
}
