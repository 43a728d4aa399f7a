/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pdtest's parts on the PD's event loop: the library's own
 * (mk_microkit_event_loop, which pdtest_loop.img's init() ends in) and the
 * receive in place it allows (docs/microkit.md, "Receive in place"), run in
 * both images, each part with the exact expectation of each loop:
 *
 *   order      notified() returns before the domain runs the thread its
 *              channel woke (own loop), or the domain runs inside
 *              mk_microkit_notified (libmicrokit's loop): from the event
 *              loop's own receive and from a receive in place;
 *   roundtrip  a server thread answers the poker RT_ROUNDS times: with the
 *              own loop it receives in place every time (no switch to the
 *              vCPU context), with libmicrokit's never; a checksum over
 *              the poker's counts (no round lost or doubled);
 *   bound      a bit bound to a handler, taken by a receive in place: the
 *              handler runs on the service thread;
 *   ppc        the poker calls pdtest (protected()) while a green thread
 *              receives in place: once with work for the domain (a post:
 *              the reply is sent on its own, then the domain runs) and
 *              once without (the reply goes with the next receive); the
 *              poker checks the reply;
 *   hstack     the handlers run on the receiving thread's stack when
 *              handler_stack of it is free, else on the PD's stack: a
 *              waiter with about 15, 6 and 3 KiB free, under the default
 *              (4 KiB) and under 8 KiB (pdtest_loop_hs8.img);
 *   recvtimer  a thread that sleeps on the direct wake's chain hands over
 *              to the idle loop (a new deadline), and a timer interrupt
 *              during a receive in place does too: the sleeper wakes;
 *   loopcall   mk_microkit_event_loop's errors (-ENOSYS in the builds
 *              without the receive in place).
 *
 * Each part first puts the runner where it needs it: woken by a channel's
 * notification (ip_via_notification: on the direct wake's chain, so that
 * with the own loop the last thread to block receives in place) or by a
 * timer interrupt (ip_via_vcpu: in the vCPU context, so that the domain
 * goes back to the event loop's own receive).  Every wait is bounded by
 * one deadline, ip_end, which the part's anchor thread also waits for: the
 * domain's earliest deadline stays the one its idle loop parked with, as
 * the receive in place needs (src/dom/sched.c, receive_in_place).
 */
#include <errno.h>
#include <string.h>

#include "pdtest.h"

uintptr_t poker_seq; /* setvar: the poker's counts (pdtest_proto.h), read-only */

#define BIT(n) (UINT64_C(1) << (n))
#define IP_BIT_DONE 16 /* a part's thread is done, for the runner */
#define IP_BIT_STOP 17 /* ends the anchor */
#define IP_LIMIT (10000 * MS) /* the bound of a part, never reached when it works */

static uint64_t ip_end; /* the part's bound: every wait's deadline */
static struct dom_thread *ip_anchor;

/* The poker's count for channel ch.  It wrote it before its answer on ch
 * (a notification: a system call on the one CPU, which orders the two);
 * volatile only so that every read is made. */
static uint64_t poker_count(unsigned ch)
{
	return ((volatile const uint64_t *)poker_seq)[ch];
}

/* The anchor: waits until ip_end, so that the domain's earliest deadline
 * is ip_end all through the part. */
static void *anchor(void *arg)
{
	uint64_t bits;

	(void)arg;
	if (dom_event_wait_until(d, BIT(IP_BIT_STOP), ip_end, &bits) == -ETIMEDOUT)
		pd_put("pdtest: event loop: a part's bound passed\n");
	return NULL;
}

static void ip_begin(void)
{
	ip_end = mk_clock_now_ns() + IP_LIMIT;
	ip_anchor = spawn("ip-anchor", anchor, NULL);
	CHECK_EQ(dom_yield(), 0); /* it waits */
}

static void ip_finish(void)
{
	CHECK_EQ(dom_event_signal(d, BIT(IP_BIT_STOP)), 0);
	join(ip_anchor);
}

/* Wait for any bit of mask until ip_end: the bits, or 0 after a failed
 * check naming what did not come. */
static uint64_t ip_wait(uint64_t mask, const char *what)
{
	uint64_t bits = 0;
	int r = dom_event_wait_until(d, mask, ip_end, &bits);

	if (r != 0) {
		pd_put("pdtest: event loop: no ");
		pd_put(what);
		pd_put(" in time");
		pd_kv("r", (uint64_t)-r);
		pd_put("\n");
		failures++;
		return 0;
	}
	return bits;
}

/* The runner is woken by the poker's answer: it runs on the direct wake's
 * chain then, and with the own loop the next green thread to block with
 * nothing else runnable receives in place. */
static void ip_via_notification(void)
{
	microkit_notify(CH_POKER);
	ip_wait(BIT(CH_POKER), "answer on CH_POKER");
}

/* The runner is woken by a timer interrupt: it runs in the vCPU context
 * then (both loops resume it from notified()), and the next time the
 * domain is idle the PD goes back to the event loop's own receive. */
static void ip_via_vcpu(void)
{
	CHECK_EQ(dom_sleep_ns(MS), 0);
}

/* After a part's failed check: the counters it moved. */
static void ip_show(const char *part, const struct mk_microkit_stats *s0,
		    const struct mk_microkit_stats *s1)
{
	pd_put("pdtest: ");
	pd_put(part);
	pd_put(":");
	pd_kv("direct_wakes", s1->direct_wakes - s0->direct_wakes);
	pd_kv("in_place_receives", s1->in_place_receives - s0->in_place_receives);
	pd_kv("resumes", s1->resumes - s0->resumes);
	pd_kv("loop_returns", s1->loop_returns - s0->loop_returns);
	pd_kv("timer_irqs", s1->timer_irqs - s0->timer_irqs);
	pd_put("\n");
}

/* ---- order: what runs inside notified() ---- */
enum { ORDER_FLAG, ORDER_LOOPCALL };
static volatile int order_mode;	    /* what notified(CH_ORDER) does */
static volatile int order_flag;	    /* notified(CH_ORDER): 1 after mk_microkit_notified */
static volatile int order_seen;	    /* order_flag when the woken thread ran */
static volatile int order_loop_rc;  /* ORDER_LOOPCALL: mk_microkit_event_loop() from notified() */
static struct mk_microkit_stats order_s; /* the counters when the woken thread ran */

static void *order_waiter(void *arg)
{
	(void)arg;
	if (ip_wait(BIT(CH_ORDER), "answer on CH_ORDER") != 0) {
		order_seen = order_flag;
		mk_microkit_get_stats(&order_s);
	}
	CHECK_EQ(dom_event_signal(d, BIT(IP_BIT_DONE)), 0);
	return NULL;
}

/* With the own loop, round 0 from the event loop's own receive (the direct
 * wake after the turn), round 1 from a receive in place (the bit raised
 * while the runner receives, the domain run once the turn is over); with
 * libmicrokit's, both a direct wake inside mk_microkit_notified. */
void test_loop_order(void)
{
	struct mk_microkit_stats s0;
	struct dom_thread *t;
	int f0 = failures;

	ip_begin();
	order_mode = ORDER_FLAG;
	for (int round = 0; round < 2; round++) {
		if (round == 0)
			ip_via_vcpu();
		else
			ip_via_notification();
		order_flag = 0;
		order_seen = -1;
		mk_microkit_get_stats(&s0);
		order_s = s0;
		t = spawn("order-waiter", order_waiter, NULL);
		microkit_notify(CH_ORDER);
		ip_wait(BIT(IP_BIT_DONE), "end of order-waiter");
		join(t);
		/* the own loop runs the domain after notified() returned */
		CHECK_EQ(order_seen, PDTEST_OWN);
		if (PDTEST_OWN && round == 0) {
			CHECK_EQ(order_s.direct_wakes, s0.direct_wakes + 1);
			CHECK_EQ(order_s.in_place_receives, s0.in_place_receives);
		} else if (PDTEST_OWN) {
			CHECK_EQ(order_s.direct_wakes, s0.direct_wakes);
			CHECK_EQ(order_s.in_place_receives, s0.in_place_receives + 1);
		} else {
#ifdef PDTEST_DIRECT_WAKE
			CHECK_EQ(order_s.direct_wakes, s0.direct_wakes + 1);
#endif
			CHECK_EQ(order_s.in_place_receives, 0);
		}
		if (failures != f0) {
			ip_show(round == 0 ? "order, round 0" : "order, round 1", &s0, &order_s);
			break;
		}
	}
	ip_finish();
}

/* ---- roundtrip: a server thread and the poker, RT_ROUNDS times ---- */
#define RT_ROUNDS 200
static uint64_t rt_base, rt_sum, rt_rounds, rt_bad;

static void *rt_server(void *arg)
{
	uint64_t bits, n;

	(void)arg;
	for (uint64_t i = 1; i <= RT_ROUNDS; i++) {
		if ((bits = ip_wait(BIT(CH_RT), "answer on CH_RT")) == 0)
			break;
		/* the poker's answer to the i-th notification: it has
		 * counted exactly i (none lost, none doubled) */
		n = poker_count(CH_RT) - rt_base;
		if (bits != BIT(CH_RT) || n != i) {
			if (rt_bad++ == 0) {
				pd_put("pdtest: roundtrip: round");
				pd_kv("i", i);
				pd_kv("poker_count", n);
				pd_kv("bits", bits);
				pd_put("\n");
			}
		}
		rt_sum += n;
		rt_rounds++;
		if (i < RT_ROUNDS)
			microkit_notify(CH_RT);
	}
	CHECK_EQ(dom_event_signal(d, BIT(IP_BIT_DONE)), 0);
	return NULL;
}

void test_loop_roundtrip(void)
{
	struct mk_microkit_stats s0, s1;
	struct dom_thread *t;

	ip_begin();
	ip_via_notification();
	rt_base = poker_count(CH_RT);
	rt_sum = rt_rounds = rt_bad = 0;
	mk_microkit_get_stats(&s0);
	t = spawn("rt-server", rt_server, NULL);
	microkit_notify(CH_RT); /* the poker runs once the server waits */
	ip_wait(BIT(IP_BIT_DONE), "end of rt-server");
	mk_microkit_get_stats(&s1);
	join(t);
	CHECK_EQ(rt_rounds, RT_ROUNDS);
	CHECK_EQ(rt_bad, 0);
	CHECK_EQ(rt_sum, (uint64_t)RT_ROUNDS * (RT_ROUNDS + 1) / 2);
	if (PDTEST_OWN) {
		/* every answer taken by the server's own seL4_Recv: no
		 * direct wake, no switch to the vCPU context */
		CHECK(s1.in_place_receives - s0.in_place_receives >= RT_ROUNDS - 1);
		CHECK_EQ(s1.direct_wakes, s0.direct_wakes);
		CHECK_EQ(s1.resumes, s0.resumes);
	} else {
		CHECK_EQ(s1.in_place_receives, 0);
#ifdef PDTEST_DIRECT_WAKE
		/* each answer a direct wake from inside notified() */
		CHECK_EQ(s1.direct_wakes - s0.direct_wakes, RT_ROUNDS);
		CHECK_EQ(s1.resumes, s0.resumes);
#else
		/* each answer a resume of the vCPU context */
		CHECK_EQ(s1.resumes - s0.resumes, RT_ROUNDS);
#endif
	}
	/* the figures, for the log */
	ip_show("roundtrip", &s0, &s1);
	ip_finish();
}

/* ---- bound: a bound handler's bit taken by a receive in place ---- */
static char bd_thread[DOM_NAME_MAX + 1];
static volatile int bd_calls;

static void on_bound(unsigned bit, void *arg)
{
	(void)arg;
	CHECK_EQ(bit, CH_RT);
	strcpy(bd_thread, dom_thread_name(dom_self()));
	bd_calls++;
	CHECK_EQ(dom_event_signal(d, BIT(IP_BIT_DONE)), 0);
}

/* The runner receives in place (own loop) and the bit it takes is bound:
 * the handler runs on the service thread, which the runner switches to. */
void test_loop_bound(void)
{
	struct mk_microkit_stats s0, s1;
	int f0 = failures;

	ip_begin();
	bd_calls = 0;
	bd_thread[0] = '\0';
	CHECK_EQ(dom_event_bind(d, CH_RT, on_bound, NULL), 0);
	ip_via_notification();
	mk_microkit_get_stats(&s0);
	microkit_notify(CH_RT);
	ip_wait(BIT(IP_BIT_DONE), "signal of the bound handler");
	mk_microkit_get_stats(&s1);
	CHECK_EQ(bd_calls, 1);
	CHECK(strcmp(bd_thread, "dom-service") == 0);
	if (PDTEST_OWN) {
		CHECK_EQ(s1.in_place_receives, s0.in_place_receives + 1);
		CHECK_EQ(s1.direct_wakes, s0.direct_wakes);
	} else {
		CHECK_EQ(s1.in_place_receives, 0);
#ifdef PDTEST_DIRECT_WAKE
		CHECK_EQ(s1.direct_wakes, s0.direct_wakes + 1);
#endif
	}
	CHECK_EQ(dom_event_bind(d, CH_RT, NULL, NULL), 0);
	if (failures != f0)
		ip_show("bound", &s0, &s1);
	ip_finish();
}

/* ---- ppc: the poker calls pdtest while a green thread receives ---- */
enum { PP_POST, PP_QUIET };
static volatile int pp_mode;	    /* PP_POST: protected() posts pp_sem */
static struct dom_sem pp_sem;
static uint64_t pp_calls;	    /* protected() calls so far (the poker's n) */
static uint64_t pp_bad;		    /* calls that were not the protocol's */
static const char *pp_owner;	    /* the stack protected() ran on */
static volatile int pp_inside;	    /* pp-waiter had run when protected() returned */
static volatile int pp_waiter_ran;

static void *pp_waiter(void *arg)
{
	(void)arg;
	if (dom_sem_timedwait(&pp_sem, ip_end) == 0)
		pp_waiter_ran = 1;
	else
		pd_put("pdtest: ppc: pp-waiter's post did not come\n");
	return NULL;
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msg)
{
	char here;
	uint64_t arg = microkit_mr_get(0);

	pp_calls++;
	if (ch != CH_PP || microkit_msginfo_get_label(msg) != PP_LABEL ||
	    microkit_msginfo_get_count(msg) != 1 || arg != PP_ARG(pp_calls))
		pp_bad++;
	pp_owner = mk_microkit_stack_owner((uintptr_t)&here);
	if (pp_mode == PP_POST)
		CHECK_EQ(dom_sem_post(&pp_sem), 0); /* a PD-context "any" call */
	pp_inside = pp_waiter_ran;
	microkit_mr_set(0, PP_REPLY(arg));
	return microkit_msginfo_new(PP_REPLY_LABEL, 1);
}

void test_loop_ppc(void)
{
	struct mk_microkit_stats s0, s1;
	struct dom_thread *t;
	uint64_t bits, calls0;
	int f0 = failures;

	ip_begin();
	CHECK_EQ(dom_sem_init(&pp_sem, 0), 0);
	for (int mode = PP_POST; mode <= PP_QUIET; mode++) {
		pp_mode = mode;
		pp_waiter_ran = 0;
		pp_inside = -1;
		pp_owner = "none";
		ip_via_notification();
		t = NULL;
		if (mode == PP_POST) {
			t = spawn("pp-waiter", pp_waiter, NULL);
			CHECK_EQ(dom_yield(), 0); /* it waits: the runner blocks last */
		}
		calls0 = pp_calls;
		mk_microkit_get_stats(&s0);
		microkit_notify(CH_PP); /* the poker calls, then answers */
		bits = ip_wait(BIT(CH_PP_OK) | BIT(CH_PP_BAD), "answer of the poker's call");
		mk_microkit_get_stats(&s1);
		join(t);
		CHECK_EQ(bits, BIT(CH_PP_OK)); /* the poker got the reply right */
		CHECK_EQ(pp_calls, calls0 + 1);
		CHECK_EQ(pp_bad, 0);
		if (mode == PP_POST) {
			CHECK_EQ(pp_waiter_ran, 1);
			/* own loop: the post only queued the thread, which ran
			 * once the reply had gone (reply_now); libmicrokit's:
			 * it ran inside the post */
			CHECK_EQ(pp_inside, !PDTEST_OWN);
		}
		if (PDTEST_OWN) {
			/* from the runner's receive in place, on its stack;
			 * with a post the reply goes at once, pp-waiter runs
			 * and exits, and the answer comes to the event loop
			 * (a direct wake); without, the receive goes on (the
			 * reply with it) and takes the answer too */
			CHECK(pp_owner != NULL && strcmp(pp_owner, "runner") == 0);
			CHECK_EQ(s1.in_place_receives - s0.in_place_receives,
				 mode == PP_POST ? 1 : 2);
			CHECK_EQ(s1.direct_wakes - s0.direct_wakes, mode == PP_POST ? 1 : 0);
		} else {
			CHECK(pp_owner == NULL); /* the PD's stack */
			CHECK_EQ(s1.in_place_receives, 0);
#ifdef PDTEST_DIRECT_WAKE
			/* the post resumes the vCPU context inside protected();
			 * the answer is a direct wake */
			CHECK_EQ(s1.resumes - s0.resumes, mode == PP_POST ? 1 : 0);
			CHECK_EQ(s1.direct_wakes - s0.direct_wakes, 1);
#endif
		}
		if (failures != f0) {
			pd_put("pdtest: ppc: protected() ran on ");
			pd_put(pp_owner != NULL ? pp_owner : "the PD's stack");
			pd_put("\n");
			ip_show(mode == PP_POST ? "ppc with a post" : "ppc without", &s0, &s1);
			break;
		}
	}
	CHECK_EQ(dom_sem_destroy(&pp_sem), 0);
	ip_finish();
}

/* ---- hstack: which stack the handlers run on ---- */
/* What a waiter leaves free below it: "deep" under both handler_stack
 * values pdtest is built with (4 and 8 KiB: HS_LIMIT), "mid" between
 * them; "shallow" waits right away (about 15 KiB free). */
#define HS_LEFT_DEEP 3072
#define HS_LEFT_MID 6144
#define HS_PAD 256
static volatile uintptr_t hs_addr; /* notified(CH_HS): the address of one of its locals */
static uintptr_t hs_free;	   /* the waiter's free stack below hs_wait's frame */

/* The lowest usable byte of the stack slot that holds a (pdtest.system:
 * slots STACK_STRIDE apart, each a guard page, then the stack). */
static uintptr_t slot_lo(uintptr_t a)
{
	uintptr_t s0 = stack0_base - MK_MICROKIT_GUARD;

	return s0 + (a - s0) / STACK_STRIDE * STACK_STRIDE + MK_MICROKIT_GUARD;
}

static __attribute__((noinline)) uint64_t hs_wait(void)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);

	hs_free = fp - slot_lo(fp);
	return ip_wait(BIT(CH_HS), "answer on CH_HS");
}

