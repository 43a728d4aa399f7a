/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * comp_ring: SPSC descriptor queues over shared memory, sDDF signalling.
 *
 * Indices are free-running 32-bit counters; slot = index & (capacity-1);
 * a queue holds tail - head descriptors (unsigned arithmetic), never more
 * than capacity.  Each side keeps the index it owns in private memory
 * (out_tail, in_head) and only ever stores it to shared memory, so a peer
 * that scribbles on it cannot make us skip or repeat slots.  The peer's
 * index is read once per refresh, checked (tail - head <= capacity), and
 * cached (out_head, in_tail): a side touches the peer's line only when its
 * cached view says "full" or "empty", so under load the lines move between
 * CPUs once per batch, not once per descriptor.
 *
 * Memory orders (the pairs):
 *   P1  producer: descriptor (and buffer) stores; store-release of tail
 *       consumer: load-acquire of tail; descriptor (and buffer) loads
 *   P2  consumer: descriptor loads; store-release of head
 *       producer: load-acquire of head; stores that reuse those slots
 *   P3  signal suppression (Dekker, modelled in tests/model/ring.pml):
 *       the side that transferred:  index store seq_cst ... load flag seq_cst
 *       the side about to sleep:    flag store seq_cst;     load index seq_cst
 *       All four are in the single total order S of seq_cst operations,
 *       which agrees with each thread's program order, so one of the two
 *       loads comes after the other side's store in S and sees it: either
 *       the sleeper sees the new index and does not sleep, or the other
 *       side sees the flag and signals.  (So the index stores of P1/P2
 *       are seq_cst, not just release: release/acquire never orders a
 *       store before a later load.  seq_cst operations rather than
 *       seq_cst fences: the same on the hardware (x86: xchg vs mov +
 *       mfence; AArch64: stlr/ldar vs stlr + dmb), and ThreadSanitizer
 *       understands them.)  With COMP_RING_DEFER the flag load comes
 *       later than the index store, which S does not mind.  The flags
 *       need no order beyond that: the wake-up's own synchronisation
 *       (the notification) and P1/P2 on the re-read index carry the data.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <rumpbridge/ring.h>

#define RING_LIVE 0x52494e47u /* "RING" */

#define DIRTY_OUT 0x1u /* we moved out->tail: the peer may want data */
#define DIRTY_IN 0x2u  /* we moved in->head: the peer may want space */

struct layout {
	uint64_t active_ctl, free_ctl, active_desc, free_desc, data_off, total;
};

static uint64_t page_up(uint64_t x)
{
	return (x + COMP_RING_PAGE - 1) & ~(uint64_t)(COMP_RING_PAGE - 1);
}

static bool capacity_ok(uint32_t cap)
{
	return cap >= COMP_RING_CAPACITY_MIN && cap <= COMP_RING_CAPACITY_MAX &&
	       (cap & (cap - 1)) == 0;
}

/* -EINVAL when capacity is bad, -ERANGE when the total does not fit in a
 * size_t. */
static int compute_layout(uint32_t cap, uint64_t data_size, struct layout *l)
{
	uint64_t ring = page_up((uint64_t)cap * sizeof(struct comp_ring_desc));

	if (!capacity_ok(cap))
		return -EINVAL;
	l->active_ctl = 1 * COMP_RING_PAGE;
	l->free_ctl = 2 * COMP_RING_PAGE;
	l->active_desc = 3 * COMP_RING_PAGE;
	l->free_desc = l->active_desc + ring;
	l->data_off = l->free_desc + ring;
	if (data_size > SIZE_MAX - l->data_off - COMP_RING_PAGE)
		return -ERANGE;
	l->total = l->data_off + page_up(data_size);
	return 0;
}

size_t comp_ring_size(uint32_t capacity, uint64_t data_size)
{
	struct layout l;

	if (compute_layout(capacity, data_size, &l) != 0)
		return 0;
	return (size_t)l.total;
}

