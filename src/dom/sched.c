/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The scheduler: run queues, switches, and the vCPU idle loop.
 *
 * Run queues.  A vCPU takes work from, in this order:
 *   - its inbox: threads bound to it (affinity), pushed by anyone;
 *   - the domain queue: threads any vCPU may run;
 *   - its private queue: threads it pushed itself (a yield, or a wake by
 *     one of its own threads) while no vCPU was idle.  Only the owner
 *     touches it, so a yield between two green threads costs no atomic
 *     read-modify-write.  When a vCPU is idle, pushes go to the shared
 *     queue instead, so the idle one can take them.
 * The inbox and the domain queue are read first (a relaxed load of their
 * counts) so that a private yield loop cannot starve them.
 *
 * Fair shares.  Private queues alone would split the threads between the
 * vCPUs for good: with 4 yielders on 2 vCPUs, a lone thread on one vCPU
 * got as many turns as three on the other, and a vCPU whose host thread
 * runs less often starved its own threads.  So now and then (every
 * DOM_QUANTUM scheduling points on average) a vCPU of a multi-vCPU domain
 * moves the thread at the head of its private queue (switched out, so
 * free to move) on to the next vCPU's inbox (id + 1, round robin).  The
 * interval is random: at fixed intervals the head would always be the
 * same thread whenever the queue length divides the interval, and the
 * others would never move.  Threads thus travel through every vCPU in
 * turn, with DOM_QUANTUM turns on each stop on average whatever the
 * vCPU's speed and load, and a vCPU with a single thread (whose private
 * queue is empty) fills up from its neighbour.  It is done in the rare
 * part of a scheduling point (sched_point_slow), so the yield fast path
 * is unchanged.

 * Idle and kicks.  Where the host can wait on two notifications at once
 * (d->waitv: mk_notification_wait2_until, Linux's futex_waitv), every
 * idle vCPU sleeps on its own notification and on the domain
 * notification: an outside event wakes exactly one of them (the signal's
 * futex wake picks one waiter), which takes the bits, delivers them and
 * runs what they woke; there is no role to hand over.  Elsewhere (the
 * fallback, chosen at dom_create: QEMU user mode, Linux before 5.16,
 * one vCPU) an idle vCPU sleeps on its own notification, except one, the
 * listener (d->listener), which sleeps on the domain notification so that
 * outside events wake it.  A vCPU going idle takes the role if nobody has
 * it; the listener gives it up when it takes a thread and kicks another
 * idle vCPU (on its own notification) to take it over.  Either way, while
 * some vCPU sleeps, one sleeper is woken by an event.  Busy vCPUs see
 * events at their scheduling points (sched_point).
 * A vCPU going idle sets its bit in d->idle_mask and then looks at the
 * queues once more; a pusher queues and then reads d->idle_mask, and
 * kicks (signals DOM_KICK to) an idle vCPU, the thread's own one if it
 * is bound (both seq_cst: one of the two sees the other), on the
 * notification it waits on (dom_sched_kick_vcpu).  A vCPU that
 * takes work while more remains kicks the next idle one (cascade).
 * tests/model/idle.pml checks this with spin.
 *
 * Local wake-ups.  An idle vCPU that takes an outside event (its wait on
 * the domain notification returned event bits) delivers it itself, and
 * the first green thread the delivery wakes (unbound, or bound to this
 * vCPU) is not queued: enqueue leaves it in v->keep and the idle loop
 * runs it at once, as if it had picked it.  Pushing it to the domain
 * queue would kick another idle vCPU, which usually found nothing: the
 * deliverer had taken the thread first.  Further threads woken by the
 * same delivery are queued as usual.  Running it is a take like any
 * other: in the fallback a listener gives the role up and kicks another
 * idle vCPU to take it (idle.pml: a thread taken after ntf_wait), so an
 * event costs two host wake-ups; with d->waitv the other idle vCPUs
 * already wait on the domain notification, and it costs one.
 *
 * Idle poll.  A wake-up of a host thread whose CPU is idle costs tens of
 * microseconds on a VM (the hypervisor halted the CPU), a round trip of
 * an event a few.  So an idle vCPU whose idle periods were short lately
 * polls, before it sleeps, the two words its idle wait would take (its
 * own notification, where kicks land, and the domain notification,
 * where events land), as Go's runtime keeps a spinning M looking for
 * work before it parks.  Nobody waits on those words meanwhile, so a
 * signaller finds no waiter and makes no futex call, and the vCPU that
 * takes the bits never slept.  The poll sits after the idle bit is set
 * and the queues are looked at once more, just before idle_wait: it only
 * delays the wait, whose Dekker step (waiters++, then the words) is
 * unchanged, and a kick or event during the poll is in the words the
 * wait then takes at once (docs/model.md).  Bounds (idle_poll):
 *   - 1.5 times the vCPU's recent average idle time (v->idle_avg_ns, an
 *     eighth per idle, each idle clamped to DOM_IDLE_SAMPLE_MAX_NS),
 *     IDLE_POLL_MIN_NS..IDLE_POLL_MAX_NS, and no poll at all while that
 *     average is over IDLE_POLL_MAX_NS: an idle domain stays silent;
 *     never past the wait's deadline;
 *   - one poller per domain (d->poller, a CAS), so that 2 vCPUs do not
 *     burn 2 CPUs, and none while another vCPU of the domain idles: that
 *     one sleeps on the domain notification (d->waitv), so a signal
 *     would wake it anyway;
 *   - none when the last thread that signalled an event or kicked a vCPU
 *     ran on this CPU (d->wake_cpu, dom_sched_note_waker): while we
 *     poll it could not run (all pinned to one CPU);
 *   - none when the process has one CPU, or RUMPBRIDGE_IDLE_POLL=0
 *     (d->idle_poll).
 * A kick prefers the poller (dom_sched_kick).  The microkit backend
 * reports one CPU: no poll there.
 *
 * The switch epilogue (after_switch) runs on the new stack and finishes
 * what the old thread started: queue a yielder, move a blocker from
 * BLOCKING to BLOCKED (or queue it if a waker got there first), reap an
 * exited thread.  Only after the switch is its stack free for another
 * vCPU to run, which is why none of this happens before.
 */
#include "dom_impl.h"
#include "trace_impl.h"
#include "fiber.h"

/* Scheduling points between two looks at the domain notification / the
 * clock, for a vCPU that never goes idle (powers of two). */
#define POLL_IRQ_EVERY 8u
#define POLL_CLOCK_EVERY 64u
/* Scheduling points between two moves of a thread to the next vCPU, on
 * average ("Fair shares"); drawn as POLL_IRQ_EVERY times 1..7, so that
 * the move is in sched_point_slow. */
#define DOM_QUANTUM (4u * POLL_IRQ_EVERY)

/* Queue membership (debug builds): a thread is on at most one run queue,
 * and only while RUNNABLE. */
static inline void q_enter(const void *q, struct dom_thread *t)
{
	dom_assert(t->on_q == NULL, "thread %p '%s' queued on %p while on %p", (void *)t, t->name,
		   q, t->on_q);
	dom_assert_state(t, DOM_ST(TS_RUNNABLE), "queueing");
	if (DOM_DEBUG)
		t->on_q = q;
}

