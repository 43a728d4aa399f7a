/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * int rb_yield_keeps_regs(uint64_t pattern)
 *
 * Loads pattern+0 .. pattern+10 into x19-x28 and x29, pattern+11 ..
 * pattern+18 into d8-d15, calls dom_yield, and checks them.  Returns 0
 * when all came back, else 1 + the index of the first one that did not;
 * dom_yield's own result when it is not 0 (negated, below -100).
 */
	.text
	.globl	rb_yield_keeps_regs
	.type	rb_yield_keeps_regs, %function
	.p2align 4
rb_yield_keeps_regs:
	stp	x29, x30, [sp, #-176]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	str	x0, [sp, #160]
	mov	x19, x0
	add	x20, x0, #1
	add	x21, x0, #2
	add	x22, x0, #3
	add	x23, x0, #4
	add	x24, x0, #5
	add	x25, x0, #6
	add	x26, x0, #7
	add	x27, x0, #8
	add	x28, x0, #9
	add	x29, x0, #10
	add	x9, x0, #11
	fmov	d8, x9
	add	x9, x0, #12
	fmov	d9, x9
	add	x9, x0, #13
	fmov	d10, x9
	add	x9, x0, #14
	fmov	d11, x9
	add	x9, x0, #15
	fmov	d12, x9
	add	x9, x0, #16
	fmov	d13, x9
	add	x9, x0, #17
	fmov	d14, x9
	add	x9, x0, #18
	fmov	d15, x9
	bl	dom_yield
	cbnz	w0, 9f
	ldr	x10, [sp, #160]
	mov	w0, #1
	.irp	r, x19, x20, x21, x22, x23, x24, x25, x26, x27, x28, x29
	cmp	\r, x10
	b.ne	8f
	add	x10, x10, #1
	add	w0, w0, #1
	.endr
	.irp	r, d8, d9, d10, d11, d12, d13, d14, d15
	fmov	x9, \r
	cmp	x9, x10
	b.ne	8f
	add	x10, x10, #1
	add	w0, w0, #1
	.endr
	mov	w0, #0
	b	8f
9:	sub	w0, w0, #100
8:	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldp	x29, x30, [sp], #176
	ret
	.size	rb_yield_keeps_regs, .-rb_yield_keeps_regs

	.section .note.GNU-stack,"",@progbits
