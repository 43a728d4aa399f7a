/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The native end of the traced system (tests/comp/trace_system.sh): a
 * strict ping-pong of TPING_ROUNDS notifications with tpong (no two
 * notifications of one channel in flight, so none coalesce), a PPC to
 * tpong in each round, then one notification that wakes tpong's waiting
 * green thread.  Counts the trace must show: 2 * ROUNDS + 1 notify ->
 * notified, ROUNDS ppcall -> protected -> reply.
 */
#include <stdio.h>

#include <microkit.h>

#define PONG 1 /* notifications both ways */
#define CALL 2 /* PPC to tpong */
#define WAKE 3 /* tpong's waiter green thread */
#define TPING_ROUNDS 20

static unsigned rounds, right;

void init(void)
{
	microkit_notify(PONG);
}

void notified(microkit_channel ch)
{
	microkit_msginfo r;
	char line[96];

	if (ch != PONG)
		return;
	rounds++;
	r = microkit_ppcall(CALL, microkit_msginfo_new(rounds, 0));
	if (microkit_msginfo_get_label(r) == rounds + 1)
		right++;
	if (rounds < TPING_ROUNDS) {
		microkit_notify(PONG);
		return;
	}
	snprintf(line, sizeof line, "tping: %u rounds, %u replies right\n", rounds, right);
	microkit_dbg_puts(line);
	microkit_notify(WAKE);
}