static inline void q_leave(const void *q, struct dom_thread *t)
{
	dom_assert(t->on_q == q, "thread %p '%s' taken from %p but on %p", (void *)t, t->name, q,
		   t->on_q);
	if (DOM_DEBUG)
		t->on_q = NULL;
}

static void rq_push(struct dom_runq *q, struct dom_thread *t)
{
	q_enter(q, t);
	dom_spin_lock(&q->lock);
	STAILQ_INSERT_TAIL(&q->q, t, rq_link);
	dom_atomic_fetch_add(&q->n, 1, memory_order_seq_cst); /* seq_cst: pairs with the idle check */
	dom_spin_unlock(&q->lock);
}

static struct dom_thread *rq_pop(struct dom_runq *q)
{
	struct dom_thread *t;

	if (atomic_load_explicit(&q->n, memory_order_relaxed) == 0)
		return NULL; /* a hint: the lock decides */
	dom_spin_lock(&q->lock);
	t = STAILQ_FIRST(&q->q);
	if (t != NULL) {
		STAILQ_REMOVE_HEAD(&q->q, rq_link);
		dom_atomic_fetch_sub(&q->n, 1, memory_order_seq_cst);
		q_leave(q, t);
	}
	dom_spin_unlock(&q->lock);
	return t;
}

/* A kick goes where v waits: the domain notification if v listens (the
 * seq_cst load pairs with the claim in dom_vcpu_loop, which is followed
 * by a look at the queues and at must_leave), else its own. */
void dom_sched_kick_vcpu(struct dom_vcpu *v)
{
	struct dom *d = v->dom;

	dom_sched_note_waker(d);

	if (dom_atomic_load(&d->listener, memory_order_seq_cst) == (int)v->id)
		mk_notification_signal(d->irq, DOM_KICK);
	else
		mk_notification_signal(&v->ntf, DOM_KICK);
}

/* v takes a thread or leaves: give the listener role up, and if another
 * vCPU idles (on its own notification: the role was v's) and nobody has
 * taken the role meanwhile, kick it so that it takes the role. */
static void listen_release(struct dom_vcpu *v)
{
	struct dom *d = v->dom;
	uint64_t m;

	v->listening = false;
	dom_atomic_store(&d->listener, -1, memory_order_seq_cst);
	m = dom_atomic_load(&d->idle_mask, memory_order_seq_cst) & ~(UINT64_C(1) << v->id);
	if (m != 0 && dom_atomic_load(&d->listener, memory_order_seq_cst) == -1)
		mk_notification_signal(&d->vcpu[__builtin_ctzll(m)].ntf, DOM_KICK);
}

/* Wake one idle vCPU, if there is one: the poller if it idles ("Idle
 * poll": it takes the kick without a wake-up). */
void dom_sched_kick(struct dom *d)
{
	uint64_t m = dom_atomic_load(&d->idle_mask, memory_order_seq_cst);
	/* relaxed: a hint choosing among idle vCPUs (m), any of which is a
	 * correct target */
	int p = atomic_load_explicit(&d->poller, memory_order_relaxed);

	if (m == 0)
		return;
	if (p >= 0 && ((m >> p) & 1))
		dom_sched_kick_vcpu(&d->vcpu[p]);
	else
		dom_sched_kick_vcpu(&d->vcpu[__builtin_ctzll(m)]);
}

static bool any_idle(struct dom *d)
{
	return dom_atomic_load(&d->idle_mask, memory_order_seq_cst) != 0;
}

static bool is_idle(struct dom_vcpu *v)
{
	return (dom_atomic_load(&v->dom->idle_mask, memory_order_seq_cst) >> v->id) & 1;
}

#if DOM_ONE_VCPU
/* The run ring ("One vCPU"), which stands for the private queue in a
 * one-vCPU build: a circular list through t->ring_next of the running
 * green thread, if any, followed by the private queue in FIFO order, with
 * v->ring_tail its last thread; the head (ring_tail->ring_next) is the
 * running thread, or when none runs the next to run.  A yield with the
 * gate open is then one step: ring_tail = self, next = self->ring_next.
 * sys/queue.h has no circular singly-linked list; a STAILQ would take
 * the yielder off the head and put it back at the tail (seven loads and
 * stores instead of one store).  A thread is on the ring from its
 * queueing until it blocks or exits; ring_next is NULL while it is off. */
static inline void ring_insert(struct dom_vcpu *v, struct dom_thread *t, bool as_head)
{
	struct dom_thread *tail = v->ring_tail;

	q_enter(&v->ring_tail, t);
	if (tail == NULL) {
		t->ring_next = t;
		v->ring_tail = t;
		return;
	}
	t->ring_next = tail->ring_next;
	tail->ring_next = t;
	if (!as_head)
		v->ring_tail = t;
}

static inline struct dom_thread *ring_head(struct dom_vcpu *v)
{
	return v->ring_tail != NULL ? v->ring_tail->ring_next : NULL;
}

/* self, the running head, goes to the tail (a yield) or off (it blocks
 * or exits). */
static inline void ring_rotate(struct dom_vcpu *v, struct dom_thread *self)
{
	dom_assert(ring_head(v) == self, "thread %p '%s' yields but is not the head of vCPU %p's ring",
		   (void *)self, self->name, (void *)v);
	v->ring_tail = self;
}

static inline void ring_leave(struct dom_vcpu *v, struct dom_thread *self)
{
	dom_assert(ring_head(v) == self, "thread %p '%s' leaves but is not the head of vCPU %p's ring",
		   (void *)self, self->name, (void *)v);
	q_leave(&v->ring_tail, self);
	if (v->ring_tail == self)
		v->ring_tail = NULL;
	else
		v->ring_tail->ring_next = self->ring_next;
	self->ring_next = NULL;
}
#endif

/* The private queue: only its vCPU touches it, so no lock.  One vCPU: the
 * run ring, where the thread taken stays, as the head, while it runs. */
static inline void priv_push(struct dom_vcpu *v, struct dom_thread *t)
{
#if DOM_ONE_VCPU
	ring_insert(v, t, false);
#else
	q_enter(&v->priv, t);
	STAILQ_INSERT_TAIL(&v->priv, t, rq_link);
#endif
}

static inline struct dom_thread *priv_pop(struct dom_vcpu *v)
{
#if DOM_ONE_VCPU
	return ring_head(v);
#else
	struct dom_thread *t = STAILQ_FIRST(&v->priv);

	if (t != NULL) {
		STAILQ_REMOVE_HEAD(&v->priv, rq_link);
		q_leave(&v->priv, t);
	}
	return t;
#endif
}

#if DOM_ONE_VCPU
/* The yield gate ("One vCPU"): make v's next scheduling point one of
 * every POLL_IRQ_EVERY, so that the next dom_yield takes the long path. */
static inline void gate_close(struct dom_vcpu *v)
{
	v->ticks |= POLL_IRQ_EVERY - 1;
}

/* Keep the gate closed while the short path would be wrong: a thread in
 * the domain queue (the long path's pick takes it first), a thread with
 * its own FP modes, tracing.  At the end of every rare scheduling point.
 * The loads are relaxed: nothing of the domain runs concurrently ("One
 * vCPU" below), so they are plain reads of the one thread's writes. */