int comp_ring_format(void *mem, size_t size, uint32_t capacity, uint64_t data_size,
		     uint64_t buf_size)
{
	struct comp_ring_header *h = mem;
	struct comp_ring_ctl *fc;
	struct comp_ring_desc *fd;
	struct layout l;
	uint64_t n;
	int r;

	if (mem == NULL || ((uintptr_t)mem & 63) != 0 || buf_size > UINT32_MAX)
		return -EINVAL;
	if ((r = compute_layout(capacity, data_size, &l)) != 0)
		return r == -ERANGE ? -ERANGE : -EINVAL;
	if (size < l.total)
		return -ERANGE;
	/* The header and the queues; the data bytes are the user's. */
	memset(mem, 0, (size_t)l.data_off);
	h->version = COMP_RING_VERSION;
	h->capacity = capacity;
	h->data_off = l.data_off;
	h->data_size = data_size;
	h->buf_size = buf_size;
	h->total = l.total;
	if (buf_size != 0) {
		fc = (struct comp_ring_ctl *)((char *)mem + l.free_ctl);
		fd = (struct comp_ring_desc *)((char *)mem + l.free_desc);
		n = data_size / buf_size;
		if (n > capacity)
			n = capacity;
		for (uint64_t i = 0; i < n; i++)
			fd[i] = (struct comp_ring_desc){i * buf_size, (uint32_t)buf_size,
							(uint32_t)i};
		atomic_store_explicit(&fc->tail, (uint32_t)n, memory_order_relaxed);
	}
	/* Last, with release: a side that sees the magic (after whatever
	 * handed it the region) sees the whole layout. */
	atomic_store_explicit((_Atomic uint64_t *)&h->magic, COMP_RING_MAGIC, memory_order_release);
	return 0;
}

static int check(const struct comp_ring *r)
{
	if (r == NULL)
		return -EINVAL;
	if (r->magic != RING_LIVE)
		return -EBADF;
	return 0;
}

/* A descriptor inside the data region (no overflow: len is at most
 * UINT32_MAX and offset is checked first). */
static bool desc_ok(const struct comp_ring *r, uint64_t offset, uint32_t len)
{
	return offset <= r->data_size && len <= r->data_size - offset;
}

int comp_ring_attach(struct comp_ring *r, void *mem, size_t size, enum comp_ring_role role,
		     uint32_t capacity, const struct comp_ring_channel *ch)
{
	const volatile struct comp_ring_header *sh = mem;
	struct comp_ring_header h;
	struct comp_ring_ctl *actl, *fctl;
	struct comp_ring_desc *adesc, *fdesc;
	struct layout l;
	uint32_t t, hd;

	if (r == NULL || mem == NULL || ch == NULL || ch->signal == NULL ||
	    (role != COMP_RING_PRODUCER && role != COMP_RING_CONSUMER) ||
	    ((uintptr_t)mem & 63) != 0)
		return -EINVAL;
	if (size < sizeof(h))
		return -EBADMSG;
	/* Read the header once; everything below uses the copy. */
	h.magic = atomic_load_explicit((_Atomic uint64_t *)mem, memory_order_acquire);
	h.version = sh->version;
	h.capacity = sh->capacity;
	h.data_off = sh->data_off;
	h.data_size = sh->data_size;
	h.total = sh->total;
	if (h.magic != COMP_RING_MAGIC || h.version != COMP_RING_VERSION)
		return -EBADMSG;
	if (compute_layout(h.capacity, h.data_size, &l) != 0 || l.data_off != h.data_off ||
	    l.total != h.total || l.total > size)
		return -EBADMSG;
	if (capacity != 0 && capacity != h.capacity)
		return -ERANGE;

	actl = (struct comp_ring_ctl *)((char *)mem + l.active_ctl);
	fctl = (struct comp_ring_ctl *)((char *)mem + l.free_ctl);
	adesc = (struct comp_ring_desc *)((char *)mem + l.active_desc);
	fdesc = (struct comp_ring_desc *)((char *)mem + l.free_desc);
	memset(r, 0, sizeof(*r));
	r->role = role;
	r->mask = h.capacity - 1;
	if (role == COMP_RING_PRODUCER) {
		r->out = actl, r->out_desc = adesc;
		r->in = fctl, r->in_desc = fdesc;
	} else {
		r->out = fctl, r->out_desc = fdesc;
		r->in = actl, r->in_desc = adesc;
	}
	r->data = (unsigned char *)mem + l.data_off;
	r->data_size = h.data_size;
	r->ch = *ch;

	/* Start from what shared memory holds: our own index as we (or a
	 * previous incarnation of this side) left it, the peer's with P1/P2. */
	t = atomic_load_explicit(&r->out->tail, memory_order_relaxed);
	hd = atomic_load_explicit(&r->out->head, memory_order_acquire); /* P2 */
	if (t - hd > h.capacity)
		return -EPROTO;
	r->out_tail = t, r->out_head = hd;
	hd = atomic_load_explicit(&r->in->head, memory_order_relaxed);
	t = atomic_load_explicit(&r->in->tail, memory_order_acquire); /* P1 */
	if (t - hd > h.capacity)
		return -EPROTO;
	r->in_head = hd, r->in_tail = t;
	r->magic = RING_LIVE;
	return 0;
}

