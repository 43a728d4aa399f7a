/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_comp's PPC pair: "pingsrv" answers PPCs (MR 0 + 1); "pingcli"
 * calls it PING_WARMUP times, then PING_CALLS times on the clock, checks
 * every reply and prints the mean round trip: "pingcli: rtt_ns N".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <microkit.h>

#define PING_WARMUP 2000u
#define PING_CALLS 20000u

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static int ping(seL4_Word i)
{
	microkit_mr_set(0, i);
	(void)microkit_ppcall(1, microkit_msginfo_new(0, 1));
	return microkit_mr_get(0) == i + 1;
}

void init(void)
{
	unsigned long long t0, t1;
	char line[96];
	int ok = 1;

	if (strcmp(microkit_name, "pingcli") != 0)
		return;
	for (seL4_Word i = 0; i < PING_WARMUP; i++)
		ok &= ping(i);
	t0 = now_ns();
	for (seL4_Word i = 0; i < PING_CALLS; i++)
		ok &= ping(i);
	t1 = now_ns();
	snprintf(line, sizeof line, ok ? "pingcli: rtt_ns %.1f\n" : "pingcli: bad reply %.1f\n",
		 (double)(t1 - t0) / PING_CALLS);
	microkit_dbg_puts(line);
}

void notified(microkit_channel ch)
{
	(void)ch;
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
	(void)ch;
	microkit_mr_set(0, microkit_mr_get(0) + 1);
	return msginfo;
}
