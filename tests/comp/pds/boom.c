/* SPDX-License-Identifier: BSD-2-Clause */
/* Crashes in init(). */
#include <microkit.h>

void init(void)
{
	microkit_dbg_puts("boom: crashing\n");
	*(volatile int *)0 = 1;
}

void notified(microkit_channel ch)
{
	(void)ch;
}
