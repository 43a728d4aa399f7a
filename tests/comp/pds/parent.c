/* SPDX-License-Identifier: BSD-2-Clause */
/* Restarts its running child twice when it hears from it, then stops it. */
#include <microkit.h>

#define CHILD_ID 4
#define CHILD_CH 1

static unsigned heard;

void init(void)
{
	microkit_dbg_puts("parent: init\n");
}

void notified(microkit_channel ch)
{
	if (ch != CHILD_CH)
		return;
	heard++;
	if (heard < 3) {
		microkit_dbg_puts("parent: restart the child (");
		microkit_dbg_put32(heard);
		microkit_dbg_puts(")\n");
		microkit_pd_restart(CHILD_ID, 0);
	} else {
		microkit_dbg_puts("parent: stop the child (");
		microkit_dbg_put32(heard);
		microkit_dbg_puts(")\n");
		microkit_pd_stop(CHILD_ID);
	}
}
