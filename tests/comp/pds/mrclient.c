/* SPDX-License-Identifier: BSD-2-Clause */
/* Calls with all 120 message registers and checks the reply's. */
#include <stdio.h>

#include <microkit.h>

void init(void)
{
	microkit_msginfo r;
	seL4_Word sum = 0;
	char line[128];

	microkit_dbg_puts("mrclient: init\n");
	for (seL4_Word i = 0; i < seL4_MsgMaxLength; i++)
		microkit_mr_set((seL4_Uint8)i, i);
	r = microkit_ppcall(5, microkit_msginfo_new(3, seL4_MsgMaxLength));
	for (seL4_Word i = 0; i < microkit_msginfo_get_count(r); i++)
		sum += microkit_mr_get((seL4_Uint8)i);
	snprintf(line, sizeof line, "mrclient: reply label %lu, %lu registers, sum %lu\n",
		 (unsigned long)microkit_msginfo_get_label(r),
		 (unsigned long)microkit_msginfo_get_count(r), (unsigned long)sum);
	microkit_dbg_puts(line);
}

void notified(microkit_channel ch)
{
	char line[64];

	snprintf(line, sizeof line, "mrclient: notified %u\n", ch);
	microkit_dbg_puts(line);
}
