/* SPDX-License-Identifier: BSD-2-Clause */
/* Clocks and sleeping: sleeps are domain timers, the rump CPU released. */
#include <errno.h>
#include <time.h>

#include "rumpuser_impl.h"

int rumpuser_clock_gettime(int which, int64_t *sec, long *nsec)
{
	struct timespec ts;

	if (sec == NULL || nsec == NULL)
		return NETBSD_EINVAL;
	if (which == RUMPUSER_CLOCK_RELWALL) {
		clock_gettime(CLOCK_REALTIME, &ts);
	} else if (which == RUMPUSER_CLOCK_ABSMONO) {
		uint64_t n = mk_clock_now_ns();
		ts.tv_sec = (time_t)(n / 1000000000u);
		ts.tv_nsec = (long)(n % 1000000000u);
	} else {
		return NETBSD_EINVAL;
	}
	*sec = ts.tv_sec;
	*nsec = ts.tv_nsec;
	return 0;
}

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
