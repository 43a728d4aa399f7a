/* SPDX-License-Identifier: BSD-2-Clause */
/* Clocks from the host (Linux); sleeping is sleep.c.
 *
 * The kernel's tick (sleep.c, "Clock ticks on one grid") from its hz
 * (hz(9), rumpns_hz in a rump build's namespace), a weak reference: a
 * program without a kernel, or with a kernel built without that name,
 * has none, and the clock keeps exact deadlines. */
#include <errno.h>
#include <time.h>

#include "rumpuser_impl.h"

extern int rumpns_hz __attribute__((__weak__));

uint64_t ru_tick_ns(void)
{
	/* hz is set before the kernel's clock threads start and never
	 * changes afterwards (kern.clockrate is read-only) */
	int hz = &rumpns_hz != NULL ? rumpns_hz : 0;

	return hz > 0 ? 1000000000u / (uint64_t)hz : 0;
}

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
