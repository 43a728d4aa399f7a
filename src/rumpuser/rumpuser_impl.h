/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to src/rumpuser. */
#ifndef RUMPUSER_IMPL_H
#define RUMPUSER_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/rumpuser.h>

#include "hypercall.h"
#include "netbsd_errno.h"

extern const struct rumpuser_hyperup *ru_hyp;
extern struct dom *ru_dom;
extern _Atomic unsigned long ru_curlwp_reads;

/*
 * The platform rule: a hypercall that may block first gives the rump
 * virtual CPU back (hyp_backend_unschedule), and takes it again after
 * (hyp_backend_schedule).  interlock: the rumpuser mutex the kernel will
 * drop around a cv wait, or NULL.
 */
static inline void ru_unschedule(int *nlocks, void *interlock)
{
	ru_hyp->hyp_backend_unschedule(0, nlocks, interlock);
}

static inline void ru_schedule(int nlocks, void *interlock)
{
	ru_hyp->hyp_backend_schedule(nlocks, interlock);
}

/*
 * Any host thread may call into the kernel, entered in the domain or
 * not (the kernel's rump_schedule for a foreign thread takes locks before
 * it has an lwp).  A primitive called from a thread that is not in the
 * domain enters it for the duration of the call: its cached record makes
 * that a few stores, and the record (hence mutex ownership) is the same
 * every time.
 */
static inline bool ru_enter(void)
{
	if (dom_self() != NULL)
		return false;
	return dom_enter(ru_dom) == 0;
}

static inline void ru_leave(bool entered)
{
	if (entered)
		dom_leave(ru_dom);
}

/* A host (Linux) errno, positive or negative, as NetBSD's number
 * (netbsd_errno.h). */
int ru_errtrans(int e);

/* A NetBSD signal number as Linux's, or 0 when Linux has none (signal.c). */
int ru_sigtrans(int netbsd_sig);

void ru_panic(const char *what, int err) __attribute__((__noreturn__));

/* The kernel's clock tick in ns (1/hz(9)), 0 when unknown (per backend:
 * clock.c, microkit/clock.c); ru_tick_align (sleep.c): deadline rounded
 * up to a multiple of tick_ns (unchanged for tick_ns 0 or a deadline
 * within a tick of MK_FOREVER). */
uint64_t ru_tick_ns(void);
uint64_t ru_tick_align(uint64_t deadline, uint64_t tick_ns);

/* clock_idle.c, the idle clock (used by sleep.c): on or not; the
 * deadline of an ABSMONO sleep due at deadline (in the future), *lng set
 * when it is a long sleep, to be slept in ru_clock_idle_wait with the
 * *seen it returned (activity ends it early); for tests, the clock
 * threads in a long sleep now, the long sleeps begun so far and those
 * that activity ended. */
bool ru_clock_idle_on(void);
uint64_t ru_clock_idle_deadline(uint64_t deadline, uint64_t now, uint64_t *seen, bool *lng);
void ru_clock_idle_wait(uint64_t deadline, uint64_t seen);
void ru_clock_idle_stats(int *sleepers, unsigned long *long_sleeps, unsigned long *woken);

/* file.c */
int ru_io_start(void);

/* lwp.c: host threads' own lwps.  ru_lwp_init reads the environment
 * (rumpuser_init); ru_lwp_kernel_ready marks the kernel able to make
 * lwps (rumpuser_dl_bootstrap); ru_lwp_foreign gives a host thread that
 * has none an lwp of its own, or returns NULL (rumpuser_curlwp);
 * ru_hyp_schedule_implicit is hyp_schedule taking the kernel's
 * temporary-lwp path; ru_lwp_destroyed forgets an own lwp the kernel
 * freed.  ru_exiting: set by rumpuser_exit. */
void ru_lwp_init(void);
void ru_lwp_kernel_ready(void);
struct lwp *ru_lwp_foreign(void);
void ru_hyp_schedule_implicit(void);
void ru_lwp_destroyed(struct lwp *l); /* curlwpop DESTROY */
extern _Atomic bool ru_exiting;

#endif
