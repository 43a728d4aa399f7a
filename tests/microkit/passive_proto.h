/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The protocol between passive.system's two PDs: pserver (a passive
 * domain PD, pserver.c) and pcaller (pcaller.c), which calls it.
 *
 * Every call carries its sequence number (1, 2, ...) in MR 0; pserver's
 * protected() checks it and answers label PS_OK with it in MR 0 (else
 * PS_BAD).  The value a green thread of pserver writes for call n is
 * PS_ANSWER(n), in the shared page's `answer`: pcaller reads it after its
 * ppcall has returned, so it is there only if the domain ran before the
 * reply went out.
 */
#ifndef TESTS_MICROKIT_PASSIVE_PROTO_H
#define TESTS_MICROKIT_PASSIVE_PROTO_H

#include <stdint.h>

#define PS_CH_PP 0    /* pcaller's end pp="true": it calls pserver */
#define PS_CH_NTFY 1  /* notifications both ways */
#define PS_CH_TIMER 2 /* pserver's generic timer <irq> */
#define PS_EV_BIT 8   /* the event bit protected() raises (no channel) */

/* Labels of pcaller's calls. */
#define PS_EVENT 1 /* protected() raises PS_EV_BIT (mk_microkit_notified):
		      the domain runs after protected() has returned */
#define PS_SEM 2   /* protected() posts a dom semaphore: the domain runs
		      inside the post, before protected() returns */
#define PS_SLEEP 3 /* protected() starts the sleeper: naps of 1 ms, at
		      least PS_SLEEPS and until one has ended on a timer
		      interrupt, then a notification to pcaller on
		      PS_CH_NTFY */
#define PS_STATS 4 /* pserver answers PS_ST_* in MR 0.. */

#define PS_OK 0x50
#define PS_BAD 0x51

#define PS_ANSWER(n) ((uint64_t)(n) * 3)
#define PS_SLEEPS 3
#define PS_SLEEPS_MAX 1000 /* the bound of the naps */

/* PS_STATS's reply: MR i is this. */
enum {
	PS_ST_CALLS,	   /* protected() calls before this one */
	PS_ST_BAD,	   /* calls that broke the protocol */
	PS_ST_IN_PLACE,	   /* mk_microkit_stats.in_place_receives */
	PS_ST_DIRECT,	   /* .direct_wakes */
	PS_ST_RESUMES,	   /* .resumes */
	PS_ST_TIMER_IRQS,  /* .timer_irqs */
	PS_ST_NAP_IRQS,	   /* timer interrupts during the sleeper's naps */
	PS_ST_EARLY,	   /* naps that ended before their deadline */
	PS_ST_NOTIFIED,	   /* wake-ups of the thread waiting for PS_CH_NTFY */
	PS_ST_N
};

/* The page both map (pserver writes, pcaller reads). */
struct ps_shared {
	uint64_t answer;     /* PS_ANSWER(n) of the last call n a thread saw */
	uint64_t notified;   /* wake-ups for pcaller's notifications */
	uint64_t slept;      /* naps the sleeper finished (when it notifies) */
};

#endif
