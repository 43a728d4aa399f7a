/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Timers: one binary min-heap of green threads keyed by deadline, under
 * d->timer_lock.  d->next_deadline mirrors the root so that idle vCPUs
 * (which wait on the domain notification until it) and busy ones (which
 * compare it with the clock every few scheduling points) read it without
 * the lock.
 *
 * Arming a new earliest deadline kicks an idle vCPU so that it waits
 * again with the shorter timeout.  The idler announces itself (d->idle_mask)
 * before it reads next_deadline; the armer stores next_deadline before it
 * reads d->idle_mask; both seq_cst, so one of them sees the other.
 *
 * Expiry claims the thread's wait under the timer lock.  The waiter
 * cancels its timer, under the same lock, before its dom_waiter goes out
 * of scope, so the timer never touches a dead waiter.
 */
#include "dom_impl.h"
#include "trace_impl.h"

static void set_next(struct dom *d)
{
	atomic_store(&d->next_deadline, d->heap_n > 0 ? d->heap[1]->deadline : MK_FOREVER);
}

static void place(struct dom *d, uint32_t i, struct dom_thread *t)
{
	d->heap[i] = t;
	t->heap_idx = i;
}

static void sift_up(struct dom *d, uint32_t i)
{
	struct dom_thread *t = d->heap[i];

	while (i > 1 && d->heap[i / 2]->deadline > t->deadline) {
		place(d, i, d->heap[i / 2]);
		i /= 2;
	}
	place(d, i, t);
}

static void sift_down(struct dom *d, uint32_t i)
{
	struct dom_thread *t = d->heap[i];

	for (;;) {
		uint32_t c = 2 * i;
		if (c > d->heap_n)
			break;
		if (c + 1 <= d->heap_n && d->heap[c + 1]->deadline < d->heap[c]->deadline)
			c++;
		if (d->heap[c]->deadline >= t->deadline)
			break;
		place(d, i, d->heap[c]);
		i = c;
	}
	place(d, i, t);
}

static void heap_remove(struct dom *d, struct dom_thread *t)
{
	uint32_t i = t->heap_idx;
	struct dom_thread *last = d->heap[d->heap_n--];

	t->heap_idx = 0;
	if (last == t)
		return;
	place(d, i, last);
	sift_down(d, i);
	sift_up(d, last->heap_idx);
}

/* Grow the heap outside the lock: the arena may take a host lock. */
static void reserve(struct dom *d)
{
	for (;;) {
		dom_spin_lock(&d->timer_lock);
		if (d->heap_n + 1 < d->heap_cap)
			return; /* locked */
		uint32_t cap = d->heap_cap;
		dom_spin_unlock(&d->timer_lock);

		uint32_t ncap = cap < 64 ? 64 : cap * 2;
		struct dom_thread **n = NULL;
		while ((n = mk_mem_alloc(ncap * sizeof(*n))) == NULL)
			mk_thread_yield(); /* out of memory: wait for some */
		dom_spin_lock(&d->timer_lock);
		if (d->heap_cap == cap) {
			if (d->heap_n > 0)
				memcpy(n, d->heap, (d->heap_n + 1) * sizeof(*n));
			struct dom_thread **old = d->heap;
			d->heap = n;
			d->heap_cap = ncap;
			dom_spin_unlock(&d->timer_lock);
			mk_mem_free(old);
		} else {
			dom_spin_unlock(&d->timer_lock);
			mk_mem_free(n);
		}
	}
}

void dom_timer_arm(struct dom_thread *t, uint64_t deadline)
{
	struct dom *d = t->dom;
	bool first;

	reserve(d); /* returns with the lock held */
	t->deadline = deadline;
	place(d, ++d->heap_n, t);
	sift_up(d, t->heap_idx);
	first = t->heap_idx == 1;
	if (first)
		set_next(d);
	dom_spin_unlock(&d->timer_lock);
	if (first)
		dom_sched_kick(d); /* an idle vCPU, if any, re-reads the deadline */
}

void dom_timer_cancel(struct dom_thread *t)
{
	struct dom *d = t->dom;

	dom_spin_lock(&d->timer_lock);
	if (t->heap_idx != 0) {
		heap_remove(d, t);
		set_next(d);
	}
	dom_spin_unlock(&d->timer_lock);
}

void dom_timer_run(struct dom *d, uint64_t now)
{
	struct dom_threadq fired = STAILQ_HEAD_INITIALIZER(fired);
	struct dom_thread *t;

	if (atomic_load(&d->next_deadline) > now)
		return;
	dom_spin_lock(&d->timer_lock);
	while (d->heap_n > 0 && (t = d->heap[1])->deadline <= now) {
		heap_remove(d, t);
		/* Claimed here, under the lock the waiter cancels with, so a
		 * waiter already woken by someone else is left alone. */
		if (t->wait != NULL && dom_waiter_claim_timeout(t->wait)) {
			/* blocked: its run-queue link is free */
			STAILQ_INSERT_TAIL(&fired, t, rq_link);
		}
	}
	set_next(d);
	dom_spin_unlock(&d->timer_lock);
	while ((t = STAILQ_FIRST(&fired)) != NULL) {
		STAILQ_REMOVE_HEAD(&fired, rq_link);
		DOM_TRACE(d, DOM_TR_TIMER_EXPIRE, t, 0, 0, t->name);
		dom_waiter_finish_timeout(t->wait);
	}
}
