/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal to src/mk/linux: what the bounded polls of MK_SPIN endpoints
 * and notifications read besides their words.  The CPU this thread runs
 * on (a placement hint: a peer that last ran on this CPU cannot answer
 * while we poll), the environment switches that turn a poll off for
 * A/B measurements, and the average of recent waits that bounds a poll.
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

/* Fold a wait of d ns into *avg, the running average of a thread's recent
 * waits of one kind: an eighth of the way, d clamped to cap, so that a
 * few short waits after a long one bring the average down again. */
static inline void mk_wait_avg_fold(uint32_t *avg, uint64_t d, uint64_t cap)
{
	if (d > cap)
		d = cap;
	*avg = (uint32_t)(((uint64_t)*avg * 7 + d) / 8);
}

/* How long to poll for a wait expected to take avg ns: 1.5 times avg,
 * between min_ns (> 0) and max_ns; 0, no poll, when avg is above max_ns. */
static inline uint64_t mk_poll_bound(uint32_t avg, uint64_t min_ns, uint64_t max_ns)
{
	uint64_t b = (uint64_t)avg + avg / 2;

	if (avg > max_ns)
		return 0;
	return b < min_ns ? min_ns : b > max_ns ? max_ns : b;
}

#endif