uint32_t comp_ring_capacity(const struct comp_ring *r)
{
	return check(r) == 0 ? r->mask + 1 : 0;
}

void *comp_ring_data(const struct comp_ring *r)
{
	return check(r) == 0 ? r->data : NULL;
}

uint64_t comp_ring_data_size(const struct comp_ring *r)
{
	return check(r) == 0 ? r->data_size : 0;
}

void *comp_ring_buf(const struct comp_ring *r, const struct comp_ring_desc *d)
{
	if (d == NULL || check(r) != 0 || !desc_ok(r, d->offset, d->len))
		return NULL;
	return r->data + d->offset;
}

int comp_ring_get_stats(const struct comp_ring *r, struct comp_ring_stats *s)
{
	int e = check(r);

	if (e != 0)
		return e;
	if (s == NULL)
		return -EINVAL;
	*s = r->stats;
	return 0;
}

/* ---- the peer's indices, read once and checked ---- */

/* Free slots of the out queue, re-reading the peer's head with order mo
 * (acquire, P2: the consumer's reads of the slots it gave back happen
 * before our stores into them; seq_cst in arm(), P3). */
static int refresh_out_mo(struct comp_ring *r, memory_order mo)
{
	uint32_t h = atomic_load_explicit(&r->out->head, mo);

	if (r->out_tail - h > r->mask + 1) {
		r->stats.protocol++;
		return -EPROTO;
	}
	r->out_head = h;
	return (int)(r->mask + 1 - (r->out_tail - h));
}

/* Descriptors in the in queue, re-reading the peer's tail with order mo
 * (acquire, P1: the producer's descriptor stores are visible; seq_cst in
 * arm(), P3). */
static int refresh_in_mo(struct comp_ring *r, memory_order mo)
{
	uint32_t t = atomic_load_explicit(&r->in->tail, mo);

	if (t - r->in_head > r->mask + 1) {
		r->stats.protocol++;
		return -EPROTO;
	}
	r->in_tail = t;
	return (int)(t - r->in_head);
}

static int refresh_in(struct comp_ring *r)
{
	return refresh_in_mo(r, memory_order_acquire);
}

static int refresh_out(struct comp_ring *r)
{
	return refresh_out_mo(r, memory_order_acquire);
}

int comp_ring_in_count(struct comp_ring *r)
{
	int e = check(r);

	return e != 0 ? e : refresh_in(r);
}

