/* SPDX-License-Identifier: BSD-2-Clause */
/* A native PD that calls and notifies a domain component (dcomp). */
#include <stdio.h>

#include <microkit.h>
#include <rumpbridge/comp.h>

void init(void)
{
	/* a native PD: no domain (prints only if comp.h is not kept) */
	if (comp_domain() != NULL || comp_channel_wait(3) != -ENOTSUP ||
	    comp_channel_claim(3) != -ENOTSUP)
		microkit_dbg_puts("gclient: comp.h calls differ in a native PD\n");
}

void notified(microkit_channel ch)
{
	char line[96];
	microkit_msginfo r;

	snprintf(line, sizeof line, "gclient: notified(%u)\n", ch);
	microkit_dbg_puts(line);
	if (ch == 2) {
		microkit_mr_set(0, 5);
		r = microkit_ppcall(2, microkit_msginfo_new(20, 1));
		snprintf(line, sizeof line, "gclient: reply label %lu mr0 %lu\n",
			 (unsigned long)microkit_msginfo_get_label(r),
			 (unsigned long)microkit_mr_get(0));
		microkit_dbg_puts(line);
		microkit_notify(3); /* to dcomp's waiting green thread */
	} else if (ch == 3) {
		microkit_notify(2); /* to dcomp's notified() */
	}
}
