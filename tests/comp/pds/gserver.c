/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A native PD serving PPCs from a domain component (dcomp, one vCPU).
 * Inside protected() it waits for dcomp's helper green thread to answer
 * through the shared page: the helper can only run if the PPC did not
 * hold dcomp's vCPU.  The wait is bounded (10 s), and says so.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <microkit.h>

/* flag[0]: gserver is in protected(); flag[1]: dcomp's helper ran */
uintptr_t flag;

void init(void)
{
	microkit_dbg_puts("gserver: init\n");
}

void notified(microkit_channel ch)
{
	char line[64];

	snprintf(line, sizeof line, "gserver: notified(%u), the end\n", ch);
	microkit_dbg_puts(line);
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
	_Atomic uint32_t *f = (_Atomic uint32_t *)flag;
	struct timespec ms = {0, 1000000};
	char line[128];
	int i;

	snprintf(line, sizeof line, "gserver: protected(%u) label %lu mr0 %lu\n", ch,
		 (unsigned long)microkit_msginfo_get_label(msginfo),
		 (unsigned long)microkit_mr_get(0));
	microkit_dbg_puts(line);
	atomic_store(&f[0], 1);
	for (i = 0; i < 10000 && !atomic_load(&f[1]); i++)
		nanosleep(&ms, NULL);
	microkit_dbg_puts(atomic_load(&f[1]) ? "gserver: dcomp's helper ran during the call\n"
					     : "gserver: dcomp's vCPU stalled during the call\n");
	microkit_mr_set(0, microkit_mr_get(0) + 1);
	return microkit_msginfo_new(microkit_msginfo_get_label(msginfo) + 1, 1);
}
