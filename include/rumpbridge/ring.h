/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * comp_ring: single-producer single-consumer queues of buffer descriptors
 * over a shared memory region, with the sDDF signalling protocol.
 *
 * A ring connects two sides.  The PRODUCER side fills buffers and passes
 * them to the CONSUMER side; the consumer hands the emptied buffers back.
 * Two queues carry the descriptors, as in sDDF:
 *
 *   active queue   producer -> consumer   buffers full of data
 *   free queue     consumer -> producer   buffers to fill again
 *
 * Each side thus produces into one queue (its "out" queue) and consumes
 * from the other (its "in" queue); comp_ring_enqueue writes to the out
 * queue, comp_ring_dequeue reads the in queue, whichever the side is.  A
 * descriptor names bytes of the data region, which lives in the same
 * memory region after the queues (docs/rings.md has the layout byte by
 * byte, and the protocol).
 *
 * Signals.  The two sides share a channel: each can signal the other
 * (struct comp_ring_channel: a function and a context, e.g. a bit of the
 * peer's mk_notification, a Microkit channel, a domain event bit).  No
 * signal is sent per descriptor: a side that is about to sleep sets a
 * "signal wanted" flag in shared memory, re-checks the queue, and sleeps;
 * the other side signals only when it finds the flag set, and clears it.
 * A consumer that waits for data sets the in queue's consumer flag; a
 * producer that waits for space (back-pressure) sets the out queue's
 * producer flag.  Under load a side seldom runs dry, so signals are rare
 * (about one per hundred descriptors between busy processes), and with a
 * few microseconds of polling before sleeping (spin_ns) next to none.
 *
 * Trust.  The peer is not trusted: everything it writes to shared memory
 * (its index, the descriptors, the flags) is read once into private
 * memory and checked before use.  An index that moved impossibly is
 * -EPROTO; a descriptor outside the data region is -EBADMSG.  Neither
 * ever crashes the caller.  The data bytes themselves may still change
 * under the reader while the peer misbehaves: copy before validating.
 * A ring's private state lives in struct comp_ring, which the caller owns
 * and which is never shared.
 *
 * Threads.  Each side is used by one thread at a time (single producer,
 * single consumer per queue).  Blocking calls (COMP_RING_WAIT,
 * comp_ring_wait_until) sleep in the channel's wait function: use
 * comp_ring_notification_wait from plain host threads (it blocks on an
 * mk_notification) and comp_ring_dom_wait from green threads of a domain
 * or entered host threads (dom_event_wait: the other green threads keep
 * running).
 *
 * Errors, for every function: 0 (or a count) on success, a negative
 * errno code on failure, as in mk.h:
 *   -EINVAL     NULL argument or argument out of range;
 *   -EBADF      the handle was not attached (or was detached);
 *   -EPROTO     the peer's index is impossible (the ring is corrupt or
 *               the peer hostile): nothing was transferred;
 * plus the codes listed at each function.
 */
#ifndef RUMPBRIDGE_RING_H
#define RUMPBRIDGE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/mk.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Shared layout (docs/rings.md).  Offsets from the start of the region. */

#define COMP_RING_PAGE 4096u
#define COMP_RING_MAGIC UINT64_C(0x31474e4952425200) /* "\0RBRING1" little-endian */
#define COMP_RING_VERSION 1u
#define COMP_RING_CAPACITY_MIN 2u
#define COMP_RING_CAPACITY_MAX (1u << 20)

/* Page 0: written once by comp_ring_format, then only read. */
struct comp_ring_header {
	uint64_t magic;	    /* 0x00 COMP_RING_MAGIC */
	uint32_t version;   /* 0x08 COMP_RING_VERSION */
	uint32_t capacity;  /* 0x0c descriptors per queue, a power of two */
	uint64_t data_off;  /* 0x10 where the data region starts */
	uint64_t data_size; /* 0x18 its size in bytes */
	uint64_t buf_size;  /* 0x20 buffer size the free queue was filled with (0: none) */
	uint64_t total;	    /* 0x28 bytes of the whole layout */
};

/* One control page per queue (page 1: active, page 2: free).  Each word
 * sits on its own 64-byte line so the two sides do not share a line they
 * both write under load. */
