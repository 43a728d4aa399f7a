/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Prints the CPUs this PD process may run on: "NAME: cpu N" when it is
 * one CPU (a cpu="N" setting), "NAME: several cpus" otherwise.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>

#include <microkit.h>

void init(void)
{
	cpu_set_t set;
	char line[96];
	int n, first = -1;

	if (sched_getaffinity(0, sizeof set, &set) != 0) {
		snprintf(line, sizeof line, "%s: sched_getaffinity failed\n", microkit_name);
		microkit_dbg_puts(line);
		return;
	}
	n = CPU_COUNT(&set);
	for (int c = 0; c < CPU_SETSIZE && first < 0; c++)
		if (CPU_ISSET(c, &set))
			first = c;
	if (n == 1)
		snprintf(line, sizeof line, "%s: cpu %d\n", microkit_name, first);
	else
		snprintf(line, sizeof line, "%s: several cpus\n", microkit_name);
	microkit_dbg_puts(line);
}

void notified(microkit_channel ch)
{
	(void)ch;
}
