/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Scaffolding shared by the Microkit test and benchmark PDs (pdtest,
 * faulter, supervisor, rumppd, rumpsup, bench_domain, bench_client): console
 * numbers (mk_console_printf, the backend's formatter), and the setup
 * every domain PD repeats — mk_microkit_init, a domain on the PD notification with the PD's thread
 * as vCPU 0, and the vCPU context running dom_run.  Header only: each PD
 * is one program image and includes it once.
 *
 * The example (examples/microkit/domain.c) does not use it: it is meant
 * to be read on its own.
 */
#ifndef TESTS_MICROKIT_PD_COMMON_H
#define TESTS_MICROKIT_PD_COMMON_H

#include <errno.h>
#include <microkit.h>
#include <stddef.h>
#include <stdint.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/mk_microkit.h>

static inline void pd_put(const char *s)
{
	microkit_dbg_puts(s);
}

/* v in decimal. */
static inline void pd_put_u64(uint64_t v)
{
	mk_console_printf("%llu", (unsigned long long)v);
}

/* v as 0x and 16 hex digits. */
static inline void pd_put_hex(uint64_t v)
{
	mk_console_printf("0x%016llx", (unsigned long long)v);
}

/* v in decimal, with a '-' if negative. */
static inline void pd_put_i64(int64_t v)
{
	mk_console_printf("%lld", (long long)v);
}

/* " k=v", the key=value form the check_*.sh scripts parse. */
static inline void pd_kv(const char *k, uint64_t v)
{
	mk_console_printf(" %s=%llu", k, (unsigned long long)v);
}

/* The mk_microkit_config of a PD whose .system file maps the heap at
 * heap_base and the stack slots from stack0_base (each slot's first
 * mapped byte: the guard page is below it), the variables the Microkit
 * tool patches (setvar_vaddr); timer: the timer <irq>'s channel, or -1. */
#define PD_MICROKIT_CONFIG(heap_size_, stride_, nstacks_, timer_)                                  \
	{                                                                                          \
		.heap = (void *)heap_base, .heap_size = (heap_size_),                              \
		.stacks = stack0_base - MK_MICROKIT_GUARD, .stack_stride = (stride_),              \
		.nstacks = (nstacks_), .timer_channel = (timer_),                                  \
	}

/* The name given to pd_domain_create, for pd_vcpu_main's message. */
static const char *pd_name = "pd";

/* The vCPU context's function: dom_run(dom), printing
 * "NAME: FAIL dom_run r=ERRNO" if it fails. */
static inline void *pd_vcpu_main(void *dom)
{
	int r = dom_run(dom);

	if (r != 0) {
		pd_put(pd_name);
		pd_put(": FAIL dom_run");
		pd_kv("r", (uint64_t)-r);
		pd_put("\n");
	}
	return NULL;
}

/* From init(): mk_microkit_init(mc), then dom_create(d, dc) with dc->irq
 * the PD notification, DOM_CALLER_IS_VCPU0 added to dc->flags, and
 * dc->stack_size, if 0, the stack slot less its guard.  Returns 0, or the
 * error of the step that failed (mk_microkit_init's or dom_create's, see
 * their headers; -EINVAL if a pointer is NULL), and names that step in
 * *what. */
static inline int pd_domain_create(struct dom **d, const struct mk_microkit_config *mc,
				   struct dom_config *dc, const char **what)
{
	int r;

	*what = "pd_domain_create";
	if (d == NULL || mc == NULL || dc == NULL)
		return -EINVAL;
	*what = "mk_microkit_init";
	if ((r = mk_microkit_init(mc)) != 0)
		return r;
	dc->irq = mk_microkit_notification();
	dc->flags |= DOM_CALLER_IS_VCPU0;
	if (dc->stack_size == 0)
		dc->stack_size = mc->stack_stride - MK_MICROKIT_GUARD;
	if (dc->name != NULL)
		pd_name = dc->name;
	*what = "dom_create";
	return dom_create(d, dc);
}

/* From init(), after pd_domain_create and the threads: start the vCPU
 * context running dom_run(d) (pd_vcpu_main); returns once the domain is
 * idle.  Errors: those of mk_microkit_start. */
static inline int pd_domain_start(struct dom *d)
{
	return mk_microkit_start(pd_vcpu_main, d);
}

#endif
