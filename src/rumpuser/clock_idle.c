/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The idle clock: the kernel's clock threads sleep through ticks while the
 * kernel has nothing to do (rumpbridge_clock_idle, include/rumpbridge/
 * rumpuser.h).  Shared by every backend.
 *
 * NetBSD's rump kernel ticks for ever: each rump CPU's clock thread
 * (doclock, sys/rump/librump/rumpkern/intr.c) calls hardclock(), then
 * sleeps until its previous deadline plus 1/hz (an ABSMONO
 * rumpuser_clock_sleep, sleep.c), hz times a second, idle or not; each
 * tick is a host timer wake-up.  What depends on those ticks is the tick
 * count (hardclock_ticks) and the callout wheel (callout_hardclock,
 * sys/kern/kern_timeout.c); the kernel's timed sleeps and waits (kpause,
 * cv_timedwait, tsleep) are host timers of their own (rumpuser_clock_sleep
 * RELWALL, rumpuser_cv_timedwait) and do not wait for a tick.
 *
 * With the idle clock on, a clock thread's ABSMONO sleep becomes long when
 * the kernel's embedder (the network stack: src/net/stack_rump.c) has
 * reported no activity (rumpbridge_clock_activity) for `grace`: it lasts
 * until the next multiple of `skip` of the monotonic clock (the same
 * instant for every clock thread: one wake-up) or until activity comes,
 * whichever is first.  doclock's deadlines are its first one plus k/hz,
 * so the sleeps that follow a long one have deadlines in the past: those
 * return at once, keeping the rump CPU (sleep.c), and doclock calls
 * hardclock() once for each tick slept through.  The tick count stays
 * exact; a callout due during a long sleep runs late, by less than
 * `skip`.  Activity wakes a long sleep at once and keeps the clock ticking
 * for `grace` after the last of it, so the callouts that activity sets
 * (an ARP retry, a TCP retransmission or delayed ACK) run on time as long
 * as they are due within `grace`, and those that send a frame are
 * activity themselves.
 *
 * State: grace and skip, set by rumpbridge_clock_idle (0: off); `active`,
 * set by rumpbridge_clock_activity and taken (exchanged to false) by a
 * clock thread deciding its next sleep, which then records the time in
 * `last`; `sleepers`, the clock threads in a long sleep, each waiting on
 * cv under m until active is set or last moves from the value its
 * decision saw.  Every clock thread must wake, not only the first: the
 * first one back may take active before the others look at it, which is
 * why last is part of the condition and why the taker wakes the sleepers
 * too.  No wake-up is lost: a sleeper adds itself to sleepers, then reads
 * active and last, holding m until the wait releases it; an activity
 * stores active, a taker stores last, then each reads sleepers and
 * broadcasts under m when there are any.  All seq_cst, so of each pair
 * one sees the other's store.
 *
 * m is a leaf: its holders take nothing else (a sleeper only waits on cv
 * under it), so a caller of rumpbridge_clock_activity may hold any of the
 * kernel's mutexes (rumpcomp_virt_send runs under the kernel's locks),
 * and the clock thread may take it with its rump CPU, as a spin mutex.
 */
#include <errno.h>

#include "rumpuser_impl.h"

/* Longest skip and grace accepted: beyond them a callout (a TCP keepalive,
 * an ARP entry's expiry) may be very late, and a mistaken unit (s for ns)
 * is caught. */
#define SKIP_MAX 60000000000ull	  /* 60 s */
#define GRACE_MAX 3600000000000ull /* 1 h */

static struct {
	_Atomic uint64_t grace, skip; /* ns; skip 0: off */
	_Atomic bool active;	      /* activity not yet seen by a clock thread */
	_Atomic uint64_t last;	      /* when a clock thread last saw activity */
	_Atomic int sleepers;	      /* clock threads in a long sleep */
	_Atomic unsigned long long_sleeps, woken; /* counts, for tests */
	_Atomic bool ready; /* m and cv initialised */
	struct dom_mutex m;
	struct dom_cv cv;
} ci;

