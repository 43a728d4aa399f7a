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
 *   DIRECT -> RECEIVING   mk_pd_receive_in_place, from a green thread
 *   RECEIVING -> DIRECT   the direct wake runs (below): the PD waits in
 *                         seL4_Recv on the PD context's stack.
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
 * The receive in place (mk_backend.h; docs/microkit.md, "Receive in
 * place").  While DIRECT, a green thread that blocks with nothing left to
 * run does not switch back to the PD context to return from notified()
 * to libmicrokit's event loop: it calls mk_pd_receive_in_place, which
 * runs the event loop's body itself (receive_loop: seL4_Recv, then
 * notified(), protected() or fault() as libmicrokit would) in the PD
 * context's role (in_vcpu clear, its TLS slots), on the green thread's
 * own stack when the configuration's handler_stack is free there, else
 * on the PD context's stack below the parked PD context's frames, and
 * returns to the green thread once the PD notification has bits.  Only
 * when mk_microkit_event_loop started the direct wake (mk_pd_in_place_ok):
 * inside libmicrokit's loop the PD context still has the rest of
 * notified() and of its badge to run; and never in a passive PD, where a
 * reply sent before the domain ran would take the PD's only scheduling
 * context along (mk_microkit_event_loop).  The green thread delivers
 * the bits and runs what they woke, itself first if it was woken: a round
 * trip (a notification in, a green thread wakes, notifies back, waits
 * again) then takes no context switch at all, and so no save of d8-d15
 * (and no lazy FPU trap in the kernel).  notified() from receive_loop
 * finds the state RECEIVING: it raises the bit on the PD notification
 * (the idle loop still waits there: mk_pd_resume does nothing while
 * RECEIVING) and returns; a timer interrupt sets recv_kick, so that the
 * green thread switches back to the PD context and the idle loop runs.
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

enum { VC_NONE, VC_RUNNING, VC_SUSPENDED, VC_DONE, VC_DIRECT, VC_RECEIVING };

/* libmicrokit's own capabilities (its main.c, Microkit 2.0.1): the
 * endpoint the PD receives on (notifications bound to it) and the reply
 * object of a protected procedure call or a fault. */
#define PD_INPUT_CAP 1
#define PD_REPLY_CAP 4

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
	bool recv_kick; /* RECEIVING: a timer interrupt came, the vCPU context must run */
	size_t handler_stack; /* the configuration's (0: 4 KiB) */
	bool own_loop;	  /* mk_microkit_event_loop runs */
	bool dispatching; /* it runs notified() and the rest of its turn */
	uint64_t raised;  /* the channels notified() raised meanwhile */
} pd;

/* Swap the TLS slots of the two contexts (at every switch).  Unrolled:
 * under QEMU every taken branch ends a translation block.  Only the
 * current-thread slot while the others are NULL in both (thread.c,
 * mk_microkit_tls_wide): the receive in place swaps twice a round trip. */
static inline void tls_swap(void)
{
	if (__builtin_expect(!mk_microkit_tls_wide, 1)) {
		void *v = mk_microkit_tls[MK_TLS_DOM_CURRENT];
		mk_microkit_tls[MK_TLS_DOM_CURRENT] = pd.other_tls[MK_TLS_DOM_CURRENT];
		pd.other_tls[MK_TLS_DOM_CURRENT] = v;
		return;
	}
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
	pd.handler_stack = cfg->handler_stack != 0 ? cfg->handler_stack : MK_PAGE;
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
MK_DIRECT_PATH static uint64_t direct_run(uint64_t bits)
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
	if (pd.state == VC_RECEIVING)
		pd.recv_kick = true; /* the green thread hands over (receive_loop) */
	mk_pd_resume(); /* the waiter looks at its deadline */
}

/* PD context: raise bits on the PD notification.  The direct wake runs
 * the domain if it idles (and takes the bits); what is left is signalled,
 * which resumes the vCPU context if it waits on the PD notification. */
