/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The switch between the PD context and the vCPU context (pd.c), AArch64.
 * Saves x19-x30 and d8-d15 (AAPCS64 callee-saved) on the current stack,
 * with the macros of dom's AArch64 switch (src/dom/arch/aarch64/
 * callee_saved.h, which also gives the frame's layout): a frame of
 * CS_FRAME (160) bytes from the saved sp.
 * FPCR is not switched: both contexts run with the defaults (dom.h).
 */
#include "../../dom/arch/aarch64/callee_saved.h"

	.text
	.globl	mk_ctx_switch
	.hidden	mk_ctx_switch
	.type	mk_ctx_switch, %function
	.p2align 4
/* void mk_ctx_switch(void **save (x0), void *load (x1)) */
mk_ctx_switch:
	CS_SAVE	CS_FRAME
	mov	x9, sp
	str	x9, [x0]
	mov	sp, x1
	CS_RESTORE CS_FRAME
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
	sub	x0, x0, #CS_FRAME
	mov	x9, #0
1:	str	xzr, [x0, x9]
	add	x9, x9, #8
	cmp	x9, #CS_FRAME
	b.ne	1b
	stp	x1, x2, [x0, #0]	/* x19, x20 */
	adr	x9, mk_ctx_first
	str	x9, [x0, #CS_X30]		/* x30 */
	ret
	.size	mk_ctx_init, .-mk_ctx_init

	.section .note.GNU-stack,"",@progbits
