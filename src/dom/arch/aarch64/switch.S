/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Green-thread context switch, AArch64 (AAPCS64).
 *
 * Saved: x19-x28, x29 (fp), x30 (lr: the resume address), d8-d15 (the
 * low halves of v8-v15 are callee-saved) and, for a thread created with
 * attr.fpenv, fpcr (the rule is x86_64/switch.S's).  As on x86_64, dom_arch_switch runs
 * dom_after_switch(cur, next) on the new stack and then resumes next, and
 * dom_yield switches as if its caller had called dom_arch_switch, so a
 * yielded thread goes straight back to its caller.  The resume is a
 * `ret x30`, not `br`: with branch protection (BTI) a `br` may only land
 * on a landing pad, and return addresses are not (docs/dom.md).
 *
 * Frame of 176 bytes, from the saved sp: the registers of callee_saved.h
 * (0-159: x19-x30, d8-d15; the macros every AArch64 switch of the
 * project shares), then 160: fpcr, 168: pad.
 */
#include "../offsets.h"
#include "callee_saved.h"
#include "switch_direct.h"

#define SW_FRAME DOM_SW_FRAME /* CS_FRAME, fpcr, pad */

	.text
	.globl	dom_arch_switch
	.hidden	dom_arch_switch
	.type	dom_arch_switch, %function
	.p2align 4
/* void dom_arch_switch(struct dom_thread *cur (x0), struct dom_thread *next (x1)) */
dom_arch_switch:
	CS_SAVE	SW_FRAME
	ldrb	w19, [x0, #DOM_THREAD_FPENV]	/* cur keeps its FP modes */
	cbz	w19, 4f
	mrs	x9, fpcr
	str	x9, [sp, #CS_FRAME]
4:
#ifdef RUMPBRIDGE_TSAN
	mov	x21, x0			/* TSan: see x86_64/switch.S */
	mov	x22, x1
	ldr	x0, [x1, #DOM_THREAD_SAN]
	mov	w1, #0
	bl	__tsan_switch_to_fiber
	mov	x0, x21
	mov	x1, x22
#endif
	mov	x9, sp
	str	x9, [x0, #DOM_THREAD_SP]
	mov	x20, x1			/* x19, x20 survive the call */
	ldr	x9, [x1, #DOM_THREAD_SP]
	mov	sp, x9
	bl	dom_after_switch	/* (cur, next) on next's stack */
	ldrb	w9, [x20, #DOM_THREAD_FPENV]
	orr	w10, w9, w19
	cbz	w10, 1f
	mov	x10, #0			/* the default fpcr */
	cbz	w9, 5f
	ldr	x10, [sp, #CS_FRAME]		/* next's own */
5:	msr	fpcr, x10
1:	CS_RESTORE SW_FRAME
	mov	w0, #0			/* dom_yield's result when resumed */
	ret
	.size	dom_arch_switch, .-dom_arch_switch

#if !(defined(DOM_ONE_VCPU) && DOM_ONE_VCPU)
/* (one-vCPU builds: dom_yield is sched.c's, in C, with the direct switch
 * of switch_direct.h beside it) */
/* int dom_yield(void): see x86_64/switch.S.  dom_sched_yield_pick returns
 * next in x0 and cur in x1, or x0 = 0 and the result in x1. */
	.globl	dom_yield
	.type	dom_yield, %function
	.p2align 4
dom_yield:
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	bl	dom_sched_yield_pick
	ldp	x29, x30, [sp], #16
	cbz	x0, 1f
	mov	x2, x0
	mov	x0, x1
	mov	x1, x2
	b	dom_arch_switch
1:	mov	w0, w1
	ret
	.size	dom_yield, .-dom_yield
#endif

/* A new thread's first resume lands here. */
	.globl	dom_arch_first
	.hidden	dom_arch_first
	.type	dom_arch_first, %function
	.p2align 4
dom_arch_first:
	mov	x29, #0
	mov	x30, #0
	bl	dom_thread_entry
	brk	#0
	.size	dom_arch_first, .-dom_arch_first

/* void *dom_arch_init_stack(void *top) */
	.globl	dom_arch_init_stack
	.hidden	dom_arch_init_stack
	.type	dom_arch_init_stack, %function
	.p2align 4
dom_arch_init_stack:
	and	x0, x0, #~15
	sub	x0, x0, #SW_FRAME
	mov	x9, #0
	mov	x10, #0
1:	str	x9, [x0, x10]
	add	x10, x10, #8
	cmp	x10, #SW_FRAME
	b.ne	1b
	adrp	x9, dom_arch_first
	add	x9, x9, :lo12:dom_arch_first
	str	x9, [x0, #CS_X30]
	ret
	.size	dom_arch_init_stack, .-dom_arch_init_stack

	.section .note.GNU-stack,"",@progbits