/* Recurse until less than `left` + a level is free below, then wait. */
static __attribute__((noinline)) uint64_t hs_burn(uintptr_t lo, uintptr_t left)
{
	volatile char pad[HS_PAD];

	pad[0] = 0;
	if ((uintptr_t)&pad[0] - lo > left + 2 * HS_PAD)
		return hs_burn(lo, left) + pad[0];
	return hs_wait() + pad[0];
}

/* arg: what to leave free (0: wait at once) */
static void *hs_thread(void *arg)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);

	if (arg != NULL)
		hs_burn(slot_lo(fp), (uintptr_t)arg);
	else
		hs_wait();
	CHECK_EQ(dom_event_signal(d, BIT(IP_BIT_DONE)), 0);
	return NULL;
}

void test_loop_hstack(void)
{
	static const char *const names[3] = {"hs-shallow", "hs-mid", "hs-deep"};
	static const uintptr_t left[3] = {0, HS_LEFT_MID, HS_LEFT_DEEP};
	struct mk_microkit_stats s0, s1;
	struct dom_thread *t;
	const char *owner;
	int f0 = failures;

	ip_begin();
	for (int deep = 0; deep < 3; deep++) {
		bool own;

		hs_addr = 0;
		hs_free = 0;
		ip_via_notification();
		mk_microkit_get_stats(&s0);
		t = spawn(names[deep], hs_thread, (void *)left[deep]);
		microkit_notify(CH_HS); /* answered once the thread waits: it blocks last */
		ip_wait(BIT(IP_BIT_DONE), "end of the hs thread");
		mk_microkit_get_stats(&s1);
		join(t);
		CHECK(hs_addr != 0);
		owner = mk_microkit_stack_owner(hs_addr);
		/* the premises: deep under 4 KiB free, mid 5-8 KiB, shallow
		 * over 8 KiB (at hs_wait; the backend measures a few hundred
		 * bytes further down) */
		if (deep == 2)
			CHECK(hs_free >= 2048 && hs_free < 4096);
		else if (deep == 1)
			CHECK(hs_free >= 5120 && hs_free < 8192);
		else
			CHECK(hs_free >= 8192 + 1024);
		/* on its own stack when handler_stack is free there */
		own = deep == 0 || (deep == 1 && HS_LIMIT <= 4096);
		if (PDTEST_OWN && own) {
			CHECK(owner != NULL && strcmp(owner, names[deep]) == 0);
		} else {
			CHECK(owner == NULL); /* the PD's stack */
		}
		if (PDTEST_OWN)
			CHECK_EQ(s1.in_place_receives, s0.in_place_receives + 1);
		else
			CHECK_EQ(s1.in_place_receives, 0);
		if (failures != f0) {
			pd_put("pdtest: hstack: ");
			pd_put(names[deep]);
			pd_put(": notified() ran on ");
			pd_put(owner != NULL ? owner : "the PD's stack");
			pd_kv("free", hs_free);
			pd_put("\n");
			ip_show("hstack", &s0, &s1);
			break;
		}
	}
	ip_finish();
}

