/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A correction for the rump kernel's libkern, linked in with
 * `--wrap=rumpns_strlen` (docs/microkit.md, link line).
 *
 * The aarch64 rump kernel (NetBSD 7.99.34, an early aarch64 port) has an
 * assembly strlen whose word-at-a-time tail computes the byte position
 * from the wrong register (`rev x7, x7` where the zero-byte mask is in
 * x6): it returns the length rounded down to the 8-byte word, so every
 * string whose length is not a multiple of 8 (minus the start's
 * misalignment) comes out short.  printf("%s") then cuts strings and
 * evcnt_attach_static panics ("group length").  The kernel's objects
 * refer to rumpns_strlen as an undefined symbol, so the linker's --wrap
 * sends them here; the kernel's own copy stays in the image, unused.
 * tests/microkit/rump/rumppd.c checks both at boot.
 */
#include <stddef.h>

size_t __wrap_rumpns_strlen(const char *s);

size_t __wrap_rumpns_strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}
