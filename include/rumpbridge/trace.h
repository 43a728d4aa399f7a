/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dom trace: a timeline of what a domain did.
 *
 * While a domain is traced, its scheduling points record events: green
 * threads created and exiting, switches on each vCPU, blocks and wake-ups
 * (who woke whom, green or host thread), event bits arriving and their
 * dispatch, timer expiries, host threads entering and leaving, vCPUs going
 * idle and waking.  Each host thread (so each vCPU) writes its own ring
 * buffer without locks; a full buffer overwrites its oldest events and
 * counts them as dropped.  Timestamps are mk_clock_now_ns
 * (CLOCK_MONOTONIC on Linux), so the traces of several processes merge
 * onto one timeline.  tools/rumpbridge-trace turns a trace file into
 * Chrome trace-event JSON (Perfetto, chrome://tracing) or a PNG;
 * docs/tracing.md describes the events and the file format.
 *
 * Recording is process-wide: one set of buffers, shared by every traced
 * domain (at most DOM_TRACE_DOMAINS at a time).  Untraced, each point
 * costs one load and one predicted branch.
 *
 * The environment variable RUMPBRIDGE_TRACE=FILE traces every domain
 * from dom_create; dom_destroy of the last traced domain writes FILE.
 *
 * Components (src/comp, rumpbridge-run --trace) record their channel
 * notifications and PPCs as well (DOM_TR_COMP_*): a process without a
 * domain (a native PD) records under a trace source, a pseudo-domain
 * named after the PD (dom_trace_source_start).
 */
#ifndef RUMPBRIDGE_TRACE_H
#define RUMPBRIDGE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include <rumpbridge/dom.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DOM_TRACE_ENV "RUMPBRIDGE_TRACE"
#define DOM_TRACE_DOMAINS 16
#define DOM_TRACE_EVENTS_DEFAULT 65536u /* per buffer */
#define DOM_TRACE_EVENTS_MAX (1u << 24)

/* Event types (struct dom_trace_event.type). */
enum dom_trace_type {
	DOM_TR_THREAD_CREATE = 1, /* a: thread, b: creator (0: none), name */
	DOM_TR_THREAD_EXIT = 2,	  /* a: thread, name */
	DOM_TR_SWITCH = 3,	  /* a: prev, b: next, c: DOM_TR_IDLE_* bits, name: next */
	DOM_TR_BLOCK = 4,	  /* a: thread, c: the wait queue (0: a sleep), name */
	DOM_TR_WAKE = 5,	  /* a: waker (0: not a domain thread), b: woken, name: woken */
	DOM_TR_EVENT_ARRIVE = 6,  /* a: event bits delivered */
	DOM_TR_EVENT_DISPATCH = 7, /* a: bit, b: handler */
	DOM_TR_TIMER_EXPIRE = 8,  /* a: thread whose timeout fired, name */
	DOM_TR_HOST_ENTER = 9,	  /* a: host record, name */
	DOM_TR_HOST_LEAVE = 10,	  /* a: host record, name */
	DOM_TR_VCPU_IDLE = 11,	  /* a: vCPU id */
	DOM_TR_VCPU_WAKE = 12,	  /* a: vCPU id */
	DOM_TR_HOST_RESUME = 13,  /* a: host record back from a block, name */
	DOM_TR_EVENT_SIGNAL = 14, /* a: event bits signalled (dom_event_signal) */
	/* Components (dom_trace_record).  A channel key is (PD index in the
	 * system file << 32 | that PD's channel id) of the receiving end, so
	 * both ends of a channel record the same key; a PPC token is the
	 * caller's (PD index + 1) << 40 | its call count, which the server
	 * records too. */
	DOM_TR_COMP_NOTIFY = 15,    /* a: channel, b: the receiver's channel key */
	DOM_TR_COMP_NOTIFIED = 16,  /* a: channel, b: own channel key, c: DOM_TR_COMP_* how */
	DOM_TR_COMP_NOTIFIED_END = 17, /* a: channel (notified() returned) */
	DOM_TR_COMP_PPCALL = 18,    /* a: channel, b: the server's channel key, c: token */
	DOM_TR_COMP_PROTECTED = 19, /* a: channel, b: own channel key, c: token */
	DOM_TR_COMP_PROTECTED_END = 20, /* a: channel, c: token (before the reply) */
	DOM_TR_COMP_REPLY = 21,	    /* a: channel, b: 0 or the failure (-errno), c: token */
};
#define DOM_TR_COMP_FIRST DOM_TR_COMP_NOTIFY
#define DOM_TR_COMP_LAST DOM_TR_COMP_REPLY
/* DOM_TR_COMP_NOTIFIED.c: how the notification was taken */
#define DOM_TR_COMP_HANDLER 0u /* notified() runs (DOM_TR_COMP_NOTIFIED_END follows) */
#define DOM_TR_COMP_WAITER 1u  /* a green thread's comp_channel_wait returned */
#define DOM_TR_IDLE_PREV 0x1u /* DOM_TR_SWITCH: prev is the vCPU's idle context */
#define DOM_TR_IDLE_NEXT 0x2u /* DOM_TR_SWITCH: next is the vCPU's idle context */

/* One event: 64 bytes, as in the file. */
struct dom_trace_event {
	uint64_t ts;   /* mk_clock_now_ns */
	uint16_t type; /* enum dom_trace_type */
	int16_t vcpu;  /* the vCPU it happened on; -1: a host thread */
	uint32_t reserved;
	uint64_t dom; /* the domain's id (its serial number) */
	uint64_t a, b, c;
	char name[16]; /* a thread name, see the type; NUL padded */
};

/* Start recording domain d, with buffers of `events` events (a power of
 * two; 0: DOM_TRACE_EVENTS_DEFAULT).  The buffers of the first traced
 * domain fix the size; host threads that already have a buffer keep it.
 * Starting when no domain is traced clears what was recorded before.
 * any.  Errors: -EINVAL (events not a power of two or above
 * DOM_TRACE_EVENTS_MAX), -EBADF (d destroyed), -EALREADY (d is traced),
 * -ENOSPC (DOM_TRACE_DOMAINS domains are traced), -ENOTSUP (built with
 * RUMPBRIDGE_TRACE=OFF). */
int dom_trace_start(struct dom *d, unsigned events);

/* Stop recording d; what was recorded stays until the next start from
 * nothing (dom_destroy of a traced domain stops it too).  any.  Errors:
 * -EINVAL (d NULL), -ENOENT (d is not traced). */
int dom_trace_stop(struct dom *d);

/* Write what was recorded, in the file format of docs/tracing.md, through
 * sink (called a few times, in order; a non-zero return stops the write
 * and is returned).  Only when no domain is traced (stop them first).
 * any thread that is not green.  Errors: -EINVAL (sink NULL), -EBUSY (a
 * domain is traced), or sink's error. */
int dom_trace_write(int (*sink)(void *arg, const void *buf, size_t len), void *arg);

/* dom_trace_write into the host file path (mk_file_write).  Errors: as
 * dom_trace_write, -EINVAL (path NULL), -ENOMEM (no memory for the file's
 * bytes, which are gathered first), and mk_file_write's. */
int dom_trace_save(const char *path);

/* Events dropped so far (overwritten in a full buffer), over all buffers. */
uint64_t dom_trace_dropped(void);

/* Trace sources: recording for a process rather than one domain.
 *
 * dom_trace_source_start starts recording a pseudo-domain named `name`
 * (cut to DOM_NAME_MAX characters), with buffers as dom_trace_start's,
 * and returns its id (never a domain's id) in *id.  With
 * DOM_TRACE_FOLLOW every domain created in this process from now on is
 * traced too (dom_create starts it, as RUMPBRIDGE_TRACE does, without
 * writing a file).  dom_trace_record(id, ...) records one event of type
 * DOM_TR_COMP_FIRST..DOM_TR_COMP_LAST under a source or a domain
 * (dom_trace_id); dom_trace_stop_all ends every recording of the process
 * (sources, domains), after which dom_trace_write writes it.  The file
 * lists a source as a domain whose id has DOM_TRACE_SOURCE_BIT set.
 *
 * dom_trace_source_start: any.  Errors: -EINVAL (name or id NULL, or
 * events as for dom_trace_start), -ENOSPC (DOM_TRACE_DOMAINS domains and
 * sources are traced), -ENOTSUP (built with RUMPBRIDGE_TRACE=OFF).
 * dom_trace_record: any thread, green or host; never blocks.  Returns 0
 * (recorded) or -ENOENT (id is not traced now: tracing off, or stopped),
 * -EINVAL (type not a component event), -ENOMEM (no buffer for this
 * host thread).
 * dom_trace_id: a domain's id for dom_trace_record (0 for NULL).
 * dom_trace_stop_all: any.  Returns how many recordings it stopped. */
#define DOM_TRACE_FOLLOW 0x1u
#define DOM_TRACE_SOURCE_BIT (1ull << 63)
int dom_trace_source_start(const char *name, unsigned events, unsigned flags, uint64_t *id);
int dom_trace_record(uint64_t id, unsigned type, uint64_t a, uint64_t b, uint64_t c,
		     const char *name);
uint64_t dom_trace_id(const struct dom *d);
int dom_trace_stop_all(void);

#ifdef __cplusplus
}
#endif

#endif
