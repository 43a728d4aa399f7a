/* SPDX-License-Identifier: BSD-2-Clause */
/* PPC with every message register: sums the call's, doubles them in the
 * reply, and signals the caller with a deferred notification. */
#include <stdio.h>

#include <microkit.h>

void init(void)
{
	microkit_dbg_puts("mrserver: init\n");
}

void notified(microkit_channel ch)
{
	(void)ch;
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
	seL4_Word n = microkit_msginfo_get_count(msginfo), sum = 0;
	char line[128];

	for (seL4_Word i = 0; i < n; i++) {
		sum += microkit_mr_get((seL4_Uint8)i);
		microkit_mr_set((seL4_Uint8)i, 2 * microkit_mr_get((seL4_Uint8)i));
	}
	snprintf(line, sizeof line, "mrserver: %lu registers on channel %u, sum %lu\n",
		 (unsigned long)n, ch, (unsigned long)sum);
	microkit_dbg_puts(line);
	microkit_deferred_notify(ch); /* sent when protected() returns */
	return microkit_msginfo_new(7, (seL4_Uint16)n);
}
