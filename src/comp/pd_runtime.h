/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal to the PD runtime: what pd_runtime.c (the Microkit calls, the
 * native event loop) and pd_domain.c (domain components, comp.h) share.
 */
#ifndef RUMPBRIDGE_COMP_PD_RUNTIME_H
#define RUMPBRIDGE_COMP_PD_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/microkit.h>
#include <rumpbridge/mk.h>

#include "pd_abi.h"

/* Set once at start, before any other thread exists; read-only after. */
extern const struct comp_boot *pd_boot;
extern struct comp_pd_objs *pd_self;
/* A domain component's domain (NULL: a native PD); set before init(). */
extern struct dom *pd_dom;

/* An incoming PPC, as the endpoint delivered it. */
struct pd_call {
	struct mk_msg m;
	uint64_t badge;
	struct mk_reply reply;
};

/* Entry points run one at a time: a pthread mutex in a native PD, a
 * domain mutex in a domain component (green or entered callers). */
void pd_entry_enter(void);
void pd_entry_exit(void);
/* End of an entry point: the deferred notification, the console, the
 * deferred restart/stop requests. */
void pd_entry_done(void);
/* Run fault() for each child fault report (under the entry lock). */
void pd_handle_faults(void);
/* Serve one received PPC: protected() under the entry lock, then the
 * reply. */
void pd_serve_one(struct pd_call *c);
/* The PPC loop of the calling host thread; never returns. */
__attribute__((noreturn)) void pd_serve_ppcs(void);
void pd_ctl_send(uint32_t op, uint32_t arg, uint32_t seq);
__attribute__((format(printf, 1, 2), noreturn)) void pd_die(const char *fmt, ...);

/* pd_domain.c: the domain component's start (after the maps and setvars:
 * the domain, init() on a green thread, the channel bindings, then the
 * PPC loop); never returns. */
__attribute__((noreturn)) void pd_domain_main(void);
/* pd_seccomp.c: make the process non-dumpable and install the seccomp
 * filter (a message, and no filter, where seccomp is refused: qemu-user).
 * Exits the PD if the filter cannot be installed otherwise. */
void pd_isolate(void);
int pd_seccomp_install(void);

/* The CAmkES shape (threads="plain"): create the domain (its own
 * interrupt line) and enter the calling (main) thread into it. */
void pd_domain_plain_start(void);
/* The caller's PPC bracket in a domain component: a green thread
 * detaches to a porter, a plain one enters the domain (so that it may
 * take the channel's domain mutex).  Errors: those of dom_detach and
 * dom_enter. */
int pd_domain_call_begin(int *how);
void pd_domain_call_end(int how);
void pd_domain_ch_lock(unsigned ch);
void pd_domain_ch_unlock(unsigned ch);
void pd_domain_entry_enter(void);
void pd_domain_entry_exit(void);

/* pd_trace.c: rumpbridge-run --trace.  pd_trace_init (main thread, before
 * any other thread) starts recording when the launcher gave a trace file.
 * pd_trace_src is the PD's trace source (0: untraced), set then and
 * read-only after: PD_TRACE(call) makes the call only when traced (one
 * predicted branch otherwise).  The calls record the component events of
 * include/rumpbridge/trace.h (DOM_TR_COMP_*). */
extern uint64_t pd_trace_src;
#define PD_TRACE(call)                                                                             \
	do {                                                                                       \
		if (__builtin_expect(pd_trace_src != 0, 0))                                        \
			call;                                                                      \
	} while (0)
void pd_trace_init(void);
void pd_trace_notify(unsigned ch);
void pd_trace_notified(unsigned ch, unsigned how);
void pd_trace_notified_end(unsigned ch);
/* Returns the call's token, also written to the callee's token slot. */
uint64_t pd_trace_ppcall(unsigned ch, struct comp_pd_objs *callee);
void pd_trace_reply(unsigned ch, uint64_t token, int r);
/* Returns the token of the call being served (the caller's). */
uint64_t pd_trace_protected(unsigned ch);
void pd_trace_protected_end(unsigned ch, uint64_t token);

#endif