/* ---- recvtimer: a timer interrupt during a receive in place ---- */
#define TM_TRIES 5
static volatile int tm_woke;

static void *tm_sleeper(void *arg)
{
	(void)arg;
	CHECK_EQ(dom_sleep_ns(2 * MS), 0);
	tm_woke = 1;
	CHECK_EQ(dom_event_signal(d, BIT(IP_BIT_DONE)), 0);
	return NULL;
}

void test_loop_timer(void)
{
	struct mk_microkit_stats sp, s0, s1;
	struct dom_thread *t;
	int tries, f0 = failures;

	ip_begin();
	for (tries = 0; tries < TM_TRIES; tries++) {
		tm_woke = 0;
		ip_via_notification(); /* the runner on the direct wake's chain */
		t = spawn("tm-sleeper", tm_sleeper, NULL);
		mk_microkit_get_stats(&sp);
		/* the sleeper sleeps, the last to block: its deadline is new,
		 * so it hands over to the idle loop (no receive in place),
		 * which parks with it; then the poker's answer wakes the
		 * runner (a direct wake) */
		ip_via_notification();
		if (tm_woke) {
			/* the emulator stalled past the sleep: again */
			ip_wait(BIT(IP_BIT_DONE), "end of tm-sleeper");
			join(t);
			continue;
		}
		mk_microkit_get_stats(&s0);
#ifdef PDTEST_DIRECT_WAKE
		CHECK_EQ(s0.in_place_receives, sp.in_place_receives);
		CHECK_EQ(s0.resumes, sp.resumes + 1);
		CHECK_EQ(s0.direct_wakes, sp.direct_wakes + 1);
		if (failures != f0)
			ip_show("recvtimer, the sleep", &sp, &s0);
#endif
		/* own loop: the runner receives in place, the interrupt comes
		 * there and hands over to the idle loop */
		ip_wait(BIT(IP_BIT_DONE), "end of tm-sleeper");
		mk_microkit_get_stats(&s1);
		join(t);
		CHECK_EQ(tm_woke, 1);
		CHECK(s1.timer_irqs > s0.timer_irqs);
		if (PDTEST_OWN) {
			CHECK_EQ(s1.in_place_receives, s0.in_place_receives + 1);
			CHECK(s1.resumes > s0.resumes); /* the hand-over */
		} else {
			CHECK_EQ(s1.in_place_receives, 0);
		}
		if (failures != f0)
			ip_show("recvtimer", &s0, &s1);
		break;
	}
	CHECK(tries < TM_TRIES);
	ip_finish();
}

