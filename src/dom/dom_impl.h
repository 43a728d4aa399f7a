/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal to src/dom: thread records, vCPUs, the domain, and the wait
 * protocol every blocking primitive uses.  Only mk_* and C11 atomics below
 * this line; of libc only the freestanding string.h and the <sys/queue.h>
 * list macros (debug.c formats its message with stdio).
 */
#ifndef DOM_IMPL_H
#define DOM_IMPL_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/queue.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/mk.h>

#include "arch/arch.h"
#include "dom_atomic.h"
#include "arch/offsets.h"
#include "mk_backend.h" /* from the backend folder, see CMakeLists.txt */

/* Everything declared below is internal to the library: hidden, so calls
 * between dom's files are direct, not through the PLT. */
#pragma GCC visibility push(hidden)

enum {
	DOM_MAGIC_DOM = 0x646f6d31u,	/* "dom1" */
	DOM_MAGIC_THREAD = 0x74687231u, /* "thr1" */
	DOM_MAGIC_MUTEX = 0x6d747831u,
	DOM_MAGIC_CV = 0x63763031u,
	DOM_MAGIC_RW = 0x72776c31u,
	DOM_MAGIC_SEM = 0x73656d31u,
	DOM_MAGIC_DEAD = 0xdeadbeefu,
};

#define DOM_KICK (UINT64_C(1) << 63)

/* A build whose domains have exactly one vCPU: the Microkit backend's
 * sub-project sets it (a PD is one seL4 thread).  dom_create refuses more
 * vCPUs, and a yield takes the short path (sched.c, "One vCPU"). */
#ifndef DOM_ONE_VCPU
#define DOM_ONE_VCPU 0
#endif

/* One-vCPU builds: the functions of the wake-up path (a Microkit PD's
 * receive in place: the notification to the green thread it wakes, which
 * waits again) share one section, so that they sit on as few code pages
 * as there can be: under QEMU each page a PD touches after a switch
 * between PDs costs a page walk (docs/microkit.md, "Benchmark").  What
 * only the direct wake adds (the switches from and back to the PD
 * context) and the yield's long path (every POLL_IRQ_EVERY-th yield) have
 * the section after it, DOM_DIRECT_PATH: on one page wherever the rest of
 * the library moves (a yield ratio of 1.97 read 2.23 after an unrelated
 * function grew and moved the long path about). */
#if DOM_ONE_VCPU
#define DOM_WAKE_PATH __attribute__((section(".text.dom_wake")))
#define DOM_DIRECT_PATH __attribute__((section(".text.dom_wake_direct")))
#else
#define DOM_WAKE_PATH
#define DOM_DIRECT_PATH
#endif

/* ------------------------------------------------------------------ */
/* Checked invariants.  Debug builds (RUMPBRIDGE_DEBUG, or no NDEBUG)
 * assert the state table, queue membership and lock ownership below with
 * a message naming the object, then abort; release builds compile the
 * checks away and keep the fast paths as they are. */
void dom_panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
#if defined(RUMPBRIDGE_DEBUG) || !defined(NDEBUG)
#define DOM_DEBUG 1
#define dom_assert(cond, ...)                                                                      \
	do {                                                                                       \
		if (__builtin_expect(!(cond), 0))                                                  \
			dom_panic(__VA_ARGS__);                                                    \
	} while (0)
#else
#define DOM_DEBUG 0
#define dom_assert(cond, ...) ((void)sizeof(cond))
#endif

/* The lock word of a spin lock is set: debug builds check that a
 * function documented as "with X held" is called so.  (Who holds it is
 * not recorded: the locks are one word, embedded in public structs.) */
#define dom_assert_locked(l, what, obj)                                                           \
	dom_assert(atomic_load_explicit((l), memory_order_relaxed) != 0, "%s %p used unlocked",   \
		   (what), (const void *)(obj))

/* ------------------------------------------------------------------ */
/* Spin locks: held for a few stores only.  A bounded spin, then a host
 * yield, so a preempted holder is not spun against for a whole slice. */

/* docs/locking.md: spin locks do not nest, except in dom_destroy's
 * verdict.  Debug builds count the locks each host thread holds (a green
 * thread never switches while holding one, so the host thread's count is
 * its own) and assert it. */
#if DOM_DEBUG
#if DOM_ONE_VCPU
#define DOM_DEBUG_TLS /* one host thread (a Microkit PD, which has no TLS) */
#else
#define DOM_DEBUG_TLS __thread
#endif
extern DOM_DEBUG_TLS unsigned dom_locks_held;
extern DOM_DEBUG_TLS bool dom_locks_nest; /* inside dom_destroy's verdict */
extern DOM_DEBUG_TLS bool dom_locks_leaf; /* holds a leaf lock */
#endif

