/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The AArch64 callee-saved registers (AAPCS64): x19-x28, x29 (fp), x30
 * (lr: the resume address) and d8-d15 (the low halves of v8-v15), saved
 * in a frame at the bottom of the stack.  Assembler macros, shared by
 * every AArch64 context switch of the project: dom's (switch.S), the
 * Microkit backend's two contexts (src/mk/microkit/ctx.S) and the bare
 * switch of the Microkit benchmark (bench/microkit/bare.S), so that all
 * of them save the same set the same way.
 *
 * Frame, from the sp after CS_SAVE (size: the macro's argument, at least
 * CS_FRAME; anything above CS_FRAME is the caller's):
 *   0: x19 x20  16: x21 x22  32: x23 x24  48: x25 x26  64: x27 x28
 *   80: x29 x30  96: d8 d9  112: d10 d11  128: d12 d13  144: d14 d15
 */
#ifndef DOM_ARCH_AARCH64_CALLEE_SAVED_H
#define DOM_ARCH_AARCH64_CALLEE_SAVED_H

#define CS_FRAME 160 /* the registers above */
#define CS_X30 88    /* where x30 is: a new context's first resume address */

/* Open a frame of \size bytes on the stack and save the registers in it. */
.macro CS_SAVE size
	sub	sp, sp, #\size
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
.endm

/* Restore the registers from the frame at sp and close it. */
.macro CS_RESTORE size
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
	add	sp, sp, #\size
.endm

#endif
