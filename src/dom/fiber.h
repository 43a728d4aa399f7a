/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Telling the sanitizers about green-thread switches.  ThreadSanitizer
 * keeps a shadow stack and a clock per fiber; AddressSanitizer needs the
 * bounds of the stack it runs on.  Without these hooks both misreport
 * every switch.  In a normal build all of this compiles to nothing.
 */
#ifndef DOM_FIBER_H
#define DOM_FIBER_H

#include "dom_impl.h"

#ifdef RUMPBRIDGE_TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
#endif
#ifdef RUMPBRIDGE_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
				     size_t *size_old);
#endif

/* A new green thread's fiber. */
static inline void dom_fiber_create(struct dom_thread *t)
{
#ifdef RUMPBRIDGE_TSAN
	t->san = __tsan_create_fiber(0);
#endif
	t->san_stack = t->stack.base;
	t->san_stack_size = t->stack.size;
}

/* The fiber of a host thread's own stack (a vCPU's idle context). */
static inline void dom_fiber_adopt(struct dom_thread *t)
{
#ifdef RUMPBRIDGE_TSAN
	t->san = __tsan_get_current_fiber();
#endif
	(void)t;
}

static inline void dom_fiber_destroy(struct dom_thread *t)
{
#ifdef RUMPBRIDGE_TSAN
	if (t->san != NULL)
		__tsan_destroy_fiber(t->san);
	t->san = NULL;
#endif
	(void)t;
}

#ifdef RUMPBRIDGE_ASAN
#define DOM_FIBER_EXITING(cur) (atomic_load(&(cur)->state) == TS_ZOMBIE && (cur)->kind == DK_GREEN)
#else
#define DOM_FIBER_EXITING(cur) false
#endif

/* Just before dom_arch_switch from cur to next.  exiting: cur never
 * comes back.  ASan keeps cur's fake stack in cur->san_fake meanwhile.
 * TSan's fiber switch is in dom_arch_switch itself: dom_yield's C half
 * returns after this, and an instrumented function whose entry and exit
 * TSan saw on two fibers would unbalance both shadow stacks. */
static inline void dom_fiber_leave(struct dom_thread *cur, struct dom_thread *next, bool exiting)
{
#ifdef RUMPBRIDGE_ASAN
	__sanitizer_start_switch_fiber(exiting ? NULL : &cur->san_fake, next->san_stack,
				       next->san_stack_size);
#endif
	(void)cur, (void)next, (void)exiting;
}

/* First thing on next's stack (dom_after_switch), coming from prev. */
static inline void dom_fiber_arrive(struct dom_thread *prev, struct dom_thread *next)
{
#ifdef RUMPBRIDGE_ASAN
	const void *b;
	size_t s;

	__sanitizer_finish_switch_fiber(next->san_fake, &b, &s);
	if (prev->kind == DK_IDLE) {
		/* learn the host stack's bounds the first time we leave it */
		prev->san_stack = b;
		prev->san_stack_size = s;
	}
#endif
	(void)prev, (void)next;
}

#endif
