/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory of a PD: a heap region and stack slots, both mapped by the
 * .system file (docs/microkit.md shows the layout).
 *
 * Heap: power-of-two size classes from 128 bytes up, each block headed by
 * 64 bytes (so that payloads keep the 64-byte alignment mk.h promises)
 * naming its class.  A class's free list is reused first, otherwise the
 * block is cut from the untouched end of the region.  Freed blocks are
 * never merged: the layers above allocate records of a few fixed sizes,
 * so a block freed is soon taken again at the same size.
 *
 * Stacks: slot i spans [stacks + i * stride, + stride); its lowest
 * MK_MICROKIT_GUARD bytes are not mapped, so running off the bottom of a
 * stack faults at once instead of writing over the slot below.  A stack
 * takes a whole slot; names[] keeps each slot's owner for
 * mk_microkit_stack_owner, and the fault table, if the PD has one, a copy
 * of the names for the parent PD's fault handler (mk_microkit_fault_name).
 *
 * One seL4 thread: no locks.  Neither heap nor stacks are touched by the
 * PD context while the vCPU context is in the middle of an allocation,
 * as contexts change only in mk_pd_suspend / mk_pd_resume.
 */
#include <string.h>

#include "microkit_impl.h"

#define HDR 64u
#define MIN_CLASS 7u /* 128 bytes */
#define NCLASS 40u
#define BLOCK_MAGIC 0x626c6b31u /* "blk1" */

struct block {
	uint32_t magic;
	uint32_t cls;
	struct block *next; /* free list */
};

static struct {
	char *base, *cur, *end;
	struct block *free[NCLASS];
	uintptr_t stacks;
	size_t stride;
	unsigned n;
	uint64_t used; /* slot bitmap */
	const char *names[MK_MICROKIT_STACKS_MAX];
	struct mk_microkit_fault_table *ft;
} mem;

/* The parent reads the table while this PD runs (a fault stops it, so a
 * name it reads for a faulting stack is complete): a name is written
 * before its slot is used and cleared after. */
static void ft_name(unsigned i, const char *name)
{
	size_t l = 0;

	if (mem.ft == NULL)
		return;
	if (name != NULL)
		for (; l < MK_MICROKIT_NAME_LEN - 1 && name[l] != '\0'; l++)
			mem.ft->names[i][l] = name[l];
	mem.ft->names[i][l] = '\0';
}

int mk_mem_setup(void *heap, size_t size, uintptr_t stacks, size_t stride, unsigned n,
		 struct mk_microkit_fault_table *ft)
{
	if (heap == NULL || ((uintptr_t)heap & 63) != 0 || size < MK_PAGE || stacks == 0 ||
	    (stacks & (MK_PAGE - 1)) != 0 || stride % MK_PAGE != 0 || stride <= MK_MICROKIT_GUARD ||
	    n == 0 || n > MK_MICROKIT_STACKS_MAX)
		return -EINVAL;
	mem.base = mem.cur = heap;
	mem.end = mem.base + size;
	mem.stacks = stacks;
	mem.stride = stride;
	mem.n = n;
	if ((mem.ft = ft) != NULL) {
		memset(ft, 0, sizeof(*ft));
		ft->nstacks = n;
		ft->stacks = stacks;
		ft->stack_stride = stride;
		__atomic_store_n(&ft->magic, MK_MICROKIT_FAULT_MAGIC, __ATOMIC_RELEASE);
	}
	return 0;
}

int mk_microkit_fault_name(const volatile struct mk_microkit_fault_table *ft, uintptr_t addr,
			   char *name, size_t len, int *guard)
{
	uint64_t stacks, stride, i;
	uint32_t n;
	size_t l;

	if (ft == NULL || name == NULL || len == 0 || guard == NULL)
		return -EINVAL;
	name[0] = '\0';
	if (ft->magic != MK_MICROKIT_FAULT_MAGIC)
		return -EBADF;
	/* the child wrote it: read each field once and check it */
	n = ft->nstacks;
	stacks = ft->stacks;
	stride = ft->stack_stride;
	if (n > MK_MICROKIT_STACKS_MAX || stride == 0 || addr < stacks)
		return -ENOENT;
	i = (addr - stacks) / stride;
	if (i >= n || ft->names[i][0] == '\0')
		return -ENOENT;
	for (l = 0; l < len - 1 && l < MK_MICROKIT_NAME_LEN - 1; l++)
		if ((name[l] = ft->names[i][l]) == '\0')
			break;
	name[l] = '\0';
	*guard = addr - stacks - i * stride < MK_MICROKIT_GUARD;
	return 0;
}

