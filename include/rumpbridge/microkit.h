/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A Microkit-compatible component API for protection domains (PDs) that
 * run as Linux processes under rumpbridge-run.
 *
 * A PD's C source written for the seL4 Microkit 2.0.1 (init, notified,
 * protected, fault, the microkit_* calls, setvar_vaddr variables,
 * microkit_name) compiles unchanged against this header: put
 * include/rumpbridge on the include path so that `#include <microkit.h>`
 * finds it, and link the PD runtime (librumpbridge_pd.a), which provides
 * main() and the event loop.  Link with -rdynamic (export-dynamic) so the
 * runtime can find setvar variables by name.  See docs/components.md.
 *
 * Semantics follow the Microkit's:
 *   - init() runs once at start (and again after a restart);
 *   - notified(ch) runs for each pending channel, lowest channel first;
 *     several notifications of one channel before it runs coalesce;
 *   - protected(ch, msginfo) runs for a PPC from the PD at the other end
 *     of channel ch; its return value and message registers are the reply;
 *   - fault(child, msginfo, &reply) runs in a parent PD when a child PD
 *     (nested <protection_domain id=...>) faults; msginfo's label is the
 *     seL4 fault type and the message registers carry the details;
 *   - a PD runs one entry point at a time; a passive PD runs only for PPCs.
 *
 * Linux differences (all documented in docs/components.md): a faulted PD
 * cannot be resumed (fault() returning true leaves it stopped; restart it
 * with microkit_pd_restart, which starts the program afresh: its globals
 * are re-initialised, the entry point argument is ignored); IRQs never
 * fire and microkit_irq_ack reports an error; a PPC to a PD that died
 * returns a message with label MICROKIT_PPC_FAILED.
 */
#ifndef RUMPBRIDGE_MICROKIT_H
#define RUMPBRIDGE_MICROKIT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the few seL4 types and calls that Microkit PD sources use ---- */

typedef unsigned long seL4_Word;
typedef uint8_t seL4_Uint8;
typedef uint16_t seL4_Uint16;
typedef uint32_t seL4_Uint32;
typedef uint64_t seL4_Uint64;
typedef int8_t seL4_Bool;
typedef seL4_Word seL4_CPtr;
#define seL4_True ((seL4_Bool)1)
#define seL4_False ((seL4_Bool)0)

/* Message info, laid out as seL4's: label(52) capsUnwrapped(3)
 * extraCaps(2) length(7). */
typedef struct seL4_MessageInfo {
	seL4_Word words[1];
} seL4_MessageInfo_t;

/* Message registers per PPC (seL4_MsgMaxLength). */
#define seL4_MsgMaxLength 120

/* seL4 fault types (the label of a fault message; aarch64 numbering). */
enum {
	seL4_Fault_NullFault = 0,
	seL4_Fault_CapFault = 1,
	seL4_Fault_UnknownSyscall = 2,
	seL4_Fault_UserException = 3,
	seL4_Fault_Timeout = 4,
	seL4_Fault_VMFault = 5,
};
/* Message registers of a VMFault (SIGSEGV, SIGBUS on Linux).  On Linux
 * FSR holds the signal number. */
enum { seL4_VMFault_IP = 0, seL4_VMFault_Addr = 1, seL4_VMFault_PrefetchFault = 2, seL4_VMFault_FSR = 3 };
/* ... and of a UserException (any other fatal signal): Number holds the
 * signal number. */
enum { seL4_UserException_FaultIP = 0, seL4_UserException_SP = 1, seL4_UserException_CPSR = 2,
       seL4_UserException_Number = 3, seL4_UserException_Code = 4 };

static inline seL4_MessageInfo_t seL4_MessageInfo_new(seL4_Uint64 label, seL4_Uint64 capsUnwrapped,
						      seL4_Uint64 extraCaps, seL4_Uint64 length)
{
	seL4_MessageInfo_t m;

	m.words[0] = (seL4_Word)(((label & 0xfffffffffffffull) << 12) | ((capsUnwrapped & 0x7u) << 9) |
				 ((extraCaps & 0x3u) << 7) | (length & 0x7fu));
	return m;
}
static inline seL4_Uint64 seL4_MessageInfo_get_label(seL4_MessageInfo_t m)
{
	return (m.words[0] >> 12) & 0xfffffffffffffull;
}
static inline seL4_Uint64 seL4_MessageInfo_get_length(seL4_MessageInfo_t m)
{
	return m.words[0] & 0x7fu;
}

