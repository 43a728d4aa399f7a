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

/* The direct wake (pd.c; docs/microkit.md, "Direct wake").  A one-vCPU
 * domain whose idle loop waits on notification n registers two upcalls
 * (NULL run: none).  When notified(ch) raises a bit on n while the vCPU
 * context is suspended, the PD context calls run(arg, bits) itself, with
 * the vCPU context's TLS slots, instead of switching to the vCPU context:
 * run delivers the bits and runs the green threads they wake until none
 * is runnable, and returns the bits the backend must still raise on n the
 * usual way (0: none; the vCPU context then stays suspended).  run may
 * also decline (return bits unchanged) when the vCPU context waits
 * elsewhere.  A green thread that makes a raw mk wait during run calls
 * leave(arg): it must get the thread off the PD context (so that run
 * returns, asking for the usual resume) and return when the vCPU context
 * runs the thread again.  Builds without it: RUMPBRIDGE_MICROKIT_DIRECT_WAKE
 * OFF (the A/B of the benchmark). */
#ifndef MK_MICROKIT_NO_DIRECT_WAKE
#define MK_BACKEND_DIRECT_WAKE 1
void mk_pd_direct_register(struct mk_notification *n, uint64_t (*run)(void *arg, uint64_t bits),
			   void (*leave)(void *arg), void *arg) __attribute__((visibility("hidden")));

/* The receive in place (pd.c; docs/microkit.md, "Receive in place").
 * During the direct wake (run above), when mk_backend_receive_in_place_ok()
 * says so, a green thread that blocks with nothing left to run calls
 * this instead of switching back to the PD context.  In the PD context's
 * role (its TLS slots, not in the vCPU role) the backend waits in
 * seL4_Recv for the PD's next message and dispatches it as libmicrokit's
 * event loop does (notified() for each channel, protected() and fault()
 * with their replies, a deferred signal sent with the receive), until
 * the PD notification has bits.  It runs on the caller's own stack when
 * the part of it above own_lo (its lowest byte) left free below the
 * caller's frame holds the configuration's handler_stack, else on the PD
 * context's stack below `stack` (the parked PD context's saved stack
 * pointer).  Returns 0 then, and 1 when the vCPU context must run instead
 * (a timer interrupt: its idle loop looks at the deadlines).
 * Builds without it: RUMPBRIDGE_MICROKIT_RECEIVE_IN_PLACE OFF. */
#ifndef MK_MICROKIT_NO_RECEIVE_IN_PLACE
#define MK_BACKEND_RECEIVE_IN_PLACE 1
int mk_pd_receive_in_place(void *stack, const void *own_lo) __attribute__((visibility("hidden")));
extern bool mk_pd_in_place_ok __attribute__((visibility("hidden")));

/* Whether the PD context, parked in the direct wake, has nothing left to
 * do but its next receive: the direct wake was started by
 * mk_microkit_event_loop after a whole turn (not from notified() inside
 * libmicrokit's event loop, nor from init()) in a PD that is not passive,
 * so a green thread may receive in its place. */
static inline bool mk_backend_receive_in_place_ok(void)
{
	return mk_pd_in_place_ok;
}
#endif

/* Whether n has bits: a look before mk_notification_poll (a call, its
 * checks and a store) on a path where it is usually empty.  Relaxed: a PD
 * is one thread (notification.c). */
static inline bool mk_backend_notification_pending(struct mk_notification *n)
{
	return atomic_load_explicit(&n->word, memory_order_relaxed) != 0;
}

/* mk_notification_poll without its checks, for a notification the
 * caller owns: take n's bits (0: none). */
static inline uint64_t mk_backend_notification_take(struct mk_notification *n)
{
	uint64_t w = atomic_load_explicit(&n->word, memory_order_relaxed);

	if (w != 0)
		atomic_store_explicit(&n->word, 0, memory_order_relaxed);
	return w;
}
#endif

/* CPU hints (the Linux backend's, for the idle poll of src/dom/sched.c):
 * a PD is one seL4 thread on one CPU, so never a poll, and it has no
 * environment. */
static inline uint32_t mk_backend_cpu_current(void)
{
	return 0;
}

static inline unsigned mk_backend_cpu_count(void)
{
	return 1;
}

static inline bool mk_backend_env_off(const char *name)
{
	(void)name;
	return false;
}

#endif
