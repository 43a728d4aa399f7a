/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * int dom_arch_switch_direct(struct dom_thread *cur (x0), struct dom_thread *next (x1))
 * One-vCPU builds only (sched.c, "One vCPU"): dom_arch_switch (switch.S)
 * without the epilogue and the FP control modes.  The caller has done
 * what dom_after_switch would do for cur (a yielder, queued already: no
 * other vCPU can take it before its registers are saved here) and takes
 * this path only when neither thread keeps its own FP modes.  The frame
 * is dom_arch_switch's (DOM_SW_FRAME), so a thread saved by either is
 * resumed by either.
 *
 * A top-level asm (DOM_ARCH_SWITCH_DIRECT_ASM(name, section)) that
 * sched.c emits twice, each copy on the code page of its callers: as
 * dom_arch_switch_direct into dom_yield's own section, so that the
 * yield's tail jump stays on its page (under QEMU a direct jump to
 * another page is not chained and costs a lookup of the target;
 * docs/microkit.md, "Benchmark"), and as dom_wake_switch_direct into the
 * wake-up path's section (DOM_WAKE_PATH), for switch_to.  The copy is
 * 256-byte aligned and GCC emits top-level asm before the functions of
 * its unit, so the switch and dom_yield after it (256 bytes together, the
 * limit) never straddle a page.
 */
#ifndef DOM_ARCH_AARCH64_SWITCH_DIRECT_H
#define DOM_ARCH_AARCH64_SWITCH_DIRECT_H

#include "../offsets.h"
#include "callee_saved.h"

/* dom's switch frame: CS_FRAME, then fpcr (switch.S) and a pad */
#define DOM_SW_FRAME 176

#define DOM_ARCH_SWITCH_DIRECT_ASM(name, section)                                                  \
	__asm__(".pushsection " section ",\"ax\",%progbits\n\t"                                   \
		".p2align 8\n\t"                                                                   \
		".globl " #name "\n\t"                                                             \
		".hidden " #name "\n\t"                                                            \
		".type " #name ", %function\n" #name ":\n\t" CS_SAVE_ASM(DOM_SW_FRAME)              \
		"mov x9, sp\n\t"                                                                   \
		"str x9, [x0, " CS_STR(DOM_THREAD_SP) "]\n\t"                                      \
		"ldr x9, [x1, " CS_STR(DOM_THREAD_SP) "]\n\t"                                      \
		"mov sp, x9\n\t" CS_RESTORE_ASM(DOM_SW_FRAME)                           \
		"mov w0, 0\n\t" /* dom_yield's result when resumed */                              \
		"ret\n\t"                                                                          \
		".size " #name ", .-" #name "\n\t"                                                  \
		".popsection")

#endif