struct comp_ring_ctl {
	MK_ATOMIC(uint32_t) tail; /* 0x00 next slot to fill: written by the queue's producer */
	uint8_t pad0_[60];
	MK_ATOMIC(uint32_t) head; /* 0x40 next slot to take: written by the queue's consumer */
	uint8_t pad1_[60];
	/* 0x80 1: the consumer is about to sleep until the queue is not
	 * empty.  Set by the consumer; cleared by the producer when it
	 * signals, or by the consumer when it finds data after all. */
	MK_ATOMIC(uint32_t) consumer_wants;
	uint8_t pad2_[60];
	/* 0xc0 1: the producer is about to sleep until the queue is not
	 * full.  Set by the producer; cleared by the consumer when it
	 * signals, or by the producer when it finds space after all. */
	MK_ATOMIC(uint32_t) producer_wants;
	uint8_t pad3_[60];
};

/* A descriptor: 16 bytes, written by the queue's producer. */
struct comp_ring_desc {
	uint64_t offset; /* first byte, from the start of the data region */
	uint32_t len;	 /* bytes; offset + len <= data_size */
	uint32_t cookie; /* free for the protocol above; never interpreted */
};

/* Bytes a ring of capacity descriptors per queue and data_size bytes of
 * data needs (page-rounded), or 0 when capacity is not a power of two in
 * [COMP_RING_CAPACITY_MIN, COMP_RING_CAPACITY_MAX] or the size overflows. */
size_t comp_ring_size(uint32_t capacity, uint64_t data_size);

/* Lay a ring out in mem (size bytes, at least 64-byte aligned; a memory
 * region is page-aligned), zero its header and queues (not the data), and,
 * when buf_size is not 0, fill the free queue with the buffers
 * [i*buf_size, (i+1)*buf_size) of the data region, as many as fit in the
 * region and the queue (none if buf_size > data_size).  Done once, by
 * whoever creates the region (the launcher, or one side before the other
 * attaches), never while a side is attached.  data_size 0 makes a ring of
 * bare descriptors (offset and len must then be 0; the cookie is the
 * message).  Errors: -EINVAL (mem NULL or misaligned, capacity not a
 * power of two in range, buf_size over UINT32_MAX), -ERANGE (size smaller
 * than comp_ring_size, or a data_size no size_t can hold). */
int comp_ring_format(void *mem, size_t size, uint32_t capacity, uint64_t data_size,
		     uint64_t buf_size);

/* ------------------------------------------------------------------ */
/* The channel: how a side signals its peer and sleeps until signalled.  */

struct comp_ring_channel {
	/* Wake the peer (it may be asleep in its wait function).  Called
	 * only when the peer asked for it.  Returns 0 or a negative errno,
	 * which the ring operation passes back (the descriptors themselves
	 * were transferred). */
	int (*signal)(void *ctx);
	void *signal_ctx;
	/* Sleep until the peer signalled (at once if a signal is already
	 * pending), or until deadline_ns (mk_clock_now_ns time; MK_FOREVER
	 * never): 0, -ETIMEDOUT, or another negative errno (passed back).
	 * Spurious returns are allowed.  NULL: this side never blocks
	 * (COMP_RING_WAIT is then -EOPNOTSUPP; an event-driven side uses
	 * comp_ring_want_data / comp_ring_want_space instead). */
	int (*wait)(void *ctx, uint64_t deadline_ns);
	void *wait_ctx;
	/* Before sleeping, poll the queue this long (ns; 0: sleep at once,
	 * as sDDF does).  A peer under load refills (or drains) the queue
	 * within a microsecond or two, far sooner than a sleep and a
	 * wake-up take (5-20 us on Linux), so a few microseconds of polling
	 * keep both sides awake and signal-free while traffic flows, and
	 * cost that much CPU when it stops.  The poll yields about every
	 * microsecond: a green (or entered) caller with dom_yield, so the
	 * other green threads of its vCPU run, then every caller to the
	 * host; time spent in the yields does not count. */
	uint32_t spin_ns;
};

/* Ready-made channel ends.  An mk_notification and one badge: signal ORs
 * the badge into the notification (the peer's); wait blocks on the
 * notification (ours) for the badge.  Bits of other badges that the wait
 * takes are kept in `stray` (the owner handles them); the wait never
 * blocks while stray holds the badge.  For plain host threads only: a
 * green thread must use comp_ring_dom_wait.  Use MK_SHARED notifications
 * between processes. */