/* The acquiring loop of both kinds of lock below, without the debug
 * bookkeeping. */
static inline void dom_spin_acquire(_Atomic uint32_t *l)
{
#if DOM_ONE_VCPU
	/* One vCPU (dom_atomic.h): the one thread never switches while it
	 * holds a spin lock (docs/locking.md), so nothing holds it here; if
	 * something did, nothing could release it (the loop below would spin
	 * for ever). */
	dom_assert(atomic_load_explicit(l, memory_order_relaxed) == 0,
		   "spin lock %p taken while held (one vCPU: nobody can release it)", (void *)l);
	dom_atomic_store(l, 1, memory_order_acquire);
#else
	for (unsigned i = 0;; i++) {
		/* acquire: pairs with the release of dom_spin_unlock and
		 * dom_leaf_unlock */
		if (atomic_load_explicit(l, memory_order_relaxed) == 0 &&
		    atomic_exchange_explicit(l, 1, memory_order_acquire) == 0)
			return;
		if (i < 64)
			dom_arch_relax();
		else
			mk_thread_yield();
	}
#endif
}

static inline void dom_spin_lock(_Atomic uint32_t *l)
{
#if DOM_DEBUG
	dom_assert((dom_locks_held == 0 || dom_locks_nest) && !dom_locks_leaf,
		   "spin lock %p taken while holding another (docs/locking.md)", (void *)l);
	dom_locks_held++;
#endif
	dom_spin_acquire(l);
}

static inline void dom_spin_unlock(_Atomic uint32_t *l)
{
#if DOM_DEBUG
	dom_assert(dom_locks_held > 0 && atomic_load_explicit(l, memory_order_relaxed) != 0,
		   "spin lock %p released but not held", (void *)l);
	dom_locks_held--;
#endif
	dom_atomic_store(l, 0, memory_order_release); /* pairs with dom_spin_acquire */
}

/* Leaf locks: the debug-only owner tables of mutex.c and rwlock.c, taken
 * under a wait-queue lock.  Nothing is taken while one is held, and they
 * do not nest among themselves (docs/locking.md). */
static inline void dom_leaf_lock(_Atomic uint32_t *l)
{
#if DOM_DEBUG
	dom_assert(!dom_locks_leaf, "leaf lock %p taken while holding a leaf lock", (void *)l);
	dom_locks_leaf = true;
#endif
	dom_spin_acquire(l);
}

static inline void dom_leaf_unlock(_Atomic uint32_t *l)
{
#if DOM_DEBUG
	dom_assert(dom_locks_leaf && atomic_load_explicit(l, memory_order_relaxed) != 0,
		   "leaf lock %p released but not held", (void *)l);
	dom_locks_leaf = false;
#endif
	dom_atomic_store(l, 0, memory_order_release); /* pairs with dom_spin_acquire */
}

/* ------------------------------------------------------------------ */
/* Thread records.
 *
 * A record describes a green thread, an entered host thread, or a vCPU's
 * idle context (the host thread's own stack, where the vCPU waits).  The
 * TLS slot MK_TLS_DOM_CURRENT of a host thread points at a struct
 * dom_seat: a vCPU's seat names the green thread it runs (updated on every
 * switch), an entered host thread's seat names its own record.  So
 * dom_self() is one TLS read and one load, wherever it runs.
 */
struct dom_seat {
	struct dom_thread *cur;
};

enum dom_kind { DK_GREEN, DK_HOST, DK_IDLE };

/* Green thread states.  Transitions:
 *   RUNNING  -> RUNNABLE (yield)  -> pushed after the switch
 *   RUNNING  -> BLOCKING (under the wait queue lock, with the waiter
 *               queued)  -> BLOCKED (after the switch, CAS)
 *   BLOCKING | BLOCKED -> RUNNABLE (the waker, exchange); whoever sees
 *               BLOCKED pushes it: the waker if the switch is done, else
 *               the switch epilogue, whose CAS then fails.
 *   RUNNING  -> ZOMBIE (exit) -> reaped after the switch.
 *   RUNNING  -> DETACHING (dom_detach) -> handed to a porter after the
 *               switch; it runs there as a host thread until dom_reattach
 *               queues it again (detach.c). */
