/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dom: the domain that hosts a library kernel.
 *
 * A domain runs green threads on N vCPUs (host threads, 1 to 64).  Green
 * threads are cooperative: one runs on a vCPU until it blocks, yields or
 * exits.  Host threads that are not vCPUs take part through foreign entry
 * (dom_enter/dom_leave): an entered host thread may use every primitive
 * below; when it blocks it waits on its own notification and holds no
 * vCPU.
 *
 * Kinds of callers, named in every comment below:
 *   green   a green thread of the domain;
 *   entered a host thread between dom_enter and dom_leave;
 *   any     any thread at all, entered or not.
 * A primitive called from a thread that is neither green nor entered
 * returns -EPERM.
 *
 * The domain notification is its interrupt line: bits 0..62 are events
 * that outside code signals (dom_event_signal, or mk_notification_signal
 * on dom_irq()); bit 63 is reserved for kicks between vCPUs.
 *
 * Errors, for every function: 0 on success or a negative errno code.
 *   -EINVAL  NULL object or argument out of range;
 *   -EBADF   the object was destroyed (or never initialised);
 *   -EPERM   the caller is not a thread of this domain (see above);
 * plus the codes listed at each function.  Bad input never aborts.
 *
 * Handle lifetime.  A domain handle lives from dom_create until the
 * dom_destroy that returns 0; a green thread handle from
 * dom_thread_create until the dom_thread_join that returns 0 (or the
 * dom_destroy of its domain).  Their records are never returned to the
 * host allocator, only reused for a new domain or thread, oldest first,
 * and only after at least 64 more of the same kind were freed.  So a
 * stale handle is refused (-EBADF; NULL, false or 0 from the accessors),
 * without undefined behaviour, until 64 more domains (threads) have ended
 * after it; past that it may name a new object: do not keep handles past
 * their lifetime.  A call that overlaps the destroy or join that ends a
 * handle's life (runs concurrently with it) is a caller's error.
 */
#ifndef RUMPBRIDGE_DOM_H
#define RUMPBRIDGE_DOM_H

#include <errno.h> /* the E* codes the functions return */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rumpbridge/mk.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dom;
struct dom_thread;

#define DOM_VCPUS_MAX 64
#define DOM_NAME_MAX 15 /* longest domain or thread name, without NUL */
#define DOM_EVENTS 63	/* event bits 0..62 */
#define DOM_EVENT_MASK ((UINT64_C(1) << DOM_EVENTS) - 1)

/* ------------------------------------------------------------------ */
/* Domains                                                              */

/* The caller's own thread is vCPU 0, from dom_run until dom_stop: no
 * extra host thread (the configuration of a seL4 Microkit PD). */
#define DOM_CALLER_IS_VCPU0 0x1u

struct dom_config {
	const char *name;	 /* <= DOM_NAME_MAX chars; NULL: "dom" */
	unsigned vcpus;		 /* 1..DOM_VCPUS_MAX; 0: 1 */
	unsigned flags;		 /* DOM_CALLER_IS_VCPU0 */
	size_t stack_size;	 /* default green stack; 0: 64 KiB */
	unsigned post_capacity;	 /* dom_post queue slots; 0: 256 */
	unsigned max_workers;	 /* dom_call green workers; 0: 16 */
	struct mk_notification *irq; /* domain notification to use (e.g.
					in a shared region, initialised
					MK_SHARED); NULL: the domain's own */
};

/* Create a domain and start its vCPUs (all of them, or all but vCPU 0
 * with DOM_CALLER_IS_VCPU0).  Where the process may run on more than one
 * CPU (its affinity now), an idle vCPU whose idle periods were short
 * polls for work for up to 50 us before it sleeps (docs/dom.md, "Idle
 * poll"); RUMPBRIDGE_IDLE_POLL=0 in the environment turns that off.
 * any.  Errors: -EINVAL (vcpus over 64, or
 * over 1 in a one-vCPU build: the Microkit backend's; unknown flag,
 * post_capacity over 1<<20, a bad irq object), -ENAMETOOLONG, -ENOMEM,
 * -EAGAIN (host thread limit). */
int dom_create(struct dom **d, const struct dom_config *cfg);

/* With DOM_CALLER_IS_VCPU0: run vCPU 0 on the calling host thread until
 * dom_stop.  The thread's FP control modes are set to the defaults (see
 * "FP control modes") and left so.  Errors: -EINVAL (domain not created with the flag), -EBUSY
 * (already running), -EPERM (called from a green thread). */
int dom_run(struct dom *d);

/* Make dom_run return once vCPU 0 is idle.  any. */
int dom_stop(struct dom *d);

