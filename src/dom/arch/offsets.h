/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Offsets into struct dom_thread that the assembly in arch/<cpu>/ uses.
 * dom_impl.h checks them against the struct with _Static_assert.
 */
#ifndef DOM_ARCH_OFFSETS_H
#define DOM_ARCH_OFFSETS_H

#define DOM_THREAD_SP 8     /* void *sp: the saved stack pointer */
#define DOM_THREAD_SAN 16   /* void *san: its ThreadSanitizer fiber */
#define DOM_THREAD_FPENV 29 /* uint8_t fpenv: keeps its FP control modes */

#endif