enum dom_state { TS_RUNNING, TS_RUNNABLE, TS_BLOCKING, TS_BLOCKED, TS_ZOMBIE, TS_DETACHING };

/* Debug builds assert each transition of this table where it happens
 * (sched.c, waitq.c, thread.c, detach.c): dom_assert_state(t, expected
 * set, "transition"), naming the thread and the state it was in. */
#define DOM_ST(s) (1u << (s))
const char *dom_state_name(int st);
#define dom_assert_state(t, set, what)                                                             \
	dom_assert((DOM_ST(atomic_load_explicit(&(t)->state, memory_order_relaxed)) & (set)) != 0, \
		   "thread %p '%s' in state %s at %s", (const void *)(t), (t)->name,              \
		   dom_state_name(atomic_load_explicit(&(t)->state, memory_order_relaxed)), (what))

struct dom_waiter;

/* A run queue's list (sched.c) */
STAILQ_HEAD(dom_threadq, dom_thread);
LIST_HEAD(dom_threadlist, dom_thread);

struct dom_thread {
	struct dom_seat seat; /* host records: seat.cur == self */
	void *sp; /* saved stack pointer while switched out (arch/offsets.h) */
	void *san; /* TSan: its fiber (arch/offsets.h) */
	uint32_t magic;
	uint8_t kind;
	uint8_t fpenv; /* attr.fpenv (arch/offsets.h) */
	bool detached;
	_Atomic int state;
	bool service;	     /* the domain's own thread (svc, worker) */
	bool std_stack;	     /* stack of d->stack_size: may go to d->stacks */
	struct dom *dom;
	struct dom_vcpu *vcpu; /* green: where it runs or last ran */
	struct dom_porter *porter; /* detached: the host thread it runs on */
	int affinity;
	STAILQ_ENTRY(dom_thread) rq_link; /* run queue; timer.c's fired list */
#if DOM_ONE_VCPU
	/* its vCPU's run ring, NULL: not on it (sched.c); beside the other
	 * fields a switch touches, not on another page of the record */
	struct dom_thread *ring_next;
#endif
	const void *on_q; /* debug builds: the run queue it is on, or NULL */
	/* green: d->all (d->lock); host record: d->hosts or the pool of
	 * free records (host_lock, thread.c) */
	LIST_ENTRY(dom_thread) all_link;
	struct dom_waiter *wait;		/* timer: the wait to time out */
	uint64_t deadline;			/* timer heap key */
	uint32_t heap_idx;			/* 0: not in a heap */
	struct dom_timers *timers;		/* the heap it is in (timer_lock) */
	_Atomic unsigned nest;			/* dom_enter depth */
	void *current;				/* dom_current() */
	uint64_t dom_serial;			/* host records: bound domain */
	struct mk_notification ntf;		/* host records: wake-ups */
	struct mk_stack stack;
	void *(*fn)(void *);
	void *arg;
	void *ret;
	struct dom_waitq joinq;
	bool dead;	     /* switched out for the last time (joinq lock) */
	bool joining;	     /* a joiner is waiting (joinq lock) */
	void *san_fake; /* ASan: fake stack saved while switched out */
	const void *san_stack;
	size_t san_stack_size;
	char name[DOM_NAME_MAX + 1];
};

_Static_assert(offsetof(struct dom_thread, sp) == DOM_THREAD_SP, "arch/offsets.h is stale");
_Static_assert(offsetof(struct dom_thread, fpenv) == DOM_THREAD_FPENV, "arch/offsets.h is stale");
_Static_assert(offsetof(struct dom_thread, san) == DOM_THREAD_SAN, "arch/offsets.h is stale");

/* One wait.  Lives on the waiter's stack; linked in a wait queue under
 * its lock.  Exactly one party claims it (CAS claimed 0 -> 1): a waker
 * under the queue lock, or the timer under the timer lock.  The claimer
 * unlinks it, sets result and then wakes the thread, and touches it no
 * more after the wake.  The waiter returns only after being woken. */
struct dom_waiter {
	struct dom_waiter *next, *prev;
	struct dom_thread *t;
	struct dom_waitq *q; /* NULL: a plain sleep */
	_Atomic int claimed;
	_Atomic int done; /* host waiters: the claimer is finished with it */
	int result;
	uint64_t data; /* per primitive: event mask, reader/writer, ... */
};

struct dom_runq {
	_Atomic uint32_t lock;
	_Atomic uint32_t n; /* read without the lock as a hint */
	struct dom_threadq q;
};

