/* SPDX-License-Identifier: BSD-2-Clause */
/* Clocks from the host (Linux); sleeping is sleep.c. */
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