static inline void gate_rearm(struct dom_vcpu *v)
{
	if (atomic_load_explicit(&v->dom->rq.n, memory_order_relaxed) != 0 || v->fpenv_seen ||
	    (DOM_TRACE_COMPILED && atomic_load_explicit(&dom_trace_on, memory_order_relaxed) != 0))
		gate_close(v);
}

void dom_sched_gate_close(struct dom *d)
{
	gate_close(&d->vcpu[0]);
}
#endif

/* Queue t on v's inbox (bound to v, or moving on: "Fair shares"). */
static void push_inbox(struct dom_vcpu *v, struct dom_thread *t)
{
	rq_push(&v->inbox, t);
	if (is_idle(v))
		dom_sched_kick_vcpu(v);
}

/* Queue a runnable thread.  here: the vCPU the caller runs on, if it is
 * one of t's domain (it may then keep t private), else NULL. */
DOM_WAKE_PATH static void enqueue(struct dom_thread *t, struct dom_vcpu *here)
{
	struct dom *d = t->dom;

	/* Local wake-up: the idle loop delivering an event keeps the first
	 * thread it wakes and runs it next (dom_vcpu_loop), no queue, no
	 * kick. */
	if (here != NULL && here->delivering && here->keep == NULL &&
	    (t->affinity < 0 || &d->vcpu[t->affinity] == here)) {
		here->keep = t;
		return;
	}
	/* One vCPU: bound (to vCPU 0) is as good as unbound, and the inbox
	 * stays empty ("One vCPU") */
	if (!DOM_ONE_VCPU && t->affinity >= 0) {
		struct dom_vcpu *v = &d->vcpu[t->affinity];
		if (v == here) {
			priv_push(here, t);
			return;
		}
		push_inbox(v, t);
		return;
	}
	/* relaxed: a stale 0 only keeps t on this (running) vCPU */
	if (here != NULL && atomic_load_explicit(&d->idle_mask, memory_order_relaxed) == 0) {
		priv_push(here, t);
		return;
	}
	rq_push(&d->rq, t);
#if DOM_ONE_VCPU
	gate_close(&d->vcpu[0]); /* the yield gate ("One vCPU") */
#endif
	if (any_idle(d))
		dom_sched_kick(d);
}

DOM_WAKE_PATH static struct dom_vcpu *here_for(struct dom *d)
{
	struct dom_thread *self = dom_self_inline();

	if (self != NULL && self->kind != DK_HOST && self->dom == d)
		return self->vcpu;
	return NULL;
}

DOM_WAKE_PATH void dom_sched_wake(struct dom_thread *t)
{
	int old = dom_atomic_exchange(&t->state, TS_RUNNABLE, memory_order_seq_cst);

	dom_assert(old == TS_BLOCKING || old == TS_BLOCKED, "thread %p '%s' woken in state %s",
		   (void *)t, t->name, dom_state_name(old));
	/* BLOCKING: the switch epilogue will see RUNNABLE and queue it. */
	if (old == TS_BLOCKED)
		enqueue(t, here_for(t->dom));
}

/* A new thread, or one back from its porter: RUNNING (the zero state of
 * a new record, or set by dom_reattach), not on any queue. */
void dom_sched_push_new(struct dom_thread *t)
{
	dom_assert_state(t, DOM_ST(TS_RUNNING), "push_new");
	dom_assert(t->kind == DK_GREEN, "thread %p '%s' of kind %d queued as green", (void *)t,
		   t->name, t->kind);
	dom_atomic_store(&t->state, TS_RUNNABLE, memory_order_seq_cst);
#if DOM_ONE_VCPU
	t->vcpu = &t->dom->vcpu[0]; /* where it will run: "One vCPU" */
	if (t->fpenv) {
		/* its switches need the long path: for good (the yield gate) */
		t->vcpu->fpenv_seen = true;
		gate_close(t->vcpu);
	}
#endif
	enqueue(t, here_for(t->dom));
}

/* idle_loop: a pick by the idle loop.  Its loads of the queue counts are
 * seq_cst (for the look after setting the idle bit they are the other
 * half of the Dekker pair with enqueue), and it does not cascade: during
 * that look its own idle bit is set, so the kick could land on itself
 * (found by tests/model/idle.pml); the idle loop kicks after clearing the
 * bit instead, whatever queue its thread came from. */
DOM_DIRECT_PATH
static __attribute__((noinline)) struct dom_thread *pick_common(struct dom_vcpu *v, bool idle_loop)
{
	struct dom *d = v->dom;
	struct dom_thread *t;
	memory_order mo = idle_loop ? memory_order_seq_cst : memory_order_relaxed;

	/* hints first, so the common empty case calls nothing */
	if (dom_atomic_load(&v->inbox.n, mo) != 0 && (t = rq_pop(&v->inbox)) != NULL)
		return t;
	if (dom_atomic_load(&d->rq.n, mo) != 0 && (t = rq_pop(&d->rq)) != NULL) {
		if (!idle_loop && atomic_load_explicit(&d->rq.n, memory_order_relaxed) != 0 &&
		    any_idle(d))
			dom_sched_kick(d); /* cascade */
		return t;
	}
	return priv_pop(v);
}

/* The pick at a scheduling point: the shared queues only when their
 * counts say so (pick_common), else the private queue, inline. */
static inline struct dom_thread *pick(struct dom_vcpu *v)
{
	if (__builtin_expect(atomic_load_explicit(&v->inbox.n, memory_order_relaxed) != 0 ||
				     atomic_load_explicit(&v->dom->rq.n, memory_order_relaxed) != 0,
			     0))
		return pick_common(v, false);
	return priv_pop(v);
}

/* Bits taken from the domain notification. */
static void take_bits(struct dom *d, uint64_t bits)
{
	if (bits & DOM_EVENT_MASK)
		dom_event_deliver(d, bits & DOM_EVENT_MASK);
}

/* Private-queue threads are invisible to other vCPUs.  When one of them
 * has gone idle since they were queued, hand the unbound ones to the
 * domain queue so it can take them. */
static void flush_private(struct dom_vcpu *v)
{
	struct dom *d = v->dom;
	struct dom_threadq all = STAILQ_HEAD_INITIALIZER(all);
	struct dom_thread *t;
	bool moved = false;

	STAILQ_CONCAT(&all, &v->priv);
	while ((t = STAILQ_FIRST(&all)) != NULL) {
		STAILQ_REMOVE_HEAD(&all, rq_link);
		q_leave(&v->priv, t);
		if (t->affinity >= 0) {
			priv_push(v, t); /* bound here: keep it */
			continue;
		}
		rq_push(&d->rq, t);
		moved = true;
	}
	if (moved && any_idle(d))
		dom_sched_kick(d);
}

/* "Fair shares": the head of v's private queue moves on to the next
 * vCPU.  A bound thread stays (it goes to the tail instead). */
static void move_on(struct dom_vcpu *v)
{
	struct dom *d = v->dom;
	struct dom_thread *t = priv_pop(v);

	unsigned to = v->id + 1 < d->nvcpu ? v->id + 1 : 0;

	if (t->affinity >= 0) {
		priv_push(v, t);
	} else if (to == 0 && (d->flags & DOM_CALLER_IS_VCPU0)) {
		/* vCPU 0 runs only inside dom_run: an unbound thread must not
		 * wait in its inbox meanwhile; any vCPU takes it from here */
		rq_push(&d->rq, t);
		if (any_idle(d))
			dom_sched_kick(d);
	} else {
		push_inbox(&d->vcpu[to], t);
	}
}

