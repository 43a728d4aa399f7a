/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * librumpuser in a seL4 Microkit protection domain (docs/microkit.md,
 * "The rump kernel in a PD"): the rump kernel's hypercalls on the PD's
 * domain, its memory from a memory region of the .system file.
 *
 * The PD sets the domain up (mk_microkit_init, dom_create), calls
 * rumpbridge_microkit_setup from init(), and calls rump_init() from a
 * green thread of that domain: every rump kernel call must come from a
 * green thread (the PD context is not a member of the domain).
 */
#ifndef RUMPBRIDGE_RUMPUSER_MICROKIT_H
#define RUMPBRIDGE_RUMPUSER_MICROKIT_H

#include <stddef.h>
#include <stdint.h>

#include <rumpbridge/dom.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rumpbridge_microkit_config {
	struct dom *dom;     /* the PD's domain (one vCPU) */
	void *mem;	     /* the rump kernel's memory: a region the .system
				file maps rw, 4 KiB aligned */
	size_t mem_size;     /* its size; also RUMP_MEMLIMIT unless params
				give one */
	const char *hostname; /* _RUMPUSER_HOSTNAME; NULL: "rump-" and the PD's
				 name */
	const char *const *params; /* NULL, or "NAME=value" strings ending in
				      NULL: what rumpuser_getparam answers for
				      other names (RUMP_VERBOSE, RUMP_NVNODES,
				      ...); a PD has no environment */
	uint64_t random_seed; /* mixed into the random source (see
				 rumpuser_getrandom in docs/microkit.md) */
	uint64_t slice_ns;   /* the domain is cooperative: a rump kernel
				thread that has run this long without blocking
				yields at the next memory or clock hypercall,
				so the PD's other green threads run; 0: 1 ms;
				UINT64_MAX: never */
};

/* Give librumpuser its domain and memory.  PD context (init()) or a
 * green thread, once, before rump_init().  Keeps cfg->params (the array
 * and strings must live on).  Errors: -EINVAL (cfg, dom or mem NULL, mem
 * not 4 KiB aligned, mem_size under 64 KiB), -EBUSY (called before). */
int rumpbridge_microkit_setup(const struct rumpbridge_microkit_config *cfg);

struct rumpbridge_microkit_stats {
	size_t mem_size;   /* the region */
	size_t mem_used;   /* in allocated blocks now, headers included */
	size_t mem_peak;   /* high mark of mem_used */
	size_t mem_nfree;  /* free blocks (fragmentation) */
	uint64_t allocs, frees, failed; /* rumpuser_malloc/anonmmap calls
					   served, frees, refused (ENOMEM) */
	uint64_t slice_yields;	 /* yields at the end of a slice */
};

/* The allocator's counters.  any. */
void rumpbridge_microkit_get_stats(struct rumpbridge_microkit_stats *s);

/* Called by rumpuser_exit after it has reported the exit on the console
 * (rump_sys_reboot ends in rumpuser_exit(0)); the default, weak, ends the
 * calling green thread (the rest of the domain keeps running; the rump
 * kernel is shut down).  A PD may define its own, e.g. to notify its
 * parent; it must not return.  A panic (RUMPUSER_PANIC) does not come
 * here: it is reported and then raises a fault (brk) so that the PD's
 * fault handler hears of it. */
void rumpbridge_microkit_exit(int status) __attribute__((__noreturn__));

/* The last error a rump_sys_* call of any green thread set (errno).  The
 * domain runs one vCPU cooperatively, so a thread that reads it right
 * after its failing call, before it blocks or yields, reads its own. */
extern int rumpbridge_microkit_errno;

#ifdef __cplusplus
}
#endif
#endif
