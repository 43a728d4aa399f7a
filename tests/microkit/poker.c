/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pdtest's partner PD (pdtest.system, pdtest_proto.h): answers every
 * notification with one notification back on the same channel, after
 * counting it in the shared page; a notification on CH_PP instead makes
 * it call pdtest (a protected procedure call) and answer CH_PP_OK if the
 * reply is the one the protocol says, else CH_PP_BAD.
 */
#include <microkit.h>
#include <stdint.h>

#include "pdtest_proto.h"

uintptr_t poker_seq; /* setvar_vaddr: the shared page */

static uint64_t ncalls;

static int call_pdtest(void)
{
	microkit_msginfo reply;
	uint64_t arg = PP_ARG(++ncalls);

	microkit_mr_set(0, arg);
	reply = microkit_ppcall(CH_PP, microkit_msginfo_new(PP_LABEL, 1));
	return microkit_msginfo_get_label(reply) == PP_REPLY_LABEL &&
	       microkit_msginfo_get_count(reply) == 1 && microkit_mr_get(0) == PP_REPLY(arg);
}

void init(void)
{
}

void notified(microkit_channel ch)
{
	volatile uint64_t *seq = (volatile uint64_t *)poker_seq;

	if (ch < POKER_NSEQ)
		seq[ch]++;
	if (ch == CH_PP) {
		microkit_notify(call_pdtest() ? CH_PP_OK : CH_PP_BAD);
		return;
	}
	microkit_notify(ch);
}
