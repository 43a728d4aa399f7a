/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal to src/mk/linux: what the bounded polls of MK_SPIN endpoints
 * and notifications read besides their words.  The CPU this thread runs
 * on (a placement hint: a peer that last ran on this CPU cannot answer
 * while we poll) and the environment switches that turn a poll off for
 * A/B measurements.
 */
#ifndef MK_LINUX_HINTS_H
#define MK_LINUX_HINTS_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The CPU this thread runs on, UINT32_MAX if unknown (glibc reads it from
 * rseq: no system call). */
static inline uint32_t mk_cpu_now(void)
{
	int c = sched_getcpu();

	return c < 0 ? UINT32_MAX : (uint32_t)c;
}

/* Whether the switch named by the environment variable name is on: off
 * only when the variable is "0".  Read once per process into *cache (0
 * not asked yet, 1 on, -1 off); relaxed, every thread computes the same
 * answer. */
static inline bool mk_env_switch_on(_Atomic int *cache, const char *name)
{
	int st = atomic_load_explicit(cache, memory_order_relaxed);

	if (st == 0) {
		const char *e = getenv(name);

		st = (e != NULL && strcmp(e, "0") == 0) ? -1 : 1;
		atomic_store_explicit(cache, st, memory_order_relaxed);
	}
	return st > 0;
}

#endif
