/* SPDX-License-Identifier: BSD-2-Clause */
/* The diagnostic console on Linux: stderr, one write per call; formatting
 * and halting are the C library's. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../mk_impl.h"

void mk_console_write(const char *s, size_t len)
{
	while (s != NULL && len > 0) {
		ssize_t n = write(2, s, len);
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

int mk_console_vformat(char *buf, size_t n, const char *fmt, va_list ap)
{
	return vsnprintf(buf, n, fmt, ap);
}

void mk_halt(void)
{
	abort();
}
