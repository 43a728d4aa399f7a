/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The client PD: ROUNDS round trips with the domain PD (shared.h), every
 * third one notified twice to show that the protocol does not count
 * notifications; then half a quiet second (a busy wait of its own: the domain
 * PD must sit in seL4_Recv meanwhile) and a last REPORT_ROUND.
 */
#include <microkit.h>
#include <stdint.h>

#include "shared.h"

#define CH_DOMAIN 1

uintptr_t shared_base;

static uint64_t round;

static uint64_t now_ticks(void)
{
	uint64_t v;

	__asm__ __volatile__("isb\n\tmrs %0, cntpct_el0" : "=r"(v));
	return v;
}

static void send(uint64_t r)
{
	struct shared *sh = (struct shared *)shared_base;

	round = r;
	/* release: pairs with the domain's acquire load of req */
	atomic_store_explicit(&sh->req, r, memory_order_release);
	microkit_notify(CH_DOMAIN);
	if (r % 3 == 0)
		microkit_notify(CH_DOMAIN);
}

void init(void)
{
	microkit_dbg_puts("client: start\n");
	send(1);
}

void notified(microkit_channel ch)
{
	struct shared *sh = (struct shared *)shared_base;
	uint64_t f;

	/* acquire: pairs with the domain's release store of ack */
	if (ch != CH_DOMAIN || atomic_load_explicit(&sh->ack, memory_order_acquire) != round)
		return; /* not (yet) the answer to the current round */
	if (round < ROUNDS) {
		send(round + 1);
	} else if (round == ROUNDS) {
		microkit_dbg_puts("client: rounds done\n");
		__asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(f));
		for (uint64_t t0 = now_ticks(); now_ticks() - t0 < f / 2;)
			;
		send(REPORT_ROUND);
	} else {
		microkit_dbg_puts("client: done\n");
	}
}
