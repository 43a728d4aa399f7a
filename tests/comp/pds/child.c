/* SPDX-License-Identifier: BSD-2-Clause */
/* Counts its starts in a region and tells its parent it runs. */
#include <microkit.h>

uintptr_t starts; /* setvar_vaddr */

void init(void)
{
	unsigned n = ++*(unsigned *)starts;

	microkit_dbg_puts("child: start ");
	microkit_dbg_put32(n);
	microkit_dbg_puts("\n");
	microkit_notify(0);
}

void notified(microkit_channel ch)
{
	(void)ch;
}
