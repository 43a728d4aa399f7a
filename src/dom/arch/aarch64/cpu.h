/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DOM_ARCH_AARCH64_CPU_H
#define DOM_ARCH_AARCH64_CPU_H
#include <rumpbridge/mk.h> /* mk_cpu_relax */
static inline void dom_arch_relax(void)
{
	mk_cpu_relax();
}

/* The default FP control modes (dom.h), which green threads without
 * fpenv run with: a vCPU sets them when it starts. */
static inline void dom_arch_fp_reset(void)
{
	__asm__ __volatile__("msr fpcr, xzr");
}
#endif
