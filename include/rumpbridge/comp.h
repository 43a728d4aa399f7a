/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * comp: what a rumpbridge PD can do beyond the Microkit API
 * (include/rumpbridge/microkit.h).  Linux only; docs/components.md.
 *
 * A domain component is a PD whose system-file entry carries
 * <?rumpbridge vcpus="N"?>: its work runs on the green threads of a
 * domain (include/rumpbridge/dom.h) with N vCPUs, created by the PD
 * runtime before init().  Its channels are the domain's event bits
 * (channel c is event bit c; the PD's notification is the domain's
 * interrupt line):
 *   - init(), notified(), protected() and fault() run on green threads
 *     (notified() and fault() on the domain's service thread, protected()
 *     on a call worker), one at a time (a domain mutex);
 *   - a green thread may wait for a channel (comp_channel_wait) while the
 *     other green threads run; a claimed channel's notifications go to
 *     its waiters, not to notified();
 *   - a PPC made from a green thread (microkit_ppcall or comp_ppcall)
 *     moves the thread to a porter host thread (dom_detach) for the call,
 *     so the vCPU runs the other green threads meanwhile.
 *
 * Kinds of callers, as in dom.h: green (a green thread of the PD's
 * domain), entered (a host thread between dom_enter and dom_leave),
 * plain (any other thread of the PD process).
 */
#ifndef RUMPBRIDGE_COMP_H
#define RUMPBRIDGE_COMP_H

#include <errno.h>
#include <stdint.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/microkit.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The PD's domain: non-NULL in a domain component (from before init()
 * on), NULL in a native PD.  any. */
struct dom *comp_domain(void);

/* Take channel ch away from notified(): from now on its notifications
 * stay pending for comp_channel_wait.  Call it in init() so that no
 * signal on ch reaches notified() first (signals that arrive before init
 * returns wait for it).  any.  Errors: -ENOTSUP (not a domain
 * component), -EINVAL (ch over MICROKIT_MAX_CHANNEL_ID). */
int comp_channel_claim(microkit_channel ch);

/* Block the calling green or entered thread until channel ch is notified
 * (several signals before the wait coalesce into one), claiming ch first
 * if it was not.  The vCPU runs the other green threads meanwhile; a
 * notification counts in the status view's notify-in.  Errors: -ENOTSUP
 * (not a domain component), -EINVAL (ch over MICROKIT_MAX_CHANNEL_ID),
 * -EPERM (the caller is neither green nor entered). */
int comp_channel_wait(microkit_channel ch);

/* As comp_channel_wait, giving up at deadline_ns (mk_clock_now_ns time).
 * Errors: those of comp_channel_wait, and -ETIMEDOUT. */
int comp_channel_wait_until(microkit_channel ch, uint64_t deadline_ns);

/* A protected procedure call on channel ch with the caller's own message
 * registers: mrs[0 .. count-1] go out (count = the length of *info), the
 * reply's come back in mrs and its message info in *info.  mrs has room
 * for seL4_MsgMaxLength words (only the counts given are touched; NULL
 * when no register is sent or received).  Calls on one channel are made
 * one at a time (a per-channel lock); calls on different channels run
 * concurrently.  May be called from any thread of the PD, also outside
 * the entry points: a green caller waits for the reply on a porter while
 * its vCPU runs the other green threads; a plain caller of a domain
 * component is entered into the domain for the call.  Blocks until the
 * callee's protected() returns.  Errors: -EINVAL (info NULL, or a count
 * over seL4_MsgMaxLength with mrs NULL), -EPERM (ch is not a channel
 * this PD may call), -EPIPE (the callee died: the call was failed),
 * -EAGAIN / -ENOMEM (a green caller could not get a porter, or a plain
 * caller's first entry into the domain found no memory; nothing was
 * sent), -ESHUTDOWN (a plain caller while the domain is being destroyed,
 * as the PD ends; nothing was sent). */
int comp_ppcall(microkit_channel ch, microkit_msginfo *info, seL4_Word *mrs);

/* Register a ring for the launcher's status view (--status, SIGUSR1),
 * which then prints the depth of its active and free queues under the
 * PD's line.  mem is the start of the ring's layout (what
 * comp_ring_format / comp_ring_attach were given); it must lie in a
 * memory region the PD maps.  Registering a name again replaces the
 * entry (a restarted PD registers its rings again).  Either side of a
 * ring may register it.  any.  Errors: -EINVAL (name NULL, empty or over
 * 31 characters, mem NULL), -ENOENT (mem is not inside a mapped memory
 * region), -ENOSPC (8 rings are registered already). */
int comp_ring_register(const char *name, const void *mem);

#ifdef __cplusplus
}
#endif
#endif
