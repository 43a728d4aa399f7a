/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Time from the ARM generic timer.  The SDK's kernel lets EL0 read
 * cntpct_el0 and cntfrq_el0 (CONFIG_EXPORT_PCNT_USER) and program the
 * EL1 physical timer (CONFIG_EXPORT_PTMR_USER); cntvct_el0 traps.  The
 * kernel, built for EL2, keeps the hypervisor timer for itself, so the
 * physical timer's interrupt (PPI 30) is free to give to the PD with
 * <irq irq="30" trigger="level">: a deadline is one register write, and
 * its interrupt arrives on the PD's notification like any channel.  No
 * timer PD, no extra IPC per sleep.
 *
 * Conversions avoid 128-bit arithmetic (a libgcc call in a freestanding
 * build): ticks = q * f + r * f / 1e9 with q, r = ns / 1e9, ns % 1e9; r *
 * f stays below 2^64 for any f under 18 GHz.
 */
#include <microkit.h>

#include "microkit_impl.h"

#define NS 1000000000ull

static uint64_t freq;

static inline uint64_t cntpct(void)
{
	uint64_t v;

	__asm__ __volatile__("isb\n\tmrs %0, cntpct_el0" : "=r"(v)::"memory");
	return v;
}

static uint64_t cntfrq(void)
{
	if (__builtin_expect(freq == 0, 0)) {
		__asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(freq));
		if (freq == 0)
			freq = 62500000; /* QEMU virt's, should firmware not set it */
	}
	return freq;
}

uint64_t mk_clock_now_ns(void)
{
	uint64_t t = cntpct(), f = cntfrq();

	return t / f * NS + t % f * NS / f;
}

/* The first tick at or after ns (ceiling: the interrupt must not come
 * before the deadline as mk_clock_now_ns sees it). */
static uint64_t ticks_at(uint64_t ns)
{
	uint64_t f = cntfrq();

	return ns / NS * f + (ns % NS * f + NS - 1) / NS;
}

void mk_timer_arm(uint64_t deadline_ns)
{
	static bool warned;

	if (deadline_ns == MK_FOREVER) {
		mk_timer_stop();
		return;
	}
	if (mk_pd_timer_channel < 0) {
		if (!warned)
			microkit_dbg_puts("rumpbridge: mk/microkit: a deadline without a "
					  "timer channel (mk_microkit_config.timer_channel) "
					  "is never met\n");
		warned = true;
		return;
	}
	__asm__ __volatile__("msr cntp_cval_el0, %0\n\t"
			     "msr cntp_ctl_el0, %1\n\t"
			     "isb" ::"r"(ticks_at(deadline_ns)),
			     "r"(UINT64_C(1)) /* ENABLE, IMASK clear */
			     : "memory");
	mk_pd_stats.timer_arms++;
}

void mk_timer_stop(void)
{
	if (mk_pd_timer_channel < 0)
		return;
	__asm__ __volatile__("msr cntp_ctl_el0, xzr\n\tisb" ::: "memory");
}
