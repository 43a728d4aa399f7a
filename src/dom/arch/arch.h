/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CPU-specific part of dom: the context switch (switch.S) and the
 * spin-wait hint.  One folder per CPU; this header picks it.
 *
 * void *dom_arch_switch(void **save_sp, void *load_sp, void *prev)
 *   saves the callee-saved registers (and the FP control register) on the
 *   current stack, stores the stack pointer in *save_sp, loads load_sp,
 *   restores the registers saved there and returns prev on the new stack.
 * void *dom_arch_init_stack(void *top)
 *   lays out a first frame on a fresh stack so that switching to it
 *   enters dom_thread_entry(prev); returns the stack pointer to load.
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

void *dom_arch_switch(void **save_sp, void *load_sp, void *prev);
void *dom_arch_init_stack(void *top);

#endif