/* The rare work of a scheduling point: hand private threads to an idle
 * vCPU, look at the domain notification every POLL_IRQ_EVERY points and
 * at the clock every POLL_CLOCK_EVERY. */
DOM_DIRECT_PATH static __attribute__((noinline)) void sched_point_slow(struct dom_vcpu *v, unsigned ticks)
{
	struct dom *d = v->dom;
	uint64_t bits;

	if (!STAILQ_EMPTY(&v->priv) &&
	    atomic_load_explicit(&d->idle_mask, memory_order_relaxed) != 0)
		flush_private(v);
	if ((ticks & (POLL_IRQ_EVERY - 1)) == 0 && mk_notification_poll(d->irq, &bits) == 0) {
		take_bits(d, bits);
		/* a kick for the listener, taken here: pass it on */
		if ((bits & DOM_KICK) && dom_atomic_load(&d->listener, memory_order_seq_cst) >= 0)
			mk_notification_signal(d->irq, DOM_KICK);
	}
	if ((ticks & (POLL_CLOCK_EVERY - 1)) == 0 &&
	    (atomic_load_explicit(&d->timers.next, memory_order_relaxed) != MK_FOREVER ||
	     atomic_load_explicit(&v->timers.next, memory_order_relaxed) != MK_FOREVER))
		dom_timer_run(d, v, mk_clock_now_ns());
	if ((int)(ticks - v->move_at) >= 0 && d->nvcpu > 1) {
		/* xorshift32: the next move in 1..7 * POLL_IRQ_EVERY points */
		uint32_t r = v->rand;
		r ^= r << 13, r ^= r >> 17, r ^= r << 5;
		v->rand = r;
		v->move_at = ticks + POLL_IRQ_EVERY * (1 + r % 7);
		if (!STAILQ_EMPTY(&v->priv))
			move_on(v);
	}
#if DOM_ONE_VCPU
	gate_rearm(v);
#endif
}

static inline void sched_point(struct dom_vcpu *v)
{
	unsigned ticks = ++v->ticks;

	if (__builtin_expect((ticks & (POLL_IRQ_EVERY - 1)) == 0, 0) ||
	    __builtin_expect(!STAILQ_EMPTY(&v->priv) &&
				     atomic_load_explicit(&v->dom->idle_mask, memory_order_relaxed) != 0,
			     0))
		sched_point_slow(v, ticks);
}

/* Out of line and cold, so that dom_after_switch stays a leaf that
 * needs no stack frame on the yield path. */
static __attribute__((noinline, cold, noreturn)) void bad_switch(struct dom_thread *prev,
								  struct dom_thread *next, int st)
{
	dom_panic("thread %p '%s' switched out in state %s (to %p '%s')", (void *)prev, prev->name,
		  dom_state_name(st), (void *)next, next->name);
}

DOM_DIRECT_PATH void dom_after_switch(struct dom_thread *prev, struct dom_thread *next)
{
	int st;

	dom_fiber_arrive(prev, next);
	if (prev->kind == DK_IDLE)
		return;
	st = dom_atomic_load(&prev->state, memory_order_seq_cst);
	if (st == TS_RUNNABLE) {
		/* yielded, or woken before now; prev->vcpu is where we are */
		struct dom_vcpu *v = prev->vcpu;
#if DOM_ONE_VCPU
		/* on the ring already: dom_sched_switch_out and yield_long
		 * rotate a yielder (nothing can wake a thread between that
		 * and here: one thread runs the domain) */
		dom_assert(prev->ring_next != NULL, "thread %p '%s' switched out runnable off the ring",
			   (void *)prev, prev->name);
		return;
#endif
		if (prev->affinity < 0 &&
		    atomic_load_explicit(&prev->dom->idle_mask, memory_order_relaxed) == 0)
			priv_push(v, prev); /* enqueue's private case, inline */
		else
			enqueue(prev, v);
	} else if (st == TS_BLOCKING) {
		if (!dom_atomic_cas(&prev->state, &st, TS_BLOCKED, memory_order_seq_cst))
			enqueue(prev, prev->vcpu); /* woken while switching out */
	} else if (st == TS_ZOMBIE) {
		dom_thread_reap(prev);
	} else if (st == TS_DETACHING) {
		dom_porter_take(prev); /* its registers are saved: hand it over */
	} else if (st != TS_RUNNING || prev->porter == NULL || next != &prev->porter->ctx) {
		/* RUNNING is dom_reattach switching to its porter, which
		 * queues it; anything else is a broken state table, and
		 * going on would lose or double-run the thread: stop, in
		 * every build. */
		bad_switch(prev, next, st);
	}
}

/* Everything a switch from cur to next on vCPU v does before the stacks
 * change.  After dom_arch_switch nothing may use v: cur may have been
 * resumed on another vCPU. */
static inline void switch_prepare(struct dom_vcpu *v, struct dom_thread *cur,
				  struct dom_thread *next)
{
	dom_assert(next->kind != DK_GREEN ||
			   atomic_load_explicit(&next->state, memory_order_relaxed) == TS_RUNNABLE,
		   "thread %p '%s' picked to run in state %s", (void *)next, next->name,
		   dom_state_name(atomic_load_explicit(&next->state, memory_order_relaxed)));
	if (next->kind == DK_GREEN) {
#if DOM_ONE_VCPU
		/* from the domain queue or the idle loop's keep: it runs, so
		 * it is the ring's head */
		if (next->ring_next == NULL)
			ring_insert(v, next, true);
#endif
		atomic_store_explicit(&next->state, TS_RUNNING, memory_order_relaxed);
	}
	next->vcpu = v;
	v->seat.cur = next;
	DOM_TRACE_SWITCH(v->dom, cur, next);
	dom_fiber_leave(cur, next, DOM_FIBER_EXITING(cur));
}

#if DOM_ONE_VCPU
/* The wake-up path's section (DOM_WAKE_PATH) starts with a copy of the
 * direct switch ("One vCPU" below; arch/<cpu>/switch_direct.h): top-level
 * asm is emitted before the unit's functions, in source order.  With the
 * direct wake it starts a page of its own, which it fills; without, the
 * alignment only moved the idle loop's path about (its local_wake 1.0 ->
 * 1.45 us, same-run boots), so there is none. */
#ifdef MK_BACKEND_DIRECT_WAKE
__asm__(".pushsection .text.dom_wake,\"ax\",%progbits\n\t.p2align 12\n\t.popsection");
#endif
DOM_ARCH_SWITCH_DIRECT_ASM(dom_wake_switch_direct, ".text.dom_wake");
int dom_wake_switch_direct(struct dom_thread *cur, struct dom_thread *next);
#endif

/* One vCPU: nothing else runs between here and the switch, so the
 * epilogue's work for cur (dom_after_switch) can be done before it, and
 * the switch is the direct one, beside its callers: a yielder or a woken
 * blocker is on the ring already, a blocker becomes BLOCKED (a waker,
 * which can only run after the switch, then queues it), the idle context
 * needs nothing.  Not for an exiting or detaching thread (its stack is
 * freed, or handed over, only after the switch) nor for one with its own
 * FP modes (the direct switch leaves fpcr alone). */
