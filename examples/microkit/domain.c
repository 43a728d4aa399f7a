/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The domain PD: a domain (dom) on one vCPU, the PD's own thread, with
 * three green threads:
 *   waiter   blocks in dom_event_wait on the client's channel; on each
 *            wake-up it acknowledges the client's latest round (shared.h)
 *            and notifies the client back;
 *   count_a  counts a burst each time the waiter is about to block
 *            (a semaphore), so it runs exactly while the waiter waits;
 *   count_b  counts a burst, then sleeps 200 us (the generic timer), on
 *            its own schedule.
 * The waiter checks that the counters advanced while it was blocked.
 * When no green thread can run, the PD is back in the Microkit event
 * loop (seL4_Recv); mk_microkit_get_stats counts those returns.
 */
#include <microkit.h>
#include <stdbool.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/mk_microkit.h>

#include "shared.h"

#define CH_CLIENT 1
#define CH_TIMER 2
#define HEAP_SIZE 0x40000
#define STACK_STRIDE 0x5000 /* 4 KiB guard + 16 KiB stack */
#define NSTACKS 8
#define BURST 50
#define B_SLEEP_NS 200000

/* Patched by the Microkit tool (setvar_vaddr in domain.system). */
uintptr_t heap_base;
uintptr_t stack0_base;
uintptr_t shared_base;

static struct dom *d;
static struct dom_sem go_a;
static volatile uint64_t count_a, count_b, b_sleeps, b_early;
static volatile bool stop;
static struct dom_thread *ta, *tb;

static void put(const char *s)
{
	microkit_dbg_puts(s);
}

static void kv(const char *k, uint64_t v)
{
	mk_console_printf(" %s=%llu", k, (unsigned long long)v);
}

static void fail(const char *what, int r)
{
	put("domain: FAIL ");
	put(what);
	kv("r", (uint64_t)-r);
	put("\n");
}

static void *count_a_main(void *arg)
{
	(void)arg;
	for (;;) {
		dom_sem_wait(&go_a);
		if (stop)
			return NULL;
		for (int i = 0; i < BURST; i++) {
			count_a++;
			dom_yield();
		}
	}
}

static void *count_b_main(void *arg)
{
	(void)arg;
	while (!stop) {
		for (int i = 0; i < BURST; i++) {
			count_b++;
			dom_yield();
		}
		uint64_t t0 = mk_clock_now_ns();
		dom_sleep_ns(B_SLEEP_NS);
		if (mk_clock_now_ns() - t0 < B_SLEEP_NS)
			b_early++;
		b_sleeps++;
	}
	return NULL;
}

static void report(const char *tag, uint64_t rounds, uint64_t advanced, uint64_t wakeups)
{
	struct mk_microkit_stats st;

	mk_microkit_get_stats(&st);
	put("domain: ");
	put(tag);
	kv("rounds", rounds);
	kv("wakeups", wakeups);
	kv("advanced", advanced);
	kv("count_a", count_a);
	kv("count_b", count_b);
	kv("b_sleeps", b_sleeps);
	kv("b_early", b_early);
	kv("loop_returns", st.loop_returns);
	kv("resumes", st.resumes);
	kv("in_place_receives", st.in_place_receives);
	kv("timer_irqs", st.timer_irqs);
	kv("timer_arms", st.timer_arms);
	kv("heap_used", st.heap_used);
	kv("stacks_used", st.stacks_used);
	put("\n");
}

static void *waiter_main(void *arg)
{
	struct shared *sh = (struct shared *)shared_base;
	uint64_t last = 0, rounds = 0, advanced = 0, wakeups = 0, bits;
	int r;

	(void)arg;
	for (;;) {
		uint64_t before = count_a + count_b;
		if (last < ROUNDS)
			dom_sem_post(&go_a); /* count_a runs while we wait */
		if ((r = dom_event_wait(d, UINT64_C(1) << CH_CLIENT, &bits)) != 0) {
			fail("dom_event_wait", r);
			return NULL;
		}
		wakeups++;
		/* acquire: pairs with the client's release store of req */
		uint64_t req = atomic_load_explicit(&sh->req, memory_order_acquire);
		if (req == last)
			continue; /* coalesced or repeated: nothing new */
		if (count_a + count_b != before)
			advanced++;
		last = req;
		if (req == REPORT_ROUND) {
			report("report", rounds, advanced, wakeups);
			atomic_store_explicit(&sh->ack, req, memory_order_release);
			microkit_notify(CH_CLIENT);
			continue;
		}
		rounds++;
		if (req == ROUNDS) {
			stop = true;
			dom_sem_post(&go_a);
			dom_thread_join(ta, NULL);
			dom_thread_join(tb, NULL);
			report("done", rounds, advanced, wakeups);
		}
		/* release: pairs with the client's acquire load of ack */
		atomic_store_explicit(&sh->ack, req, memory_order_release);
		microkit_notify(CH_CLIENT);
	}
}

static void *vcpu_main(void *arg)
{
	int r = dom_run(arg);

	if (r != 0)
		fail("dom_run", r);
	return NULL;
}

void init(void)
{
	const struct mk_microkit_config mc = {
		.heap = (void *)heap_base,
		.heap_size = HEAP_SIZE,
		.stacks = stack0_base - MK_MICROKIT_GUARD,
		.stack_stride = STACK_STRIDE,
		.nstacks = NSTACKS,
		.timer_channel = CH_TIMER,
	};
	struct dom_config dc = {
		.name = "pd",
		.flags = DOM_CALLER_IS_VCPU0,
		.stack_size = STACK_STRIDE - MK_MICROKIT_GUARD,
		.post_capacity = 16,
		.max_workers = 1,
	};
	struct dom_thread_attr a = {.vcpu = -1};
	int r;

	if ((r = mk_microkit_init(&mc)) != 0)
		return fail("mk_microkit_init", r);
	dc.irq = mk_microkit_notification();
	if ((r = dom_create(&d, &dc)) != 0)
		return fail("dom_create", r);
	dom_sem_init(&go_a, 0);
	a.name = "count_a";
	if ((r = dom_thread_create(d, &ta, &a, count_a_main, NULL)) != 0)
		return fail("dom_thread_create", r);
	a.name = "count_b";
	if ((r = dom_thread_create(d, &tb, &a, count_b_main, NULL)) != 0)
		return fail("dom_thread_create", r);
	a.name = "waiter";
	a.detached = true;
	if ((r = dom_thread_create(d, NULL, &a, waiter_main, NULL)) != 0)
		return fail("dom_thread_create", r);
	put("domain: ready\n");
	if ((r = mk_microkit_start(vcpu_main, d)) != 0)
		return fail("mk_microkit_start", r);
	/* The PD's event loop, run by the library: the waiter then receives
	 * the client's next notification itself (docs/microkit.md, "Receive
	 * in place").  Returns only on an error; -ENOSYS: a build without
	 * it, and returning from init() keeps libmicrokit's loop. */
	if ((r = mk_microkit_event_loop()) != -ENOSYS)
		fail("mk_microkit_event_loop", r);
}

void notified(microkit_channel ch)
{
	mk_microkit_notified(ch);
}
