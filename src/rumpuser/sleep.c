/* SPDX-License-Identifier: BSD-2-Clause */
/* Sleeping: sleeps are domain timers, the rump CPU released.  Shared by
 * every backend (the clocks themselves are per backend: clock.c for
 * Linux, microkit/clock.c for a PD). */
#include <errno.h>

#include "rumpuser_impl.h"

int rumpuser_clock_sleep(int which, int64_t sec, long nsec)
{
	uint64_t t, now = mk_clock_now_ns(), deadline;
	bool e;
	int nlocks;

	if (sec < 0 || nsec < 0 || nsec >= 1000000000L)
		return NETBSD_EINVAL;
	t = (uint64_t)sec > UINT64_MAX / 2000000000u ? UINT64_MAX / 2
						    : (uint64_t)sec * 1000000000u + (uint64_t)nsec;
	if (which == RUMPUSER_CLOCK_RELWALL)
		deadline = now + t;
	else if (which == RUMPUSER_CLOCK_ABSMONO)
		deadline = t;
	else
		return NETBSD_EINVAL;
	ru_unschedule(&nlocks, NULL);
	e = ru_enter();
	dom_sleep_until(deadline);
	ru_leave(e);
	ru_schedule(nlocks, NULL);
	return 0;
}
