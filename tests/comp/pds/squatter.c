/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Takes the address 0x50000000 before the runtime maps the memory regions,
 * so a map there must be refused with a clear error; its init never runs.
 */
#include <sys/mman.h>

#include <microkit.h>

uintptr_t somewhere;

__attribute__((constructor)) static void squat(void)
{
	mmap((void *)0x50000000, 0x1000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
	     -1, 0);
}

void init(void)
{
	microkit_dbg_puts("squatter: init (it should not have started)\n");
}

void notified(microkit_channel ch)
{
	(void)ch;
}