int comp_ring_out_space(struct comp_ring *r)
{
	int e = check(r);

	return e != 0 ? e : refresh_out(r);
}

/* ---- signals ---- */

static int do_notify(struct comp_ring *r)
{
	bool sig = false;

	if (r->dirty == 0)
		return 0;
	/* P3: seq_cst loads, after our seq_cst index store (made by the
	 * caller); pair with arm() on the peer's side.  The exchange makes
	 * one request earn one signal. */
	if ((r->dirty & DIRTY_OUT) != 0 &&
	    atomic_load_explicit(&r->out->consumer_wants, memory_order_seq_cst) != 0 &&
	    atomic_exchange_explicit(&r->out->consumer_wants, 0, memory_order_relaxed) != 0)
		sig = true;
	if ((r->dirty & DIRTY_IN) != 0 &&
	    atomic_load_explicit(&r->in->producer_wants, memory_order_seq_cst) != 0 &&
	    atomic_exchange_explicit(&r->in->producer_wants, 0, memory_order_relaxed) != 0)
		sig = true;
	r->dirty = 0;
	if (!sig)
		return 0;
	r->stats.signals++;
	return r->ch.signal(r->ch.signal_ctx);
}

int comp_ring_notify(struct comp_ring *r)
{
	int e = check(r);

	return e != 0 ? e : do_notify(r);
}

/* Ask for a signal when the in queue is not empty (COMP_RING_DATA) or the
 * out queue not full (COMP_RING_SPACE).  1: armed, the condition is
 * still false; 0: it became true, the request is withdrawn. */
static int arm(struct comp_ring *r, unsigned what)
{
	_Atomic uint32_t *flag =
		what == COMP_RING_DATA ? &r->in->consumer_wants : &r->out->producer_wants;
	int n;

	/* P3: the flag store before the index load, both seq_cst; pairs
	 * with the index store and do_notify on the peer's side. */
	atomic_store_explicit(flag, 1, memory_order_seq_cst);
	n = what == COMP_RING_DATA ? refresh_in_mo(r, memory_order_seq_cst)
				   : refresh_out_mo(r, memory_order_seq_cst);
	if (n != 0) {
		/* Data (space) arrived, or the ring is corrupt: withdraw, so
		 * the peer does not signal for nothing (if it already took
		 * the flag, one spurious wake-up follows, which is harmless). */
		atomic_store_explicit(flag, 0, memory_order_relaxed);
		return n < 0 ? n : 0;
	}
	return 1;
}

static int want(struct comp_ring *r, unsigned what)
{
	int e = check(r), n;

	if (e != 0)
		return e;
	/* The caller is about to go quiet: the peer must hear what we did
	 * first, or both sides could wait for each other. */
	if ((e = do_notify(r)) != 0)
		return e;
	n = what == COMP_RING_DATA ? refresh_in(r) : refresh_out(r);
	if (n != 0)
		return n < 0 ? n : 0;
	return arm(r, what);
}

int comp_ring_want_data(struct comp_ring *r)
{
	return want(r, COMP_RING_DATA);
}

int comp_ring_want_space(struct comp_ring *r)
{
	return want(r, COMP_RING_SPACE);
}

/* Poll for the condition for up to ch.spin_ns (and not past deadline_ns)
 * before the caller sleeps: 1 came true, 0 did not, or an error.  The
 * caller has sent its pending signals: the peer may be waiting for them.
 * Every 32 polls (about a microsecond) it reads the clock and yields; the
 * budget counts the polling only, not the time others ran in the yield
 * (a green peer on the same vCPU may fill the whole ring meanwhile). */