int rumpbridge_clock_idle(uint64_t grace_ns, uint64_t skip_ns)
{
	uint64_t tick = ru_tick_ns();

	if (skip_ns == 0) {
		atomic_store(&ci.skip, 0);
		return 0;
	}
	if (tick == 0)
		return -ENOSYS;
	if (skip_ns < tick || skip_ns > SKIP_MAX || grace_ns > GRACE_MAX)
		return -EINVAL;
	if (!atomic_load(&ci.ready)) {
		/* callers are serialised (the header says so): one init */
		dom_mutex_init(&ci.m);
		dom_cv_init(&ci.cv);
		atomic_store(&ci.ready, true);
	}
	atomic_store(&ci.last, mk_clock_now_ns()); /* a grace from now */
	atomic_store(&ci.grace, grace_ns);
	atomic_store(&ci.skip, skip_ns);
	return 0;
}

/* Any long sleep ends (its thread looks at active and last again). */
static void wake_sleepers(void)
{
	dom_mutex_enter(&ci.m);
	dom_cv_broadcast(&ci.cv);
	dom_mutex_exit(&ci.m);
}

void rumpbridge_clock_activity(void)
{
	bool e;

	/* relaxed: a stale true only skips a store that another activity
	 * made already, which a clock thread has not yet taken; a stale
	 * false costs one redundant seq_cst store */
	if (atomic_load_explicit(&ci.active, memory_order_relaxed))
		return;
	atomic_store(&ci.active, true);
	if (atomic_load(&ci.sleepers) == 0)
		return;
	e = ru_enter();
	wake_sleepers();
	ru_leave(e);
}

bool ru_clock_idle_on(void)
{
	/* relaxed: the settings are the embedder's, made before it relies
	 * on them; a sleep deciding on a stale value is one tick off */
	return atomic_load_explicit(&ci.skip, memory_order_relaxed) != 0;
}

uint64_t ru_clock_idle_deadline(uint64_t deadline, uint64_t now, uint64_t *seen, bool *lng)
{
	uint64_t skip = atomic_load(&ci.skip), r;

	*lng = false;
	if (skip == 0)
		return deadline;
	if (atomic_exchange(&ci.active, false)) {
		atomic_store(&ci.last, now);
		if (atomic_load(&ci.sleepers) > 0)
			wake_sleepers(); /* the other CPUs' clocks: the header */
		return deadline;
	}
	*seen = atomic_load(&ci.last);
	/* another clock thread may have stored a time later than our now */
	if (*seen >= now || now - *seen < atomic_load(&ci.grace) ||
	    deadline >= MK_FOREVER - skip)
		return deadline;
	r = deadline % skip;
	*lng = true;
	return r == 0 ? deadline : deadline + (skip - r);
}

void ru_clock_idle_wait(uint64_t deadline, uint64_t seen)
{
	dom_mutex_enter(&ci.m);
	atomic_fetch_add(&ci.sleepers, 1);
	atomic_fetch_add_explicit(&ci.long_sleeps, 1, memory_order_relaxed); /* a count only */
	while (!atomic_load(&ci.active) && atomic_load(&ci.last) == seen) {
		if (dom_cv_timedwait(&ci.cv, &ci.m, deadline) == -ETIMEDOUT)
			break;
	}
	if (atomic_load(&ci.active) || atomic_load(&ci.last) != seen)
		atomic_fetch_add_explicit(&ci.woken, 1, memory_order_relaxed); /* a count only */
	atomic_fetch_sub(&ci.sleepers, 1);
	dom_mutex_exit(&ci.m);
}

void ru_clock_idle_stats(int *sleepers, unsigned long *long_sleeps, unsigned long *woken)
{
	/* relaxed: counts read by tests, which wait on them (bounded) */
	*sleepers = atomic_load(&ci.sleepers);
	*long_sleeps = atomic_load_explicit(&ci.long_sleeps, memory_order_relaxed);
	*woken = atomic_load_explicit(&ci.woken, memory_order_relaxed);
}
