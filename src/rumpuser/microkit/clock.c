/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Clocks in a PD: cntpct_el0 (mk_clock_now_ns).  A PD has no wall clock
 * (no RTC is given to it), so RELWALL is the time since boot too: the
 * rump kernel's date starts at the epoch.  A yield point (pd.c).
 * Sleeps: ../sleep.c.
 */
#include "pd_impl.h"

/* The kernel's tick for aligning clock ticks (../sleep.c): not looked
 * up in a PD (its one vCPU runs the clock threads one after the other
 * anyway), so its deadlines stay exact. */
uint64_t ru_tick_ns(void)
{
	return 0;
}

int rumpuser_clock_gettime(int which, int64_t *sec, long *nsec)
{
	uint64_t n;

	if (sec == NULL || nsec == NULL)
		return NETBSD_EINVAL;
	if (which != RUMPUSER_CLOCK_RELWALL && which != RUMPUSER_CLOCK_ABSMONO)
		return NETBSD_EINVAL;
	ru_pd_slice_check();
	n = mk_clock_now_ns();
	*sec = (int64_t)(n / 1000000000u);
	*nsec = (long)(n % 1000000000u);
	return 0;
}
