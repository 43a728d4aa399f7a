/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * int rb_yield_keeps_regs(uint64_t pattern)
 *
 * Loads pattern+0 .. pattern+5 into the callee-saved registers (rbx, rbp,
 * r12-r15), calls dom_yield, and checks them.  Returns 0 when all came
 * back, else 1 + the index of the first one that did not; dom_yield's own
 * result when it is not 0 (negated, below -100).
 */
	.text
	.globl	rb_yield_keeps_regs
	.type	rb_yield_keeps_regs, @function
	.p2align 4
rb_yield_keeps_regs:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp		/* 16-byte aligned for the call */
	movq	%rdi, (%rsp)
	movq	%rdi, %rbx
	leaq	1(%rdi), %rbp
	leaq	2(%rdi), %r12
	leaq	3(%rdi), %r13
	leaq	4(%rdi), %r14
	leaq	5(%rdi), %r15
	call	dom_yield@PLT
	testl	%eax, %eax
	jnz	9f
	movq	(%rsp), %rcx
	movl	$1, %eax
	cmpq	%rcx, %rbx
	jne	8f
	incq	%rcx
	incl	%eax
	cmpq	%rcx, %rbp
	jne	8f
	incq	%rcx
	incl	%eax
	cmpq	%rcx, %r12
	jne	8f
	incq	%rcx
	incl	%eax
	cmpq	%rcx, %r13
	jne	8f
	incq	%rcx
	incl	%eax
	cmpq	%rcx, %r14
	jne	8f
	incq	%rcx
	incl	%eax
	cmpq	%rcx, %r15
	jne	8f
	xorl	%eax, %eax
	jmp	8f
9:	subl	$100, %eax
8:	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	rb_yield_keeps_regs, .-rb_yield_keeps_regs

	.section .note.GNU-stack,"",@progbits