/* A min-heap of green threads by deadline (timer.c), under d->timer_lock;
 * next mirrors the root (MK_FOREVER: empty) for readers without it. */
struct dom_timers {
	struct dom_thread **heap;
	uint32_t n, cap;
	_Atomic uint64_t next;
};

struct dom_vcpu {
	struct dom_seat seat;
	struct dom *dom;
	unsigned id;
	struct mk_notification ntf;	/* idle wait (and d->irq if d->waitv) */
	bool listening;			/* owner only: d->listener is this */
	bool delivering;		/* owner only: idle loop in take_bits */
	struct dom_thread *keep;	/* owner only: first thread it woke then */
	_Atomic unsigned long local_wakes; /* threads run from keep (tests) */
	_Atomic unsigned long timed_wakes; /* idle waits that timed out (tests) */
	struct dom_timers timers;	/* threads bound here (timer.c) */
	_Atomic unsigned long idle_wakes;  /* returns from the idle wait (tests) */
	uint32_t idle_avg_ns;		/* owner only: recent idle time ("Idle poll") */
	_Atomic unsigned long poll_paid;   /* idle polls that found work (tests) */
	_Atomic unsigned long poll_failed; /* idle polls that ran out (tests) */
	struct dom_thread idle_ctx;
	struct dom_runq inbox;		/* threads bound to this vCPU */
	struct dom_threadq priv;	/* own pushes, no lock */
#if DOM_ONE_VCPU
	struct dom_thread *ring_tail; /* the run ring's last thread, NULL: empty (sched.c) */
#endif
	unsigned ticks;			/* scheduling points, for polls */
	unsigned move_at;		/* ticks of the next move (sched.c) */
	uint32_t rand;			/* xorshift32 state for move_at */
	struct mk_thread *host;
#if DOM_ONE_VCPU
	bool fpenv_seen; /* a thread with attr.fpenv was queued (sched.c, "One vCPU") */
	/* The direct wake (sched.c, owner only): the idle wait is under way
	 * with park_deadline; a thread left the direct wake (direct_left). */
	bool parked;
	bool direct_left;
	uint64_t park_deadline;
#endif
};

/* A job for a porter (dom_host_run): on d->jobs while queued. */
struct dom_job {
	STAILQ_ENTRY(dom_job) link;
	void (*fn)(void *);
	void *arg;
};

/* A porter: a helper host thread of the domain that keeps blocking work
 * off the vCPUs (detach.c).  It runs either a detached green thread
 * (dom_detach) or a job (dom_host_run), one at a time. */
struct dom_porter {
	struct dom_seat seat;
	struct dom *dom;
	struct dom_thread ctx; /* the porter's own stack while it waits */
	struct dom_thread *guest; /* porter_lock */
	struct dom_job *job;	  /* porter_lock */
	struct mk_notification ntf;
	struct mk_thread *host;
	SLIST_ENTRY(dom_porter) idle_link; /* d->porters_idle (porter_lock) */
	SLIST_ENTRY(dom_porter) all_link;  /* d->porters_all (porter_lock) */
	bool stop;
};

struct dom_post_slot {
	void (*fn)(void *);
	void *arg;
};

/* A dom_call request, on its caller's stack: on d->calls while queued,
 * on d->calls_running while a worker runs it (workq.lock). */
struct dom_call_req {
	TAILQ_ENTRY(dom_call_req) link;
	bool queued;
	void *(*fn)(void *);
	void *arg;
	void *ret;
	struct dom_thread *caller; /* host record to wake */
	_Atomic int done;
};

struct dom {
	uint32_t magic;
	uint32_t flags;
	uint64_t serial;
	char name[DOM_NAME_MAX + 1];
	unsigned nvcpu;
	size_t stack_size;
	struct mk_notification *irq;
	struct mk_notification own_irq;
	_Atomic uint64_t idle_mask; /* vCPUs idle or about to be */
	_Atomic int listener;	 /* idle vCPU waiting on irq, -1: none */
	bool waitv;		 /* idle vCPUs all wait on irq too (sched.c) */
	bool idle_poll;		 /* RUMPBRIDGE_IDLE_POLL, more than one CPU ("Idle poll") */
	_Atomic int poller;	 /* the idle vCPU polling, -1: none ("Idle poll") */
	_Atomic uint32_t wake_cpu; /* CPU of the last event signal or kick (a hint) */
	/* Teardown (dom.c, dom_destroy).  closing: a destroy is deciding,
	 * under d->lock; cleared again if it refuses.  Only dom_enter reads
	 * it (the nest/closing Dekker pair), and then waits for the verdict
	 * on d->lock.  dying: the destroy is committed, never cleared; new
	 * work is refused with -ESHUTDOWN and the service threads leave.  A
	 * refused destroy never sets dying, so nothing a service thread or
	 * a caller sees changes. */
	_Atomic bool closing;
	_Atomic bool dying;
	_Atomic bool vstop;	 /* dom_destroy: vCPUs leave */
	_Atomic bool run_stop;	 /* dom_stop */
	_Atomic bool running0;	 /* dom_run active */
	struct dom_runq rq;	 /* threads free to run anywhere */

