/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The trace recorder (include/rumpbridge/trace.h).
 *
 * Buffers.  Each host thread that records an event gets its own ring
 * buffer (TLS slot MK_TLS_DOM_TRACE); a vCPU is a host thread, so each
 * vCPU has one.  Only its owner writes it: head counts the events ever
 * written, slot head % cap is the next; a full ring overwrites its oldest
 * event, and head - cap of them are counted as dropped.  Buffers are
 * linked on a list (lock-free push) and are never freed, so a thread's
 * pointer stays valid; a new recording from nothing empties them.
 *
 * Reading.  dom_trace_write reads the buffers only with tracing off
 * (dom_trace_on == 0), and waits for each buffer's busy flag to be 0.  A
 * writer sets busy, then checks dom_trace_on again; the reader cleared
 * dom_trace_on, then reads busy.  Both are seq_cst (a store then a load
 * on each side, as in Dekker's protocol), so either the reader sees busy
 * and waits, or the writer sees tracing off and writes nothing.
 */
#include "dom_impl.h"
#include "trace_impl.h"

_Atomic unsigned dom_trace_on;

struct dom_trbuf {
	struct dom_trbuf *next; /* the list; set before the push, then fixed */
	_Atomic uint64_t head;	/* events written; owner writes, reader reads */
	_Atomic int busy;	/* owner is writing an event */
	uint32_t cap;		/* a power of two */
	uint32_t id;		/* order of creation */
	char name[16];		/* the host thread's name */
	struct dom_trace_event ev[];
};

struct dom_trdom {
	uint64_t id;
	char name[16];
};

#define SEEN_MAX (4 * DOM_TRACE_DOMAINS)

static struct {
	_Atomic uint32_t lock; /* start, stop, write */
	_Atomic(struct dom_trbuf *) bufs;
	_Atomic uint32_t nbufs;
	_Atomic unsigned cap; /* events per new buffer */
	/* serials of the traced domains, 0: free; read by every emit */
	_Atomic uint64_t traced[DOM_TRACE_DOMAINS];
	struct dom_trdom seen[SEEN_MAX]; /* every domain of the recording */
	unsigned nseen;
	const char *env_path; /* RUMPBRIDGE_TRACE of the recording, if any */
	bool follow;	      /* DOM_TRACE_FOLLOW: trace each new domain */
	unsigned follow_events;
} tr;

static void copy_name(char dst[16], const char *src)
{
	size_t i = 0;

	memset(dst, 0, 16);
	if (src == NULL)
		return;
	for (; i < 15 && src[i] != '\0'; i++)
		dst[i] = src[i];
}

static struct dom_trbuf *buf_new(void)
{
	unsigned cap = atomic_load_explicit(&tr.cap, memory_order_relaxed); /* any size works */
	struct dom_trbuf *b = mk_mem_alloc(sizeof(*b) + (size_t)cap * sizeof(struct dom_trace_event));
	char name[16];

	if (b == NULL)
		return NULL;
	b->cap = cap;
	b->id = atomic_fetch_add(&tr.nbufs, 1);
	if (mk_thread_get_name(name, sizeof(name)) != 0)
		name[0] = '\0';
	copy_name(b->name, name);
	b->next = atomic_load_explicit(&tr.bufs, memory_order_relaxed);
	/* release: the buffer's fields are visible to whoever walks the list
	 * (pairs with the acquire loads of tr.bufs) */
	while (!atomic_compare_exchange_weak_explicit(&tr.bufs, &b->next, b, memory_order_release,
						      memory_order_relaxed))
		;
	mk_tls_set(MK_TLS_DOM_TRACE, b);
	return b;
}

/* The vCPU the caller runs on, or -1 for a host thread (entered or not,
 * or a porter running a detached green thread). */
static int16_t where(void)
{
	struct dom_seat *s = mk_tls_current();
	struct dom_thread *cur = s != NULL ? s->cur : NULL;

	if (cur != NULL && cur->kind != DK_HOST && cur->vcpu != NULL && &cur->vcpu->seat == s)
		return (int16_t)cur->vcpu->id;
	return -1;
}

static bool traced(uint64_t serial)
{
	for (int i = 0; i < DOM_TRACE_DOMAINS; i++)
		if (atomic_load_explicit(&tr.traced[i], memory_order_relaxed) == serial)
			return true; /* relaxed: a late or early event is harmless */
	return false;
}

/* Record one event of the domain or source `id` (traced: checked). */
/* Inlined in both callers: the domain's points are the hot ones. */
static inline __attribute__((always_inline)) void emit(uint64_t id, unsigned type, uint64_t a,
						       uint64_t b, uint64_t c, const char *name)
{
	struct dom_trbuf *buf;
	struct dom_trace_event *e;
	uint64_t h;

	buf = mk_tls_get(MK_TLS_DOM_TRACE);
	if (buf == NULL && (buf = buf_new()) == NULL)
		return;
	atomic_store(&buf->busy, 1); /* seq_cst: see the top of the file */
	if (atomic_load(&dom_trace_on) == 0) {
		atomic_store_explicit(&buf->busy, 0, memory_order_release);
		return;
	}
	h = atomic_load_explicit(&buf->head, memory_order_relaxed); /* our own */
	e = &buf->ev[h & (buf->cap - 1)];
	e->ts = mk_clock_now_ns();
	e->type = (uint16_t)type;
	e->vcpu = where();
	e->reserved = 0;
	e->dom = id;
	e->a = a;
	e->b = b;
	e->c = c;
	copy_name(e->name, name);
	/* release: the event's fields before the count and the flag (pair
	 * with the reader's acquire loads of busy and head) */
	atomic_store_explicit(&buf->head, h + 1, memory_order_release);
	atomic_store_explicit(&buf->busy, 0, memory_order_release);
}

__attribute__((noinline)) void dom_trace_emit(const struct dom *d, unsigned type, uint64_t a,
					      uint64_t b, uint64_t c, const char *name)
{
	if (d == NULL || !traced(d->serial))
		return;
	emit(d->serial, type, a, b, c, name);
}

int dom_trace_record(uint64_t id, unsigned type, uint64_t a, uint64_t b, uint64_t c,
		     const char *name)
{
	if (type < DOM_TR_COMP_FIRST || type > DOM_TR_COMP_LAST)
		return -EINVAL;
	if (id == 0 || atomic_load_explicit(&dom_trace_on, memory_order_relaxed) == 0 ||
	    !traced(id)) /* relaxed: a hint, as in DOM_TRACE */
		return -ENOENT;
	if (mk_tls_get(MK_TLS_DOM_TRACE) == NULL && buf_new() == NULL)
		return -ENOMEM;
	emit(id, type, a, b, c, name);
	return 0;
}

uint64_t dom_trace_id(const struct dom *d)
{
	return d != NULL ? d->serial : 0;
}

/* Wait until no writer is inside buffer b (tracing is off already). */
static void quiesce(struct dom_trbuf *b)
{
	/* acquire: pairs with the writer's release of busy */
	while (atomic_load_explicit(&b->busy, memory_order_acquire) != 0)
		mk_thread_yield();
}

static int check_events(unsigned *events)
{
	if (*events == 0)
		*events = DOM_TRACE_EVENTS_DEFAULT;
	if ((*events & (*events - 1)) != 0 || *events > DOM_TRACE_EVENTS_MAX)
		return -EINVAL;
	return 0;
}

/* Start recording id (a domain's serial or a source's id) under tr.lock. */
static int start_locked(uint64_t id, const char *name, unsigned events)
{
	int slot = -1;

	for (int i = 0; i < DOM_TRACE_DOMAINS; i++) {
		uint64_t s = atomic_load_explicit(&tr.traced[i], memory_order_relaxed);
		if (s == id)
			return -EALREADY;
		if (s == 0 && slot < 0)
			slot = i;
	}
	if (slot < 0)
		return -ENOSPC;
	if (atomic_load(&dom_trace_on) == 0) {
		/* A new recording: empty the buffers once their writers are out. */
		struct dom_trbuf *b = atomic_load_explicit(&tr.bufs, memory_order_acquire);
		for (; b != NULL; b = b->next) {
			quiesce(b);
			atomic_store_explicit(&b->head, 0, memory_order_relaxed); /* no writer */
		}
		tr.nseen = 0;
		atomic_store_explicit(&tr.cap, events, memory_order_relaxed); /* under tr.lock */
	}
	if (tr.nseen < SEEN_MAX) {
		tr.seen[tr.nseen].id = id;
		copy_name(tr.seen[tr.nseen].name, name);
		tr.nseen++;
	}
	atomic_store_explicit(&tr.traced[slot], id, memory_order_relaxed);
	atomic_fetch_add(&dom_trace_on, 1);
	return 0;
}

int dom_trace_start(struct dom *d, unsigned events)
{
	int r = dom_check(d);

	if (d == NULL)
		return -EINVAL;
	if (check_events(&events) != 0)
		return -EINVAL;
	if (r != 0)
		return r;
	if (!DOM_TRACE_COMPILED)
		return -ENOTSUP;
	dom_spin_lock(&tr.lock);
	r = start_locked(d->serial, d->name, events);
#if DOM_ONE_VCPU
	if (r == 0)
		dom_sched_gate_close(d); /* its yields take the long path, which records */
#endif
	dom_spin_unlock(&tr.lock);
	return r;
}

int dom_trace_source_start(const char *name, unsigned events, unsigned flags, uint64_t *id)
{
	static _Atomic uint64_t next_source = 1;
	uint64_t sid;
	int r;

	if (name == NULL || id == NULL || check_events(&events) != 0)
		return -EINVAL;
	if (!DOM_TRACE_COMPILED)
		return -ENOTSUP;
	sid = DOM_TRACE_SOURCE_BIT | atomic_fetch_add(&next_source, 1);
	dom_spin_lock(&tr.lock);
	r = start_locked(sid, name, events);
	if (r == 0 && (flags & DOM_TRACE_FOLLOW)) {
		tr.follow = true;
		tr.follow_events = events;
	}
	dom_spin_unlock(&tr.lock);
	if (r == 0)
		*id = sid;
	return r;
}

int dom_trace_stop_all(void)
{
	int n = 0;

	dom_spin_lock(&tr.lock);
	tr.follow = false;
	for (int i = 0; i < DOM_TRACE_DOMAINS; i++) {
		if (atomic_load_explicit(&tr.traced[i], memory_order_relaxed) != 0) {
			atomic_store_explicit(&tr.traced[i], 0, memory_order_relaxed);
			atomic_fetch_sub(&dom_trace_on, 1);
			n++;
		}
	}
	dom_spin_unlock(&tr.lock);
	return n;
}

int dom_trace_stop(struct dom *d)
{
	if (d == NULL)
		return -EINVAL;
	dom_spin_lock(&tr.lock);
	for (int i = 0; i < DOM_TRACE_DOMAINS; i++) {
		if (atomic_load_explicit(&tr.traced[i], memory_order_relaxed) == d->serial) {
			atomic_store_explicit(&tr.traced[i], 0, memory_order_relaxed);
			atomic_fetch_sub(&dom_trace_on, 1);
			dom_spin_unlock(&tr.lock);
			return 0;
		}
	}
	dom_spin_unlock(&tr.lock);
	return -ENOENT;
}

uint64_t dom_trace_dropped(void)
{
	uint64_t n = 0;

	for (struct dom_trbuf *b = atomic_load_explicit(&tr.bufs, memory_order_acquire); b != NULL;
	     b = b->next) {
		uint64_t h = atomic_load_explicit(&b->head, memory_order_relaxed); /* a count */
		n += h > b->cap ? h - b->cap : 0;
	}
	return n;
}

/* The file (docs/tracing.md), all fields little-endian as in memory:
 *   header  "RBTRACE1", u32 version 2 (1: no component events), u32 event size 64, u32 domains,
 *           u32 buffers
 *   domains {u64 id, char name[16]} each
 *   buffers {u32 id, u32 0, u64 dropped, u64 events, char name[16]},
 *           then its events, oldest first. */
struct file_header {
	char magic[8];
	uint32_t version, event_size, ndomains, nbuffers;
};

struct file_buffer {
	uint32_t id, zero;
	uint64_t dropped, count;
	char name[16];
};

static int write_locked(int (*sink)(void *, const void *, size_t), void *arg)
{
	struct file_header h = {{'R', 'B', 'T', 'R', 'A', 'C', 'E', '1'}, 2,
				sizeof(struct dom_trace_event), tr.nseen, 0};
	struct dom_trbuf *first = atomic_load_explicit(&tr.bufs, memory_order_acquire), *b;
	int r;

	for (b = first; b != NULL; b = b->next)
		h.nbuffers++;
	if ((r = sink(arg, &h, sizeof(h))) != 0)
		return r;
	for (unsigned i = 0; i < tr.nseen; i++)
		if ((r = sink(arg, &tr.seen[i], sizeof(tr.seen[i]))) != 0)
			return r;
	for (b = first; b != NULL; b = b->next) {
		uint64_t head, n, from;
		struct file_buffer fb = {.id = b->id};

		quiesce(b);
		head = atomic_load_explicit(&b->head, memory_order_acquire); /* pairs with emit */
		n = head < b->cap ? head : b->cap;
		from = head - n;
		fb.dropped = from;
		fb.count = n;
		memcpy(fb.name, b->name, sizeof(fb.name));
		if ((r = sink(arg, &fb, sizeof(fb))) != 0)
			return r;
		/* oldest first: [from % cap, cap) then [0, head % cap) when wrapped */
		uint64_t start = from & (b->cap - 1), first_part = n;
		if (start + n > b->cap)
			first_part = b->cap - start;
		if (first_part > 0 &&
		    (r = sink(arg, &b->ev[start], first_part * sizeof(b->ev[0]))) != 0)
			return r;
		if (n > first_part &&
		    (r = sink(arg, &b->ev[0], (n - first_part) * sizeof(b->ev[0]))) != 0)
			return r;
	}
	return 0;
}

int dom_trace_write(int (*sink)(void *arg, const void *buf, size_t len), void *arg)
{
	int r;

	if (sink == NULL)
		return -EINVAL;
	dom_spin_lock(&tr.lock);
	r = atomic_load(&dom_trace_on) != 0 ? -EBUSY : write_locked(sink, arg);
	dom_spin_unlock(&tr.lock);
	return r;
}

struct membuf {
	char *p;
	size_t len, cap;
};

static int mem_sink(void *arg, const void *buf, size_t len)
{
	struct membuf *m = arg;

	if (m->p != NULL) {
		if (m->len + len > m->cap)
			return -EIO; /* the recording grew: cannot happen, it is off */
		memcpy(m->p + m->len, buf, len);
	}
	m->len += len;
	return 0;
}

static int save_locked(const char *path)
{
	struct membuf m = {0};
	int r;

	if ((r = write_locked(mem_sink, &m)) != 0) /* the size */
		return r;
	m.cap = m.len;
	m.len = 0;
	if ((m.p = mk_mem_alloc(m.cap)) == NULL)
		return -ENOMEM;
	r = write_locked(mem_sink, &m);
	if (r == 0)
		r = mk_file_write(path, m.p, m.len);
	mk_mem_free(m.p);
	return r;
}

int dom_trace_save(const char *path)
{
	int r;

	if (path == NULL)
		return -EINVAL;
	dom_spin_lock(&tr.lock);
	r = atomic_load(&dom_trace_on) != 0 ? -EBUSY : save_locked(path);
	dom_spin_unlock(&tr.lock);
	return r;
}

void dom_trace_created(struct dom *d)
{
	const char *path = mk_env_get(DOM_TRACE_ENV);
	unsigned events = 0;
	bool follow;

	if (!DOM_TRACE_COMPILED)
		return;
	dom_spin_lock(&tr.lock);
	follow = tr.follow;
	events = tr.follow_events;
	dom_spin_unlock(&tr.lock);
	if (follow) {
		(void)dom_trace_start(d, events); /* -ENOSPC: it goes untraced */
		return;
	}
	if (path == NULL || path[0] == '\0')
		return;
	if (dom_trace_start(d, 0) == 0) {
		dom_spin_lock(&tr.lock);
		tr.env_path = path; /* the environment outlives the domains */
		dom_spin_unlock(&tr.lock);
	}
}

void dom_trace_destroying(struct dom *d)
{
	const char *path;
	int r;

	dom_spin_lock(&tr.lock);
	path = tr.env_path;
	dom_spin_unlock(&tr.lock);
	if (!DOM_TRACE_COMPILED)
		return;
	if (path == NULL) {
		(void)dom_trace_stop(d); /* a followed domain frees its slot */
		return;
	}
	if (dom_trace_stop(d) != 0)
		return;
	if (atomic_load(&dom_trace_on) != 0)
		return; /* the last traced domain writes the file */
	r = dom_trace_save(path);
	if (r != 0)
		dom_log(d, "cannot write the trace ", path, mk_strerror(r));
}
