/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mk on the seL4 Microkit: what a protection domain (PD) does to run the
 * mk and dom layers in its one seL4 thread (docs/microkit.md).
 *
 * Two execution contexts share the PD's thread:
 *   the PD context   libmicrokit's own: init(), notified(), protected()
 *                    and the event loop that waits in seL4_Recv;
 *   the vCPU context a stack of its own (from the stack slots below)
 *                    where mk_microkit_start's function runs, e.g.
 *                    dom_run() of a domain created with
 *                    DOM_CALLER_IS_VCPU0, whose green threads run there.
 * When the vCPU context waits on a notification with nothing pending (the
 * domain's idle loop), it switches back to the PD context, which returns
 * to the Microkit event loop: the PD blocks in seL4_Recv, no polling.
 * mk_microkit_notified(ch), called from notified(), raises bit ch on the
 * PD notification and switches to the vCPU context, which runs until it
 * waits again.
 *
 * Memory comes from regions the .system file maps: a heap for
 * mk_mem_alloc (thread records, queues) and stack slots for
 * mk_stack_create, each slot with an unmapped guard page below it.
 * Time is the ARM generic timer: mk_clock_now_ns reads cntpct_el0, and
 * deadlines are programmed into the EL0 physical timer (cntp_cval_el0),
 * whose interrupt (PPI 30) the .system file gives to the PD as an <irq>
 * on the channel named timer_channel.
 *
 * Errors are negative errno codes, as everywhere in mk.h.
 */
#ifndef RUMPBRIDGE_MK_MICROKIT_H
#define RUMPBRIDGE_MK_MICROKIT_H

#include <stddef.h>
#include <stdint.h>

#include <rumpbridge/mk.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The unmapped gap at the bottom of every stack slot. */
#define MK_MICROKIT_GUARD 4096u
/* At most this many stack slots. */
#define MK_MICROKIT_STACKS_MAX 64u
/* The generic timer interrupt to give the PD: <irq irq="30" id="..."
 * trigger="level"/> (the EL1 physical timer; the kernel, built for EL2,
 * uses the hypervisor timer). */
#define MK_MICROKIT_TIMER_IRQ 30u

struct mk_microkit_config {
	void *heap;	     /* the heap region (64-byte aligned) */
	size_t heap_size;
	uintptr_t stacks;    /* the stack area: slot i spans [stacks + i *
				stack_stride, + stack_stride); its lowest
				MK_MICROKIT_GUARD bytes are left unmapped by
				the .system file, the rest is the stack */
	size_t stack_stride; /* a multiple of 4 KiB, over MK_MICROKIT_GUARD */
	unsigned nstacks;    /* 1..MK_MICROKIT_STACKS_MAX */
	int timer_channel;   /* channel id of the timer <irq>; -1: none
				(then a deadline other than MK_FOREVER is
				never met: a warning is printed once) */
	void *fault_table;   /* NULL, or a page (struct
				mk_microkit_fault_table) that the .system file
				also maps read-only into the parent PD, whose
				fault() names a faulting stack's thread with
				mk_microkit_fault_name */
	size_t handler_stack; /* bytes of stack notified(), protected() and
				 fault() may need: the PD's stack_size in
				 the .system file (0: 4 KiB, the Microkit's
				 default).  A green thread that receives in
				 place (mk_microkit_event_loop) runs them on
				 its own stack when this much of it is free
				 below its frame, else on the PD's stack */
};

/* The stack slots and their owners' names, kept up to date by the PD for
 * its parent's fault handler.  The parent reads it as untrusted memory. */
#define MK_MICROKIT_FAULT_MAGIC 0x666c7431u /* "flt1" */
#define MK_MICROKIT_NAME_LEN 16u	     /* names cut to 15 chars + NUL */
struct mk_microkit_fault_table {
	uint32_t magic;
	uint32_t nstacks;
	uint64_t stacks;
	uint64_t stack_stride;
	char names[MK_MICROKIT_STACKS_MAX][MK_MICROKIT_NAME_LEN]; /* "" : free slot */
};

/* Set the PD's memory and timer up.  PD context (init()), once.  Errors:
 * -EINVAL (NULL, heap NULL or misaligned or under 4 KiB, stride not a
 * multiple of 4 KiB or not over the guard, nstacks 0 or over the maximum,
 * timer_channel over 61, fault_table not 8-byte aligned), -EBUSY (already
 * done). */
int mk_microkit_init(const struct mk_microkit_config *cfg);

/* The PD notification: bit ch is channel ch.  Give it to dom_create as
 * cfg.irq, so that the domain's event bit ch is channel ch.  NULL before
 * mk_microkit_init. */
struct mk_notification *mk_microkit_notification(void);

/* Start the vCPU context running fn(arg) on a stack slot of its own and
 * return once it waits for the first time (or fn returns).  PD context
 * (init()), once.  Errors: -EINVAL (fn NULL), -EBUSY (already started),
 * -EPERM (not initialised, or called from the vCPU context), -ENOMEM (no
 * free stack slot). */
int mk_microkit_start(void *(*fn)(void *), void *arg);

/* Call from notified(ch).  The timer channel is handled here (the timer is
 * stopped and the interrupt acknowledged); any other channel raises bit
 * ch on the PD notification.  Then the vCPU context runs until it waits
 * again.  PD context only; from the vCPU context it does nothing. */
void mk_microkit_notified(unsigned ch);

/* Run the PD's event loop in the library, instead of libmicrokit's: call
 * it last in init(), after mk_microkit_start; it does not return.  It
 * behaves as libmicrokit's loop (Microkit 2.0.1's handler_loop: seL4_Recv;
 * notified() for each channel of a notification, lowest first;
 * protected() for a call and fault() for a child's fault, each answered
 * by the next receive; a deferred signal sent with the next receive; a
 * passive PD tells the monitor at the first), with one difference: the
 * channels mk_microkit_notified raises from notified() reach the domain
 * once notified() has returned for every channel of the notification (a
 * reply owed is sent first), not inside the call.  What it allows: when
 * the green threads such a notification woke are all blocked again, the
 * last one waits for the PD's next message itself ("Receive in place",
 * docs/microkit.md), and a notification that wakes that same thread then
 * costs no context switch.  Everything else (the timer channel, signals
 * from PD-context code) is as with libmicrokit's loop.  A passive PD
 * replies after the domain ran, and its threads never receive in place
 * (the reply would take the caller's scheduling context along).  Errors (returned
 * at once): -EPERM (mk_microkit_init not done, or not called from the PD
 * context's init()), -EBUSY (already running), -ENOSYS (a build without
 * the receive in place: RUMPBRIDGE_MICROKIT_RECEIVE_IN_PLACE=OFF or
 * RUMPBRIDGE_MICROKIT_DIRECT_WAKE=OFF; return from init() instead). */
int mk_microkit_event_loop(void);

/* Counters, for tests and benchmarks. */
struct mk_microkit_stats {
	uint64_t loop_returns; /* the vCPU context gave the PD back to the
				  event loop (one per seL4_Recv it enabled) */
	uint64_t resumes;      /* the PD context switched to the vCPU one */
	uint64_t direct_wakes; /* notifications the PD context delivered
				  itself, running what they woke (the direct
				  wake, docs/microkit.md) */
	uint64_t timer_irqs;   /* timer interrupts taken */
	uint64_t timer_arms;   /* deadlines programmed */
	size_t heap_used;      /* bytes of the heap handed out (high mark) */
	unsigned stacks_used;  /* stack slots in use now */
	uint64_t in_place_receives; /* seL4_Recv calls made by a green thread
				       that had nothing left to run (the
				       receive in place, docs/microkit.md;
				       each also a loop_return) */
};
void mk_microkit_get_stats(struct mk_microkit_stats *s);

/* The name given to the stack whose slot (guard page included) holds
 * addr, or NULL: a fault handler names the green thread that overran its
 * stack with it. */
const char *mk_microkit_stack_owner(uintptr_t addr);

/* For a parent PD's fault(): given the child's fault table (mapped
 * read-only) and the fault address (microkit_mr_get(seL4_VMFault_Addr) of a
 * VM fault), copy the name of the stack's owner into name (len bytes,
 * always terminated) and say in *guard whether addr hit the guard page
 * (a stack overflow).  Any context; needs no mk_microkit_init.  Errors:
 * -EINVAL (NULL, len 0), -EBADF (the table was never set up), -ENOENT
 * (addr is not in a slot in use). */
int mk_microkit_fault_name(const volatile struct mk_microkit_fault_table *table, uintptr_t addr,
			   char *name, size_t len, int *guard);

#ifdef __cplusplus
}
#endif
#endif
