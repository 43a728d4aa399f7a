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
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
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

/* Just before dom_arch_switch from cur to next.  *fake is the switching
 * frame's own save slot; exiting: cur never comes back. */
static inline void dom_fiber_leave(struct dom_thread *next, void **fake, bool exiting)
{
#ifdef RUMPBRIDGE_TSAN
	__tsan_switch_to_fiber(next->san, 0);
#endif
#ifdef RUMPBRIDGE_ASAN
	__sanitizer_start_switch_fiber(exiting ? NULL : fake, next->san_stack,
				       next->san_stack_size);
#endif
	(void)next, (void)fake, (void)exiting;
}

/* Just after dom_arch_switch returned into this frame, from prev. */
static inline void dom_fiber_arrive(struct dom_thread *prev, void *fake)
{
#ifdef RUMPBRIDGE_ASAN
	const void *b;
	size_t s;

	__sanitizer_finish_switch_fiber(fake, &b, &s);
	if (prev->kind == DK_IDLE) {
		/* learn the host stack's bounds the first time we leave it */
		prev->san_stack = b;
		prev->san_stack_size = s;
	}
#endif
	(void)prev, (void)fake;
}

#endif
