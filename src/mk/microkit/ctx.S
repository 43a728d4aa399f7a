/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The switch between the PD context and the vCPU context (pd.c), AArch64.
 * Saves x19-x30 and d8-d15 (AAPCS64 callee-saved) on the current stack.
 * Frame of 160 bytes from the saved sp:
 *   0: x19 x20  16: x21 x22  32: x23 x24  48: x25 x26  64: x27 x28
 *   80: x29 x30  96: d8 d9  112: d10 d11  128: d12 d13  144: d14 d15
 * FPCR is not switched: both contexts run with the defaults (dom.h).
 */
	.text
	.globl	mk_ctx_switch
	.hidden	mk_ctx_switch
	.type	mk_ctx_switch, %function
	.p2align 4
/* void mk_ctx_switch(void **save (x0), void *load (x1)) */
mk_ctx_switch:
	sub	sp, sp, #160
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
	add	sp, sp, #160
	ret
	.size	mk_ctx_switch, .-mk_ctx_switch

/* The first resume of a new context lands here: x19 = entry, x20 = arg. */
	.type	mk_ctx_first, %function
	.p2align 4
mk_ctx_first:
	mov	x29, #0
	mov	x0, x20
	blr	x19
	brk	#0		/* entry never returns */
	.size	mk_ctx_first, .-mk_ctx_first

	.globl	mk_ctx_init
	.hidden	mk_ctx_init
	.type	mk_ctx_init, %function
	.p2align 4
/* void *mk_ctx_init(void *top (x0), void (*entry)(void *) (x1), void *arg (x2)) */
mk_ctx_init:
	and	x0, x0, #~15
	sub	x0, x0, #160
	mov	x9, #0
1:	str	xzr, [x0, x9]
	add	x9, x9, #8
	cmp	x9, #160
	b.ne	1b
	stp	x1, x2, [x0, #0]	/* x19, x20 */
	adr	x9, mk_ctx_first
	str	x9, [x0, #88]		/* x30 */
	ret
	.size	mk_ctx_init, .-mk_ctx_init

	.section .note.GNU-stack,"",@progbits
