/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The caller PD of passive.system (lower priority, pp="true" on its end):
 * calls the passive domain PD pserver (pserver.c, passive_proto.h) and
 * checks, after each call has returned, that pserver's domain had
 * answered it in the shared page: proof that the domain ran before the
 * reply went out, on the caller's scheduling context.
 *
 *   event    PS_N calls: protected() raises an event bit, delivered by the
 *            library's event loop after protected() has returned (the
 *            passive branch of mk_microkit_event_loop: the domain runs,
 *            then the reply goes with the next receive);
 *   sem      PS_N calls: protected() posts a semaphore (the domain runs
 *            inside the post);
 *   notify   one notification to pserver, on its own scheduling context
 *            (bound to its notification by the monitor): a green thread
 *            wakes; then PS_N sem calls again (a thread that had received
 *            in place after the notification would answer them with the
 *            reply first, and pserver would lose the context);
 *   timer    a call starts pserver's sleeper, whose 1 ms naps end, none
 *            early, at least one on a timer interrupt; it notifies back
 *            when done;
 *   stats    pserver's counters: every call seen, none bad, no receive
 *            in place.
 * A failed check of a reply stops the calls: pserver may have lost its
 * scheduling context, and the next call would wait for ever.  The last
 * line is "passive: P passed, F failed" (check_passive.sh).
 */
#include <microkit.h>
#include <stdint.h>

#include "passive_proto.h"
#include "pd_common.h"

#define PS_N 20

uintptr_t shared_base; /* setvar_vaddr: struct ps_shared */

static uint64_t seq;		/* the last call's sequence number */
static unsigned passed, failed; /* checks */
static int stopped;

static volatile struct ps_shared *shared(void)
{
	return (volatile struct ps_shared *)shared_base;
}

static void check(int ok, const char *what, uint64_t got, uint64_t want)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	pd_put("passive: FAIL ");
	pd_put(what);
	pd_kv("got", got);
	pd_kv("want", want);
	pd_put("\n");
}

static void summary(void)
{
	pd_put("passive: ");
	pd_put_u64(passed);
	pd_put(" passed, ");
	pd_put_u64(failed);
	pd_put(" failed\n");
}

/* One call with label `label`; 0 when its reply is right. */
static int call(uint64_t label, microkit_msginfo *reply)
{
	microkit_mr_set(0, ++seq);
	*reply = microkit_ppcall(PS_CH_PP, microkit_msginfo_new(label, 1));
	return microkit_msginfo_get_label(*reply) == PS_OK ? 0 : -1;
}

/* n calls with label `label`, each reply and answer checked after the
 * call; stops at the first wrong one. */
static void calls(const char *phase, uint64_t label, unsigned n)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < n && !stopped; i++) {
		microkit_msginfo reply;
		int r = call(label, &reply);
		uint64_t mr0 = microkit_mr_get(0), answer = shared()->answer;

		check(r == 0 && microkit_msginfo_get_count(reply) == 1 && mr0 == seq,
		      "reply: label, count or sequence number", mr0, seq);
		/* written by pserver's domain: it ran before the reply */
		check(answer == PS_ANSWER(seq), "the domain had not answered when the reply came",
		      answer, PS_ANSWER(seq));
		if (r != 0 || mr0 != seq || answer != PS_ANSWER(seq)) {
			pd_put("passive: stopping the calls (call ");
			pd_put_u64(seq);
			pd_put(" of phase ");
			pd_put(phase);
			pd_put(")\n");
			stopped = 1;
		} else {
			ok++;
		}
	}
	pd_put("passive: ");
	pd_put(phase);
	pd_put(":");
	pd_kv("calls_ok", ok);
	pd_kv("of", n);
	pd_put("\n");
}

static void finish(void)
{
	microkit_msginfo reply;
	uint64_t st[PS_ST_N];

	if (stopped) {
		summary();
		return;
	}
	seq++;
	microkit_mr_set(0, seq);
	reply = microkit_ppcall(PS_CH_PP, microkit_msginfo_new(PS_STATS, 1));
	check(microkit_msginfo_get_label(reply) == PS_OK &&
		      microkit_msginfo_get_count(reply) == PS_ST_N,
	      "stats reply", microkit_msginfo_get_label(reply), PS_OK);
	for (unsigned i = 0; i < PS_ST_N; i++)
		st[i] = microkit_mr_get(i);
	pd_put("passive: stats");
	pd_kv("calls", st[PS_ST_CALLS]);
	pd_kv("bad", st[PS_ST_BAD]);
	pd_kv("in_place_receives", st[PS_ST_IN_PLACE]);
	pd_kv("direct_wakes", st[PS_ST_DIRECT]);
	pd_kv("resumes", st[PS_ST_RESUMES]);
	pd_kv("timer_irqs", st[PS_ST_TIMER_IRQS]);
	pd_kv("nap_irqs", st[PS_ST_NAP_IRQS]);
	pd_kv("early", st[PS_ST_EARLY]);
	pd_kv("notified", st[PS_ST_NOTIFIED]);
	pd_put("\n");
	/* every call reached protected(), in order */
	check(st[PS_ST_CALLS] == seq - 1, "calls pserver saw", st[PS_ST_CALLS], seq - 1);
	check(st[PS_ST_BAD] == 0, "calls pserver found bad", st[PS_ST_BAD], 0);
	/* the passive PD's threads never received in place */
	check(st[PS_ST_IN_PLACE] == 0, "in_place_receives", st[PS_ST_IN_PLACE], 0);
	/* each PS_EVENT call's bit, and the notification, came through the
	 * event loop's direct wake */
	check(st[PS_ST_DIRECT] >= PS_N + 1, "direct_wakes at least", st[PS_ST_DIRECT], PS_N + 1);
	check(st[PS_ST_NOTIFIED] == 1, "nt's wake-ups", st[PS_ST_NOTIFIED], 1);
	/* the sleeper's naps: none early, one at least ended on a timer
	 * interrupt taken on pserver's own context (passive: bound to its
	 * notification), within the bound */
	check(st[PS_ST_EARLY] == 0, "naps that ended early", st[PS_ST_EARLY], 0);
	check(st[PS_ST_NAP_IRQS] > 0, "timer interrupts during the naps", st[PS_ST_NAP_IRQS], 1);
	check(shared()->slept >= PS_SLEEPS && shared()->slept < PS_SLEEPS_MAX, "naps",
	      shared()->slept, PS_SLEEPS);
	summary();
}

void init(void)
{
	calls("event", PS_EVENT, PS_N);
	calls("sem", PS_SEM, PS_N);
	if (stopped) {
		summary();
		return;
	}
	/* pserver (higher priority) runs this notification to the end, on
	 * its own context, before this PD goes on */
	microkit_notify(PS_CH_NTFY);
	check(shared()->notified == 1, "nt's wake-up after the notification", shared()->notified,
	      1);
	calls("after-notify", PS_SEM, PS_N);
	if (stopped) {
		summary();
		return;
	}
	calls("sleep", PS_SLEEP, 1);
	if (stopped)
		summary();
	/* the sleeper's notification comes to notified() */
}

void notified(microkit_channel ch)
{
	if (ch != PS_CH_NTFY || stopped) {
		pd_put("passive: FAIL a notification on an unexpected channel\n");
		return;
	}
	pd_put("passive: timer: the sleeper's naps ended\n");
	finish();
}
