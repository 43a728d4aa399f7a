/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inline services the Microkit backend offers to the layers above (the
 * Linux backend's twin, src/mk/linux/mk_backend.h; the build puts one of
 * the two on the include path of src/dom/).
 *
 * A protection domain has one seL4 thread, so the TLS slots are a plain
 * array.  mk_tls_current() reads slot MK_TLS_DOM_CURRENT with a relaxed
 * atomic load: the compiler must read it again at every use, as a green
 * thread's view of "current" changes across a context switch (the same
 * rule as the Linux backend's volatile asm).
 */
#ifndef MK_BACKEND_H
#define MK_BACKEND_H

#include <rumpbridge/mk.h>

extern void *mk_microkit_tls[MK_TLS_SLOTS];

static inline void *mk_tls_current(void)
{
	return __atomic_load_n(&mk_microkit_tls[MK_TLS_DOM_CURRENT], __ATOMIC_RELAXED);
}

#endif
