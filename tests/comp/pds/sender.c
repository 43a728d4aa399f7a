/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Calls the server (PPC with a message register), calls the fragile server
 * (which dies: the call fails instead of hanging), writes to the shared
 * region, then notifies the receiver three times on each of three channels
 * (the receiver has not started yet: they coalesce).
 */
#include <stdio.h>
#include <string.h>

#include <microkit.h>

#define SERVER 1
#define FRAGILE 2

uintptr_t buf; /* setvar_vaddr */

static void say(const char *fmt, unsigned long long x)
{
	char line[128];

	snprintf(line, sizeof line, fmt, x);
	microkit_dbg_puts(line);
}

void init(void)
{
	microkit_msginfo r;

	say("sender: init buf=0x%llx\n", (unsigned long long)buf);
	microkit_mr_set(0, 21);
	r = microkit_ppcall(SERVER, microkit_msginfo_new(41, 1));
	say("sender: reply label %llu", microkit_msginfo_get_label(r));
	say(" count %llu", microkit_msginfo_get_count(r));
	say(" mr0 %llu\n", microkit_mr_get(0));

	r = microkit_ppcall(FRAGILE, microkit_msginfo_new(1, 0));
	if (microkit_msginfo_get_label(r) == MICROKIT_PPC_FAILED)
		microkit_dbg_puts("sender: the call to fragile failed\n");
	r = microkit_ppcall(FRAGILE, microkit_msginfo_new(2, 0)); /* it stays dead */
	if (microkit_msginfo_get_label(r) == MICROKIT_PPC_FAILED)
		microkit_dbg_puts("sender: the second call to fragile failed too\n");

	microkit_notify(SERVER); /* passive: never delivered */
	strcpy((char *)buf, "written by sender");
	for (int round = 0; round < 3; round++)
		for (microkit_channel ch = 5; ch >= 3; ch--)
			microkit_notify(ch);
	microkit_notify(7); /* not a channel of this PD */
	microkit_ppcall(3, microkit_msginfo_new(0, 0)); /* not a pp channel */
	microkit_dbg_puts("sender: notified the receiver\n");
}

void notified(microkit_channel ch)
{
	say("sender: notified %llu\n", ch);
}
