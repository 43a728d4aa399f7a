/* SPDX-License-Identifier: BSD-2-Clause */
/* dom_assert's failure path: say which invariant broke, on which object,
 * then stop the process.  Debug builds call it from every dom_assert;
 * release builds only where an impossible state cannot be survived
 * (dom_after_switch). */
#include <stdarg.h>

#include "dom_impl.h"

#if DOM_DEBUG
DOM_DEBUG_TLS unsigned dom_locks_held;
DOM_DEBUG_TLS bool dom_locks_nest;
DOM_DEBUG_TLS bool dom_locks_leaf;
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
	static const char head[] = "rumpbridge: dom invariant broken: ";
	int n = (int)sizeof(head) - 1;

	memcpy(buf, head, (size_t)n);
	va_start(ap, fmt);
	n += mk_console_vformat(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	mk_console_write(buf, (size_t)n);
	mk_halt();
}