struct comp_ring_notification {
	struct mk_notification *n;
	uint64_t badge;
	uint64_t stray;
};
/* ctx: a struct comp_ring_notification.  Errors of signal: -EINVAL (ctx
 * NULL), those of mk_notification_signal (-EINVAL badge 0, -EBADF,
 * -EPROTOTYPE).  Errors of wait: -EINVAL (ctx NULL or badge 0), those of
 * mk_notification_wait_until (-ETIMEDOUT, -EBADF, ...). */
int comp_ring_notification_signal(void *ctx);
int comp_ring_notification_wait(void *ctx, uint64_t deadline_ns);

/* A domain event: wait takes the bits of mask with dom_event_wait_until,
 * so the calling green thread (or entered host thread) sleeps while the
 * domain's other green threads run.  The peer signals the domain with
 * comp_ring_notification_signal on {dom_irq(d), mask} (an MK_SHARED
 * notification given as dom_config.irq when the peer is in another
 * process), or comp_ring_dom_signal.  Errors of wait: -EINVAL (ctx
 * NULL), those of dom_event_wait_until (-EPERM from a thread outside the
 * domain, -ETIMEDOUT). */
struct comp_ring_dom_event {
	struct dom *d;
	uint64_t mask;
};
/* ctx: a struct comp_ring_dom_event.  signal is dom_event_signal(d, mask);
 * errors: -EINVAL (ctx NULL), those of dom_event_signal. */
int comp_ring_dom_signal(void *ctx);
int comp_ring_dom_wait(void *ctx, uint64_t deadline_ns);

/* ------------------------------------------------------------------ */
/* A side's handle: private memory of the caller, never shared.          */

enum comp_ring_role {
	COMP_RING_PRODUCER = 1, /* enqueues active, dequeues free */
	COMP_RING_CONSUMER = 2, /* dequeues active, enqueues free */
};

struct comp_ring_stats {
	uint64_t enqueued;  /* descriptors put on the out queue */
	uint64_t dequeued;  /* good descriptors taken from the in queue */
	uint64_t bad;	    /* descriptors refused with -EBADMSG */
	uint64_t signals;   /* signals sent to the peer */
	uint64_t waits;	    /* calls of the channel's wait */
	uint64_t protocol;  /* -EPROTO seen */
};

struct comp_ring {
	uint32_t magic; /* private, as every field below */
	uint32_t role;
	uint32_t mask;	     /* capacity - 1 */
	uint32_t out_tail;   /* our copy of the out queue's tail (we own it) */
	uint32_t out_head;   /* the peer's out head, as last read and checked */
	uint32_t in_head;    /* our copy of the in queue's head (we own it) */
	uint32_t in_tail;    /* the peer's in tail, as last read and checked */
	uint32_t dirty;	     /* what comp_ring_notify must look at */
	struct comp_ring_ctl *out, *in;
	struct comp_ring_desc *out_desc, *in_desc;
	unsigned char *data;
	uint64_t data_size;
	struct comp_ring_channel ch;
	struct comp_ring_stats stats;
};

/* Attach the caller's side to a ring that comp_ring_format laid out in
 * mem (size bytes: the caller's mapping of the region).  The header is
 * read once and checked against size; if capacity is not 0 it must match
 * too.  The side's indices start from what shared memory holds now.  ch
 * is copied; ch->signal is required, ch->wait may be NULL.  Errors:
 * -EINVAL (NULL, bad role, ch->signal NULL), -EBADMSG (no ring header,
 * another version, or a header that does not fit in size), -ERANGE
 * (capacity differs from the header's), -EPROTO (the queues' indices are
 * already impossible). */
int comp_ring_attach(struct comp_ring *r, void *mem, size_t size, enum comp_ring_role role,
		     uint32_t capacity, const struct comp_ring_channel *ch);

/* Forget the ring: later calls on r return -EBADF.  Sends what
 * comp_ring_notify would first.  Errors: -EBADF, and those of signal. */
int comp_ring_detach(struct comp_ring *r);

/* Geometry: descriptors per queue, the data region (in the caller's
 * mapping) and its size.  0 / NULL on a handle that is not attached. */
uint32_t comp_ring_capacity(const struct comp_ring *r);
void *comp_ring_data(const struct comp_ring *r);
uint64_t comp_ring_data_size(const struct comp_ring *r);

/* The address of a descriptor's bytes, after checking them against the
 * data region: NULL when d is NULL, r not attached, or d outside. */
void *comp_ring_buf(const struct comp_ring *r, const struct comp_ring_desc *d);