static int spin(struct comp_ring *r, unsigned what, uint64_t deadline_ns)
{
	uint64_t spent = 0, last = mk_clock_now_ns(), now;
	int n;

	for (unsigned i = 1;; i++) {
		n = what == COMP_RING_DATA ? refresh_in(r) : refresh_out(r);
		if (n != 0)
			return n < 0 ? n : 1;
		mk_cpu_relax();
		if ((i & 31) != 0)
			continue;
		now = mk_clock_now_ns();
		spent += now - last;
		if (spent >= r->ch.spin_ns || now >= deadline_ns)
			return 0;
		/* Let whatever else wants this CPU run: the other green
		 * threads of the vCPU for a green caller, then the host's
		 * other threads, the peer among them when the host is
		 * oversubscribed (measured: polling without the host yield
		 * is slower than sleeping on a loaded machine, for plain and
		 * green callers alike).  With nothing else to run both
		 * return at once. */
		if (dom_self() != NULL)
			dom_yield();
		mk_thread_yield();
		last = mk_clock_now_ns();
	}
}

static int wait_for(struct comp_ring *r, unsigned what, uint64_t deadline_ns)
{
	_Atomic uint32_t *flag =
		what == COMP_RING_DATA ? &r->in->consumer_wants : &r->out->producer_wants;
	int e, n;

	if (r->ch.wait == NULL)
		return -EOPNOTSUPP;
	if (r->ch.spin_ns != 0) {
		if ((e = do_notify(r)) != 0)
			return e;
		if ((e = spin(r, what, deadline_ns)) != 0)
			return e < 0 ? e : 0;
	}
	for (;;) {
		e = want(r, what);
		if (e <= 0)
			return e; /* ready (0) or an error */
		r->stats.waits++;
		e = r->ch.wait(r->ch.wait_ctx, deadline_ns);
		/* Withdraw the request: the peer cleared it if it signalled,
		 * but a wake-up for the other direction (the channel is
		 * shared) or a timeout leaves it set, and a stale request
		 * costs a needless signal.  want() sets it again if we must
		 * sleep once more. */
		atomic_store_explicit(flag, 0, memory_order_relaxed);
		if (e != 0) {
			/* The condition may have come true just now. */
			n = what == COMP_RING_DATA ? refresh_in(r) : refresh_out(r);
			return n > 0 ? 0 : n < 0 ? n : e;
		}
	}
}

int comp_ring_wait_until(struct comp_ring *r, unsigned what, uint64_t deadline_ns)
{
	int e = check(r);

	if (e != 0)
		return e;
	if (what != COMP_RING_DATA && what != COMP_RING_SPACE)
		return -EINVAL;
	return wait_for(r, what, deadline_ns);
}

/* ---- transfers ---- */

/* The checks of both batch calls: check(r)'s errors, -EINVAL (d NULL
 * with n > 0, an unknown flag), -EOPNOTSUPP (COMP_RING_WAIT on a ring
 * without a wait). */
static int check_batch(const struct comp_ring *r, const void *d, unsigned n, unsigned flags)
{
	int e = check(r);

	if (e != 0)
		return e;
	if ((d == NULL && n != 0) || (flags & ~(COMP_RING_WAIT | COMP_RING_DEFER)) != 0)
		return -EINVAL;
	if ((flags & COMP_RING_WAIT) != 0 && r->ch.wait == NULL)
		return -EOPNOTSUPP;
	return 0;
}

