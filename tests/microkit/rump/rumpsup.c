/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The parent of the rump PD in the panic test (rumppd_panic.system): its
 * fault() is where a rump kernel panic in the child arrives.  librumpuser
 * reports the panic on the console, then raises a fault with brk; under
 * this SDK's kernel (seL4 as hypervisor) an EL0 brk reaches the parent as
 * a vCPU fault whose first message register is the ESR (exception class
 * 0x3c: BRK).  It prints the label and the ESR and stops the child.
 */
#include <microkit.h>
#include <stdint.h>

#include "../pd_common.h"

void init(void)
{
}

void notified(microkit_channel ch)
{
	(void)ch;
}

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply)
{
	uint64_t label = microkit_msginfo_get_label(msginfo), esr = microkit_mr_get(0);

	(void)reply;
	microkit_dbg_puts("rumpsup: fault in child ");
	microkit_dbg_put32(child);
	microkit_dbg_puts(" label ");
	microkit_dbg_put32((uint32_t)label);
	if (label == seL4_Fault_VMFault) {
		microkit_dbg_puts(" (VM fault at ");
		pd_put_hex(microkit_mr_get(seL4_VMFault_Addr));
		microkit_dbg_puts(", pc ");
		pd_put_hex(microkit_mr_get(seL4_VMFault_IP));
		microkit_dbg_puts(")");
	} else if (label == seL4_Fault_VCPUFault) {
		microkit_dbg_puts(" esr ");
		pd_put_hex(esr);
		if ((esr >> 26) == 0x3c)
			microkit_dbg_puts(" (brk: the rump kernel's panic)");
	}
	microkit_dbg_puts("\n");
	microkit_pd_stop(child);
	microkit_dbg_puts("rumpsup: child stopped\n");
	return seL4_False; /* no reply: the child stays stopped */
}
