/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A domain PD whose green thread "deep" recurses until it runs off its
 * stack into the guard page below it (tests/microkit/fault.system).  The
 * fault goes to the parent PD, supervisor.c, which names the thread from
 * the fault table this PD keeps (mk_microkit_config.fault_table).  "deep"
 * first waits for the supervisor's notification on CH_GO, so that it runs
 * (and faults) from notified(): by the direct wake, on the PD context's
 * stack (docs/microkit.md, "Direct wake").  It notifies the supervisor
 * back on CH_GO before it starts: the supervisor's green thread that this
 * wakes then waits again, receiving in place, when the faults come.  The
 * first fault is a brk, which the supervisor steps over (pc + 4) and
 * answers with a reply that resumes "deep" ("faulter: resumed after the
 * brk"); the second is the stack overflow, which it answers by stopping
 * this PD.
 */
#include <microkit.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/mk_microkit.h>

#include "pd_common.h"

uintptr_t heap_base;
uintptr_t stack0_base;
uintptr_t faultinfo_base;

static struct dom *d;

static __attribute__((noinline)) int deep(int n)
{
	volatile char buf[512];

	buf[0] = (char)n;
	if (n == 0)
		return buf[0];
	return deep(n - 1) + buf[0]; /* not a tail call: every frame stays */
}

#define CH_GO 1

static void *deep_main(void *arg)
{
	struct mk_microkit_stats st;
	uint64_t bits;

	(void)arg;
	if (dom_event_wait(d, UINT64_C(1) << CH_GO, &bits) != 0)
		microkit_dbg_puts("faulter: FAIL the wait for the supervisor\n");
	mk_microkit_get_stats(&st);
#ifdef FAULTER_DIRECT_WAKE
	if (st.direct_wakes == 0)
		microkit_dbg_puts("faulter: FAIL deep was not run by the direct wake\n");
#endif
	microkit_dbg_puts("faulter: deep starts\n");
	microkit_notify(CH_GO); /* the supervisor (higher priority) runs at once */
	__asm__ volatile("brk #0x42" ::: "memory"); /* a fault the supervisor replies to */
	microkit_dbg_puts("faulter: resumed after the brk\n");
	deep(100000);
	microkit_dbg_puts("faulter: FAIL deep returned\n");
	return NULL;
}

void init(void)
{
	const struct mk_microkit_config mc = {
		.heap = (void *)heap_base,
		.heap_size = 0x40000,
		.stacks = stack0_base - MK_MICROKIT_GUARD,
		.stack_stride = 0x5000,
		.nstacks = 4,
		.timer_channel = -1,
		.fault_table = (void *)faultinfo_base,
	};
	struct dom_config dc = {.name = "faulter"}; /* stacks of 0x5000 - guard */
	struct dom_thread_attr a = {.name = "deep", .vcpu = -1, .detached = true};
	const char *what;

	if (pd_domain_create(&d, &mc, &dc, &what) != 0 ||
	    dom_thread_create(d, NULL, &a, deep_main, NULL) != 0 || pd_domain_start(d) != 0)
		microkit_dbg_puts("faulter: FAIL setup\n");
}

void notified(microkit_channel ch)
{
	mk_microkit_notified(ch);
}
