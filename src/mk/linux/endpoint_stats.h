/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal to rumpbridge (benchmarks and tests include it from src/): what
 * the endpoint's MK_SPIN polls and sleeps did, counted per thread, and a
 * test hook for its hints.  Not a public interface: the fields follow
 * endpoint.c.
 */
#ifndef MK_LINUX_ENDPOINT_STATS_H
#define MK_LINUX_ENDPOINT_STATS_H

#include <stdint.h>

/* One thread's counts since its last mk_endpoint_stats_take.  "reply_"
 * is the caller waiting for its reply, "call_" a server waiting for a
 * call.  A wait either polls (and the poll pays or fails) or skips the
 * poll (the peer last ran on this CPU, or polls have not paid lately). */
struct mk_endpoint_stats {
	uint64_t calls;		   /* mk_endpoint_call */
	uint64_t reply_paid;	   /* polls that saw the reply */
	uint64_t reply_failed;	   /* polls that ran to their bound */
	uint64_t reply_skip_cpu;   /* no poll: the server last ran here */
	uint64_t reply_skip_pay;   /* no poll: polls did not pay lately */
	uint64_t reply_sleeps;	   /* futex waits for the reply */
	uint64_t srv_wakes;	   /* futex wakes of a server sent by calls */
	uint64_t recvs;		   /* mk_endpoint_recv */
	uint64_t call_paid;	   /* polls that saw a call queued */
	uint64_t call_failed;	   /* polls that ran to their bound */
	uint64_t call_skip_cpu;	   /* no poll: the caller last ran here */
	uint64_t call_skip_pay;	   /* no poll: polls did not pay lately */
	uint64_t call_sleeps;	   /* futex waits for a call */
	uint64_t reply_wakes;	   /* futex wakes of a caller sent by replies */
	uint64_t lock_sleeps;	   /* ep->lock found taken (its futex path) */
};

/* Copy this thread's counts into *out and zero them.  Never blocks; any
 * thread; no errors. */
void mk_endpoint_stats_take(struct mk_endpoint_stats *out);

/* Tests only: make the adaptive poll bound's hints lie, in every thread of
 * this process (and of children forked after).  mode 0: the truth; 1:
 * every wait is taken for one whose peer is awake and polls the longest
 * bound, whatever polls paid; 2: each wait polls a random time in 0 ..
 * the longest bound.  No effect when RUMPBRIDGE_ENDPOINT_ADAPTIVE_SPIN=0.
 * The protocol does not depend on the hints, so no mode may lose a call
 * or a wake-up.  Never blocks; any thread; no errors. */
void mk_endpoint_spin_lie(int mode);

#endif