int comp_ring_enqueue_batch(struct comp_ring *r, const struct comp_ring_desc *d, unsigned n,
			    unsigned flags)
{
	unsigned done = 0;
	int e = check_batch(r, d, n, flags);

	if (e != 0)
		return e;
	while (done < n) {
		uint32_t space = r->mask + 1 - (r->out_tail - r->out_head);
		unsigned k;

		if (space == 0) {
			if ((e = refresh_out(r)) < 0)
				break;
			space = (uint32_t)e;
		}
		if (space == 0) {
			if ((flags & COMP_RING_WAIT) == 0) {
				e = done > 0 ? 0 : -EAGAIN;
				break;
			}
			if ((e = wait_for(r, COMP_RING_SPACE, MK_FOREVER)) < 0)
				break;
			continue;
		}
		k = n - done < space ? n - done : space;
		for (unsigned i = 0; i < k; i++) {
			const struct comp_ring_desc *s = &d[done + i];
			if (!desc_ok(r, s->offset, s->len)) {
				k = i;
				e = -EBADMSG;
				break;
			}
			r->out_desc[(r->out_tail + i) & r->mask] = *s;
		}
		if (k > 0) {
			r->out_tail += k;
			/* P1: the descriptors (and the buffers they name) are
			 * written before the consumer can see the new tail;
			 * P3: seq_cst, before do_notify's flag load. */
			atomic_store_explicit(&r->out->tail, r->out_tail, memory_order_seq_cst);
			r->dirty |= DIRTY_OUT;
			r->stats.enqueued += k;
			done += k;
		}
		if (e == -EBADMSG)
			break;
	}
	if ((flags & COMP_RING_DEFER) == 0) {
		int s = do_notify(r);
		if (s < 0 && e >= 0)
			return s;
	}
	if (e < 0 && done == 0)
		return e;
	return (int)done;
}

int comp_ring_enqueue(struct comp_ring *r, const struct comp_ring_desc *d, unsigned flags)
{
	int e;

	if (d == NULL)
		return check(r) != 0 ? check(r) : -EINVAL;
	e = comp_ring_enqueue_batch(r, d, 1, flags);
	return e == 1 ? 0 : e;
}

int comp_ring_dequeue_batch(struct comp_ring *r, struct comp_ring_desc *d, unsigned n,
			    unsigned flags)
{
	uint32_t avail;
	unsigned k, i;
	int e = check_batch(r, d, n, flags);

	if (e != 0)
		return e;
	if (n == 0)
		return 0;
	for (;;) {
		avail = r->in_tail - r->in_head;
		if (avail != 0)
			break;
		if ((e = refresh_in(r)) < 0)
			return e;
		if (e > 0)
			continue;
		if ((flags & COMP_RING_WAIT) == 0) {
			/* Space we freed earlier with COMP_RING_DEFER stays
			 * the caller's to announce. */
			return -EAGAIN;
		}
		if ((e = wait_for(r, COMP_RING_DATA, MK_FOREVER)) < 0)
			return e;
	}
	k = n < avail ? n : avail;
	e = 0;
	for (i = 0; i < k; i++) {
		/* The peer may be writing this slot right now if it is
		 * hostile: read each field once, check the copy. */
		const volatile struct comp_ring_desc *s = &r->in_desc[(r->in_head + i) & r->mask];
		struct comp_ring_desc c = {s->offset, s->len, s->cookie};

		if (!desc_ok(r, c.offset, c.len)) {
			if (i == 0) {
				i = 1; /* consume it, refuse it */
				r->stats.bad++;
				e = -EBADMSG;
			}
			break;
		}
		d[i] = c;
	}
	r->in_head += i;
	/* P2: our reads of these slots happen before the producer reuses
	 * them; P3: seq_cst, before do_notify's flag load. */
	atomic_store_explicit(&r->in->head, r->in_head, memory_order_seq_cst);
	r->dirty |= DIRTY_IN;
	if (e == 0)
		r->stats.dequeued += i;
	if ((flags & COMP_RING_DEFER) == 0) {
		int s = do_notify(r);
		if (s < 0 && e == 0)
			return s;
	}
	return e < 0 ? e : (int)i;
}

int comp_ring_dequeue(struct comp_ring *r, struct comp_ring_desc *d, unsigned flags)
{
	int e;

	if (d == NULL)
		return check(r) != 0 ? check(r) : -EINVAL;
	e = comp_ring_dequeue_batch(r, d, 1, flags);
	return e == 1 ? 0 : e;
}

int comp_ring_detach(struct comp_ring *r)
{
	int e = check(r);

	if (e != 0)
		return e;
	e = do_notify(r);
	r->magic = 0;
	return e;
}