void *mk_mem_alloc(size_t size)
{
	struct block *b;
	unsigned cls = MIN_CLASS;

	if (size == 0 || size > ((size_t)1 << (NCLASS - 1)) - HDR)
		return NULL;
	while (((size_t)1 << cls) < size + HDR)
		cls++;
	if ((b = mem.free[cls]) != NULL) {
		mem.free[cls] = b->next;
	} else {
		if ((size_t)(mem.end - mem.cur) < ((size_t)1 << cls))
			return NULL;
		b = (struct block *)mem.cur;
		mem.cur += (size_t)1 << cls;
		if ((size_t)(mem.cur - mem.base) > mk_pd_stats.heap_used)
			mk_pd_stats.heap_used = (size_t)(mem.cur - mem.base);
	}
	b->magic = BLOCK_MAGIC;
	b->cls = cls;
	b->next = NULL;
	memset((char *)b + HDR, 0, ((size_t)1 << cls) - HDR);
	return (char *)b + HDR;
}

void mk_mem_free(void *p)
{
	struct block *b;

	if (p == NULL)
		return;
	b = (struct block *)((char *)p - HDR);
	if ((char *)b < mem.base || (char *)p >= mem.cur || b->magic != BLOCK_MAGIC ||
	    b->cls < MIN_CLASS || b->cls >= NCLASS) {
		static const char msg[] = "rumpbridge: mk/microkit: mk_mem_free of a pointer "
					  "that is not a live heap block (ignored)\n";
		mk_console_write(msg, sizeof(msg) - 1);
		return;
	}
	b->magic = 0;
	b->next = mem.free[b->cls];
	mem.free[b->cls] = b;
}

int mk_stack_create(struct mk_stack *s, size_t size, const char *name)
{
	size_t usable = mem.stride - MK_MICROKIT_GUARD;

	if (s == NULL || size == 0 || size > ((size_t)1 << 30))
		return -EINVAL;
	if (size > usable || mem.n == 0)
		return -ENOMEM;
	for (unsigned i = 0; i < mem.n; i++) {
		if (mem.used & (UINT64_C(1) << i))
			continue;
		mem.used |= UINT64_C(1) << i;
		mem.names[i] = name;
		ft_name(i, name != NULL && name[0] != '\0' ? name : "?");
		mk_pd_stats.stacks_used++;
		s->base = (void *)(mem.stacks + i * mem.stride + MK_MICROKIT_GUARD);
		s->size = usable;
		s->map = (void *)(mem.stacks + i * mem.stride);
		s->map_size = mem.stride;
		s->name = name;
		return 0;
	}
	return -ENOMEM;
}

/* The guard is the .system file's layout (MK_MICROKIT_GUARD below every
 * slot): a request for no more than that, or for the default (0), gets
 * it; a larger one cannot be had. */
int mk_stack_create_guard(struct mk_stack *s, size_t size, size_t guard, const char *name)
{
	if (guard > MK_MICROKIT_GUARD)
		return -EINVAL;
	return mk_stack_create(s, size, name);
}

/* The slot of a stack mk_stack_create gave out: 0, or -EINVAL (s NULL,
 * not one of the slots, or a slot not in use). */
static int slot_of(const struct mk_stack *s, unsigned *slot)
{
	uintptr_t off;
	unsigned i;

	if (s == NULL || s->map == NULL || (uintptr_t)s->map < mem.stacks)
		return -EINVAL;
	off = (uintptr_t)s->map - mem.stacks;
	i = (unsigned)(off / mem.stride);
	if (off % mem.stride != 0 || i >= mem.n || !(mem.used & (UINT64_C(1) << i)))
		return -EINVAL;
	*slot = i;
	return 0;
}

int mk_stack_destroy(struct mk_stack *s)
{
	unsigned i;

	if (slot_of(s, &i) != 0)
		return -EINVAL;
	mem.used &= ~(UINT64_C(1) << i);
	mem.names[i] = NULL;
	ft_name(i, NULL);
	mk_pd_stats.stacks_used--;
	s->base = s->map = NULL;
	s->size = s->map_size = 0;
	return 0;
}

int mk_stack_reuse(struct mk_stack *s, const char *name)
{
	unsigned i;

	if (slot_of(s, &i) != 0)
		return -EINVAL;
	mem.names[i] = name;
	ft_name(i, name != NULL && name[0] != '\0' ? name : "?");
	s->name = name;
	return 0;
}

/* Every slot has the .system file's guard (a hard one). */
void mk_stack_stats(unsigned long *hard, unsigned long *soft)
{
	if (hard != NULL)
		*hard = mem.n;
	if (soft != NULL)
		*soft = 0;
}

const char *mk_microkit_stack_owner(uintptr_t addr)
{
	uintptr_t i;

	if (mem.n == 0 || addr < mem.stacks)
		return NULL;
	i = (addr - mem.stacks) / mem.stride;
	if (i >= mem.n || !(mem.used & (UINT64_C(1) << i)))
		return NULL;
	return mem.names[i];
}
