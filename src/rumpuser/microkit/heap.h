/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rump kernel's memory in a PD: a first-fit allocator over one memory
 * region of the .system file (heap.c).  Pure C, no platform call: the
 * host build tests it too (tests/rumpuser/test_pd_heap.c).
 */
#ifndef RUMPUSER_MICROKIT_HEAP_H
#define RUMPUSER_MICROKIT_HEAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

/* Every block starts at a multiple of RU_HEAP_GRAIN; an allocated block
 * has a header of RU_HEAP_GRAIN bytes just below its payload. */
#define RU_HEAP_GRAIN 16u

struct ru_heap_free;
TAILQ_HEAD(ru_heap_list, ru_heap_free);

struct ru_heap {
	uintptr_t base, end;	   /* [base, end): the region, grain aligned */
	struct ru_heap_list free;  /* free blocks in address order */
	size_t used;		   /* bytes in allocated blocks, headers included */
	size_t peak;		   /* high mark of used */
	size_t nfree;		   /* free blocks */
	uint64_t allocs, frees;	   /* successful calls */
	uint64_t failed;	   /* allocations refused (no fitting block) */
};

/* Take [mem, mem + size) (trimmed to the grain).  Errors: -EINVAL (mem
 * NULL, or less than two grains after trimming). */
int ru_heap_init(struct ru_heap *h, void *mem, size_t size);

/* len bytes aligned to align (a power of two; under RU_HEAP_GRAIN means
 * RU_HEAP_GRAIN) at *p.  len 0 allocates one grain.  Not zeroed.
 * Errors: -EINVAL (align not a power of two, p NULL), -ENOMEM (no free
 * block fits). */
int ru_heap_alloc(struct ru_heap *h, size_t len, size_t align, void **p);

/* Free what ru_heap_alloc gave; merged with free neighbours.  NULL is a
 * no-op.  Errors: -EINVAL (p not a live allocation of h: outside the
 * region, misaligned, or its header is not intact, e.g. a double free). */
int ru_heap_free(struct ru_heap *h, void *p);

/* The usable size of a live allocation (at least what was asked). */
size_t ru_heap_size(const struct ru_heap *h, const void *p);

/* Walk the free list and check it: in address order, inside the region,
 * not adjacent (merged), counts match.  0, or -EFAULT when broken. */
int ru_heap_check(const struct ru_heap *h);

#endif
