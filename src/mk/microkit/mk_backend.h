/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inline services the Microkit backend offers to the layers above (the
 * Linux backend's twin, src/mk/linux/mk_backend.h; the build puts one of
 * the two on the include path of src/dom/).
 *
 * A protection domain has one seL4 thread, so the TLS slots are a plain
 * array.  mk_tls_current() reads slot MK_TLS_DOM_CURRENT with a plain
 * load: a green thread's view of "current" changes across a context
 * switch, and every switch is a call the compiler cannot see into
 * (dom_arch_switch*, mk_ctx_switch: assembly), after which it must read
 * the array again; there is no second thread to race with.
 */
#ifndef MK_BACKEND_H
#define MK_BACKEND_H

#include <rumpbridge/mk.h>

/* hidden: one ELF, so the slot is reached pc-relative, not via the GOT */
extern void *mk_microkit_tls[MK_TLS_SLOTS] __attribute__((visibility("hidden")));

static inline void *mk_tls_current(void)
{
	return mk_microkit_tls[MK_TLS_DOM_CURRENT];
}

#endif