/* Tear the domain down: stop the vCPUs, join them and the domain's own
 * service threads, free everything.  Only a host thread that is not
 * entered may do it; it never waits for user code.  Errors: -EBUSY
 * (green threads are still alive, host threads are still entered, or a
 * dom_post function, bound event handler, dom_call function or
 * dom_host_run job is queued or running: what it is, is written to the console, and nothing is
 * changed: the domain goes on as before), -EPERM (called from inside the
 * domain), -EBADF (already destroyed), -ENOMEM (no record for the calling
 * host thread, made at its first call into dom: nothing changed).  Bound
 * events that arrive while
 * the destroy that succeeds is under way are dropped. */
int dom_destroy(struct dom *d);

/* The domain notification (for mk_notification_signal from anywhere). */
struct mk_notification *dom_irq(struct dom *d);

/* Number of vCPUs. */
unsigned dom_vcpus(const struct dom *d);

/* ------------------------------------------------------------------ */
/* Green threads                                                        */

struct dom_thread_attr {
	const char *name;  /* <= DOM_NAME_MAX chars; NULL: "green" */
	size_t stack_size; /* 0: the domain default; at most 256 MiB */
	int vcpu;	   /* run only on this vCPU; -1: any */
	bool detached;	   /* not joinable: freed when it exits */
	bool fpenv;	   /* keeps its own FP control modes, see below */
};

/* FP control modes (x86_64: MXCSR and the x87 control word; AArch64:
 * FPCR: rounding, exception traps, flush-to-zero).  A green thread
 * created with fpenv keeps its own, like a host thread: whatever it sets
 * is saved when it switches out and restored when it runs again, and the
 * other threads never see it.  Every other green thread runs with the
 * default modes (round to nearest, exceptions masked) and must leave them
 * so: a change it makes is not saved and reaches whatever runs next on
 * that vCPU.  The reason is cost: reading MXCSR takes about 4 ns on x86,
 * a quarter of a yield, and kernel-style code never changes the modes. */

/* Create a green thread running fn(arg) (returning from fn is
 * dom_thread_exit), with the default FP control modes.  It becomes
 * runnable at once.  any.  *t may be NULL for a detached thread.
 * Errors: -EINVAL (fn NULL, t NULL for a
 * joinable thread, vcpu out of range, stack too big), -ENAMETOOLONG,
 * -ENOMEM, -ESHUTDOWN (the domain is being destroyed). */
int dom_thread_create(struct dom *d, struct dom_thread **t, const struct dom_thread_attr *a,
		      void *(*fn)(void *), void *arg);

/* End the calling green thread with result ret; a thread moved to a
 * porter by dom_detach is reattached first.  green only; from any other
 * thread it returns -EPERM. */
int dom_thread_exit(void *ret);

/* Wait for t to exit, take its result and free it.  green or entered.
 * Errors: -EINVAL (t detached), -EDEADLK (t is the caller), -EBUSY
 * (another thread is already joining t), -EBADF (t was joined already, or
 * its domain destroyed: see "Handle lifetime"). */
int dom_thread_join(struct dom_thread *t, void **ret);

/* Let the other runnable green threads of this vCPU run.  green: a
 * switch; entered: a host yield.  Errors: -EPERM. */
int dom_yield(void);

/* Block the caller until deadline_ns (mk_clock_now_ns time) or for ns
 * nanoseconds.  green or entered.  Errors: -EPERM. */
int dom_sleep_until(uint64_t deadline_ns);
int dom_sleep_ns(uint64_t ns);

/* The calling green thread or entered host thread; NULL otherwise.  A
 * few instructions. */
struct dom_thread *dom_self(void);

/* The per-thread "current" pointer (rumpuser keeps curlwp there) of the
 * calling green or entered thread.  get returns NULL elsewhere; set
 * returns -EPERM elsewhere. */
void *dom_current(void);
int dom_current_set(void *p);

/* A thread's name (never NULL for a live thread) and domain; NULL for a
 * stale handle. */
const char *dom_thread_name(const struct dom_thread *t);
struct dom *dom_thread_dom(const struct dom_thread *t);
/* True when t is a green thread (false: an entered host thread). */
bool dom_thread_is_green(const struct dom_thread *t);

/* Move the calling green thread off its vCPU onto a host thread of its
 * own (a "porter", taken from a pool) until dom_reattach, so that it may
 * make blocking host calls (read(2) on a device, say) without stalling
 * the vCPU's other green threads.  Meanwhile it is an entered host
 * thread for every domain primitive (it blocks on its own notification).
 * green only.  Errors: -EPERM (not a green thread, or already detached),
 * -EAGAIN/-ENOMEM (no porter could be started). */
