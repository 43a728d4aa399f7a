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

/* Formatting for the console: the backend's mk_console_vformat (mk.h
 * says what it knows); ru_snprintf is its snprintf (pd.c). */
#define ru_vsnprintf mk_console_vformat
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