	/* threads: d->lock */
	_Atomic uint32_t lock;
	struct dom_threadlist all;
	unsigned nthreads, nservice;
	struct dom_thread *destroyer;	 /* waits for nservice == 0 */
	struct dom_threadlist hosts;	 /* bound host records (host_lock) */
	/* stack cache (thread.c): stacks of d->stack_size kept for the next
	 * threads; at most DOM_STACK_CACHE (NULL: no cache).  d->lock. */
	struct mk_stack *stacks;
	unsigned nstacks;

	/* timers: timer_lock (the domain's and every vCPU's heap) */
	_Atomic uint32_t timer_lock;
	struct dom_timers timers; /* threads free to run anywhere */

	/* events and posts: evq.lock; the service thread's wake-up:
	 * svcq.lock; calls and workers: workq.lock */
	struct dom_waitq evq;	  /* event waiters, data = mask */
	uint64_t pending;	  /* evq.lock */
	uint64_t bound;		  /* evq.lock */
	void (*handler[DOM_EVENTS])(unsigned, void *);
	void *handler_arg[DOM_EVENTS];
	struct dom_post_slot *post;
	uint32_t post_cap, post_head, post_n;
	struct dom_waitq svcq;	  /* the service thread waits here */
	bool svc_work;		  /* svcq.lock */
	void (*svc_handler)(unsigned, void *); /* evq.lock: what the */
	void (*svc_post)(void *);	       /* service thread runs */
	struct dom_waitq workq;	  /* idle call workers wait here */
	TAILQ_HEAD(, dom_call_req) calls, calls_running; /* workq.lock */
	unsigned workers, idle_workers, max_workers;

	struct dom_vcpu *vcpu;

	/* porters (detach.c): porter_lock */
	_Atomic uint32_t porter_lock;
	SLIST_HEAD(, dom_porter) porters_idle, porters_all;
	unsigned nporters;
	STAILQ_HEAD(, dom_job) jobs; /* waiting for a porter */
	unsigned njobs;		     /* queued or running */
};

/* ------------------------------------------------------------------ */
/* record.c: type-stable records for what callers hold handles to */
enum dom_rec_kind { DOM_REC_DOM, DOM_REC_THREAD, DOM_REC_KINDS };
/* How many exited threads' stacks a domain keeps for new threads. */
#define DOM_STACK_CACHE 256
/* A freed record is reused only once this many newer ones were freed. */
#define DOM_RECORD_QUARANTINE 64
/* A zeroed record, or NULL (no memory). */
void *dom_record_alloc(enum dom_rec_kind kind);
/* Its magic must be DOM_MAGIC_DEAD already: stale handles read it. */
void dom_record_free(enum dom_rec_kind kind, void *rec);

/* ------------------------------------------------------------------ */
/* sched.c */
struct dom_vcpu *dom_vcpu_self(void);
void dom_sched_wake(struct dom_thread *t);
void dom_sched_push_new(struct dom_thread *t);
/* Give up the vCPU: state already set by the caller (RUNNABLE, BLOCKING
 * or ZOMBIE).  Returns when the thread runs again (never for ZOMBIE). */
void dom_sched_switch_out(struct dom_thread *self);
void dom_sched_kick(struct dom *d);
void dom_sched_kick_vcpu(struct dom_vcpu *v);
/* The idle poll ("Idle poll" in sched.c): note the calling thread's CPU
 * as the last to signal d's vCPUs (a hint; only when d polls). */
void dom_sched_note_waker(struct dom *d);
/* Test hook of the idle poll: DOM_IDLE_POLL_AUTO (the adaptive rule),
 * DOM_IDLE_POLL_MAX (every idle vCPU that gets the poller role polls
 * for the cap, hints ignored, even if RUMPBRIDGE_IDLE_POLL=0 or one
 * CPU), DOM_IDLE_POLL_NONE (never).  Relaxed: read at each idle. */
