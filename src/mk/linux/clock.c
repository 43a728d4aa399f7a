/* SPDX-License-Identifier: BSD-2-Clause */
#include <time.h>

#include <rumpbridge/mk.h>

uint64_t mk_clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
