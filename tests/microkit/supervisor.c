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
 * notification on channel 1, which the child sends just before it
 * overruns its stack; woken by it (the direct wake), watch waits again,
 * for BIT_FAULTED, and, the last thread to block, waits in seL4_Recv
 * itself.  The child's fault comes to that receive: fault() runs on
 * watch's stack (mk_microkit_stack_owner of one of its locals says so)
 * while watch is blocked in its second wait.  fault() raises BIT_FAULTED;
 * the receive in place then ends and watch runs, after fault() returned
 * (fault_done set), with exactly one more in-place receive counted.
 * fault() never replies (the child stays stopped), so the reply path of
 * the receive in place (reply_now) is not taken here.
 *
 * Under libmicrokit's loop (init() returning instead) fault() would run on
 * the PD's stack and watch inside fault()'s dom_event_signal: the lines
 * check_fault.sh wants would not be printed.
 */
#include <microkit.h>
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
static int fault_done; /* fault() has raised BIT_FAULTED and returns */

static void *watch_main(void *arg)
{
	struct mk_microkit_stats s0, s1;
	uint64_t bits = 0;

	(void)arg;
	if (dom_event_wait(d, BIT(CH_CHILD), &bits) != 0 || bits != BIT(CH_CHILD))
		pd_put("supervisor: FAIL watch's wait for the child\n");
	mk_microkit_get_stats(&s0);
	watch_state = W_WAITING;
	if (dom_event_wait(d, BIT(BIT_FAULTED), &bits) != 0 || bits != BIT(BIT_FAULTED))
		pd_put("supervisor: FAIL watch's wait for fault()\n");
	watch_state = W_WOKEN;
	mk_microkit_get_stats(&s1);
	pd_put(fault_done ? "supervisor: watch ran after fault() returned"
			  : "supervisor: watch ran inside fault()");
	pd_kv("in_place", s1.in_place_receives - s0.in_place_receives);
	pd_kv("direct", s1.direct_wakes - s0.direct_wakes);
	pd_kv("resumes", s1.resumes - s0.resumes);
	pd_put("\n");
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

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply)
{
	char name[MK_MICROKIT_NAME_LEN];
	int guard = 0;
	const char *owner = mk_microkit_stack_owner((uintptr_t)name);
	int state = watch_state;

	(void)reply;
	microkit_dbg_puts("supervisor: fault in child ");
	microkit_dbg_put32(child);
	if (microkit_msginfo_get_label(msginfo) == seL4_Fault_VMFault) {
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
	}
	microkit_dbg_puts("\n");
	microkit_pd_stop(child);
	microkit_dbg_puts("supervisor: child stopped\n");
	/* on watch's stack while watch waits for BIT_FAULTED: a receive in place */
	if (owner != NULL && strcmp(owner, "watch") == 0 && state == W_WAITING) {
		pd_put("supervisor: fault() ran in a receive in place, on green thread 'watch''s "
		       "stack\n");
	} else {
		pd_put("supervisor: fault() ran on ");
		pd_put(owner != NULL ? owner : "the PD's stack");
		pd_kv("watch_state", (uint64_t)state);
		pd_put(", not in a receive in place\n");
	}
	if (dom_event_signal(d, BIT(BIT_FAULTED)) != 0)
		pd_put("supervisor: FAIL dom_event_signal from fault()\n");
	fault_done = 1;
	return seL4_False; /* no reply: the child stays stopped */
}