DOM_DIRECT_PATH
static void switch_to(struct dom_vcpu *v, struct dom_thread *cur, struct dom_thread *next)
{
	switch_prepare(v, cur, next);
#if DOM_ONE_VCPU
	if (!cur->fpenv && !next->fpenv) {
		int st = atomic_load_explicit(&cur->state, memory_order_relaxed);

		if (cur->kind == DK_IDLE) {
			dom_wake_switch_direct(cur, next);
			return;
		}
		if (st == TS_RUNNABLE || st == TS_BLOCKING) {
			dom_assert(st != TS_RUNNABLE || cur->ring_next != NULL,
				   "thread %p '%s' switched out runnable off the ring", (void *)cur,
				   cur->name);
			/* relaxed: one vCPU, as in dom_yield */
			if (st == TS_BLOCKING)
				atomic_store_explicit(&cur->state, TS_BLOCKED, memory_order_relaxed);
			dom_wake_switch_direct(cur, next);
			return;
		}
	}
#endif
	dom_arch_switch(cur, next);
}

#if DOM_ONE_VCPU && defined(MK_BACKEND_RECEIVE_IN_PLACE)
static void receive_in_place(struct dom_vcpu *v, struct dom_thread *self);
#endif

DOM_WAKE_PATH void dom_sched_switch_out(struct dom_thread *self)
{
	struct dom_vcpu *v = self->vcpu;
	struct dom_thread *next;

	dom_assert_state(self, DOM_ST(TS_RUNNABLE) | DOM_ST(TS_BLOCKING) | DOM_ST(TS_ZOMBIE) |
				       DOM_ST(TS_DETACHING),
			 "switch_out");
	sched_point(v);
#if DOM_ONE_VCPU
	/* after the scheduling point, which may have woken self */
	if (atomic_load_explicit(&self->state, memory_order_relaxed) == TS_RUNNABLE)
		ring_rotate(v, self);
	else
		ring_leave(v, self);
#endif
	next = pick(v);
	if (next == NULL || (DOM_ONE_VCPU && next == self)) {
		int st = TS_RUNNABLE;
		/* Nothing else to run: a yielder, or a blocker already woken,
		 * simply goes on. */
		if (dom_atomic_cas(&self->state, &st, TS_RUNNING, memory_order_seq_cst))
			return;
#if DOM_ONE_VCPU && defined(MK_BACKEND_RECEIVE_IN_PLACE)
		/* run by the direct wake, and blocking: wait right here */
		if (v->parked && st == TS_BLOCKING && !v->fpenv_seen &&
		    mk_backend_receive_in_place_ok()) {
			receive_in_place(v, self);
			return;
		}
#endif
		next = &v->idle_ctx;
	}
	switch_to(v, self, next);
}

#if !DOM_ONE_VCPU
/* dom_yield (arch/<cpu>/switch.S) calls this, then switches itself: the
 * common case, another thread on the private queue, touches no shared
 * cache line but the queue counts and the idle mask.  (One-vCPU builds:
 * dom_yield below.) */
struct dom_yield_pick dom_sched_yield_pick(void)
{
	struct dom_thread *self = dom_self_inline(), *next;
	struct dom_vcpu *v;

	if (self == NULL)
		return (struct dom_yield_pick){NULL, -EPERM};
	if (self->kind != DK_GREEN) {
		mk_thread_yield();
		return (struct dom_yield_pick){NULL, 0};
	}
	v = self->vcpu;
	sched_point(v);
	dom_assert_state(self, DOM_ST(TS_RUNNING), "yield");
	if ((next = pick(v)) == NULL)
		return (struct dom_yield_pick){NULL, 0}; /* alone: go on */
	atomic_store_explicit(&self->state, TS_RUNNABLE, memory_order_relaxed);
	switch_prepare(v, self, next);
	return (struct dom_yield_pick){next, (intptr_t)self};
}
#endif

#if DOM_ONE_VCPU
/* One vCPU.  A build whose domains have exactly one vCPU (DOM_ONE_VCPU:
 * the Microkit backend's, a PD being one seL4 thread; dom_create refuses
 * more) yields by a short path, dom_yield here in C instead of the
 * switch.S + dom_sched_yield_pick pair.  Everything of such a domain runs
 * on that one thread (green threads, its idle loop, and the code that
 * wakes them from outside: the PD context), so nothing of it runs
 * concurrently with a yield.  While a green thread runs on the only vCPU:
 *   - the private queue is the run ring (priv_push above), whose head is
 *     the running thread: a yield makes the yielder the ring's tail and
 *     runs the thread after it, the same FIFO order as a queue
 *     (tests/microkit/pdtest.c, "yield").  No other vCPU exists to take
 *     the yielder off the ring before its registers are saved, so that
 *     is done before the switch, and the switch needs no epilogue
 *     (dom_arch_switch_direct); the long paths rotate the ring the same
 *     way (yield_long, dom_sched_switch_out), or take a blocking or
 *     exiting thread off it, and a thread that comes from elsewhere (the
 *     domain queue, the idle loop's keep) joins it as the head when it
 *     is switched to (switch_prepare);
 *   - the idle mask is 0 (its one vCPU is busy), so a thread a green
 *     thread wakes goes on the ring, before the running one: its FIFO
 *     tail;
 *   - the inbox stays empty, as enqueue treats a thread bound to vCPU 0
 *     as unbound;
 *   - a thread's vCPU is set once, when it is first queued
 *     (dom_sched_push_new), and a green thread runs on its vCPU's seat (a
 *     detached one is DK_HOST), so the seat gives the vCPU.
 * The yield gate.  The short path tests one word: the scheduling point's
 * tick.  Every POLL_IRQ_EVERY-th point takes the long path (its rare
 * part polls the event bits and the clock, as at any scheduling point),
 * and so does the next point after a gate_close, which sets the tick's
 * low bits: when a thread is pushed on the domain queue (a wake from the
 * PD context while the vCPU idles; the long path's pick takes it first),
 * when a thread with its own FP modes (fpenv) is queued (for good: the
 * direct switch leaves fpcr alone) and when tracing starts (the direct
 * switch records nothing).  The rare part closes the gate again while
 * any of these holds (gate_rearm), so each such yield takes the long path.
 * No sanitizer build is a one-vCPU build (the fiber hooks live in the
 * epilogue). */
#if defined(RUMPBRIDGE_TSAN) || defined(RUMPBRIDGE_ASAN)
#error "DOM_ONE_VCPU: the short yield path has no sanitizer fiber hooks"
#endif
int dom_arch_switch_direct(struct dom_thread *cur, struct dom_thread *next);
/* dom_yield's section: the switch and the yield on one code page (see
 * arch/<cpu>/switch_direct.h) */
#define YIELD_SECTION ".text.dom_yield"
DOM_ARCH_SWITCH_DIRECT_ASM(dom_arch_switch_direct, YIELD_SECTION);

/* Not a green thread: the long path's answers. */
static __attribute__((noinline, cold)) int yield_not_green(struct dom_thread *self)
{
	if (self == NULL)
		return -EPERM;
	mk_thread_yield();
	return 0;
}

/* The long path: a scheduling point's rare part (its tick is counted
 * already), self to the ring's tail, the pick (the shared queues first)
 * and dom_arch_switch with its epilogue. */
