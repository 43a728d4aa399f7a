/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Timers: binary min-heaps of green threads keyed by deadline, all under
 * d->timer_lock.  A thread bound to a vCPU (affinity) waits in that
 * vCPU's heap (v->timers), any other in the domain's (d->timers).  Each
 * heap's next mirrors its root, so that idle vCPUs (which wait on their
 * notification until the earlier of the domain's next deadline and their
 * own) and busy ones (which compare both with the clock every few
 * scheduling points) read them without the lock.
 *
 * Why a heap per vCPU: a bound thread runs on its vCPU only, so only that
 * vCPU need wake for its timer.  With one heap every idle vCPU waited
 * until the earliest deadline of all, and each expiry woke them all
 * (a rump kernel's clock threads, bound to one vCPU by librumpuser, tick
 * 100 times a second: docs/network.md, "Idle: the kernel's clock").
 *
 * Arming a new earliest deadline kicks an idle vCPU that may wait with a
 * later one, so that it waits again with the shorter timeout: for the
 * domain's heap any idle vCPU (dom_sched_kick), for a vCPU's heap that
 * vCPU if it is idle.  The idler announces itself (d->idle_mask) before
 * it reads the next deadlines; the armer stores a heap's next before it
 * reads d->idle_mask; both seq_cst, so one of them sees the other.
 *
 * Expiry claims the thread's wait under the timer lock.  The waiter
 * cancels its timer, under the same lock, before its dom_waiter goes out
 * of scope, so the timer never touches a dead waiter.
 */
#include "dom_impl.h"
#include "trace_impl.h"

static void set_next(struct dom_timers *h)
{
	dom_atomic_store(&h->next, h->n > 0 ? h->heap[1]->deadline : MK_FOREVER,
			 memory_order_seq_cst);
}

static void place(struct dom_timers *h, uint32_t i, struct dom_thread *t)
{
	h->heap[i] = t;
	t->heap_idx = i;
}

static void sift_up(struct dom_timers *h, uint32_t i)
{
	struct dom_thread *t = h->heap[i];

	while (i > 1 && h->heap[i / 2]->deadline > t->deadline) {
		place(h, i, h->heap[i / 2]);
		i /= 2;
	}
	place(h, i, t);
}

static void sift_down(struct dom_timers *h, uint32_t i)
{
	struct dom_thread *t = h->heap[i];

	for (;;) {
		uint32_t c = 2 * i;
		if (c > h->n)
			break;
		if (c + 1 <= h->n && h->heap[c + 1]->deadline < h->heap[c]->deadline)
			c++;
		if (h->heap[c]->deadline >= t->deadline)
			break;
		place(h, i, h->heap[c]);
		i = c;
	}
	place(h, i, t);
}

static void heap_remove(struct dom_timers *h, struct dom_thread *t)
{
	uint32_t i = t->heap_idx;
	struct dom_thread *last = h->heap[h->n--];

	dom_assert(t->timers == h && i != 0, "thread %p '%s' removed from timer heap %p, not in it",
		   (void *)t, t->name, (void *)h);
	t->heap_idx = 0;
	t->timers = NULL;
	if (last == t)
		return;
	place(h, i, last);
	sift_down(h, i);
	sift_up(h, last->heap_idx);
}

/* Grow h outside the lock: the arena may take a host lock. */
static void reserve(struct dom *d, struct dom_timers *h)
{
	for (;;) {
		dom_spin_lock(&d->timer_lock);
		if (h->n + 1 < h->cap)
			return; /* locked */
		uint32_t cap = h->cap;
		dom_spin_unlock(&d->timer_lock);

		uint32_t ncap = cap < 64 ? 64 : cap * 2;
		struct dom_thread **n = NULL;
		while ((n = mk_mem_alloc(ncap * sizeof(*n))) == NULL)
			mk_thread_yield(); /* out of memory: wait for some */
		dom_spin_lock(&d->timer_lock);
		if (h->cap == cap) {
			if (h->n > 0)
				memcpy(n, h->heap, (h->n + 1) * sizeof(*n));
			struct dom_thread **old = h->heap;
			h->heap = n;
			h->cap = ncap;
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
	struct dom_vcpu *v = t->affinity >= 0 ? &d->vcpu[t->affinity] : NULL;
	struct dom_timers *h = v != NULL ? &v->timers : &d->timers;
	bool first;

	reserve(d, h); /* returns with the lock held */
	t->deadline = deadline;
	t->timers = h;
	place(h, ++h->n, t);
	sift_up(h, t->heap_idx);
	first = t->heap_idx == 1;
	if (first)
		set_next(h);
	dom_spin_unlock(&d->timer_lock);
	if (!first)
		return;
	/* an idle vCPU, if any, re-reads the deadline */
	if (v == NULL)
		dom_sched_kick(d);
	else if ((dom_atomic_load(&d->idle_mask, memory_order_seq_cst) >> v->id) & 1)
		dom_sched_kick_vcpu(v);
}

void dom_timer_cancel(struct dom_thread *t)
{
	struct dom *d = t->dom;

	dom_spin_lock(&d->timer_lock);
	if (t->heap_idx != 0) {
		struct dom_timers *h = t->timers;
		heap_remove(h, t);
		set_next(h);
	}
	dom_spin_unlock(&d->timer_lock);
}

/* The earlier of the domain's next deadline and v's own (v may be NULL). */
uint64_t dom_timer_next(struct dom *d, struct dom_vcpu *v)
{
	uint64_t n = dom_atomic_load(&d->timers.next, memory_order_seq_cst);

	if (v != NULL) {
		uint64_t m = dom_atomic_load(&v->timers.next, memory_order_seq_cst);
		if (m < n)
			n = m;
	}
	return n;
}

/* Claim the expired threads of h onto fired (timer lock held). */
static void expire(struct dom_timers *h, uint64_t now, struct dom_threadq *fired)
{
	struct dom_thread *t;

	while (h->n > 0 && (t = h->heap[1])->deadline <= now) {
		heap_remove(h, t);
		/* Claimed here, under the lock the waiter cancels with, so a
		 * waiter already woken by someone else is left alone. */
		if (t->wait != NULL && dom_waiter_claim_timeout(t->wait)) {
			/* blocked: its run-queue link is free */
			STAILQ_INSERT_TAIL(fired, t, rq_link);
		}
	}
	set_next(h);
}

/* Expire the domain's timers and v's own (v: the vCPU the caller runs
 * on, or NULL). */
void dom_timer_run(struct dom *d, struct dom_vcpu *v, uint64_t now)
{
	struct dom_threadq fired = STAILQ_HEAD_INITIALIZER(fired);
	struct dom_thread *t;

	if (dom_timer_next(d, v) > now)
		return;
	dom_spin_lock(&d->timer_lock);
	expire(&d->timers, now, &fired);
	if (v != NULL)
		expire(&v->timers, now, &fired);
	dom_spin_unlock(&d->timer_lock);
	while ((t = STAILQ_FIRST(&fired)) != NULL) {
		STAILQ_REMOVE_HEAD(&fired, rq_link);
		DOM_TRACE(d, DOM_TR_TIMER_EXPIRE, t, 0, 0, t->name);
		dom_waiter_finish_timeout(t->wait);
	}
}

void dom_timers_free(struct dom *d)
{
	mk_mem_free(d->timers.heap);
	if (d->vcpu != NULL)
		for (unsigned i = 0; i < d->nvcpu; i++)
			mk_mem_free(d->vcpu[i].timers.heap);
}
