/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The parent of the faulter PD: its fault() names the green thread whose
 * stack a VM fault hit, from the child's fault table (mapped read-only
 * here), and stops the child.  Its notification on channel 1 starts the
 * child's faulting thread.
 */
#include <microkit.h>

#include <rumpbridge/mk_microkit.h>

#include "pd_common.h"

uintptr_t faultinfo_base;

void init(void)
{
	microkit_notify(1); /* the faulter's green thread starts on it */
}

void notified(microkit_channel ch)
{
	(void)ch;
}

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply)
{
	char name[MK_MICROKIT_NAME_LEN];
	int guard = 0;

	(void)reply;
	microkit_dbg_puts("supervisor: fault in child ");
	microkit_dbg_put32(child);
	if (microkit_msginfo_get_label(msginfo) == seL4_Fault_VMFault) {
		uintptr_t addr = microkit_mr_get(seL4_VMFault_Addr);
		microkit_dbg_puts(" at ");
		pd_put_hex(addr);
		if (mk_microkit_fault_name((const void *)faultinfo_base, addr, name, sizeof(name),
					   &guard) == 0) {
			microkit_dbg_puts(guard ? ": green thread '"
						: ": in the stack of green thread '");
			microkit_dbg_puts(name);
			microkit_dbg_puts(guard ? "' overran its stack (guard page)" : "'");
		}
	}
	microkit_dbg_puts("\n");
	microkit_pd_stop(child);
	microkit_dbg_puts("supervisor: done\n");
	return seL4_False; /* no reply: the child stays stopped */
}
