/* SPDX-License-Identifier: BSD-2-Clause */
/* A passive PPC server: replies label + 1 and MR0 * 2. */
#include <microkit.h>

void init(void)
{
	microkit_dbg_puts("server: init\n");
}

void notified(microkit_channel ch)
{
	(void)ch;
	microkit_dbg_puts("server: notified, but a passive PD runs only for PPCs\n");
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
	seL4_Word x = microkit_mr_get(0);

	microkit_dbg_puts("server: ppc on channel ");
	microkit_dbg_put32(ch);
	microkit_dbg_puts(" label ");
	microkit_dbg_put32((seL4_Uint32)microkit_msginfo_get_label(msginfo));
	microkit_dbg_puts(" count ");
	microkit_dbg_put32((seL4_Uint32)microkit_msginfo_get_count(msginfo));
	microkit_dbg_puts(" mr0 ");
	microkit_dbg_put32((seL4_Uint32)x);
	microkit_dbg_puts("\n");
	microkit_mr_set(0, x * 2);
	return microkit_msginfo_new(microkit_msginfo_get_label(msginfo) + 1, 1);
}
