/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Green-thread context switch, x86_64 System V.
 *
 * Only what the ABI says a callee preserves is saved: rbx, rbp, r12-r15,
 * and, for a thread created with attr.fpenv, the MXCSR control bits and
 * the x87 control word.  Everything else is dead across a call, so the C
 * caller has already saved what it needs.  Other threads run with the
 * default modes and do not pay for them: stmxcsr alone costs about 4 ns
 * on AMD Zen 4, a quarter of a whole yield (dom.h, "FP control modes").
 * A switch between two such threads touches neither; from a thread with
 * fpenv its modes are saved, and to one its modes (else the defaults)
 * are loaded.
 *
 * A switched-in thread is resumed by a jump to its saved return address,
 * never by `ret`: a return whose call was made on another stack is
 * mispredicted (measured on AMD Zen 4: about 7 ns each, even when the
 * address matches), and the old switch paid that three times per yield.
 * dom_yield is written here for the same reason: it switches as if its
 * caller had called dom_arch_switch, so a yielded thread goes straight
 * back to its caller with no return at all (docs/dom.md, "The switch").
 *
 * Frame, saved on the outgoing stack, from the saved stack pointer up:
 *   0: mxcsr (4) | x87 cw (2) | pad (2)   (written for fpenv threads only)
 *   8: r15  16: r14  24: r13  32: r12  40: rbx  48: rbp  56: resume address
 */
#include "../offsets.h"

	.text
	.globl	dom_arch_switch
	.hidden	dom_arch_switch
	.type	dom_arch_switch, @function
	.p2align 4
/* void dom_arch_switch(struct dom_thread *cur (rdi), struct dom_thread *next (rsi))
 * Runs dom_after_switch(cur, next) on next's stack, then resumes next. */
dom_arch_switch:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	movzbl	DOM_THREAD_FPENV(%rdi), %r12d	/* cur keeps its FP modes */
	testl	%r12d, %r12d
	jnz	3f
4:
#ifdef RUMPBRIDGE_TSAN
	/* Tell TSan here, not in C: a C function that switched fibers and
	 * then returned would leave its entry on one fiber's shadow stack
	 * and its exit on the other's (fiber.h). */
	movq	%rdi, %r14
	movq	%rsi, %r15
	movq	DOM_THREAD_SAN(%rsi), %rdi
	xorl	%esi, %esi
	call	__tsan_switch_to_fiber@PLT
	movq	%r14, %rdi
	movq	%r15, %rsi
#endif
	movq	%rsp, DOM_THREAD_SP(%rdi)
	movq	DOM_THREAD_SP(%rsi), %rsp	/* 16-byte aligned: a call is fine */
	movq	%rsi, %r13
	call	dom_after_switch	/* (cur, next): r12, r13 survive */
	movzbl	DOM_THREAD_FPENV(%r13), %eax
	orl	%r12d, %eax
	jnz	5f
1:	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	xorl	%eax, %eax		/* dom_yield's result when resumed */
	popq	%rcx
	jmpq	*%rcx
3:	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	jmp	4b
5:	cmpb	$0, DOM_THREAD_FPENV(%r13)
	je	6f
	ldmxcsr	(%rsp)			/* next's own modes */
	fldcw	4(%rsp)
	jmp	1b
6:	ldmxcsr	dom_arch_fp_default(%rip)	/* leaving a thread with fpenv */
	fldcw	dom_arch_fp_default+4(%rip)
	jmp	1b
	.cfi_endproc
	.size	dom_arch_switch, .-dom_arch_switch

	.section .rodata
	.p2align 3
dom_arch_fp_default:
	.long	0x1f80			/* mxcsr: round to nearest, all masked */
	.short	0x037f			/* x87: same, extended precision */
	.short	0
	.text

/* int dom_yield(void): the public entry (include/rumpbridge/dom.h).
 * dom_sched_yield_pick (sched.c) does the work and returns the thread to
 * switch to in rax and the current one in rdx, or rax = 0 and the result
 * in edx.  The switch is then a tail jump, so dom_arch_switch saves our
 * caller's return address and registers as if it had been called. */
	.globl	dom_yield
	.type	dom_yield, @function
	.p2align 4
dom_yield:
	.cfi_startproc
	subq	$8, %rsp
	.cfi_adjust_cfa_offset 8
	call	dom_sched_yield_pick
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	testq	%rax, %rax
	jz	1f
	movq	%rdx, %rdi
	movq	%rax, %rsi
	jmp	dom_arch_switch
1:	movl	%edx, %eax
	ret
	.cfi_endproc
	.size	dom_yield, .-dom_yield

/* A new thread's first resume lands here with a 16-byte aligned stack;
 * dom_thread_entry never returns. */
	.globl	dom_arch_first
	.hidden	dom_arch_first
	.type	dom_arch_first, @function
	.p2align 4
dom_arch_first:
	.cfi_startproc
	.cfi_undefined rip
	xorl	%ebp, %ebp
	call	dom_thread_entry
	ud2
	.cfi_endproc
	.size	dom_arch_first, .-dom_arch_first

/* void *dom_arch_init_stack(void *top): the frame dom_arch_switch pops,
 * resuming at dom_arch_first with rsp 16-byte aligned. */
	.globl	dom_arch_init_stack
	.hidden	dom_arch_init_stack
	.type	dom_arch_init_stack, @function
	.p2align 4
dom_arch_init_stack:
	.cfi_startproc
	movq	%rdi, %rax
	andq	$-16, %rax
	subq	$8, %rax		/* top stays 16-aligned after the pop */
	leaq	dom_arch_first(%rip), %rcx
	movq	%rcx, (%rax)		/* resume address */
	subq	$48, %rax
	movq	$0, 0(%rax)		/* r15 */
	movq	$0, 8(%rax)		/* r14 */
	movq	$0, 16(%rax)		/* r13 */
	movq	$0, 24(%rax)		/* r12 */
	movq	$0, 32(%rax)		/* rbx */
	movq	$0, 40(%rax)		/* rbp */
	subq	$8, %rax
	movl	$0x1f80, (%rax)		/* default mxcsr */
	movw	$0x037f, 4(%rax)	/* default x87 control word */
	movw	$0, 6(%rax)
	ret
	.cfi_endproc
	.size	dom_arch_init_stack, .-dom_arch_init_stack

	.section .note.GNU-stack,"",@progbits