int dom_detach(void);

/* Queue the calling detached green thread to run on a vCPU again and
 * return once it does.  Errors: -EPERM (not detached). */
int dom_reattach(void);

/* Run fn(arg) on a helper host thread of d (a porter, from the pool that
 * dom_detach uses) entered in d, so that fn may block in host calls and
 * use every primitive as an entered thread; for blocking work nobody
 * waits for on a vCPU (asynchronous I/O).  Returns at once; when 8
 * porters are busy, jobs queue and run in order.  dom_destroy refuses
 * while a job is queued or running.  any.  Errors: -EINVAL (fn NULL),
 * -ENOMEM, -EAGAIN (no helper host thread could be started),
 * -ESHUTDOWN. */
int dom_host_run(struct dom *d, void (*fn)(void *arg), void *arg);

/* ------------------------------------------------------------------ */
/* Foreign entry                                                        */

/* Bind the calling host thread to d so it may call domain code.  Nests:
 * each dom_enter needs one dom_leave.  The thread's record is allocated
 * once and cached in its TLS, so re-entry is a few stores.  A green
 * thread of d may call it too (it only nests).  Errors: -EBUSY (the
 * thread is entered in, or is a green thread of, another domain),
 * -ENOMEM (first entry only), -ESHUTDOWN. */
int dom_enter(struct dom *d);

/* Undo one dom_enter.  Errors: -EPERM (the thread is not entered in d). */
int dom_leave(struct dom *d);

/* ------------------------------------------------------------------ */
/* Delegation                                                           */

/* Run fn(arg) on a green thread of d and return its result in *ret (may
 * be NULL).  any: a host thread blocks on its own notification; a green
 * thread of d runs fn itself.  Errors: -ENOMEM (first call of a thread),
 * -ESHUTDOWN. */
int dom_call(struct dom *d, void *(*fn)(void *), void *arg, void **ret);

/* Queue fn(arg) to run on d's service green thread, in order; never
 * allocates, never blocks (safe in a notification callback).  any.
 * Errors: -EAGAIN (the queue is full: nothing was queued), -ESHUTDOWN. */
int dom_post(struct dom *d, void (*fn)(void *), void *arg);

/* ------------------------------------------------------------------ */
/* Events                                                               */

/* Raise event bits (within DOM_EVENT_MASK) on d: the same as
 * mk_notification_signal(dom_irq(d), bits).  any.  Errors: -EINVAL (0 or
 * bit 63). */
int dom_event_signal(struct dom *d, uint64_t bits);

/* Run handler(bit, arg) on the domain's service green thread each time
 * event bit `bit` arrives.  handler NULL unbinds.  any.  Errors: -EINVAL
 * (bit over 62), -EEXIST (bit already bound; unbind first). */
int dom_event_bind(struct dom *d, unsigned bit, void (*handler)(unsigned bit, void *arg),
		   void *arg);

/* Block until an event in mask arrives, take the pending bits of mask and
 * return them in *bits.  Bits that arrive while nobody waits for them stay
 * pending.  Bound bits go to their handler, not here.  green or entered;
 * other green threads keep running.  Errors: -EINVAL (mask 0 or bit 63),
 * -ETIMEDOUT (wait_until only; *bits is 0). */
int dom_event_wait(struct dom *d, uint64_t mask, uint64_t *bits);
int dom_event_wait_until(struct dom *d, uint64_t mask, uint64_t deadline_ns, uint64_t *bits);

/* ------------------------------------------------------------------ */
/* Wait queues and the primitives built on them.  The structs are plain
 * so they can be embedded; all their fields are private.               */

struct dom_waitq {
	MK_ATOMIC(uint32_t) lock;
	void *head, *tail;
};

struct dom_mutex {
	uint32_t magic;
	MK_ATOMIC(uintptr_t) owner; /* thread record | WAITERS bit */
	struct dom_waitq wq;
};

/* Errors of every init: -EINVAL (NULL).  destroy: -EBUSY (held or
 * waited on; nothing changed).  Calls on a destroyed object: -EBADF. */
int dom_mutex_init(struct dom_mutex *m);
int dom_mutex_destroy(struct dom_mutex *m);
/* Block until m is free, then own it.  green or entered.  Errors:
 * -EDEADLK (the caller owns m).  A thread that exits owning m leaves its
 * waiters blocked for ever; debug builds (NDEBUG undefined, or
 * RUMPBRIDGE_DEBUG) say so: a waiter still waiting after 2 s writes a
 * line naming m, its owner (and where the owner took it) and itself. */
