/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to src/mk/microkit: the PD's two contexts, its timer, its heap. */
#ifndef MK_MICROKIT_IMPL_H
#define MK_MICROKIT_IMPL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rumpbridge/mk.h>
#include <rumpbridge/mk_microkit.h>

#include "mk_impl.h"

#pragma GCC visibility push(hidden)

#define MK_PAGE 4096u

/* The wake-up path's section (src/dom/dom_impl.h, DOM_WAKE_PATH). */
#define MK_WAKE_PATH __attribute__((section(".text.dom_wake")))
#define MK_DIRECT_PATH __attribute__((section(".text.dom_wake_direct")))

/* pd.c: which context runs, and the switch between the two. */
bool mk_pd_in_vcpu(void);
/* vCPU context: give the PD back to the Microkit event loop until the PD
 * context resumes us (after any notification or timer interrupt). */
void mk_pd_suspend(void);
/* PD context: run the vCPU context until it suspends again, if it is
 * suspended. */
void mk_pd_resume(void);
extern struct mk_microkit_stats mk_pd_stats;
/* thread.c: whether any context ever set a TLS slot other than
 * MK_TLS_DOM_CURRENT to non-NULL; until then the others are NULL in both
 * contexts and a swap of the contexts' slots takes that one alone. */
extern bool mk_microkit_tls_wide;
extern int mk_pd_timer_channel;

/* clock.c: the EL0 physical timer.  arm(MK_FOREVER) stops it. */
void mk_timer_arm(uint64_t deadline_ns);
void mk_timer_stop(void);

/* memory.c */
int mk_mem_setup(void *heap, size_t size, uintptr_t stacks, size_t stride, unsigned n,
		 struct mk_microkit_fault_table *ft);

/* ctx.S: save the callee-saved registers on the current stack, store sp
 * in *save, load sp = load and restore what is saved there. */
void mk_ctx_switch(void **save, void *load);
/* Lay out a first frame at the top of a stack so that switching to it
 * calls entry(arg); returns the sp to load. */
void *mk_ctx_init(void *top, void (*entry)(void *), void *arg);

#pragma GCC visibility pop

#endif
