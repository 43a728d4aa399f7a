/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to src/rumpuser/microkit: librumpuser's PD backend. */
#ifndef RUMPUSER_MICROKIT_PD_IMPL_H
#define RUMPUSER_MICROKIT_PD_IMPL_H

#include <stdarg.h>
#include <stddef.h>

#include <rumpbridge/rumpuser_microkit.h>

#include "../rumpuser_impl.h"
#include "heap.h"

extern struct ru_heap ru_pd_heap;			/* mem.c */
extern struct rumpbridge_microkit_config ru_pd_cfg;	/* pd.c */

/* A small vsnprintf for the console (fmt.c): flags '-' '0', width,
 * length h hh l ll z j t, conversions d i u x X o p s c %.  Returns the
 * length the whole output would have; writes at most n - 1 characters
 * and a NUL (n > 0). */
int ru_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int ru_snprintf(char *buf, size_t n, const char *fmt, ...)
	__attribute__((__format__(__printf__, 3, 4)));

/* A yield point (pd.c): when the calling green thread has run for the
 * configured slice since the last yield point yielded, it yields (keeping
 * its rump CPU and every lock).  Called by hypercalls that the kernel
 * makes often and that hold no rumpuser lock. */
void ru_pd_slice_check(void);

/* "rumpuser: " + the formatted line, on the console (any context). */
void ru_pd_say(const char *fmt, ...) __attribute__((__format__(__printf__, 1, 2)));

#endif