/* Flags of the transfer calls. */
#define COMP_RING_WAIT 0x1u  /* block instead of failing with -EAGAIN */
#define COMP_RING_DEFER 0x2u /* do not signal now: comp_ring_notify later */

/* Put one descriptor on the out queue and, unless COMP_RING_DEFER, signal
 * the peer if it asked.  Descriptors the caller enqueues are checked as
 * the peer will check them (a bad one is -EBADMSG here, not at the peer).
 * Errors: -EAGAIN (full, without COMP_RING_WAIT), -EBADMSG (d outside the
 * data region), -EOPNOTSUPP (COMP_RING_WAIT but the channel has no wait
 * function), -EPROTO, the channel's errors. */
int comp_ring_enqueue(struct comp_ring *r, const struct comp_ring_desc *d, unsigned flags);

/* Put up to n descriptors on the out queue, with one index update and at
 * most one signal.  Without COMP_RING_WAIT: as many as fit, returns that
 * count (1..n), or -EAGAIN when none fit.  With COMP_RING_WAIT: all n,
 * sleeping while the queue is full, returns n (if a wait fails: the count
 * already queued, or the wait's error when none was).  A bad descriptor stops the
 * batch before it: the count of those before it, or -EBADMSG if it is the
 * first.  n 0 returns 0.  Errors: as comp_ring_enqueue. */
int comp_ring_enqueue_batch(struct comp_ring *r, const struct comp_ring_desc *d, unsigned n,
			    unsigned flags);

/* Take one descriptor from the in queue into *d; signal the peer if it
 * waits for space (unless COMP_RING_DEFER).  A descriptor outside the
 * data region is consumed and refused: -EBADMSG, *d untouched (counted in
 * stats.bad; take the next one with another call).  Errors: -EAGAIN
 * (empty, without COMP_RING_WAIT), -EBADMSG, -EOPNOTSUPP, -EPROTO, the
 * channel's errors. */
int comp_ring_dequeue(struct comp_ring *r, struct comp_ring_desc *d, unsigned flags);

/* Take up to n descriptors, with one index update and at most one signal.
 * Returns the count (1..n); with COMP_RING_WAIT sleeps until there is at
 * least one.  A bad descriptor ends the batch: the good ones before it
 * are returned and the bad one stays for the next call, which consumes
 * it and returns -EBADMSG.  n 0 returns 0.  Errors: as comp_ring_dequeue. */
int comp_ring_dequeue_batch(struct comp_ring *r, struct comp_ring_desc *d, unsigned n,
			    unsigned flags);

/* Signal the peer if something this side did since the last signal is
 * what it waits for (descriptors it waits for, or space).  Needed only
 * after COMP_RING_DEFER.  Errors: -EBADF, the channel's errors. */
int comp_ring_notify(struct comp_ring *r);

/* Descriptors in the in queue / free slots in the out queue, now (reads
 * the peer's index; a snapshot).  Errors: -EBADF, -EPROTO. */
int comp_ring_in_count(struct comp_ring *r);
int comp_ring_out_space(struct comp_ring *r);

/* For event-driven sides (a Microkit PD's notified()): ask for a signal
 * when the in queue is no longer empty (want_data) / the out queue no
 * longer full (want_space).  Returns 1 when the request is in place (the
 * queue is still empty / full: return to the event loop and a signal will
 * come), 0 when the queue changed meanwhile (the request is withdrawn:
 * process again).  Sends pending signals first (comp_ring_notify), since
 * the caller is about to go quiet.  Errors: -EBADF, -EPROTO, the
 * channel's errors. */
int comp_ring_want_data(struct comp_ring *r);
int comp_ring_want_space(struct comp_ring *r);

/* Sleep until the in queue holds a descriptor (COMP_RING_DATA) or the out
 * queue has a free slot (COMP_RING_SPACE), or deadline_ns passes
 * (MK_FOREVER never).  Returns 0 at once if it is so already.  Errors:
 * -ETIMEDOUT, -EOPNOTSUPP (no wait function), -EINVAL (what not one of
 * the two), -EBADF, -EPROTO, the channel's errors. */
#define COMP_RING_DATA 1u
#define COMP_RING_SPACE 2u
int comp_ring_wait_until(struct comp_ring *r, unsigned what, uint64_t deadline_ns);

/* A copy of the side's counters.  Errors: -EINVAL, -EBADF. */
int comp_ring_get_stats(const struct comp_ring *r, struct comp_ring_stats *s);

#ifdef __cplusplus
}
#endif
#endif
