/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The domain PD of the benchmark.  First, before the client runs (it has
 * a lower priority and this PD does not block meanwhile), the yield
 * benchmark: BENCH_PAIRS pairs of blocks (common.h), one of BENCH_YIELDS
 * round trips between two green threads (dom_yield, two switches each)
 * and one of as many between two bare contexts with the smallest switch
 * there is (bare.S: the registers dom's switch saves, nothing else).
 * Then the echo green thread answers the client's notifications on
 * channel 1, from dom_event_wait.  init() measures the domain's own part
 * of a wake-up (local_wake, the median of BENCH_PAIRS blocks) in between.
 */
#include <rumpbridge/dom.h>
#include <rumpbridge/mk_microkit.h>

#include "common.h"

#define CH_CLIENT 1
#define CH_TIMER 2
#define CH_LOCAL 5 /* not a channel of the .system: raised from init() */
#define HEAP_SIZE 0x40000
#define STACK_STRIDE 0x5000
#define NSTACKS 8

uintptr_t heap_base;
uintptr_t stack0_base;

static struct dom *d;

/* ---- the bare two-context switch ---- */
/* bare.S: x19-x30, d8-d15 and sp, as dom's switch */
void bare_switch(void **save, void *load);
void bare_first(void);

static void *main_sp, *peer_sp;

static void bare_peer(void)
{
	for (;;)
		bare_switch(&peer_sp, main_sp);
}

/* Lay out the peer's first frame on its stack (bare.S: x19 = its
 * function, x30 = bare_first) and switch to it once. */
static void bare_setup(void *stack_top)
{
	uint64_t *f = (uint64_t *)(((uintptr_t)stack_top & ~(uintptr_t)15) - 160);

	for (int i = 0; i < 20; i++)
		f[i] = 0;
	f[0] = (uint64_t)(uintptr_t)bare_peer; /* x19 */
	f[11] = (uint64_t)(uintptr_t)bare_first; /* x30 */
	peer_sp = f;
	bare_switch(&main_sp, peer_sp); /* warm-up */
}

static uint64_t bare_block(void)
{
	uint64_t t0 = bench_ticks();

	for (int i = 0; i < BENCH_YIELDS; i++)
		bare_switch(&main_sp, peer_sp); /* to the peer and back */
	return bench_ticks() - t0;
}

/* ---- green yield ---- */
static volatile int yielding;

static void *yielder(void *arg)
{
	(void)arg;
	while (yielding)
		dom_yield();
	return NULL;
}

static void *echo(void *arg)
{
	uint64_t bits;

	(void)arg;
	for (;;) {
		dom_event_wait(d, UINT64_C(1) << CH_CLIENT, &bits);
		microkit_notify(CH_CLIENT);
	}
	return NULL;
}

static uint64_t green_block(void)
{
	uint64_t t0 = bench_ticks();

	for (int i = 0; i < BENCH_YIELDS; i++)
		dom_yield(); /* to the yielder and back: one round trip */
	return bench_ticks() - t0;
}

static void *bench_main(void *arg)
{
	struct dom_thread *y;
	struct dom_thread_attr a = {.name = "yielder", .vcpu = -1};
	struct mk_stack st;
	/* on the stack, not in .bss: the figures' arrays must not spread the
	 * PD's hot variables over more pages (docs/microkit.md, "Benchmark") */
	uint64_t y_green[BENCH_PAIRS], y_bare[BENCH_PAIRS], y_ratio[BENCH_PAIRS];

	(void)arg;
	if (mk_stack_create(&st, 4096, "bare") != 0) {
		microkit_dbg_puts("bench: FAIL no stack for the bare context\n");
		return NULL;
	}
	/* the peer context stays parked on st for good: the slot is kept */
	bare_setup((char *)st.base + st.size);
	yielding = 1;
	dom_thread_create(d, &y, &a, yielder, NULL);
	dom_yield(); /* warm-up */
	green_block();
	bare_block();
	for (int p = 0; p < BENCH_PAIRS; p++) {
		if (p & 1) {
			y_bare[p] = bare_block();
			y_green[p] = green_block();
		} else {
			y_green[p] = green_block();
			y_bare[p] = bare_block();
		}
	}
	bench_report_pairs("yield_rt_green", "yield_rt_bare", y_green, y_bare, y_ratio,
			   BENCH_YIELDS);
	yielding = 0;
	dom_thread_join(y, NULL);

	a.name = "echo";
	a.detached = true;
	dom_thread_create(d, NULL, &a, echo, NULL);
	return NULL;
}

static void *local_waiter(void *arg)
{
	uint64_t bits;

	(void)arg;
	for (;;)
		dom_event_wait(d, UINT64_C(1) << CH_LOCAL, &bits);
	return NULL;
}

void init(void)
{
	const struct mk_microkit_config mc =
		PD_MICROKIT_CONFIG(HEAP_SIZE, STACK_STRIDE, NSTACKS, CH_TIMER);
	struct dom_config dc = {.name = "bench"};
	struct dom_thread_attr a = {.name = "bench", .vcpu = -1, .detached = true};
	const char *what;
	uint64_t local[BENCH_PAIRS]; /* on the stack: see bench_main */

	if (pd_domain_create(&d, &mc, &dc, &what) != 0 ||
	    dom_thread_create(d, NULL, &a, bench_main, NULL) != 0 || pd_domain_start(d) != 0) {
		microkit_dbg_puts("bench: FAIL setup\n");
		return;
	}
	/* The domain's part of a wake-up, without the kernel: from the PD
	 * context raise a bit a green thread waits for, as notified() does,
	 * and come back when the domain is idle again. */
	a.name = "local";
	dom_thread_create(d, NULL, &a, local_waiter, NULL);
	mk_microkit_notified(CH_LOCAL); /* warm-up */
	for (int p = 0; p < BENCH_PAIRS; p++) {
		uint64_t t0 = bench_ticks();
		for (int i = 0; i < BENCH_ROUNDS; i++)
			mk_microkit_notified(CH_LOCAL);
		local[p] = bench_ticks() - t0;
	}
	bench_sort(local, BENCH_PAIRS);
	/* the median block */
	bench_report("local_wake", local[BENCH_PAIRS / 2], BENCH_ROUNDS);
#ifndef BENCH_LIBMICROKIT_LOOP
	/* the library's event loop, so that the echo thread receives in
	 * place; a build without it (RUMPBRIDGE_MICROKIT_RECEIVE_IN_PLACE=OFF,
	 * the A/B) returns -ENOSYS: libmicrokit's loop then */
	if (mk_microkit_event_loop() != -ENOSYS)
		microkit_dbg_puts("bench: FAIL mk_microkit_event_loop returned\n");
#endif
}

void notified(microkit_channel ch)
{
	mk_microkit_notified(ch);
}
