/* SPDX-License-Identifier: BSD-2-Clause */
/* The console hypercalls: the backend's console (mk_console_write) and
 * its formatter (mk_console_vformat).  Shared by every backend. */
#include <stdarg.h>

#include "rumpuser_impl.h"

void rumpuser_putchar(int c)
{
	char ch = (char)c;

	mk_console_write(&ch, 1);
}

void rumpuser_dprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = mk_console_vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		mk_console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}
