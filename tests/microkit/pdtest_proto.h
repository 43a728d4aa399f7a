/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What pdtest (pdtest.c, pdtest_inplace.c) and the poker PD (poker.c) agree
 * on: the channels of pdtest.system (the same id at both ends), the page
 * they share, and the protected procedure call the poker makes into
 * pdtest.
 */
#ifndef TESTS_MICROKIT_PDTEST_PROTO_H
#define TESTS_MICROKIT_PDTEST_PROTO_H

#define CH_TIMER 2 /* pdtest's timer <irq> */
#define CH_POKER 3 /* the poker answers each notification with one back */
#define CH_ORDER 4 /* the same, for pdtest_inplace.c's "order" */
#define CH_RT 5	   /* the same, for the server round trip ("roundtrip") */
#define CH_HS 6	   /* the same, for "hstack" */
#define CH_PP 7	   /* pp="true" at the poker: a notification makes it call pdtest */
#define CH_PP_OK 8  /* the poker found pdtest's reply right */
#define CH_PP_BAD 9 /* ... wrong */

/* The shared page (pdtest maps it read-only): seq[ch] counts the
 * notifications the poker received on channel ch, written before it
 * answers. */
#define POKER_NSEQ 16

/* The call: label PP_LABEL, one word, PP_ARG(n) for the poker's n-th call
 * (from 1); the reply: label PP_REPLY_LABEL, one word, PP_REPLY(arg). */
#define PP_LABEL 0x7a
#define PP_REPLY_LABEL 0x3c
#define PP_ARG(n) (0x5050000000000000ull + (n))
#define PP_REPLY(arg) (~(arg) ^ 0x00ff00ff00ff00ffull)

#endif
