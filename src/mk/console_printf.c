/* SPDX-License-Identifier: BSD-2-Clause */
/* mk_console_printf: the backend's formatter (mk_console_vformat) into
 * the backend's console (mk_console_write).  Shared by every backend. */
#include <stdarg.h>

#include <rumpbridge/mk.h>

int mk_console_vprintf(const char *fmt, va_list ap)
{
	char buf[MK_CONSOLE_LINE];
	int n = mk_console_vformat(buf, sizeof(buf), fmt, ap);

	if (n > 0)
		mk_console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

int mk_console_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = mk_console_vprintf(fmt, ap);
	va_end(ap);
	return n;
}
