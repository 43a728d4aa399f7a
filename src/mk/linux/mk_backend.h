/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inline services the Linux backend offers to the layers above, for the
 * hot paths where a function call shows in the figures.  Each backend
 * folder has its own mk_backend.h; the build puts the chosen one on the
 * include path of src/dom/.
 *
 * mk_tls_current(): TLS slot MK_TLS_DOM_CURRENT of the calling host
 * thread.  The asm is volatile, so the thread pointer is read again at
 * every use: a green thread that moved to another host thread across a
 * context switch reads its new host thread's slot, which a plain
 * __thread access (whose address the compiler may keep across the call
 * to the switch) would not guarantee.
 */
#ifndef MK_BACKEND_H
#define MK_BACKEND_H

#include <stdbool.h>

#include <rumpbridge/mk.h>

#if defined(__x86_64__)
static inline void *mk_tls_current(void)
{
	void *v;
	long off;

	__asm__ volatile("movq mk_tls_slot@gottpoff(%%rip), %1\n\t"
			 "movq %%fs:(%1), %0"
			 : "=r"(v), "=&r"(off));
	return v;
}
#elif defined(__aarch64__)
static inline void *mk_tls_current(void)
{
	void *v;
	unsigned long tp, off;

	__asm__ volatile("mrs %1, tpidr_el0\n\t"
			 "adrp %2, :gottprel:mk_tls_slot\n\t"
			 "ldr %2, [%2, #:gottprel_lo12:mk_tls_slot]\n\t"
			 "ldr %0, [%1, %2]"
			 : "=r"(v), "=&r"(tp), "=&r"(off));
	return v;
}
#else
static inline void *mk_tls_current(void)
{
	return mk_tls_get(MK_TLS_DOM_CURRENT);
}
#endif

/* For the idle poll (src/dom/sched.c, "Idle poll"), in thread.c: the CPU
 * the calling host thread runs on (UINT32_MAX if unknown; glibc reads it
 * from rseq, no system call), how many CPUs this process may run on (its
 * affinity mask; 1 if unknown), and whether the environment variable
 * name is "0" (src/dom/ is freestanding: no getenv there).  Any thread.
 * No errors. */
uint32_t mk_backend_cpu_current(void);
unsigned mk_backend_cpu_count(void);
bool mk_backend_env_off(const char *name);

#endif
