/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal to src/dom: the trace points (trace.c, include/rumpbridge/trace.h).
 *
 * DOM_TRACE(d, type, a, b, c, name) records one event of domain d when
 * tracing is on.  Off, it is one relaxed load and a branch predicted not
 * taken; built with -DDOM_TRACE_COMPILED=0 (cmake -DRUMPBRIDGE_TRACE=OFF)
 * it is nothing at all.
 */
#ifndef DOM_TRACE_IMPL_H
#define DOM_TRACE_IMPL_H

#include <stdatomic.h>
#include <stdint.h>

#include <rumpbridge/trace.h>

#ifndef DOM_TRACE_COMPILED
#define DOM_TRACE_COMPILED 1
#endif

#pragma GCC visibility push(hidden)

struct dom;

/* Number of traced domains; 0: tracing is off. */
extern _Atomic unsigned dom_trace_on;

void dom_trace_emit(const struct dom *d, unsigned type, uint64_t a, uint64_t b, uint64_t c,
		    const char *name);
/* dom_create / dom_destroy: RUMPBRIDGE_TRACE. */
void dom_trace_created(struct dom *d);
void dom_trace_destroying(struct dom *d);

#pragma GCC visibility pop

#if DOM_TRACE_COMPILED
/* relaxed: only a hint; dom_trace_emit checks again in the order that
 * pairs with dom_trace_write (see trace.c). */
#define DOM_TRACE(d, type, a, b, c, name)                                                          \
	do {                                                                                       \
		if (__builtin_expect(atomic_load_explicit(&dom_trace_on, memory_order_relaxed) != 0, \
				     0))                                                           \
			dom_trace_emit((d), (type), (uint64_t)(uintptr_t)(a),                      \
				       (uint64_t)(uintptr_t)(b), (uint64_t)(c), (name));           \
	} while (0)
#else
#define DOM_TRACE(d, type, a, b, c, name) ((void)0)
#endif

/* A switch from cur to next (records; dom_impl.h's DK_IDLE marks a vCPU's
 * idle context). */
#define DOM_TRACE_SWITCH(d, cur, next)                                                             \
	DOM_TRACE(d, DOM_TR_SWITCH, cur, next,                                                     \
		  ((cur)->kind == DK_IDLE ? DOM_TR_IDLE_PREV : 0u) |                               \
			  ((next)->kind == DK_IDLE ? DOM_TR_IDLE_NEXT : 0u),                       \
		  (next)->name)

#endif
