/* SPDX-License-Identifier: BSD-2-Clause */
/* Writes its pid where intruder reads it, and says so. */
#include <stdint.h>
#include <unistd.h>

#include <microkit.h>

uintptr_t pids;

void init(void)
{
	*(volatile int32_t *)pids = (int32_t)getpid();
	microkit_dbg_puts("victim: init\n");
}

void notified(microkit_channel ch)
{
	(void)ch;
}
