/* SPDX-License-Identifier: BSD-2-Clause */
/* The console: the kernel's debug UART (prints nothing in a release
 * build of the SDK, where seL4_DebugPutChar does not exist). */
#include <microkit.h>

#include "microkit_impl.h"

void mk_console_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		microkit_dbg_putc(s[i]);
}
