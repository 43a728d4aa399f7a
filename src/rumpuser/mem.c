/* SPDX-License-Identifier: BSD-2-Clause */
/* Memory hypercalls.  Never block: no CPU release needed. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "rumpuser_impl.h"

int rumpuser_malloc(size_t len, int alignment, void **memp)
{
	void *p;
	int r;

	if (memp == NULL || alignment < 0 || (alignment & (alignment - 1)) != 0)
		return NETBSD_EINVAL;
	if (alignment < (int)sizeof(void *))
		alignment = sizeof(void *);
	r = posix_memalign(&p, (size_t)alignment, len != 0 ? len : 1);
	if (r != 0)
		return ru_errtrans(r);
	*memp = p;
	return 0;
}

void rumpuser_free(void *mem, size_t len)
{
	(void)len;
	free(mem);
}

int rumpuser_anonmmap(void *prefaddr, size_t size, int alignbit, int exec, void **memp)
{
	int prot = PROT_READ | PROT_WRITE | (exec ? PROT_EXEC : 0);
	size_t align = alignbit > 0 ? (size_t)1 << alignbit : 0;
	void *p;

	if (memp == NULL || size == 0)
		return NETBSD_EINVAL;
	if (align <= 4096) {
		p = mmap(prefaddr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return ru_errtrans(errno);
		*memp = p;
		return 0;
	}
	/* over-map, then trim to the wanted alignment */
	p = mmap(prefaddr, size + align, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return ru_errtrans(errno);
	uintptr_t a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if ((uintptr_t)p + size + align > a + size)
		munmap((void *)(a + size), (uintptr_t)p + size + align - (a + size));
	*memp = (void *)a;
	return 0;
}

void rumpuser_unmap(void *addr, size_t len)
{
	munmap(addr, len);
}
