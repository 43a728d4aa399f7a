/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rumpuser: the rumpuser(3) hypercall interface, version 17, on a domain.
 *
 * librumpuser (shared and static, built from src/rumpuser/; it links
 * librumpbridge for mk and dom and carries no copy of them) replaces
 * NetBSD's librumpuser: a program links it where it would link NetBSD's,
 * and an unmodified rump kernel runs its threads as green threads of one
 * domain.  The kernel must read curlwp through the
 * hypercall: build it with RUMP_CURLWP=hypercall (buildrump.sh -V
 * RUMP_CURLWP=hypercall), as rumprun does.  A kernel built with a host
 * __thread curlwp would see the wrong lwp whenever green threads share a
 * vCPU; such a kernel never calls rumpuser_curlwp, which
 * rumpuser_dl_bootstrap (called by rump_init once the kernel has used
 * curlwp many times) notices: it stops the program with a message saying
 * how to rebuild the kernel.
 *
 * The rumpuser_* functions themselves are declared by the rump kernel's
 * own <rump/rumpuser.h>; this header adds the few calls a program makes
 * to the platform itself.  In a seL4 Microkit PD (librumpuser_microkit.a,
 * <rumpbridge/rumpuser_microkit.h>) they exist too, except that a PD has
 * no host threads: there rumpbridge_adopt and rumpbridge_unadopt return
 * -ENOTSUP.
 */
#ifndef RUMPBRIDGE_RUMPUSER_H
#define RUMPBRIDGE_RUMPUSER_H

#include <rumpbridge/dom.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Use d as the rump kernel's domain instead of creating one at
 * rumpuser_init.  Call before rump_init().  any.  Errors: -EINVAL (d
 * NULL), -EBUSY (the kernel is already initialised). */
int rumpbridge_set_domain(struct dom *d);

/* The rump kernel's domain (NULL before rump_init). */
struct dom *rumpbridge_domain(void);

/* Adopt the calling host thread: enter the domain for good and bind the
 * thread to a rump lwp of its own (a new lwp of initproc, pid 1, or the
 * one it has already), so later rump calls from it cost what a bound lwp
 * costs.  A host thread that calls into the kernel without this gets an
 * lwp of its own on its first call anyway (unless RUMPBRIDGE_FOREIGN_LWP=0
 * was in the environment at rump_init); adopting also keeps the thread
 * entered in the domain between calls.  Both are released when the
 * thread exits.  Idempotent.  Call after rump_init().  Errors: -ENXIO (no
 * rump kernel yet), -EPERM (called from a green thread: they are bound
 * already), the errors of dom_enter, and positive rump errno values from
 * the kernel's lwp creation (negated). */
int rumpbridge_adopt(void);

/* From a rump kernel thread (a green thread holding a rump CPU): give the
 * rump CPU back, wait for a domain event in mask (dom_event_wait), take a
 * CPU again.  Other rump threads keep running meanwhile.  Errors: those
 * of dom_event_wait; -ENXIO (no rump kernel). */
int rumpbridge_event_wait(uint64_t mask, uint64_t *bits);

/* The idle clock: let the kernel's clock threads sleep through ticks
 * while nothing happens.  NetBSD's rump kernel ticks hz times a second
 * per rump CPU for ever (doclock), a host wake-up each.  With skip_ns
 * non-zero, a clock thread that sees no rumpbridge_clock_activity for
 * grace_ns sleeps until the next multiple of skip_ns of the monotonic
 * clock (every clock thread the same instant), or until activity; the
 * ticks slept through are then replayed at once (one hardclock() each),
 * so the kernel's tick count stays exact but a callout due meanwhile runs
 * late, by less than skip_ns.  The kernel's timed sleeps and waits are
 * never late (host timers).  Whoever turns it on must report every
 * entry into the kernel that may set a callout (docs/rumpuser.md, "The
 * idle clock").  skip_ns 0 turns it off (a long sleep under way ends at
 * its time).  Not concurrently with itself; before or after rump_init;
 * any thread.  Errors: -EINVAL (skip_ns under one tick, 1/hz, or over
 * 60 s; grace_ns over 1 h), -ENOSYS (the kernel's hz is unknown: a PD). */
int rumpbridge_clock_idle(uint64_t grace_ns, uint64_t skip_ns);

/* Activity: wake the clock threads from a long sleep and keep them
 * ticking for the idle clock's grace from now.  One load when called
 * again before a clock thread has seen the last call; otherwise it may
 * take a domain mutex for a moment (a green thread holding a rump CPU may
 * call it, as it may take a spin mutex).  Any thread, entered or not;
 * does nothing useful while the idle clock is off. */
void rumpbridge_clock_activity(void);

/* Release the calling thread's own lwp now rather than at its exit, and
 * undo rumpbridge_adopt (leave the domain).  A later rump call gets the
 * thread a new lwp.  Errors: -EPERM (neither adopted nor holding an lwp
 * of its own). */
int rumpbridge_unadopt(void);

#ifdef __cplusplus
}
#endif
#endif
