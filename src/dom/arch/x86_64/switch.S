/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Green-thread context switch, x86_64 System V.
 *
 * Only what the ABI says a callee preserves is saved: rbx, rbp, r12-r15,
 * the MXCSR control bits and the x87 control word.  Everything else is
 * dead across a call, so the C caller has already saved what it needs.
 * Loading MXCSR and the control word is slow (tens of cycles) and they
 * almost never differ between threads, so they are loaded only when the
 * incoming thread's saved values differ from the outgoing one's.
 *
 * Frame, from the saved stack pointer up:
 *   0: mxcsr (4) | x87 cw (2) | pad (2)
 *   8: r15  16: r14  24: r13  32: r12  40: rbx  48: rbp  56: return address
 */
	.text
	.globl	dom_arch_switch
	.hidden	dom_arch_switch
	.type	dom_arch_switch, @function
	.p2align 4
/* void *dom_arch_switch(void **save_sp (rdi), void *load_sp (rsi), void *prev (rdx)) */
dom_arch_switch:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushq	$0			/* the pad bytes must compare equal */
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	(%rsp), %rcx		/* outgoing mxcsr | cw */
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	cmpq	(%rsp), %rcx
	je	1f
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
1:	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	movq	%rdx, %rax
	ret
	.cfi_endproc
	.size	dom_arch_switch, .-dom_arch_switch

/* First return of a new thread lands here with prev in rax and a 16-byte
 * aligned stack; call dom_thread_entry(prev), which never returns. */
	.globl	dom_arch_first
	.hidden	dom_arch_first
	.type	dom_arch_first, @function
	.p2align 4
dom_arch_first:
	.cfi_startproc
	.cfi_undefined rip
	movq	%rax, %rdi
	xorl	%ebp, %ebp
	call	dom_thread_entry@PLT
	ud2
	.cfi_endproc
	.size	dom_arch_first, .-dom_arch_first

/* void *dom_arch_init_stack(void *top) */
	.globl	dom_arch_init_stack
	.hidden	dom_arch_init_stack
	.type	dom_arch_init_stack, @function
	.p2align 4
dom_arch_init_stack:
	.cfi_startproc
	movq	%rdi, %rax
	andq	$-16, %rax
	subq	$8, %rax		/* keeps top 16-aligned after ret pops */
	leaq	dom_arch_first(%rip), %rcx
	movq	%rcx, (%rax)		/* return address */
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
