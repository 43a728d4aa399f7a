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
};
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
 * -ENOSPC (DOM_TRACE_DOMAINS domains are traced). */
int dom_trace_start(struct dom *d, unsigned events);

/* Stop recording d; what was recorded stays until the next start from
 * nothing.  any.  Errors: -EINVAL (d NULL), -ENOENT (d is not traced). */
int dom_trace_stop(struct dom *d);

/* Write what was recorded, in the file format of docs/tracing.md, through
 * sink (called a few times, in order; a non-zero return stops the write
 * and is returned).  Only when no domain is traced (stop them first).
 * any thread that is not green.  Errors: -EINVAL (sink NULL), -EBUSY (a
 * domain is traced), -ENOMEM, or sink's error. */
int dom_trace_write(int (*sink)(void *arg, const void *buf, size_t len), void *arg);

/* dom_trace_write into the host file path (mk_file_write).  Errors: as
 * dom_trace_write, -EINVAL (path NULL), and mk_file_write's. */
int dom_trace_save(const char *path);

/* Events dropped so far (overwritten in a full buffer), over all buffers. */
uint64_t dom_trace_dropped(void);

#ifdef __cplusplus
}
#endif

#endif