bool dom_idle_poll_enabled(void); /* at dom_create: env and CPU count */
/* An idle period enters v->idle_avg_ns clamped to this. */
#define DOM_IDLE_SAMPLE_MAX_NS 1000000u
enum { DOM_IDLE_POLL_AUTO = 0, DOM_IDLE_POLL_MAX = 1, DOM_IDLE_POLL_NONE = 2 };
extern _Atomic int dom_idle_poll_test;
#if DOM_ONE_VCPU
/* The next yield in d takes the long path (sched.c, "One vCPU": the
 * yield gate); dom_trace_start calls it. */
void dom_sched_gate_close(struct dom *d);
#endif
void *dom_vcpu_main(void *arg);
void dom_vcpu_loop(struct dom_vcpu *v);
void dom_thread_entry(void);
/* The switch epilogue, run by dom_arch_switch on next's stack.  Finishes
 * what prev started: queue a yielder, block a blocker, reap an exited
 * thread, hand a detaching one to its porter. */
void dom_after_switch(struct dom_thread *prev, struct dom_thread *next);
/* dom_yield's C half (called from arch/<cpu>/switch.S; not in one-vCPU
 * builds, whose dom_yield is sched.c's). */
struct dom_yield_pick {
	struct dom_thread *next; /* NULL: no switch; rc is the result */
	intptr_t cur_or_rc;	 /* next != NULL: the current thread */
};
struct dom_yield_pick dom_sched_yield_pick(void);

/* timer.c */
void dom_timer_arm(struct dom_thread *t, uint64_t deadline);
void dom_timer_cancel(struct dom_thread *t);
void dom_timer_run(struct dom *d, struct dom_vcpu *v, uint64_t now);
uint64_t dom_timer_next(struct dom *d, struct dom_vcpu *v);
void dom_timers_free(struct dom *d);

/* waitq.c */
void dom_waitq_init(struct dom_waitq *q);
/* With q->lock held: queue w for self, mark self as blocking. */
void dom_waitq_prepare(struct dom_waitq *q, struct dom_waiter *w, struct dom_thread *self,
		       uint64_t data);
/* After prepare and unlocking: block until claimed or deadline.  Returns
 * w->result: 0, or -ETIMEDOUT when the timer claimed it. */
int dom_waitq_commit(struct dom_waiter *w, uint64_t deadline);
/* prepare + unlock + commit. */
int dom_waitq_block(struct dom_waitq *q, struct dom_waiter *w, struct dom_thread *self,
		    uint64_t data, uint64_t deadline);
/* With q->lock held: claim and unlink the first unclaimed waiter (NULL if
 * none).  Wake it with dom_waiter_wake after setting what it should see
 * (result), ideally after dropping the lock. */
struct dom_waiter *dom_waitq_claim_first(struct dom_waitq *q);
/* Claim and unlink w (held lock); false if someone else claimed it. */
bool dom_waitq_claim(struct dom_waitq *q, struct dom_waiter *w);
bool dom_waitq_empty(const struct dom_waitq *q);
void dom_waiter_wake(struct dom_waiter *w);
bool dom_waiter_claim_timeout(struct dom_waiter *w);
void dom_waiter_finish_timeout(struct dom_waiter *w);

/* thread.c */
struct dom_thread *dom_host_record(void);
int dom_thread_spawn(struct dom *d, struct dom_thread **out, const struct dom_thread_attr *a,
		     void *(*fn)(void *), void *arg, bool service);
void dom_hosts_unbind_all(struct dom *d);
unsigned dom_hosts_entered(struct dom *d, bool report);
void dom_thread_reap(struct dom_thread *t);
void dom_thread_free(struct dom_thread *t);
void dom_log(const struct dom *d, const char *a, const char *b, const char *c);

/* detach.c */
void dom_porter_take(struct dom_thread *t);
void dom_porters_stop(struct dom *d);

/* event.c / service.c */
void dom_event_deliver(struct dom *d, uint64_t bits);
void *dom_service_main(void *arg);
int dom_service_start(struct dom *d);
void dom_service_stop(struct dom *d);
void dom_service_kick(struct dom *d);

static inline struct dom_thread *dom_self_inline(void)
{
	struct dom_seat *s = mk_tls_current();

	return s != NULL ? s->cur : NULL;
}

/* The check every public call on a domain starts with. */
static inline int dom_check(const struct dom *d)
{
	if (d == NULL)
		return -EINVAL;
	return d->magic == DOM_MAGIC_DOM ? 0 : -EBADF;
}

#pragma GCC visibility pop

#endif
