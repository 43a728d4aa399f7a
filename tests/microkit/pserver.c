/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The passive domain PD of passive.system (passive="true"): a domain whose
 * init() ends in the library's event loop (mk_microkit_event_loop), called
 * by pcaller.c (passive_proto.h).  After init() the monitor unbinds the
 * PD's scheduling context from its thread and binds it to the PD's
 * notification: the PD then runs on a caller's donated context during a
 * call, and on its own context only for a notification or an interrupt.
 *
 * Green threads:
 *   ev       waits for PS_EV_BIT, which protected() raises with
 *            mk_microkit_notified for a PS_EVENT call: the event loop
 *            delivers it once protected() has returned; in a passive PD
 *            before the reply (docs/microkit.md, "Receive in place");
 *   sw       waits on a semaphore protected() posts for a PS_SEM call (a
 *            PD-context "any" call: the domain runs inside the post);
 *   nt       waits for channel PS_CH_NTFY (pcaller's notifications);
 *   sleeper  started by a PS_SLEEP call: naps of 1 ms, at least
 *            PS_SLEEPS and until one has ended on a timer interrupt (the
 *            generic timer's, taken on the PD's own context; a nap whose
 *            deadline has passed when the domain goes idle needs none),
 *            at most PS_SLEEPS_MAX; then notifies pcaller.
 * ev and sw write PS_ANSWER(n) of the call n into the shared page, which
 * pcaller checks once its call has returned.
 */
#include <errno.h>
#include <microkit.h>
#include <stdint.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/mk_microkit.h>

#include "passive_proto.h"
#include "pd_common.h"

#define MS 1000000ull
#define BIT(n) (UINT64_C(1) << (n))

uintptr_t heap_base, stack0_base; /* setvar_vaddr */
uintptr_t shared_base;		  /* setvar_vaddr: struct ps_shared */

static struct dom *d;
static struct dom_sem sw_sem, sleep_sem;
static uint64_t calls, bad; /* protected()'s */
static uint64_t cur;	    /* the call the domain is to answer */
static uint64_t nt_wakes;
static uint64_t nap_irqs, early; /* the sleeper's */

static volatile struct ps_shared *shared(void)
{
	return (volatile struct ps_shared *)shared_base;
}

static void fail(const char *what, int r)
{
	pd_put("pserver: FAIL ");
	pd_put(what);
	pd_kv("r", (uint64_t)-r);
	pd_put("\n");
}

static void *ev_main(void *arg)
{
	uint64_t bits;
	int r;

	(void)arg;
	while ((r = dom_event_wait(d, BIT(PS_EV_BIT), &bits)) == 0)
		shared()->answer = PS_ANSWER(cur);
	fail("ev: dom_event_wait", r);
	return NULL;
}

static void *sw_main(void *arg)
{
	int r;

	(void)arg;
	while ((r = dom_sem_wait(&sw_sem)) == 0)
		shared()->answer = PS_ANSWER(cur);
	fail("sw: dom_sem_wait", r);
	return NULL;
}

static void *nt_main(void *arg)
{
	uint64_t bits;
	int r;

	(void)arg;
	while ((r = dom_event_wait(d, BIT(PS_CH_NTFY), &bits)) == 0)
		shared()->notified = ++nt_wakes;
	fail("nt: dom_event_wait", r);
	return NULL;
}

static void *sleeper_main(void *arg)
{
	struct mk_microkit_stats s0, s;
	unsigned i;
	int r;

	(void)arg;
	if ((r = dom_sem_wait(&sleep_sem)) != 0) {
		fail("sleeper: dom_sem_wait", r);
		return NULL;
	}
	shared()->answer = PS_ANSWER(cur);
	mk_microkit_get_stats(&s0);
	for (i = 0; i < PS_SLEEPS_MAX && (i < PS_SLEEPS || nap_irqs == 0); i++) {
		uint64_t t0 = mk_clock_now_ns();

		if ((r = dom_sleep_ns(1 * MS)) != 0) {
			fail("sleeper: dom_sleep_ns", r);
			return NULL;
		}
		if (mk_clock_now_ns() - t0 < 1 * MS)
			early++;
		mk_microkit_get_stats(&s);
		nap_irqs = s.timer_irqs - s0.timer_irqs;
	}
	shared()->slept = i;
	microkit_notify(PS_CH_NTFY);
	return NULL;
}

static microkit_msginfo stats_reply(void)
{
	struct mk_microkit_stats s;
	uint64_t st[PS_ST_N];

	mk_microkit_get_stats(&s);
	st[PS_ST_CALLS] = calls - 1;
	st[PS_ST_BAD] = bad;
	st[PS_ST_IN_PLACE] = s.in_place_receives;
	st[PS_ST_DIRECT] = s.direct_wakes;
	st[PS_ST_RESUMES] = s.resumes;
	st[PS_ST_TIMER_IRQS] = s.timer_irqs;
	st[PS_ST_NAP_IRQS] = nap_irqs;
	st[PS_ST_EARLY] = early;
	st[PS_ST_NOTIFIED] = nt_wakes;
	pd_put("pserver: stats");
	pd_kv("calls", st[PS_ST_CALLS]);
	pd_kv("bad", bad);
	pd_kv("in_place_receives", s.in_place_receives);
	pd_kv("direct_wakes", s.direct_wakes);
	pd_kv("resumes", s.resumes);
	pd_kv("timer_irqs", s.timer_irqs);
	pd_kv("nap_irqs", nap_irqs);
	pd_kv("early", early);
	pd_kv("notified", nt_wakes);
	pd_put("\n");
	for (unsigned i = 0; i < PS_ST_N; i++)
		microkit_mr_set(i, st[i]);
	return microkit_msginfo_new(PS_OK, PS_ST_N);
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msg)
{
	uint64_t n = ++calls;
	int r = 0;

	if (ch != PS_CH_PP || microkit_msginfo_get_count(msg) != 1 || microkit_mr_get(0) != n) {
		bad++;
		return microkit_msginfo_new(PS_BAD, 0);
	}
	cur = n;
	switch (microkit_msginfo_get_label(msg)) {
	case PS_EVENT:
		mk_microkit_notified(PS_EV_BIT); /* delivered after the turn */
		break;
	case PS_SEM:
		r = dom_sem_post(&sw_sem); /* runs sw before it returns */
		break;
	case PS_SLEEP:
		r = dom_sem_post(&sleep_sem);
		break;
	case PS_STATS:
		return stats_reply();
	default:
		bad++;
		return microkit_msginfo_new(PS_BAD, 0);
	}
	if (r != 0) {
		fail("protected: dom_sem_post", r);
		bad++;
		return microkit_msginfo_new(PS_BAD, 0);
	}
	microkit_mr_set(0, n);
	return microkit_msginfo_new(PS_OK, 1);
}

void notified(microkit_channel ch)
{
	mk_microkit_notified(ch);
}

void init(void)
{
	const struct mk_microkit_config mc = PD_MICROKIT_CONFIG(0x40000, 0x5000, 8, PS_CH_TIMER);
	struct dom_config dc = {.name = "pserver"};
	struct dom_thread_attr a = {.vcpu = -1, .detached = true};
	static const struct {
		const char *name;
		void *(*fn)(void *);
	} th[] = {{"ev", ev_main}, {"sw", sw_main}, {"nt", nt_main}, {"sleeper", sleeper_main}};
	const char *what;
	int r;

	if ((r = pd_domain_create(&d, &mc, &dc, &what)) != 0) {
		fail(what, r);
		return;
	}
	if ((r = dom_sem_init(&sw_sem, 0)) != 0 || (r = dom_sem_init(&sleep_sem, 0)) != 0) {
		fail("dom_sem_init", r);
		return;
	}
	for (unsigned i = 0; i < sizeof(th) / sizeof(th[0]); i++) {
		a.name = th[i].name;
		if ((r = dom_thread_create(d, NULL, &a, th[i].fn, NULL)) != 0) {
			fail("dom_thread_create", r);
			return;
		}
	}
	if ((r = pd_domain_start(d)) != 0) { /* on the PD's own context still */
		fail("mk_microkit_start", r);
		return;
	}
	pd_put("pserver: event loop: own\n");
	r = mk_microkit_event_loop();
	if (r == -ENOSYS) {
		/* a build without the receive in place: libmicrokit's loop */
		pd_put("pserver: event loop: libmicrokit\n");
		return;
	}
	fail("mk_microkit_event_loop returned", r);
}
