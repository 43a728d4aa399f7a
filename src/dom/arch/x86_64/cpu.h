/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DOM_ARCH_X86_64_CPU_H
#define DOM_ARCH_X86_64_CPU_H
static inline void dom_arch_relax(void)
{
	__builtin_ia32_pause();
}
#endif
