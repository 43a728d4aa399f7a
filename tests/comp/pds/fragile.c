/* SPDX-License-Identifier: BSD-2-Clause */
/* A passive PPC server that crashes while serving. */
#include <microkit.h>

void init(void)
{
	microkit_dbg_puts("fragile: init\n");
}

void notified(microkit_channel ch)
{
	(void)ch;
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
	(void)ch;
	(void)msginfo;
	microkit_dbg_puts("fragile: crashing\n");
	*(volatile int *)0 = 1;
	return microkit_msginfo_new(0, 0);
}
