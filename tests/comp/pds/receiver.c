/* SPDX-License-Identifier: BSD-2-Clause */
/* Prints each notification and what the shared region holds. */
#include <stdio.h>

#include <microkit.h>

uintptr_t rbuf;	    /* setvar_vaddr */
uint64_t rbuf_size; /* setvar_size */

void init(void)
{
	char line[128];

	snprintf(line, sizeof line, "receiver: init rbuf=0x%lx size=%lu\n", (unsigned long)rbuf,
		 (unsigned long)rbuf_size);
	microkit_dbg_puts(line);
}

void notified(microkit_channel ch)
{
	char line[128];

	snprintf(line, sizeof line, "receiver: notified %u shared='%s'\n", ch, (const char *)rbuf);
	microkit_dbg_puts(line);
	if (ch == 9)
		microkit_notify(9); /* back to the sender, its channel 3 */
}