/* The calling PD's message registers (its IPC buffer). */
extern seL4_Word microkit_rb_mrs[seL4_MsgMaxLength];
static inline void seL4_SetMR(int i, seL4_Word v)
{
	if (i >= 0 && i < seL4_MsgMaxLength)
		microkit_rb_mrs[i] = v;
}
static inline seL4_Word seL4_GetMR(int i)
{
	return i >= 0 && i < seL4_MsgMaxLength ? microkit_rb_mrs[i] : 0;
}

/* ---- Microkit ---- */

typedef unsigned int microkit_channel;
typedef unsigned int microkit_child;
typedef seL4_MessageInfo_t microkit_msginfo;

#define MICROKIT_MAX_CHANNELS 62
#define MICROKIT_MAX_CHANNEL_ID (MICROKIT_MAX_CHANNELS - 1)
#define MICROKIT_PD_NAME_LENGTH 64

/* The label of the reply microkit_ppcall returns when the call could not
 * be made or the callee died before replying (Linux only: on seL4 the
 * caller would block).  Count 0. */
#define MICROKIT_PPC_FAILED 0xfffffffffffffull

/* Entry points the PD provides (protected and fault are optional).
 * `protected` is a C++ keyword, so C++ code cannot define or name it: a PD
 * written in C++ keeps its entry points in a C file, as on the Microkit;
 * the rest of this header is usable from C++. */
void init(void);
void notified(microkit_channel ch);
#ifndef __cplusplus
microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo);
#endif
seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo);

/* Set by the runtime before init(), as the Microkit tool patches them. */
extern char microkit_name[MICROKIT_PD_NAME_LENGTH];
extern bool microkit_passive;
extern seL4_Word microkit_irqs;		 /* channels that are IRQs */
extern seL4_Word microkit_notifications; /* channels this PD may notify */
extern seL4_Word microkit_pps;		 /* channels this PD may PPC */

/* Debug console (the launcher's standard output).  A line is written at
 * once when it ends, so lines of different PDs do not mix. */
void microkit_dbg_putc(int c);
void microkit_dbg_puts(const char *s);
void microkit_dbg_put8(seL4_Uint8 x);
void microkit_dbg_put32(seL4_Uint32 x);

/* Signal the PD at the other end of ch.  An invalid channel (not one this
 * PD may notify) is reported on the console and ignored, as on seL4. */
void microkit_notify(microkit_channel ch);

/* As microkit_notify, but the signal is sent when the current entry point
 * returns (on seL4 it is combined with the next receive). */
void microkit_deferred_notify(microkit_channel ch);

/* Call the PD at the other end of ch (this end has pp="true"): its
 * protected() runs with msginfo and this PD's message registers; its reply
 * and message registers come back.  Invalid channel: reported, returns
 * label 0 count 0 (as on seL4).  Callee dead: returns MICROKIT_PPC_FAILED. */
microkit_msginfo microkit_ppcall(microkit_channel ch, microkit_msginfo msginfo);

/* IRQs do not exist on Linux: reports an error on the console. */
void microkit_irq_ack(microkit_channel ch);
void microkit_deferred_irq_ack(microkit_channel ch);

/* Start child PD `pd` (its id) again from the beginning; entry_point is
 * ignored on Linux.  Stop it.  An id that is not a child of this PD is
 * reported on the console. */
void microkit_pd_restart(microkit_child pd, seL4_Word entry_point);
void microkit_pd_stop(microkit_child pd);

static inline microkit_msginfo microkit_msginfo_new(seL4_Word label, seL4_Uint16 count)
{
	return seL4_MessageInfo_new(label, 0, 0, count);
}
static inline seL4_Word microkit_msginfo_get_label(microkit_msginfo msginfo)
{
	return (seL4_Word)seL4_MessageInfo_get_label(msginfo);
}
static inline seL4_Word microkit_msginfo_get_count(microkit_msginfo msginfo)
{
	return (seL4_Word)seL4_MessageInfo_get_length(msginfo);
}
static inline void microkit_mr_set(seL4_Uint8 mr, seL4_Word value)
{
	seL4_SetMR(mr, value);
}
static inline seL4_Word microkit_mr_get(seL4_Uint8 mr)
{
	return seL4_GetMR(mr);
}

#ifdef __cplusplus
}
#endif
#endif