DOM_DIRECT_PATH static __attribute__((noinline)) int yield_long(struct dom_thread *self)
{
	struct dom_vcpu *v = self->vcpu;
	struct dom_thread *next;

	sched_point_slow(v, v->ticks);
	ring_rotate(v, self);
	if ((next = pick(v)) == self)
		return 0; /* alone: go on (the head again) */
	atomic_store_explicit(&self->state, TS_RUNNABLE, memory_order_relaxed);
	switch_prepare(v, self, next);
	dom_arch_switch(self, next);
	return 0;
}

/* Everything unusual goes to the calls above, so that the common case
 * (the gate open, another thread on the private queue) needs no stack
 * frame and ends in a jump to the switch. */
__attribute__((section(YIELD_SECTION))) int dom_yield(void)
{
	struct dom_seat *seat = mk_tls_current();
	struct dom_thread *self, *next;
	struct dom_vcpu *v;

	/* a seat always names a record (dom_self_inline checks it anyway) */
	if (__builtin_expect(seat == NULL, 0))
		return yield_not_green(NULL);
	self = seat->cur;
	if (__builtin_expect(self->kind != DK_GREEN, 0))
		return yield_not_green(self);
	v = (struct dom_vcpu *)((char *)seat - offsetof(struct dom_vcpu, seat));
	dom_assert(v == self->vcpu, "thread %p '%s' of vCPU %p runs on the seat of %p",
		   (void *)self, self->name, (void *)self->vcpu, (void *)v);
	dom_assert(v->dom->nvcpu == 1, "domain %p '%s' has %u vCPUs in a one-vCPU build",
		   (void *)v->dom, v->dom->name, v->dom->nvcpu);
	dom_assert_state(self, DOM_ST(TS_RUNNING), "yield");
	if (__builtin_expect((++v->ticks & (POLL_IRQ_EVERY - 1)) == 0, 0))
		return yield_long(self); /* the gate */
	dom_assert(ring_head(v) == self, "thread %p '%s' runs but is not the head of vCPU %p's ring",
		   (void *)self, self->name, (void *)v);
	dom_assert(atomic_load_explicit(&v->inbox.n, memory_order_relaxed) == 0,
		   "vCPU %p: a thread in the inbox of a one-vCPU domain", (void *)v);
	dom_assert(atomic_load_explicit(&v->dom->rq.n, memory_order_relaxed) == 0,
		   "vCPU %p: domain queue not empty with the yield gate open", (void *)v);
	dom_assert(!self->fpenv && !v->fpenv_seen, "thread %p '%s' with fpenv on the short path",
		   (void *)self, self->name);
	if ((next = self->ring_next) == self)
		return 0; /* alone: go on */
	dom_assert(atomic_load_explicit(&next->state, memory_order_relaxed) == TS_RUNNABLE,
		   "thread %p '%s' picked to run in state %s", (void *)next, next->name,
		   dom_state_name(atomic_load_explicit(&next->state, memory_order_relaxed)));
	dom_assert(next->vcpu == v, "thread %p '%s' queued on vCPU %p runs on %p", (void *)next,
		   next->name, (void *)next->vcpu, (void *)v); /* dom_sched_push_new */
	/* relaxed, as in switch_prepare and the epilogue: one vCPU, and no
	 * other party reads these while it runs a green thread */
	atomic_store_explicit(&self->state, TS_RUNNABLE, memory_order_relaxed);
	atomic_store_explicit(&next->state, TS_RUNNING, memory_order_relaxed);
	v->seat.cur = next;
	v->ring_tail = self; /* the epilogue's work, done before the switch */
	return dom_arch_switch_direct(self, next);
}
#endif

/* A new thread's first instructions (dom_arch_first); its switch
 * epilogue has run already. */
void dom_thread_entry(void)
{
	struct dom_thread *self = dom_self_inline();

	dom_thread_exit(self->fn(self->arg));
}

DOM_WAKE_PATH static inline bool must_leave(struct dom_vcpu *v)
{
	struct dom *d = v->dom;

	if (dom_atomic_load(&d->vstop, memory_order_seq_cst))
		return true;
	return v->id == 0 && (d->flags & DOM_CALLER_IS_VCPU0) &&
	       dom_atomic_load(&d->run_stop, memory_order_seq_cst);
}

/* The idle loop runs t: a listener gives its role up first.  Then, if
 * more work is left and a vCPU is idle, kick it: done for any queue t
 * came from, since the kick that woke us may have been meant for the
 * work we leave (tests/model/idle.pml, KICK_AFTER_IDLE). */
static void idle_run(struct dom_vcpu *v, struct dom_thread *t)
{
	struct dom *d = v->dom;

	/* One vCPU: nobody could take the role over, so the vCPU keeps it
	 * (it must wait on the domain notification anyway) until dom_run
	 * returns, and no other vCPU idles to kick. */
	if (!DOM_ONE_VCPU && v->listening)
		listen_release(v);
	if (!DOM_ONE_VCPU && dom_atomic_load(&d->rq.n, memory_order_seq_cst) != 0 && any_idle(d))
		dom_sched_kick(d);
	switch_to(v, &v->idle_ctx, t);
}

#if DOM_ONE_VCPU && defined(MK_BACKEND_DIRECT_WAKE)
/* dom_timer_next, inline: timer.c is off the wake-up path's page */
DOM_WAKE_PATH static inline uint64_t timer_next_inline(struct dom_vcpu *v)
{
	uint64_t next = dom_atomic_load(&v->dom->timers.next, memory_order_seq_cst);
	uint64_t own = dom_atomic_load(&v->timers.next, memory_order_seq_cst);

	return own < next ? own : next;
}

/* The idle loop's part after its wait, for the direct wake and the
 * receive in place: deliver bits (none: 0) with the first thread they wake
 * kept ("Local wake-ups"), and return the thread to run: the kept one,
 * else a queued one, else NULL. */
DOM_WAKE_PATH static inline struct dom_thread *deliver_pick(struct dom_vcpu *v, uint64_t bits)
{
	struct dom_thread *t;

	if (bits != 0) {
		v->delivering = true;
		take_bits(v->dom, bits);
		v->delivering = false;
	}
	if ((t = v->keep) == NULL)
		return pick_common(v, true);
	v->keep = NULL;
	/* relaxed: a count only tests read (one vCPU: a load and a store) */
	dom_atomic_fetch_add(&v->local_wakes, 1, memory_order_relaxed);
	return t;
}

/* The direct wake (one vCPU; the backend's side: mk_backend.h, and
 * docs/microkit.md "Direct wake").  The idle loop waits on the domain
 * notification with v->parked set; an event that arrives meanwhile from
 * the backend's other context (a Microkit PD's notified()) is handed to
 * direct_wake there, which does the idle loop's part itself, on that
 * context's stack standing in for the idle context (v->idle_ctx keeps its
 * sp while a green thread runs): it delivers the bits, keeps the first
 * thread they wake (enqueue's local wake-up) and switches to it.  From
 * then on everything is as if the idle loop had picked it: the threads
 * it wakes go on the run ring and run in turn, each yield and block
 * switches among them directly, and only when none is runnable does the
 * last one switch to the idle context, i.e. back here.  Bits the domain
 * raised on itself meanwhile are delivered the same way.  The parked
 * idle loop does not notice: when direct_wake returns 0, nothing changed
 * that it would look at (no thread queued, the same next deadline, the
 * idle mask set again, not stopping).  Anything else (a new deadline,
 * dom_run to return, tracing, a thread that left for a raw mk wait) is
 * left to the idle loop: direct_wake returns DOM_KICK, which the backend
 * raises on the notification, resuming the idle loop as an event would.
 * No atomic read-modify-write (dom_atomic.h): one thread runs the whole
 * domain, so the idle mask is stored, not and-ed (relaxed, as in enqueue's
 * reads). */
