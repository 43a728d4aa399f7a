/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hybrid wait queues: the one place where threads block.
 *
 * A waiter is a green thread or a host thread (entered, or a dom_call
 * caller).  The protocol that makes wake-ups impossible to lose:
 *
 *  1. The waiter, holding q->lock, checks its condition, queues its
 *     dom_waiter and (green) sets its state to BLOCKING.  Anybody who
 *     changes the condition takes q->lock afterwards, so sees the waiter.
 *  2. It drops the lock and gives up the CPU: a green thread switches
 *     away (the switch epilogue moves BLOCKING to BLOCKED, or queues the
 *     thread if a waker got there first); a host thread waits on its own
 *     notification, which keeps a signal sent before the wait.
 *  3. Exactly one party claims the waiter (CAS claimed 0 -> 1): a waker
 *     under q->lock, or the timer on a timed wait.  The claimer unlinks
 *     it, sets its result, then wakes the thread and never touches the
 *     waiter again (it lives on the waiter's stack).  For a host waiter
 *     it stores w->done just before the signal.
 *  4. Waking a green thread is an exchange of its state to RUNNABLE: if
 *     the old state was BLOCKED the waker queues it, if BLOCKING the
 *     switch epilogue does.  Waking a host thread is one signal of its
 *     notification, the only signal it will get for this wait.
 *
 * tests/model/waitq.pml checks this protocol with spin.  One-vCPU builds
 * do each compare-and-exchange and exchange as a load and a store
 * (dom_atomic.h): nothing runs concurrently there, so the claim by a waker
 * and the one by the timer never overlap.
 *
 * The waiter list stays a hand-rolled doubly linked list, not a TAILQ:
 * its head (struct dom_waitq) is embedded in the public structs of dom.h
 * (mutex, cv, rwlock, sem), whose layout callers compile against, and
 * rwlock.c walks it through those fields; the waiters' next link is also
 * reused by the wakers for their private wake-up lists once a waiter is
 * claimed and unlinked.
 */
#include "dom_impl.h"
#include "trace_impl.h"

void dom_waitq_init(struct dom_waitq *q)
{
	atomic_init(&q->lock, 0);
	q->head = q->tail = NULL;
}

static void link_tail(struct dom_waitq *q, struct dom_waiter *w)
{
	struct dom_waiter *t = q->tail;

	w->next = NULL;
	w->prev = t;
	if (t != NULL)
		t->next = w;
	else
		q->head = w;
	q->tail = w;
}

static void unlink_w(struct dom_waitq *q, struct dom_waiter *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		q->head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		q->tail = w->prev;
	w->next = w->prev = NULL;
}

bool dom_waitq_empty(const struct dom_waitq *q)
{
	return q->head == NULL;
}

/* dom_waitq_prepare and dom_waitq_commit, inline in dom_waitq_block: the
 * wake-up path's wait (docs/microkit.md, "Benchmark": each call and
 * return is a lookup under QEMU after a switch between PDs). */
static inline __attribute__((always_inline)) void
waitq_prepare(struct dom_waitq *q, struct dom_waiter *w, struct dom_thread *self, uint64_t data)
{
	if (q != NULL)
		dom_assert_locked(&q->lock, "wait queue", q);
	if (self->kind == DK_GREEN)
		dom_assert_state(self, DOM_ST(TS_RUNNING), "block");
	w->t = self;
	w->q = q;
	atomic_init(&w->claimed, 0);
	atomic_init(&w->done, 0);
	w->result = 0;
	w->data = data;
	if (q != NULL)
		link_tail(q, w);
	self->wait = w;
	if (self->kind == DK_GREEN)
		dom_atomic_store(&self->state, TS_BLOCKING, memory_order_seq_cst);
}

void dom_waitq_prepare(struct dom_waitq *q, struct dom_waiter *w, struct dom_thread *self,
		       uint64_t data)
{
	waitq_prepare(q, w, self, data);
}

DOM_WAKE_PATH static bool claim(struct dom_waiter *w)
{
	int zero = 0;

	return dom_atomic_cas(&w->claimed, &zero, 1, memory_order_seq_cst);
}

DOM_WAKE_PATH bool dom_waitq_claim(struct dom_waitq *q, struct dom_waiter *w)
{
	dom_assert_locked(&q->lock, "wait queue", q);
	dom_assert(w->q == q, "waiter %p of thread '%s' claimed from queue %p, but waits on %p",
		   (void *)w, w->t->name, (void *)q, (void *)w->q);
	if (!claim(w))
		return false;
	unlink_w(q, w);
	return true;
}

struct dom_waiter *dom_waitq_claim_first(struct dom_waitq *q)
{
	dom_assert_locked(&q->lock, "wait queue", q);
	for (struct dom_waiter *w = q->head; w != NULL; w = w->next) {
		/* A waiter the timer claimed is still linked until the timer
		 * takes the lock to unlink it: skip it. */
		if (dom_waitq_claim(q, w))
			return w;
	}
	return NULL;
}

DOM_WAKE_PATH void dom_waiter_wake(struct dom_waiter *w)
{
	struct dom_thread *t = w->t;

	DOM_TRACE(t->dom, DOM_TR_WAKE, dom_self_inline(), t, 0, t->name);
	/* After this w may be gone: nothing below reads it. */
	if (t->kind == DK_HOST) {
		/* release: the waiter's acquire of done sees result etc. */
		atomic_store_explicit(&w->done, 1, memory_order_release);
		mk_notification_signal(&t->ntf, 1);
	} else {
		dom_sched_wake(t);
	}
}

/* A timed-out waiter claimed by the timer or by itself: unlink it. */
static void unlink_claimed(struct dom_waiter *w)
{
	if (w->q != NULL) {
		dom_spin_lock(&w->q->lock);
		unlink_w(w->q, w);
		dom_spin_unlock(&w->q->lock);
	}
}

static inline __attribute__((always_inline)) int waitq_commit(struct dom_waiter *w,
								uint64_t deadline)
{
	struct dom_thread *self = w->t;
	uint64_t bits;

	DOM_TRACE(self->dom, DOM_TR_BLOCK, self, 0, (uintptr_t)w->q, self->name);
	if (self->kind == DK_GREEN) {
		if (deadline != MK_FOREVER)
			dom_timer_arm(self, deadline);
		dom_sched_switch_out(self);
		if (deadline != MK_FOREVER)
			dom_timer_cancel(self);
		self->wait = NULL;
		return w->result;
	}
	/* Host thread: wait on its own notification until the claimer says
	 * it is done.  The signal that follows `done` may land after this
	 * wait has returned (mk_notification_signal touches the object after
	 * setting the bit), so a later wait can see a stray bit: done, not
	 * the bit, ends a wait.  Host records are never freed for the same
	 * reason (see thread.c). */
	for (;;) {
		if (mk_notification_wait_until(&self->ntf, deadline, &bits) == 0) {
			/* acquire: pairs with the release in dom_waiter_wake */
			if (atomic_load_explicit(&w->done, memory_order_acquire))
				break;
			continue;
		}
		if (claim(w)) {
			unlink_claimed(w);
			w->result = -ETIMEDOUT;
			break;
		}
		deadline = MK_FOREVER; /* claimed meanwhile: its signal comes */
	}
	DOM_TRACE(self->dom, DOM_TR_HOST_RESUME, self, 0, 0, self->name);
	self->wait = NULL;
	return w->result;
}

int dom_waitq_commit(struct dom_waiter *w, uint64_t deadline)
{
	return waitq_commit(w, deadline);
}

DOM_WAKE_PATH
int dom_waitq_block(struct dom_waitq *q, struct dom_waiter *w, struct dom_thread *self,
		    uint64_t data, uint64_t deadline)
{
	waitq_prepare(q, w, self, data);
	if (q != NULL)
		dom_spin_unlock(&q->lock);
	return waitq_commit(w, deadline);
}

/* Used by the timer: claim w if nobody has (timer lock held). */
bool dom_waiter_claim_timeout(struct dom_waiter *w)
{
	return claim(w);
}

void dom_waiter_finish_timeout(struct dom_waiter *w)
{
	unlink_claimed(w);
	w->result = -ETIMEDOUT;
	dom_waiter_wake(w);
}
