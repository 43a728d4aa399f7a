/* SPDX-License-Identifier: BSD-2-Clause */
/* Drives kcomp's RPC thread: KROUNDS calls, each reply checked. */
#include <stdio.h>

#include <microkit.h>

#define KROUNDS 1000

void init(void)
{
}

void notified(microkit_channel ch)
{
	for (seL4_Word i = 1; i <= KROUNDS; i++) {
		microkit_mr_set(0, i);
		(void)microkit_ppcall(ch, microkit_msginfo_new(0, 1));
		if (microkit_mr_get(0) != 3 * i) {
			char line[96];

			snprintf(line, sizeof line, "kcaller: call %lu: reply %lu\n",
				 (unsigned long)i, (unsigned long)microkit_mr_get(0));
			microkit_dbg_puts(line);
		}
	}
}
