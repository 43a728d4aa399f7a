/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The yield benchmark's baseline (bench_domain.c): the smallest switch
 * between two contexts, saving the very registers dom's switch saves
 * (x19-x30, d8-d15, sp), with the same macros
 * (src/dom/arch/aarch64/callee_saved.h), so that the ratio counts only
 * what the domain adds to a switch.
 *
 * Global symbols: a PIE-default compiler reaches them through the GOT,
 * and a GOT entry for a local label would be taken for its section's
 * start (the addend is lost).
 */
#include "../../src/dom/arch/aarch64/callee_saved.h"

	.text
	.globl	bare_switch
	.type	bare_switch, %function
	.p2align 4
/* void bare_switch(void **save (x0), void *load (x1)) */
bare_switch:
	CS_SAVE	CS_FRAME
	mov	x9, sp
	str	x9, [x0]
	mov	sp, x1
	CS_RESTORE CS_FRAME
	ret
	.size	bare_switch, .-bare_switch

/* A new context's first resume: x19 = its function, which never returns. */
	.globl	bare_first
	.type	bare_first, %function
	.p2align 4
bare_first:
	blr	x19
	brk	#0
	.size	bare_first, .-bare_first

	.section .note.GNU-stack,"",@progbits
