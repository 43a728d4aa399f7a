/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Crashes on its first two starts.  It counts its starts in a memory
 * region, which outlives the process (on_crash="restart" starts it again).
 */
#include <microkit.h>

uintptr_t state; /* setvar_vaddr */

void init(void)
{
	unsigned *starts = (unsigned *)state;

	++*starts;
	microkit_dbg_puts("phoenix: start ");
	microkit_dbg_put32(*starts);
	microkit_dbg_puts("\n");
	if (*starts < 3)
		*(volatile int *)0 = 1;
}

void notified(microkit_channel ch)
{
	(void)ch;
}
