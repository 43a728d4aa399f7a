/* SPDX-License-Identifier: BSD-2-Clause */
/* The console hypercalls on the backend's console (mk_console_write,
 * mk_console_vprintf).  Shared by every backend. */
#include <stdarg.h>

#include "rumpuser_impl.h"

void rumpuser_putchar(int c)
{
	char ch = (char)c;

	mk_console_write(&ch, 1);
}

void rumpuser_dprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)mk_console_vprintf(fmt, ap);
	va_end(ap);
}
