/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DOM_ARCH_AARCH64_CPU_H
#define DOM_ARCH_AARCH64_CPU_H
static inline void dom_arch_relax(void)
{
	__asm__ __volatile__("yield" ::: "memory");
}
#endif
