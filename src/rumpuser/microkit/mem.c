/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory hypercalls in a PD: the rump kernel's region (heap.c), never
 * the host's.  They never block; malloc and free are yield points (pd.c,
 * ru_pd_slice_check), outside the allocator.  No lock: the domain has one
 * vCPU, the allocator never yields, and the PD context runs only while
 * every green thread is blocked.
 */
#include <errno.h>
#include <string.h>

#include "pd_impl.h"

struct ru_heap ru_pd_heap;

int rumpuser_malloc(size_t len, int alignment, void **memp)
{
	int r;

	if (memp == NULL || alignment < 0 || (alignment & (alignment - 1)) != 0)
		return NETBSD_EINVAL;
	ru_pd_slice_check();
	r = ru_heap_alloc(&ru_pd_heap, len, alignment > 0 ? (size_t)alignment : 1, memp);
	if (r == -ENOMEM)
		return NETBSD_ENOMEM;
	return r == 0 ? 0 : ru_errtrans(r);
}

void rumpuser_free(void *mem, size_t len)
{
	int r = ru_heap_free(&ru_pd_heap, mem);

	(void)len; /* the block's header knows its size */
	if (r != 0)
		ru_panic("rumpuser_free: not a block of the rump kernel's memory", r);
	ru_pd_slice_check();
}

/*
 * Anonymous memory: zeroed, page aligned at least, from the same region.
 * The region is mapped rw, never executable, so exec is refused; prefaddr
 * is only a hint and is ignored.
 */
int rumpuser_anonmmap(void *prefaddr, size_t size, int alignbit, int exec, void **memp)
{
	size_t align = 4096;
	int r;

	(void)prefaddr;
	if (memp == NULL || size == 0 || alignbit < 0 || alignbit > 40)
		return NETBSD_EINVAL;
	if (exec) {
		ru_pd_say("rumpuser_anonmmap: executable memory is not available in a PD");
		return NETBSD_EOPNOTSUPP;
	}
	if (alignbit > 12)
		align = (size_t)1 << alignbit;
	if ((r = ru_heap_alloc(&ru_pd_heap, size, align, memp)) != 0)
		return r == -ENOMEM ? NETBSD_ENOMEM : ru_errtrans(r);
	memset(*memp, 0, size);
	return 0;
}

void rumpuser_unmap(void *addr, size_t len)
{
	int r = ru_heap_free(&ru_pd_heap, addr);

	(void)len; /* whole mappings only: the kernel unmaps what it mapped */
	if (r != 0)
		ru_panic("rumpuser_unmap: not a mapping of the rump kernel's memory", r);
}
