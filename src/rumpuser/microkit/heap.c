/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A first-fit allocator with alignment and merging, for the rump kernel's
 * memory in a PD (rumpuser_malloc/free, anonmmap/unmap).  The kernel asks
 * mostly for whole pages aligned to a page (pool pages, kmem) and frees
 * them again, so a bump pointer would run out; this is small and exact.
 *
 * Layout.  The region is cut into blocks, each starting at a multiple of
 * RU_HEAP_GRAIN:
 *   free block       struct ru_heap_free at its start (size, magic, list
 *                    link); on h->free, which is kept in address order;
 *   allocated block  struct ru_heap_used, RU_HEAP_GRAIN bytes, just below
 *                    the payload; the block may begin with the gap an
 *                    alignment left (too small to be a free block) -- the
 *                    header's size counts from the header.
 * Invariants (ru_heap_check): free blocks are in address order, inside the
 * region, at least RU_FREE_MIN bytes, and never adjacent (a free merges
 * with both neighbours).  Allocated headers carry a magic that mixes in
 * their own address, so a stray or repeated free is refused (-EINVAL).
 *
 * Cost: allocation and free walk the free list (first fit; address order
 * keeps fragmentation low for the kernel's page-sized requests).  The
 * list holds tens of blocks in the rump PD; a size-segregated index is
 * the next step if that grows.  No lock: the PD's domain runs on one
 * vCPU and the caller never yields inside these calls.
 */
#include <errno.h>

#include "heap.h"

#define RU_FREE_MAGIC UINT64_C(0x667265656672656d) /* "freefrem" */
#define RU_USED_MAGIC UINT64_C(0x72756d70616c6c6f) /* "rumpallo" */

struct ru_heap_free {
	size_t size; /* of the whole block */
	uint64_t magic;
	TAILQ_ENTRY(ru_heap_free) link;
};

struct ru_heap_used {
	size_t size; /* from this header to the block's end */
	uint64_t magic;
};

#define RU_FREE_MIN ((sizeof(struct ru_heap_free) + RU_HEAP_GRAIN - 1) & ~(size_t)(RU_HEAP_GRAIN - 1))

_Static_assert(sizeof(struct ru_heap_used) == RU_HEAP_GRAIN, "header is one grain");

static uintptr_t align_up(uintptr_t x, size_t a)
{
	return (x + (a - 1)) & ~(uintptr_t)(a - 1);
}

static uint64_t used_magic(const struct ru_heap_used *u)
{
	return RU_USED_MAGIC ^ (uint64_t)(uintptr_t)u;
}

static struct ru_heap_free *mkfree(uintptr_t at, size_t size)
{
	struct ru_heap_free *f = (struct ru_heap_free *)at;

	f->size = size;
	f->magic = RU_FREE_MAGIC;
	return f;
}

int ru_heap_init(struct ru_heap *h, void *mem, size_t size)
{
	uintptr_t b, e;

	if (h == NULL || mem == NULL || (uintptr_t)mem + size < (uintptr_t)mem)
		return -EINVAL;
	b = align_up((uintptr_t)mem, RU_HEAP_GRAIN);
	e = ((uintptr_t)mem + size) & ~(uintptr_t)(RU_HEAP_GRAIN - 1);
	if (e <= b || e - b < 2 * RU_FREE_MIN)
		return -EINVAL;
	*h = (struct ru_heap){.base = b, .end = e, .nfree = 1};
	TAILQ_INIT(&h->free);
	TAILQ_INSERT_HEAD(&h->free, mkfree(b, e - b), link);
	return 0;
}

int ru_heap_alloc(struct ru_heap *h, size_t len, size_t align, void **p)
{
	struct ru_heap_free *f;
	size_t need;

	if (p == NULL || align == 0 || (align & (align - 1)) != 0)
		return -EINVAL;
	if (align < RU_HEAP_GRAIN)
		align = RU_HEAP_GRAIN;
	if (len > h->end - h->base)
		goto nomem;
	need = align_up(len != 0 ? len : 1, RU_HEAP_GRAIN);
	TAILQ_FOREACH(f, &h->free, link)
	{
		uintptr_t b = (uintptr_t)f, e = b + f->size;
		uintptr_t pay = align_up(b + RU_HEAP_GRAIN, align);

		/* a gap below the header must be nothing or a free block */
		if (pay - RU_HEAP_GRAIN - b != 0 && pay - RU_HEAP_GRAIN - b < RU_FREE_MIN)
			pay = align_up(b + RU_HEAP_GRAIN + RU_FREE_MIN, align);
		if (pay >= e || e - pay < need)
			continue;
		uintptr_t hdr = pay - RU_HEAP_GRAIN, lead = hdr - b, blk_end = pay + need;
		if (e - blk_end < RU_FREE_MIN)
			blk_end = e; /* the rest is too small to stand alone */
		if (lead != 0) {
			f->size = lead;
			if (blk_end != e) {
				TAILQ_INSERT_AFTER(&h->free, f, mkfree(blk_end, e - blk_end), link);
				h->nfree++;
			}
		} else if (blk_end != e) {
			struct ru_heap_free *t = mkfree(blk_end, e - blk_end);
			TAILQ_INSERT_AFTER(&h->free, f, t, link);
			TAILQ_REMOVE(&h->free, f, link);
		} else {
			TAILQ_REMOVE(&h->free, f, link);
			h->nfree--;
		}
		struct ru_heap_used *u = (struct ru_heap_used *)hdr;
		u->size = blk_end - hdr;
		u->magic = used_magic(u);
		h->used += u->size;
		if (h->used > h->peak)
			h->peak = h->used;
		h->allocs++;
		*p = (void *)pay;
		return 0;
	}
nomem:
	h->failed++;
	return -ENOMEM;
}

static struct ru_heap_used *live_header(const struct ru_heap *h, const void *p)
{
	uintptr_t a = (uintptr_t)p;
	struct ru_heap_used *u;

	if (a % RU_HEAP_GRAIN != 0 || a < h->base + RU_HEAP_GRAIN || a >= h->end)
		return NULL;
	u = (struct ru_heap_used *)(a - RU_HEAP_GRAIN);
	if (u->magic != used_magic(u) || u->size < 2 * RU_HEAP_GRAIN ||
	    u->size > h->end - (uintptr_t)u || u->size % RU_HEAP_GRAIN != 0)
		return NULL;
	return u;
}

int ru_heap_free(struct ru_heap *h, void *p)
{
	struct ru_heap_used *u;
	struct ru_heap_free *next, *prev, *f;
	uintptr_t b;
	size_t size;

	if (p == NULL)
		return 0;
	if ((u = live_header(h, p)) == NULL)
		return -EINVAL;
	b = (uintptr_t)u;
	size = u->size;
	TAILQ_FOREACH(next, &h->free, link)
	{
		if ((uintptr_t)next > b)
			break;
	}
	prev = next != NULL ? TAILQ_PREV(next, ru_heap_list, link)
			    : TAILQ_LAST(&h->free, ru_heap_list);
	/* a block overlapping a free one was freed before (stale magic) */
	if ((prev != NULL && (uintptr_t)prev + prev->size > b) ||
	    (next != NULL && b + size > (uintptr_t)next))
		return -EINVAL;
	u->magic = 0;
	h->used -= size;
	h->frees++;
	if (prev != NULL && (uintptr_t)prev + prev->size == b) {
		prev->size += size;
		f = prev;
	} else {
		f = mkfree(b, size);
		if (next != NULL)
			TAILQ_INSERT_BEFORE(next, f, link);
		else
			TAILQ_INSERT_TAIL(&h->free, f, link);
		h->nfree++;
	}
	if (next != NULL && (uintptr_t)f + f->size == (uintptr_t)next) {
		f->size += next->size;
		next->magic = 0;
		TAILQ_REMOVE(&h->free, next, link);
		h->nfree--;
	}
	return 0;
}

size_t ru_heap_size(const struct ru_heap *h, const void *p)
{
	const struct ru_heap_used *u = live_header(h, p);

	return u != NULL ? (uintptr_t)u + u->size - (uintptr_t)p : 0;
}

int ru_heap_check(const struct ru_heap *h)
{
	const struct ru_heap_free *f;
	uintptr_t last_end = 0;
	size_t n = 0, freebytes = 0;

	TAILQ_FOREACH(f, &h->free, link)
	{
		uintptr_t b = (uintptr_t)f;
		if (f->magic != RU_FREE_MAGIC || b < h->base || b % RU_HEAP_GRAIN != 0 ||
		    f->size < RU_FREE_MIN || f->size > h->end - b || b <= last_end)
			return -EFAULT; /* b == last_end: two free neighbours not merged */
		last_end = b + f->size;
		freebytes += f->size;
		n++;
	}
	if (n != h->nfree || freebytes + h->used != h->end - h->base)
		return -EFAULT;
	return 0;
}
