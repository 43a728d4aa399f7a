/* SPDX-License-Identifier: BSD-2-Clause */
/* dom_assert's failure path: say which invariant broke, on which object,
 * then stop the process.  Debug builds call it from every dom_assert;
 * release builds only where an impossible state cannot be survived
 * (dom_after_switch). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "dom_impl.h"

#if DOM_DEBUG
__thread unsigned dom_locks_held;
__thread bool dom_locks_nest;
#endif

const char *dom_state_name(int st)
{
	static const char *const names[] = {"RUNNING", "RUNNABLE", "BLOCKING",
					     "BLOCKED", "ZOMBIE",   "DETACHING"};

	return st >= 0 && st < (int)(sizeof(names) / sizeof(names[0])) ? names[st] : "?";
}

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
