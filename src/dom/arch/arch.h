/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CPU-specific part of dom: the context switch (switch.S) and the
 * spin-wait hint.  One folder per CPU; this header picks it.
 *
 * void dom_arch_switch(struct dom_thread *cur, struct dom_thread *next)
 *   saves the callee-saved registers (and the FP control modes of a
 *   thread created with fpenv) and the return address on the current stack, stores the stack pointer in
 *   cur->sp, loads next->sp, calls dom_after_switch(cur, next) there,
 *   restores next's registers and resumes it where it called
 *   dom_arch_switch (by a jump: see x86_64/switch.S).  Returns when cur
 *   is switched back in.
 * void *dom_arch_init_stack(void *top)
 *   lays out a first frame on a fresh stack so that switching to it
 *   enters dom_thread_entry(); returns the stack pointer to load.
 * int dom_yield(void) is also written there (the public function), but
 *   for one-vCPU builds, whose dom_yield is sched.c's, in C, with the
 *   direct switch of <cpu>/switch_direct.h.
 */
#ifndef DOM_ARCH_H
#define DOM_ARCH_H

#if defined(__x86_64__)
#include "x86_64/cpu.h"
#elif defined(__aarch64__)
#include "aarch64/cpu.h"
#else
#error "dom: no context switch for this CPU (add src/dom/arch/<cpu>/)"
#endif

/* One-vCPU builds (dom_impl.h): DOM_ARCH_SWITCH_DIRECT_ASM(section), the
 * direct switch as a top-level asm for sched.c to put beside dom_yield. */
#if defined(DOM_ONE_VCPU) && DOM_ONE_VCPU
#if defined(__aarch64__)
#include "aarch64/switch_direct.h"
#else
#error "dom: no one-vCPU direct switch for this CPU"
#endif
#endif

struct dom_thread;
void dom_arch_switch(struct dom_thread *cur, struct dom_thread *next);
void *dom_arch_init_stack(void *top);

#endif
