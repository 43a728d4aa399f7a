/* SPDX-License-Identifier: BSD-2-Clause */
/* dom_assert's failure path (debug builds): say which invariant broke, on
 * which object, then stop the process. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "dom_impl.h"

#if DOM_DEBUG
void dom_panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n = snprintf(buf, sizeof(buf), "rumpbridge: dom invariant broken: ");

	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	mk_console_write(buf, (size_t)n);
	abort();
}
#endif