DOM_DIRECT_PATH static uint64_t direct_wake(void *arg, uint64_t bits)
{
	struct dom_vcpu *v = arg;
	struct dom *d = v->dom;
	struct dom_thread *t;
	uint64_t more;

	if (!v->parked ||
	    (DOM_TRACE_COMPILED && atomic_load_explicit(&dom_trace_on, memory_order_relaxed) != 0))
		return bits; /* the vCPU context waits elsewhere, or traced */
	dom_assert(v->seat.cur == &v->idle_ctx && ring_head(v) == NULL,
		   "vCPU %p: direct wake with a thread running or runnable", (void *)v);
	atomic_store_explicit(&d->idle_mask, 0, memory_order_relaxed);
	/* relaxed: counts only tests read (one vCPU: a load and a store) */
	dom_atomic_fetch_add(&v->idle_wakes, 1, memory_order_relaxed);
	for (;;) {
		t = deliver_pick(v, bits);
		while (t != NULL) {
			/* back when nothing is runnable, or a thread left; or
			 * when a thread exited, whose reap (the switch's
			 * epilogue, here) may have made its joiner runnable */
			switch_to(v, &v->idle_ctx, t);
			t = v->direct_left ? NULL : pick(v);
		}
		if (v->direct_left)
			break;
		if ((bits = mk_backend_notification_take(d->irq)) == 0)
			break; /* no bits raised meanwhile: idle */
	}
	more = 0;
	if (v->direct_left || must_leave(v) || timer_next_inline(v) != v->park_deadline)
		more = DOM_KICK;
	v->direct_left = false;
	atomic_store_explicit(&d->idle_mask, UINT64_C(1) << v->id, memory_order_relaxed);
	return more;
}

/* A green thread run by direct_wake makes a raw mk wait (the backend
 * calls this instead of suspending): back to direct_wake, which hands
 * over to the idle loop; self stays the run ring's head, runnable, so
 * the idle loop runs it first and its wait looks again from there. */
static void direct_leave(void *arg)
{
	struct dom_vcpu *v = arg;
	struct dom_thread *self = v->seat.cur;

	dom_assert(self->kind == DK_GREEN && ring_head(v) == self,
		   "thread %p '%s' leaves the direct wake but is not the running green thread",
		   (void *)self, self->name);
	v->direct_left = true;
	atomic_store_explicit(&self->state, TS_RUNNABLE, memory_order_relaxed);
	switch_to(v, self, &v->idle_ctx);
}
#endif

#if DOM_ONE_VCPU && defined(MK_BACKEND_RECEIVE_IN_PLACE)
/* The receive in place (the backend's side: mk_backend.h; docs/microkit.md
 * "Receive in place").  A green thread run by the direct wake blocks and
 * nothing else is runnable: instead of switching to the idle context
 * (back to direct_wake, which would return to the PD's event loop), self
 * becomes BLOCKED and the idle context current, as that switch would make
 * them, but stays on its own stack and has the backend wait for the PD's
 * next message there; then it does direct_wake's part itself: delivers
 * the bits, and runs the first thread they woke.  If that is self (the
 * usual case: a server thread waiting for its next request), it simply
 * returns, with no switch at all; another one it switches to directly,
 * and self is resumed here by whoever runs it later.  Everything
 * direct_wake hands to the idle loop (a thread left, dom_run returns, a
 * new earliest deadline, tracing, a timer interrupt) makes self switch
 * to the idle context instead, i.e. back to direct_wake, which does it.
 * The idle mask is set while it waits, as while the idle loop waits:
 * a thread that PD-context code (notified(), protected()) makes runnable
 * goes to the domain queue with a kick, a bit on the domain notification,
 * which ends the wait. */
DOM_WAKE_PATH static void receive_in_place(struct dom_vcpu *v, struct dom_thread *self)
{
	struct dom *d = v->dom;
	struct dom_thread *idle = &v->idle_ctx, *t;

	dom_assert(v->seat.cur == self && idle->sp != NULL,
		   "vCPU %p: thread %p '%s' receives in place off the direct wake", (void *)v,
		   (void *)self, self->name);
	switch_prepare(v, self, idle);
	atomic_store_explicit(&self->state, TS_BLOCKED, memory_order_relaxed);
	for (;;) {
		if (v->direct_left || must_leave(v) || timer_next_inline(v) != v->park_deadline ||
		    (DOM_TRACE_COMPILED && atomic_load_explicit(&dom_trace_on, memory_order_relaxed) != 0))
			break;
		if (!mk_backend_notification_pending(d->irq)) {
			int r;

			atomic_store_explicit(&d->idle_mask, UINT64_C(1) << v->id,
					      memory_order_relaxed);
			r = mk_pd_receive_in_place(idle->sp, self->stack.base);
			atomic_store_explicit(&d->idle_mask, 0, memory_order_relaxed);
			if (r != 0) {
				v->direct_left = true; /* the idle loop must look */
				break;
			}
		}
		if ((t = deliver_pick(v, mk_backend_notification_take(d->irq))) == NULL)
			continue;
		switch_prepare(v, idle, t);
		if (t != self)
			dom_wake_switch_direct(self, t);
		return; /* self runs: woken here, or switched to later */
	}
	/* as switch_to(v, self, idle) would have, with self BLOCKED */
	dom_wake_switch_direct(self, idle);
}
#endif

/* The idle wait: with d->waitv on v's own notification and the domain
 * notification at once (nobody holds the listener role then, so kicks
 * go to v's own and events to the domain's), else on the one v waits on
 * as listener or not.  The bits of both are taken together. */
static int idle_wait(struct dom_vcpu *v, uint64_t deadline, uint64_t *bits)
{
	struct dom *d = v->dom;
	uint64_t own = 0, ev = 0; /* set on every return by Linux; -ENOSYS elsewhere */
	int r;

#if DOM_ONE_VCPU && defined(MK_BACKEND_DIRECT_WAKE)
	/* the direct wake may run while this waits (above), if it waits on
	 * the domain notification (as listener: always, with one vCPU) */
	v->park_deadline = deadline;
	v->parked = v->listening;
	r = mk_notification_wait_until(v->listening ? d->irq : &v->ntf, deadline, bits);
	v->parked = false;
	return r;
#endif
	if (!d->waitv)
		return mk_notification_wait_until(v->listening ? d->irq : &v->ntf, deadline, bits);
	r = mk_notification_wait2_until(&v->ntf, d->irq, deadline, &own, &ev);
	*bits = own | ev;
	return r;
}

/* "Idle poll" (top of the file). */
#define IDLE_POLL_MIN_NS 5000u
#define IDLE_POLL_MAX_NS 50000u

