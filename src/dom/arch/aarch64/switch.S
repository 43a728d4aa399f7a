/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Green-thread context switch, AArch64 (AAPCS64).
 *
 * Saved: x19-x28, x29 (fp), x30 (lr), d8-d15 (the low halves of v8-v15
 * are callee-saved) and fpcr.  Frame of 176 bytes, from the saved sp:
 *   0: x19 x20  16: x21 x22  32: x23 x24  48: x25 x26  64: x27 x28
 *   80: x29 x30  96: d8 d9  112: d10 d11  128: d12 d13  144: d14 d15
 *   160: fpcr  168: pad
 */
	.text
	.globl	dom_arch_switch
	.hidden	dom_arch_switch
	.type	dom_arch_switch, %function
	.p2align 4
/* void *dom_arch_switch(void **save_sp (x0), void *load_sp (x1), void *prev (x2)) */
dom_arch_switch:
	sub	sp, sp, #176
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, fpcr
	str	x9, [sp, #160]
	mov	x9, sp
	str	x9, [x0]
	mov	sp, x1
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldr	x9, [sp, #160]
	msr	fpcr, x9
	add	sp, sp, #176
	mov	x0, x2
	ret
	.size	dom_arch_switch, .-dom_arch_switch

/* First return of a new thread: x30 pointed here, prev is in x0. */
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
	sub	x0, x0, #176
	mov	x9, #0
	mov	x10, #0
1:	str	x9, [x0, x10]
	add	x10, x10, #8
	cmp	x10, #176
	b.ne	1b
	adrp	x9, dom_arch_first
	add	x9, x9, :lo12:dom_arch_first
	str	x9, [x0, #88]		/* x30 */
	ret
	.size	dom_arch_init_stack, .-dom_arch_init_stack

	.section .note.GNU-stack,"",@progbits