int dom_mutex_enter(struct dom_mutex *m);
/* Own m if free.  Errors: -EBUSY (owned by another), -EDEADLK. */
int dom_mutex_tryenter(struct dom_mutex *m);
/* Release m; the longest waiter, if any, becomes the owner.  Errors:
 * -EPERM (the caller does not own m). */
int dom_mutex_exit(struct dom_mutex *m);
/* The owner of m, or NULL. */
struct dom_thread *dom_mutex_owner(const struct dom_mutex *m);

struct dom_cv {
	uint32_t magic;
	struct dom_waitq wq;
};

int dom_cv_init(struct dom_cv *cv);
int dom_cv_destroy(struct dom_cv *cv);
/* Release m, block until signalled, re-own m.  green or entered.
 * Errors: -EPERM (m not owned by the caller). */
int dom_cv_wait(struct dom_cv *cv, struct dom_mutex *m);
/* As wait, until deadline_ns.  Errors: -ETIMEDOUT (m is owned again). */
int dom_cv_timedwait(struct dom_cv *cv, struct dom_mutex *m, uint64_t deadline_ns);
/* Wake one / every waiter.  any (no domain membership needed). */
int dom_cv_signal(struct dom_cv *cv);
int dom_cv_broadcast(struct dom_cv *cv);
/* True when a thread waits on cv. */
bool dom_cv_has_waiters(struct dom_cv *cv);

struct dom_rwlock {
	uint32_t magic;
	uintptr_t writer; /* under wq.lock */
	uint32_t readers; /* under wq.lock */
	uint32_t writers_waiting;
	uintptr_t reader_sum; /* under wq.lock: sum of the readers' records */
	struct dom_waitq wq;
};

int dom_rwlock_init(struct dom_rwlock *rw);
int dom_rwlock_destroy(struct dom_rwlock *rw);
/* Shared / exclusive.  Writers waiting block new readers (no writer
 * starvation).  green or entered.  Errors: -EDEADLK (the caller holds it
 * for writing). */
int dom_rwlock_rdlock(struct dom_rwlock *rw);
int dom_rwlock_wrlock(struct dom_rwlock *rw);
/* Errors: -EBUSY (not available now), -EDEADLK. */
int dom_rwlock_tryrdlock(struct dom_rwlock *rw);
int dom_rwlock_trywrlock(struct dom_rwlock *rw);
/* Release the caller's write hold, or one of its read holds.  Errors:
 * -EPERM (the caller holds rw neither for writing nor for reading;
 * nothing is released).  A caller that is not a reader is always refused
 * while rw has one read hold; while it has several, debug builds
 * (NDEBUG undefined, or RUMPBRIDGE_DEBUG) refuse it and release builds
 * do not check, so never unlock another thread's read hold. */
int dom_rwlock_unlock(struct dom_rwlock *rw);
/* Reader to writer if the caller holds the only read hold.  Errors:
 * -EBUSY (other read holds too: the caller's other holds, or other
 * threads'), -EPERM (the caller holds no read hold: rw is free, held for
 * writing, or read by other threads only; with several readers debug
 * builds say -EPERM, release builds -EBUSY).  Never succeeds for a
 * thread that does not hold rw for reading. */
int dom_rwlock_tryupgrade(struct dom_rwlock *rw);
/* Writer to reader, waking waiting readers.  Errors: -EPERM. */
int dom_rwlock_downgrade(struct dom_rwlock *rw);
/* Held for writing by the caller / held by some reader. */
bool dom_rwlock_wrheld(struct dom_rwlock *rw);
bool dom_rwlock_rdheld(struct dom_rwlock *rw);

struct dom_sem {
	uint32_t magic;
	uint32_t count; /* under wq.lock */
	struct dom_waitq wq;
};

/* Errors: -EINVAL (count over INT32_MAX). */
int dom_sem_init(struct dom_sem *s, unsigned count);
int dom_sem_destroy(struct dom_sem *s);
/* Take one unit, blocking while none.  green or entered. */
int dom_sem_wait(struct dom_sem *s);
/* Errors: -ETIMEDOUT. */
int dom_sem_timedwait(struct dom_sem *s, uint64_t deadline_ns);
/* Errors: -EAGAIN (no unit now). */
int dom_sem_trywait(struct dom_sem *s);
/* Give one unit (to the longest waiter, if any).  any.  Errors:
 * -EOVERFLOW (count at INT32_MAX). */
int dom_sem_post(struct dom_sem *s);

#ifdef __cplusplus
}
#endif
#endif