_Atomic int dom_idle_poll_test;

bool dom_idle_poll_enabled(void)
{
	return !mk_backend_env_off("RUMPBRIDGE_IDLE_POLL") && mk_backend_cpu_count() > 1;
}

void dom_sched_note_waker(struct dom *d)
{
	uint32_t c;

	if (!d->idle_poll)
		return;
	c = mk_backend_cpu_current();
	/* relaxed: a hint (idle_poll); read first so that an unchanged CPU
	 * does not write the line the pollers read */
	if (atomic_load_explicit(&d->wake_cpu, memory_order_relaxed) != c)
		atomic_store_explicit(&d->wake_cpu, c, memory_order_relaxed);
}

/* Whether the words idle_wait would take hold bits (relaxed: a hint; the
 * wait takes them with an exchange). */
static inline bool idle_words_set(struct dom_vcpu *v)
{
	return atomic_load_explicit(&v->ntf.word, memory_order_relaxed) != 0 ||
	       atomic_load_explicit(&v->dom->irq->word, memory_order_relaxed) != 0;
}

/* Poll before idle_wait, from now (the clock), within the bounds of
 * "Idle poll"; return when a word has bits or the poll ran out. */
static void idle_poll(struct dom_vcpu *v, uint64_t now, uint64_t deadline)
{
	struct dom *d = v->dom;
	/* relaxed: a test setting */
	int mode = atomic_load_explicit(&dom_idle_poll_test, memory_order_relaxed);
	uint64_t bound = IDLE_POLL_MAX_NS, start = now, avg = v->idle_avg_ns;
	int none = -1;

	if (mode == DOM_IDLE_POLL_NONE || (mode == DOM_IDLE_POLL_AUTO && !d->idle_poll))
		return;
	if (mode == DOM_IDLE_POLL_AUTO) {
		uint32_t c = atomic_load_explicit(&d->wake_cpu, memory_order_relaxed); /* a hint */

		if (avg > IDLE_POLL_MAX_NS)
			return;
		if ((dom_atomic_load(&d->idle_mask, memory_order_relaxed) & ~(UINT64_C(1) << v->id)) != 0)
			return; /* relaxed: a hint, as above */
		if (c != UINT32_MAX && c == mk_backend_cpu_current())
			return;
		bound = avg + avg / 2;
		bound = bound < IDLE_POLL_MIN_NS ? IDLE_POLL_MIN_NS
		      : bound > IDLE_POLL_MAX_NS ? IDLE_POLL_MAX_NS : bound;
	}
	/* seq_cst: the role is only a limit on CPU use, nothing pairs */
	if (!dom_atomic_cas(&d->poller, &none, (int)v->id, memory_order_seq_cst))
		return;
	for (unsigned i = 1;; i++) {
		if (idle_words_set(v)) {
			/* relaxed: a count only tests read, after joining */
			dom_atomic_fetch_add(&v->poll_paid, 1, memory_order_relaxed);
			break;
		}
		mk_cpu_relax();
		if ((i & 15) != 0)
			continue;
		now = mk_clock_now_ns();
		if (now - start >= bound || now >= deadline) {
			/* relaxed: as poll_paid */
			dom_atomic_fetch_add(&v->poll_failed, 1, memory_order_relaxed);
			break;
		}
	}
	dom_atomic_store(&d->poller, -1, memory_order_seq_cst);
}

/* An idle period of v, from start to now, enters its average. */
static void idle_ended(struct dom_vcpu *v, uint64_t start, uint64_t now)
{
	uint64_t t = now - start;

	if (t > DOM_IDLE_SAMPLE_MAX_NS)
		t = DOM_IDLE_SAMPLE_MAX_NS;
	v->idle_avg_ns = (uint32_t)(((uint64_t)v->idle_avg_ns * 7 + t) / 8);
}

void dom_vcpu_loop(struct dom_vcpu *v)
{
	struct dom *d = v->dom;
	struct dom_thread *t;
	uint64_t bits, deadline, now;
	int r;

	for (;;) {
		if ((t = pick_common(v, true)) != NULL) {
			idle_run(v, t);
			continue;
		}
		if (must_leave(v))
			break;
		/* Announce idleness, take the listener role if it is free,
		 * then look once more (see the top). */
		dom_atomic_fetch_or(&d->idle_mask, UINT64_C(1) << v->id, memory_order_seq_cst);
		if (!d->waitv && !v->listening) {
			int none = -1;
			v->listening = dom_atomic_cas(&d->listener, &none, (int)v->id,
						      memory_order_seq_cst);
		}
		t = pick_common(v, true);
		r = -EAGAIN;
		if (t == NULL && !must_leave(v)) {
			deadline = dom_timer_next(d, v); /* the domain's and its own */
			now = mk_clock_now_ns();
			if (deadline == MK_FOREVER || deadline > now) {
				DOM_TRACE(d, DOM_TR_VCPU_IDLE, v->id, 0, 0, NULL);
				idle_poll(v, now, deadline);
				r = idle_wait(v, deadline, &bits);
				if (d->idle_poll)
					idle_ended(v, now, mk_clock_now_ns());
				DOM_TRACE(d, DOM_TR_VCPU_WAKE, v->id, 0, 0, NULL);
				/* relaxed: a count only tests read, after joining */
				dom_atomic_fetch_add(&v->idle_wakes, 1, memory_order_relaxed);
				if (r == -ETIMEDOUT)
					/* relaxed: a count only tests read */
					dom_atomic_fetch_add(&v->timed_wakes, 1,
								  memory_order_relaxed);
			} else
				r = -ETIMEDOUT;
		}
		dom_atomic_fetch_and(&d->idle_mask, ~(UINT64_C(1) << v->id), memory_order_seq_cst);
		if (t != NULL) {
			idle_run(v, t);
			continue;
		}
		if (r == 0) {
			v->delivering = true;
			take_bits(d, bits);
			v->delivering = false;
			if ((t = v->keep) != NULL) {
				/* "Local wake-ups" (top of the file) */
				v->keep = NULL;
				/* relaxed: a count only tests read, after joining */
				dom_atomic_fetch_add(&v->local_wakes, 1, memory_order_relaxed);
				idle_run(v, t);
				continue;
			}
		}
		dom_timer_run(d, v, mk_clock_now_ns());
	}
	if (v->listening)
		listen_release(v); /* dom_run returns: another vCPU listens */
}

void *dom_vcpu_main(void *arg)
{
	struct dom_vcpu *v = arg;

	v->seat.cur = &v->idle_ctx;
	v->rand = 2654435761u * (v->id + 1); /* any non-zero seed */
	dom_arch_fp_reset();
	dom_fiber_adopt(&v->idle_ctx);
	mk_tls_set(MK_TLS_DOM_CURRENT, &v->seat);
#if DOM_ONE_VCPU && defined(MK_BACKEND_DIRECT_WAKE)
	mk_pd_direct_register(v->dom->irq, direct_wake, direct_leave, v);
#endif
	dom_vcpu_loop(v);
#if DOM_ONE_VCPU && defined(MK_BACKEND_DIRECT_WAKE)
	mk_pd_direct_register(NULL, NULL, NULL, NULL);
#endif
	mk_tls_set(MK_TLS_DOM_CURRENT, NULL);
	return NULL;
}
