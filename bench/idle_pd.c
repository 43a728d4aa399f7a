/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_comp's idle PD: says it is ready, then waits for nothing. */
#include <microkit.h>

void init(void)
{
	microkit_dbg_puts(microkit_name);
	microkit_dbg_puts(" ready\n");
}

void notified(microkit_channel ch)
{
	(void)ch;
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
	(void)ch;
	return msginfo;
}
