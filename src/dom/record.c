/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Type-stable records for the objects a caller holds a handle to: domains
 * and green threads.
 *
 * dom.h promises -EBADF for a handle used after its object ended (a
 * thread joined, a domain destroyed).  A record returned to the host
 * allocator could not keep that promise: reading its magic would be a
 * use after free.  So these records are never returned: a freed one
 * (magic DOM_MAGIC_DEAD, set by the caller) goes on its kind's free list
 * and is reused only for a new object of the same kind, oldest first, and
 * only once DOM_RECORD_QUARANTINE newer ones wait behind it.  A stale
 * handle therefore reads DEAD (and is refused) until at least that many
 * objects of its kind have been freed after it.  The memory a record
 * points to (stacks, vCPU arrays, queues) is freed as before.
 *
 * Under AddressSanitizer a free record is poisoned except for its magic,
 * so any stale access other than the check is still reported.
 */
#include "dom_impl.h"

#ifdef RUMPBRIDGE_ASAN
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#define POISON(p, n) __asan_poison_memory_region((p), (n))
#define UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Free records of one kind.  The link lives in a header before the
 * record (64 bytes, so the record keeps mk_mem_alloc's alignment): the
 * record itself, magic included, is left as its owner left it. */
struct rec_hdr {
	STAILQ_ENTRY(rec_hdr) link;
};
#define HDR 64
_Static_assert(sizeof(struct rec_hdr) <= HDR, "record header");

static struct pool {
	_Atomic uint32_t lock;
	STAILQ_HEAD(, rec_hdr) free;
	unsigned n;
	size_t size, magic_off;
} pools[DOM_REC_KINDS] = {
	[DOM_REC_DOM] = {.free = STAILQ_HEAD_INITIALIZER(pools[DOM_REC_DOM].free),
			 .size = sizeof(struct dom),
			 .magic_off = offsetof(struct dom, magic)},
	[DOM_REC_THREAD] = {.free = STAILQ_HEAD_INITIALIZER(pools[DOM_REC_THREAD].free),
			    .size = sizeof(struct dom_thread),
			    .magic_off = offsetof(struct dom_thread, magic)},
};

void *dom_record_alloc(enum dom_rec_kind kind)
{
	struct pool *p = &pools[kind];
	struct rec_hdr *h = NULL;
	char *r;

	dom_spin_lock(&p->lock);
	if (p->n > DOM_RECORD_QUARANTINE) {
		h = STAILQ_FIRST(&p->free);
		STAILQ_REMOVE_HEAD(&p->free, link);
		p->n--;
	}
	dom_spin_unlock(&p->lock);
	if (h == NULL) {
		if ((h = mk_mem_alloc(HDR + p->size)) == NULL)
			return NULL;
		return (char *)h + HDR;
	}
	r = (char *)h + HDR;
	UNPOISON(r, p->size);
	memset(r, 0, p->size);
	return r;
}

void dom_record_free(enum dom_rec_kind kind, void *rec)
{
	struct pool *p = &pools[kind];
	struct rec_hdr *h = (struct rec_hdr *)((char *)rec - HDR);
	uint32_t magic;

	memcpy(&magic, (char *)rec + p->magic_off, sizeof(magic));
	dom_assert(magic == DOM_MAGIC_DEAD, "record %p freed with live magic %#x", rec, magic);
	POISON(rec, p->magic_off);
	POISON((char *)rec + p->magic_off + sizeof(magic), p->size - p->magic_off - sizeof(magic));
	dom_spin_lock(&p->lock);
	STAILQ_INSERT_TAIL(&p->free, h, link);
	p->n++;
	dom_spin_unlock(&p->lock);
}