MK_WAKE_PATH static inline void pd_raise(uint64_t bits)
{
#ifdef MK_BACKEND_DIRECT_WAKE
	if (pd.direct_n == &pd.ntf && pd.state == VC_SUSPENDED && (bits = direct_run(bits)) == 0)
		return;
#endif
	mk_notification_signal(&pd.ntf, bits);
}

MK_WAKE_PATH void mk_microkit_notified(unsigned ch)
{
	if (pd.in_vcpu || !pd.ready)
		return;
	if ((int)ch == mk_pd_timer_channel) {
		timer_irq(ch);
	} else if (ch <= MICROKIT_MAX_CHANNEL_ID) {
		uint64_t bit = UINT64_C(1) << ch;
#ifdef MK_BACKEND_RECEIVE_IN_PLACE
		if (pd.dispatching) {
			pd.raised |= bit; /* for mk_microkit_event_loop, after the turn */
			return;
		}
		if (pd.state == VC_RECEIVING) {
			/* mk_notification_signal, inline: the idle loop waits on
			 * the word, and mk_pd_resume would do nothing */
			atomic_store_explicit(&pd.ntf.word,
					      atomic_load_explicit(&pd.ntf.word, memory_order_relaxed) | bit,
					      memory_order_relaxed);
			return;
		}
#endif
		pd_raise(bit);
	}
}

#ifdef MK_BACKEND_RECEIVE_IN_PLACE
bool mk_pd_in_place_ok;

/* What the event loop owes before its next receive: a reply to a
 * protected procedure call or to a child's fault. */
struct loop_owed {
	bool have_reply;
	seL4_MessageInfo_t reply;
};

/* One turn of libmicrokit's event loop (handler_loop in its main.c,
 * Microkit 2.0.1): the receive, with the reply or the deferred signal
 * (microkit_deferred_notify, microkit_deferred_irq_ack) it owes, then
 * notified() for each channel of a notification, lowest first,
 * protected() for a call, fault() for a child's fault. */
MK_WAKE_PATH static inline __attribute__((always_inline)) void loop_turn(struct loop_owed *o)
{
	seL4_MessageInfo_t tag;
	seL4_Word badge;

	if (o->have_reply) {
		tag = seL4_ReplyRecv(PD_INPUT_CAP, o->reply, &badge, PD_REPLY_CAP);
	} else if (microkit_have_signal) {
		tag = seL4_NBSendRecv(microkit_signal_cap, microkit_signal_msg, PD_INPUT_CAP, &badge,
				      PD_REPLY_CAP);
		microkit_have_signal = seL4_False;
	} else {
		tag = seL4_Recv(PD_INPUT_CAP, &badge, PD_REPLY_CAP);
	}
	o->have_reply = false;
	if ((badge >> 62) & 1) {
		o->have_reply = fault((microkit_child)(badge & 0xff), tag, &o->reply);
	} else if (badge >> 63) {
		o->reply = protected((microkit_channel)(badge & 0x3f), tag);
		o->have_reply = true;
	} else {
		/* each set bit, lowest first (one branch a channel) */
		for (; badge != 0; badge &= badge - 1)
			notified((microkit_channel)__builtin_ctzll(badge));
	}
}

/* A reply owed when the domain is to run first: sent alone, on the reply
 * object (the next receive is then a plain one). */
MK_WAKE_PATH static inline void reply_now(struct loop_owed *o)
{
	if (o->have_reply) {
		seL4_Send(PD_REPLY_CAP, o->reply);
		o->have_reply = false;
	}
}

/* Whether the receive in place is done: the PD notification has bits, or
 * the vCPU context must run. */
MK_WAKE_PATH static inline bool receive_done(void)
{
	return atomic_load_explicit(&pd.ntf.word, memory_order_relaxed) != 0 || pd.recv_kick;
}

/* The receive in place, on the PD context's stack (mk_pd_receive_in_place):
 * turns of the event loop until receive_done. */
MK_WAKE_PATH static void receive_loop(void)
{
	struct loop_owed o = {.have_reply = false};

	for (;;) {
		loop_turn(&o);
		mk_pd_stats.loop_returns++;
		mk_pd_stats.in_place_receives++;
		if (receive_done()) {
			reply_now(&o);
			return;
		}
	}
}

