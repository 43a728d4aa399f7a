/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The AArch64 callee-saved registers (AAPCS64): x19-x28, x29 (fp), x30
 * (lr: the resume address) and d8-d15 (the low halves of v8-v15), saved
 * in a frame at the bottom of the stack.  Shared by every AArch64 context
 * switch of the project: dom's (switch.S, and the one-vCPU direct switch
 * of switch_direct.h), the Microkit backend's two contexts
 * (src/mk/microkit/ctx.S) and the bare switch of the Microkit benchmark
 * (bench/microkit/bare.S), so that all of them save the same set the
 * same way.  One list (CS_PAIRS), two forms: assembler macros for .S
 * files, strings for a top-level asm in C.
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

/* The pairs in frame order, each as `op rA, rB, [sp, offset]`, joined by
 * sep (the assembler's `;`).  Immediates without `#`, which the C
 * preprocessor would take for its own operator in a macro. */
#define CS_PAIRS_X(op, sep)                                                                        \
	op x19, x20, [sp, 0] sep op x21, x22, [sp, 16] sep op x23, x24, [sp, 32] sep               \
	op x25, x26, [sp, 48] sep op x27, x28, [sp, 64] sep op x29, x30, [sp, 80]
/* A build whose code never uses FP/SIMD registers (-mgeneral-regs-only
 * everywhere: the Microkit option RUMPBRIDGE_MICROKIT_GENERAL_REGS_ONLY)
 * has no d8-d15 to keep; the frame keeps its size and layout. */
#if defined(DOM_ARCH_NO_FP_REGS) && DOM_ARCH_NO_FP_REGS
#define CS_PAIRS(op, sep) CS_PAIRS_X(op, sep)
#else
#define CS_PAIRS(op, sep)                                                                          \
	CS_PAIRS_X(op, sep) sep op d8, d9, [sp, 96] sep op d10, d11, [sp, 112] sep                 \
	op d12, d13, [sp, 128] sep op d14, d15, [sp, 144]
#endif

#ifdef __ASSEMBLER__
/* Open a frame of \size bytes on the stack and save the registers in it. */
.macro CS_SAVE size
	sub	sp, sp, #\size
	CS_PAIRS(stp, ;)
.endm

/* Restore the registers from the frame at sp and close it. */
.macro CS_RESTORE size
	CS_PAIRS(ldp, ;)
	add	sp, sp, #\size
.endm
#else
#define CS_STR_(...) #__VA_ARGS__
#define CS_STR(...) CS_STR_(__VA_ARGS__)
/* CS_SAVE and CS_RESTORE as lines of a top-level asm (size: a number). */
#define CS_SAVE_ASM(size) "sub sp, sp, " CS_STR(size) "\n\t" CS_STR(CS_PAIRS(stp, ;)) "\n\t"
#define CS_RESTORE_ASM(size) CS_STR(CS_PAIRS(ldp, ;)) "\n\tadd sp, sp, " CS_STR(size) "\n\t"
#endif

#endif
