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
 * int dom_yield(void) is also written there (the public function).
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

struct dom_thread;
void dom_arch_switch(struct dom_thread *cur, struct dom_thread *next);
void *dom_arch_init_stack(void *top);

#endif