/* Call fn on the stack below `stack` (16-byte aligned down), and come
 * back: fn keeps x19-x29 and d8-d15 (AAPCS64), the rest is clobbered.
 * Inline, on the wake-up path's page. */
static inline void call_on_stack(void *stack, void (*fn)(void))
{
	register uintptr_t x0 __asm__("x0") = (uintptr_t)stack & ~(uintptr_t)15;
	register void (*x1)(void) __asm__("x1") = fn;

	__asm__ volatile("mov x9, sp\n\t"
			 "mov sp, x0\n\t"
			 "stp x9, x30, [sp, #-16]!\n\t"
			 "blr x1\n\t"
			 "ldp x9, x30, [sp], #16\n\t"
			 "mov sp, x9"
			 : "+r"(x0), "+r"(x1)
			 :
			 : "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
			   "x13", "x14", "x15", "x16", "x17", "x18", "memory", "cc"
#ifndef DOM_ARCH_NO_FP_REGS
			   /* the caller-saved FP/SIMD registers (not v8-v15: naming
			    * them would make the compiler save d8-d15 here) */
			   , "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18",
			   "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28",
			   "v29", "v30", "v31"
#endif
	);
}

MK_WAKE_PATH int mk_pd_receive_in_place(void *stack, const void *own_lo)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0), lo = (uintptr_t)own_lo;

#ifndef NDEBUG
	PD_ASSERT(pd.state == VC_DIRECT && pd.in_vcpu && mk_pd_in_place_ok,
		  "receive in place outside the direct wake of mk_microkit_event_loop");
	PD_ASSERT(stack != NULL, "receive in place without the PD context's stack");
#endif
	pd.state = VC_RECEIVING;
	pd.in_vcpu = false;
	pd.recv_kick = false;
	tls_swap();
	if (!receive_done()) {
		/* the handlers on this stack if it has what the PD's has */
		if (own_lo != NULL && fp > lo && fp - lo >= pd.handler_stack)
			receive_loop();
		else
			call_on_stack(stack, receive_loop);
	}
	tls_swap();
	pd.in_vcpu = true;
	pd.state = VC_DIRECT;
	return pd.recv_kick ? 1 : 0;
}

/* libmicrokit's main, after init(): a passive PD tells the monitor with
 * its first receive (main.c, Microkit 2.0.1). */
extern seL4_Bool microkit_passive;

int mk_microkit_event_loop(void)
{
	struct loop_owed o = {.have_reply = false};

	if (!pd.ready || pd.in_vcpu || pd.state == VC_DIRECT || pd.state == VC_RECEIVING)
		return -EPERM;
	if (pd.own_loop)
		return -EBUSY;
	pd.own_loop = true;
	if (microkit_passive) {
		microkit_have_signal = seL4_True;
		microkit_signal_msg = seL4_MessageInfo_new(0, 0, 0, 0);
		microkit_signal_cap = MONITOR_EP;
	}
	for (;;) {
		uint64_t bits;

		pd.dispatching = true;
		loop_turn(&o);
		pd.dispatching = false;
		if ((bits = pd.raised) == 0)
			continue;
		/* the channels notified() raised, once it has returned for
		 * every channel of the badge: the domain runs now, the reply
		 * owed first.  Not in a passive PD: the reply would give the
		 * caller's scheduling context back before the domain ran (it
		 * runs first, the reply goes with the next receive).  Nor
		 * does a thread of a passive PD receive in place, even after
		 * a notification (no reply owed): a call it received there
		 * whose protected() woke the domain would be answered first
		 * (receive_loop's reply_now), and the PD, left without a
		 * scheduling context, would never run again. */
		pd.raised = 0;
		if (!microkit_passive)
			reply_now(&o);
		mk_pd_in_place_ok = !microkit_passive && !o.have_reply;
		pd_raise(bits);
		mk_pd_in_place_ok = false;
	}
}
#else
int mk_microkit_event_loop(void)
{
	return -ENOSYS;
}
#endif

void mk_microkit_get_stats(struct mk_microkit_stats *s)
{
	if (s != NULL)
		*s = mk_pd_stats;
}
