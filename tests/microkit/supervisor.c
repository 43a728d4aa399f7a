/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The parent of the faulter PD: its fault() names the green thread whose
 * stack a VM fault hit, from the child's fault table (mapped read-only
 * here), and stops the child.  Its notification on channel 1 starts the
 * child's faulting thread.
 *
 * It is a domain PD in the library's event loop (mk_microkit_event_loop),
 * so that fault() is dispatched by a receive in place (docs/microkit.md,
 * "Receive in place"): its green thread "watch" waits for the child's
 * notification on channel 1, which the child sends just before its two
 * faults; woken by it (the direct wake), watch waits again, for
 * BIT_FAULTED, and, the last thread to block, waits in seL4_Recv itself.
 * Each fault comes to that receive: fault() runs on watch's stack
 * (mk_microkit_stack_owner of one of its locals says so) while watch is
 * blocked in its wait.  fault() raises BIT_FAULTED; the receive in place
 * then ends and watch runs, after fault() returned (faults_done counts
 * them), with exactly one in-place receive counted since it blocked.
 *
 * The faults: first a brk (under this SDK's kernel, seL4 as hypervisor, a
 * vCPU fault whose first message register is the ESR, class 0x3c), which
 * fault() steps over (the child's pc + 4, written on its TCB) and answers
 * with a reply: the receive in place sends it before watch runs, and the
 * child goes on ("faulter: resumed after the brk").  Then the stack
 * overflow, which fault() names and answers by stopping the child, no
 * reply.
 *
 * Under libmicrokit's loop (init() returning instead) fault() would run on
 * the PD's stack and watch inside fault()'s dom_event_signal: the lines
 * check_fault.sh wants would not be printed.
 */
#include <microkit.h>
#include <stdbool.h>
#include <string.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/mk_microkit.h>

#include "pd_common.h"

uintptr_t faultinfo_base;
uintptr_t heap_base;
uintptr_t stack0_base;

#define BIT(n) (UINT64_C(1) << (n))
#define CH_CHILD 1     /* to the faulter and back */
#define BIT_FAULTED 20 /* a local event bit: fault() ran */

static struct dom *d;

/* watch's progress, for fault(); one seL4 thread: plain globals */
enum { W_START, W_WAITING, W_WOKEN };
static int watch_state = W_START;
static unsigned faults_done; /* fault() calls that have raised BIT_FAULTED */

#define NFAULTS 2 /* the brk, then the stack overflow */

static void *watch_main(void *arg)
{
	struct mk_microkit_stats s0, s1;
	uint64_t bits = 0;

	(void)arg;
	if (dom_event_wait(d, BIT(CH_CHILD), &bits) != 0 || bits != BIT(CH_CHILD))
		pd_put("supervisor: FAIL watch's wait for the child\n");
	for (unsigned n = 1; n <= NFAULTS; n++) {
		mk_microkit_get_stats(&s0);
		watch_state = W_WAITING;
		if (dom_event_wait(d, BIT(BIT_FAULTED), &bits) != 0 || bits != BIT(BIT_FAULTED))
			pd_put("supervisor: FAIL watch's wait for fault()\n");
		watch_state = W_WOKEN;
		mk_microkit_get_stats(&s1);
		pd_put(faults_done == n ? "supervisor: watch ran after fault() returned"
					: "supervisor: watch ran inside fault()");
		pd_kv("fault", n);
		pd_kv("in_place", s1.in_place_receives - s0.in_place_receives);
		pd_kv("direct", s1.direct_wakes - s0.direct_wakes);
		pd_kv("resumes", s1.resumes - s0.resumes);
		pd_put("\n");
	}
	pd_put("supervisor: done\n");
	return NULL;
}

void init(void)
{
	const struct mk_microkit_config mc = PD_MICROKIT_CONFIG(0x40000, 0x5000, 4, -1);
	struct dom_config dc = {.name = "supervisor"};
	struct dom_thread_attr a = {.name = "watch", .vcpu = -1, .detached = true};
	const char *what;
	int r;

	if ((r = pd_domain_create(&d, &mc, &dc, &what)) != 0 ||
	    (what = "dom_thread_create", r = dom_thread_create(d, NULL, &a, watch_main, NULL)) != 0 ||
	    (what = "pd_domain_start", r = pd_domain_start(d)) != 0) {
		pd_put("supervisor: FAIL ");
		pd_put(what);
		pd_kv("r", (uint64_t)-r);
		pd_put("\n");
		return;
	}
	microkit_notify(CH_CHILD); /* the faulter's green thread starts on it */
	r = mk_microkit_event_loop();
	pd_put("supervisor: FAIL mk_microkit_event_loop returned");
	pd_kv("r", (uint64_t)-r);
	pd_put("\n");
}

void notified(microkit_channel ch)
{
	mk_microkit_notified(ch);
}

/* A brk: step over it (the child's pc + 4 on its TCB, which the restart
 * by the reply takes).  Returns whether that worked. */
static bool step_over_brk(microkit_child child, uint64_t *pc)
{
	seL4_UserContext ctx = {0};

	if (seL4_TCB_ReadRegisters(BASE_TCB_CAP + child, seL4_False, 0, 1, &ctx) != seL4_NoError)
		return false;
	*pc = ctx.pc;
	ctx.pc += 4;
	return seL4_TCB_WriteRegisters(BASE_TCB_CAP + child, seL4_False, 0, 1, &ctx) ==
	       seL4_NoError;
}

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply)
{
	char name[MK_MICROKIT_NAME_LEN];
	int guard = 0;
	const char *owner = mk_microkit_stack_owner((uintptr_t)name);
	int state = watch_state;
	uint64_t label = microkit_msginfo_get_label(msginfo), mr0 = microkit_mr_get(0), pc = 0;
	seL4_Bool answer = seL4_False;

	microkit_dbg_puts("supervisor: fault in child ");
	microkit_dbg_put32(child);
	if (label == seL4_Fault_VMFault) {
		uintptr_t addr = microkit_mr_get(seL4_VMFault_Addr);
		microkit_dbg_puts(" at ");
		pd_put_hex(addr);
		if (mk_microkit_fault_name((const void *)faultinfo_base, addr, name, sizeof(name),
					   &guard) == 0) {
			microkit_dbg_puts(guard ? ": green thread '"
						: ": in the stack of green thread '");
			microkit_dbg_puts(name);
			microkit_dbg_puts(guard ? "' overran its stack (guard page)" : "'");
		}
	} else if (label == seL4_Fault_VCPUFault && (mr0 >> 26) == 0x3c && faults_done == 0 &&
		   step_over_brk(child, &pc)) {
		microkit_dbg_puts(": brk at ");
		pd_put_hex(pc);
		microkit_dbg_puts(", stepped over: replying");
		*reply = microkit_msginfo_new(0, 0);
		answer = seL4_True;
	} else {
		pd_kv("label", label);
		pd_kv("mr0", mr0);
	}
	microkit_dbg_puts("\n");
	if (!answer) {
		microkit_pd_stop(child);
		microkit_dbg_puts("supervisor: child stopped\n");
	}
	/* on watch's stack while watch waits for BIT_FAULTED: a receive in place */
	pd_put("supervisor: fault() ");
	pd_put_u64(faults_done + 1);
	if (owner != NULL && strcmp(owner, "watch") == 0 && state == W_WAITING) {
		pd_put(" ran in a receive in place, on green thread 'watch''s stack\n");
	} else {
		pd_put(" ran on ");
		pd_put(owner != NULL ? owner : "the PD's stack");
		pd_kv("watch_state", (uint64_t)state);
		pd_put(", not in a receive in place\n");
	}
	if (dom_event_signal(d, BIT(BIT_FAULTED)) != 0)
		pd_put("supervisor: FAIL dom_event_signal from fault()\n");
	faults_done++;
	return answer; /* the brk: resume the child; else it stays stopped */
}
