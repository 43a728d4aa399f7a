/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PD's two contexts (see mk_microkit.h).
 *
 * The PD context is libmicrokit's: it runs init(), notified() and the
 * event loop, which blocks in seL4_Recv.  The vCPU context runs
 * mk_microkit_start's function on a stack slot of its own.  Exactly one
 * of them runs at a time (one seL4 thread), so nothing here needs an
 * atomic: `in_vcpu` says which one runs, and the other is parked in
 * mk_ctx_switch with its sp saved in main_sp or vcpu_sp.
 *
 * States of the vCPU context:
 *   NONE    -> RUNNING    mk_microkit_start
 *   RUNNING -> SUSPENDED  mk_pd_suspend: a wait found nothing pending;
 *                         the PD context returns to the event loop
 *   SUSPENDED -> RUNNING  mk_pd_resume, from the PD context: after a
 *                         notification, a timer interrupt or a signal
 *                         made by PD-context code (protected(), ...)
 *   RUNNING -> DONE       the function returned: the vCPU context is
 *                         never run again.
 *   SUSPENDED -> DIRECT   direct_run, from mk_microkit_notified: the
 *   DIRECT -> SUSPENDED   domain's run upcall (below) ran in the PD
 *                         context and returned.
 * Every resume makes the waiter look at its notification and its
 * deadline again (mk_notification_wait_until); a resume with nothing for
 * it only costs one more trip round the event loop.
 *
 * The direct wake (mk_backend.h; docs/microkit.md, "Direct wake").  A
 * channel's notification that finds the vCPU context suspended is handed
 * to the domain's registered run upcall on the PD context's own stack,
 * with in_vcpu set and the TLS slots swapped as for a resume, so that the
 * code it runs (the event delivery, the green threads it switches to)
 * sees the vCPU context's world; the suspended vCPU context (the idle
 * loop, parked in its wait) is not touched.  Saves the switch to the vCPU
 * context and back, its stack, and the idle loop's trip between the wait
 * and the thread.  While DIRECT a raw mk wait of a green thread cannot
 * suspend (the PD context is not parked in main_sp but under the green
 * thread's switch): mk_pd_suspend asks the domain to get the thread off
 * the PD context (leave), and the wait looks again once the vCPU context
 * runs the thread.
 *
 * The TLS slots are per context: the PD context has its own (all NULL
 * unless it sets them), so domain code called from notified() or
 * protected() sees a caller that is not a member of the domain (dom.h's
 * "any" calls work, the blocking ones return -EPERM), not the vCPU's idle
 * context that happens to be parked.
 */
#include <microkit.h>

#include "microkit_impl.h"
#include "mk_backend.h"

enum { VC_NONE, VC_RUNNING, VC_SUSPENDED, VC_DONE, VC_DIRECT };

static struct {
	bool ready;	   /* mk_microkit_init done */
	bool in_vcpu;	   /* the vCPU context runs */
	int state;	   /* VC_* */
	void *main_sp;	   /* the PD context, while the vCPU one runs */
	void *vcpu_sp;	   /* the vCPU context, while suspended */
	void *(*fn)(void *);
	void *arg;
	struct mk_stack stack;
	struct mk_notification ntf; /* the PD notification */
	void *other_tls[MK_TLS_SLOTS]; /* the slots of the context not running */
	/* the direct wake: the domain's upcalls for notification `direct_n` */
	struct mk_notification *direct_n;
	uint64_t (*direct_run)(void *arg, uint64_t bits);
	void (*direct_leave)(void *arg);
	void *direct_arg;
} pd;

/* Swap the TLS slots of the two contexts (at every switch).  Unrolled:
 * under QEMU every taken branch ends a translation block. */
static inline void tls_swap(void)
{
#pragma GCC unroll 8
	for (unsigned i = 0; i < MK_TLS_SLOTS; i++) {
		void *v = mk_microkit_tls[i];
		mk_microkit_tls[i] = pd.other_tls[i];
		pd.other_tls[i] = v;
	}
}

struct mk_microkit_stats mk_pd_stats;
int mk_pd_timer_channel = -1;

static void pd_assert_fail(const char *what)
{
	microkit_dbg_puts("rumpbridge: mk/microkit: ");
	microkit_dbg_puts(what);
	microkit_dbg_puts("\n");
	__builtin_trap();
}

#define PD_ASSERT(c, what)                                                                         \
	do {                                                                                       \
		if (!(c))                                                                          \
			pd_assert_fail(what);                                                      \
	} while (0)

bool mk_pd_in_vcpu(void)
{
	return pd.in_vcpu;
}

void mk_pd_suspend(void)
{
	if (pd.state == VC_DIRECT) {
		/* a green thread run by the direct wake: the domain takes it
		 * off the PD context and it comes back here when the vCPU
		 * context runs it; the caller's wait then looks again */
		PD_ASSERT(pd.in_vcpu, "direct wake outside the vCPU role");
		pd.direct_leave(pd.direct_arg);
		return;
	}
	PD_ASSERT(pd.in_vcpu && pd.state == VC_RUNNING, "suspend outside the running vCPU context");
	pd.state = VC_SUSPENDED;
	pd.in_vcpu = false;
	mk_pd_stats.loop_returns++;
	tls_swap();
	mk_ctx_switch(&pd.vcpu_sp, pd.main_sp);
	/* resumed by mk_pd_resume, which set RUNNING and in_vcpu */
}

void mk_pd_resume(void)
{
	if (pd.in_vcpu || pd.state != VC_SUSPENDED)
		return;
	pd.state = VC_RUNNING;
	pd.in_vcpu = true;
	mk_pd_stats.resumes++;
	tls_swap();
	mk_ctx_switch(&pd.main_sp, pd.vcpu_sp);
	/* back when the vCPU context suspended or finished */
}

static void vcpu_entry(void *unused)
{
	(void)unused;
	pd.fn(pd.arg);
	pd.state = VC_DONE;
	pd.in_vcpu = false;
	tls_swap();
	mk_ctx_switch(&pd.vcpu_sp, pd.main_sp);
	pd_assert_fail("a finished vCPU context was resumed");
}

int mk_microkit_init(const struct mk_microkit_config *cfg)
{
	int r;

	if (cfg == NULL || cfg->timer_channel < -1 || cfg->timer_channel > MICROKIT_MAX_CHANNEL_ID)
		return -EINVAL;
	if (pd.ready)
		return -EBUSY;
	if (((uintptr_t)cfg->fault_table & 7) != 0)
		return -EINVAL;
	r = mk_mem_setup(cfg->heap, cfg->heap_size, cfg->stacks, cfg->stack_stride, cfg->nstacks,
			 cfg->fault_table);
	if (r != 0)
		return r;
	mk_pd_timer_channel = cfg->timer_channel;
	mk_notification_init(&pd.ntf, 0);
	mk_timer_stop();
	pd.ready = true;
	return 0;
}

struct mk_notification *mk_microkit_notification(void)
{
	return pd.ready ? &pd.ntf : NULL;
}

int mk_microkit_start(void *(*fn)(void *), void *arg)
{
	int r;

	if (fn == NULL)
		return -EINVAL;
	if (!pd.ready || pd.in_vcpu)
		return -EPERM;
	if (pd.state != VC_NONE)
		return -EBUSY;
	if ((r = mk_stack_create(&pd.stack, MK_PAGE, "vcpu0")) != 0)
		return r;
	pd.fn = fn;
	pd.arg = arg;
	pd.vcpu_sp = mk_ctx_init((char *)pd.stack.base + pd.stack.size, vcpu_entry, NULL);
	pd.state = VC_SUSPENDED;
	mk_pd_resume();
	mk_pd_stats.resumes--; /* the start is not a resume */
	return 0;
}

void mk_pd_direct_register(struct mk_notification *n, uint64_t (*run)(void *arg, uint64_t bits),
			   void (*leave)(void *arg), void *arg)
{
	pd.direct_n = run != NULL ? n : NULL;
	pd.direct_run = run;
	pd.direct_leave = leave;
	pd.direct_arg = arg;
}

/* PD context, the vCPU context suspended: the domain's run upcall on this
 * stack in the vCPU role (top of the file).  Returns the bits still to
 * raise on the PD notification. */
MK_WAKE_PATH static uint64_t direct_run(uint64_t bits)
{
	uint64_t more;

	pd.state = VC_DIRECT;
	pd.in_vcpu = true;
	/* counted first, so that the threads it runs see it */
	mk_pd_stats.direct_wakes++;
	tls_swap();
	more = pd.direct_run(pd.direct_arg, bits);
	tls_swap();
	pd.in_vcpu = false;
	pd.state = VC_SUSPENDED;
	if (more == bits) /* declined: the vCPU context waits elsewhere */
		mk_pd_stats.direct_wakes--;
	if (more == 0)
		mk_pd_stats.loop_returns++; /* the domain is idle: back to seL4_Recv */
	return more;
}

/* Off the wake-up path's page (MK_WAKE_PATH). */
static __attribute__((noinline)) void timer_irq(unsigned ch)
{
	mk_timer_stop(); /* the line is level-triggered: lower it first */
	microkit_irq_ack(ch);
	mk_pd_stats.timer_irqs++;
	mk_pd_resume(); /* the waiter looks at its deadline */
}

MK_WAKE_PATH void mk_microkit_notified(unsigned ch)
{
	if (pd.in_vcpu || !pd.ready)
		return;
	if ((int)ch == mk_pd_timer_channel) {
		timer_irq(ch);
	} else if (ch <= MICROKIT_MAX_CHANNEL_ID) {
		uint64_t bit = UINT64_C(1) << ch;
#ifdef MK_BACKEND_DIRECT_WAKE
		if (pd.direct_n == &pd.ntf && pd.state == VC_SUSPENDED &&
		    (bit = direct_run(bit)) == 0)
			return;
#endif
		/* resumes the vCPU context if it waits on the PD notification */
		mk_notification_signal(&pd.ntf, bit);
	}
}

void mk_microkit_get_stats(struct mk_microkit_stats *s)
{
	if (s != NULL)
		*s = mk_pd_stats;
}
