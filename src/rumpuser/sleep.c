/* SPDX-License-Identifier: BSD-2-Clause */
/* Sleeping: sleeps are domain timers, the rump CPU released.  Shared by
 * every backend (the clocks themselves are per backend: clock.c for
 * Linux, microkit/clock.c for a PD).
 *
 * Clock ticks on one grid.  An absolute (ABSMONO) sleep is the kernel's
 * clock tick: NetBSD's rump kernel calls it from one place only, doclock
 * in sys/rump/librump/rumpkern/intr.c, the clock thread that each rump
 * CPU has ("rumpclkN"): hardclock(), then sleep until the previous
 * deadline plus 1/hz.  Each CPU's thread starts at its own moment, so
 * with two CPUs the domain had two timers 1/hz apart per tick, each a
 * wake-up of its own.  Rounding every ABSMONO deadline up to a multiple
 * of the tick (1/hz s of the monotonic clock) puts every CPU's ticks on
 * the same instants: one timer expiry wakes both clock threads.  A
 * clock thread's deadlines are its first one plus k/hz, so each of its
 * ticks moves by the same amount, less than one tick: the kernel still
 * gets hz hardclock() calls a second, in step, and a sleep may always end
 * later than asked.  RELWALL sleeps (kpause, the kernel's nanosleep) are
 * left alone.
 *
 * The tick is the backend's to find (ru_tick_ns: clock.c reads the
 * kernel's hz; a PD keeps exact deadlines); 0 keeps exact deadlines.
 *
 * With the idle clock on (clock_idle.c) an ABSMONO sleep may instead
 * last until the next multiple of its skip, or until activity; and one
 * whose deadline has passed (doclock replaying the ticks it slept
 * through) returns at once, without giving the rump CPU back: a replayed
 * tick is one hardclock(), not a round through the scheduler.
 */
#include <errno.h>

#include "rumpuser_impl.h"

uint64_t ru_tick_align(uint64_t deadline, uint64_t tick_ns)
{
	uint64_t r;

	if (tick_ns == 0 || deadline >= MK_FOREVER - tick_ns)
		return deadline;
	r = deadline % tick_ns;
	return r == 0 ? deadline : deadline + (tick_ns - r);
}

int rumpuser_clock_sleep(int which, int64_t sec, long nsec)
{
	uint64_t t, now = mk_clock_now_ns(), deadline, seen = 0;
	bool e, lng = false;
	int nlocks;

	if (sec < 0 || nsec < 0 || nsec >= 1000000000L)
		return NETBSD_EINVAL;
	t = (uint64_t)sec > UINT64_MAX / 2000000000u ? UINT64_MAX / 2
						    : (uint64_t)sec * 1000000000u + (uint64_t)nsec;
	if (which == RUMPUSER_CLOCK_RELWALL)
		deadline = now + t;
	else if (which == RUMPUSER_CLOCK_ABSMONO)
		deadline = ru_tick_align(t, ru_tick_ns());
	else
		return NETBSD_EINVAL;
	if (which == RUMPUSER_CLOCK_ABSMONO && ru_clock_idle_on()) {
		if (deadline <= now)
			return 0; /* a tick slept through, replayed */
		deadline = ru_clock_idle_deadline(deadline, now, &seen, &lng);
	}
	ru_unschedule(&nlocks, NULL);
	e = ru_enter();
	if (lng)
		ru_clock_idle_wait(deadline, seen);
	else
		dom_sleep_until(deadline);
	ru_leave(e);
	ru_schedule(nlocks, NULL);
	return 0;
}