/* ---- loopcall: mk_microkit_event_loop's errors ---- */
#ifdef PDTEST_RECEIVE_IN_PLACE
#define LOOP_FROM_GREEN (-EPERM)
#else
#define LOOP_FROM_GREEN (-ENOSYS) /* a build without it (the A/B builds) */
#endif

void test_loop_misuse(void)
{
	struct mk_microkit_stats s;

	ip_begin();
	/* from a green thread: in the vCPU context, and on the direct wake's
	 * chain (the PD context's stack) */
	ip_via_vcpu();
	CHECK_EQ(mk_microkit_event_loop(), LOOP_FROM_GREEN);
	ip_via_notification();
	CHECK_EQ(mk_microkit_event_loop(), LOOP_FROM_GREEN);
#ifdef PDTEST_OWN_LOOP
	/* from notified() (not init()): in the event loop's turn it runs
	 * already; in a receive in place, not from the PD context's loop */
	for (int round = 0; round < 2; round++) {
		if (round == 0)
			ip_via_vcpu();
		else
			ip_via_notification();
		order_mode = ORDER_LOOPCALL;
		order_loop_rc = 1;
		microkit_notify(CH_ORDER);
		ip_wait(BIT(CH_ORDER), "answer on CH_ORDER");
		CHECK_EQ(order_loop_rc, (round == 0 ? -EBUSY : -EPERM));
	}
	order_mode = ORDER_FLAG;
#endif
	mk_microkit_get_stats(&s);
	if (!PDTEST_OWN)
		CHECK_EQ(s.in_place_receives, 0); /* never, with libmicrokit's loop */
	ip_finish();
}

bool inplace_notified(microkit_channel ch)
{
	char here;

	switch (ch) {
	case CH_ORDER:
#ifdef PDTEST_OWN_LOOP
		if (order_mode == ORDER_LOOPCALL)
			order_loop_rc = mk_microkit_event_loop();
#endif
		mk_microkit_notified(ch);
		order_flag = 1;
		return true;
	case CH_HS:
		hs_addr = (uintptr_t)&here;
		mk_microkit_notified(ch);
		return true;
	case CH_RT:
	case CH_PP:
	case CH_PP_OK:
	case CH_PP_BAD:
		mk_microkit_notified(ch);
		return true;
	default:
		return false;
	}
}
