/* SPDX-License-Identifier: BSD-2-Clause */
/* Regions on Linux: a memfd, mapped shared.  The handle is the fd, which
 * a child inherits or a peer receives over a Unix socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../mk_impl.h"

static int map(struct mk_region *r, int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -ENOMEM;
	r->handle = fd;
	r->base = p;
	r->size = size;
	mk_publish(r, MK_MAGIC_REGION);
	return 0;
}

int mk_region_create(struct mk_region *r, const char *name, size_t size)
{
	int fd, e;

	if (r == NULL || name == NULL || size == 0)
		return -EINVAL;
	if (strlen(name) > MK_REGION_NAME_MAX)
		return -ENAMETOOLONG;
	if (size > (size_t)INT64_MAX)
		return -EOVERFLOW;
	memset(r, 0, sizeof(*r));
	strcpy(r->name, name);
	fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return errno == EMFILE ? -EMFILE : -ENOMEM;
	if (ftruncate(fd, (off_t)size) != 0) {
		e = errno == EFBIG || errno == EINVAL ? -EOVERFLOW : -ENOMEM;
		close(fd);
		return e;
	}
	e = map(r, fd, size);
	if (e != 0)
		close(fd);
	return e;
}

int mk_region_attach(struct mk_region *r, int handle, size_t size)
{
	struct stat st;
	char link[64], target[128];
	ssize_t n;
	int fd;

	if (r == NULL || size == 0)
		return -EINVAL;
	if (handle < 0 || fstat(handle, &st) != 0 || !S_ISREG(st.st_mode))
		return -EBADF;
	if ((uint64_t)st.st_size < (uint64_t)size)
		return -ERANGE;
	memset(r, 0, sizeof(*r));
	/* The memfd's name reads back as "/memfd:NAME (deleted)". */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", handle);
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		const char *nm = strncmp(target, "/memfd:", 7) == 0 ? target + 7 : target;
		size_t len = strcspn(nm, " ");
		if (len > MK_REGION_NAME_MAX)
			len = MK_REGION_NAME_MAX;
		memcpy(r->name, nm, len);
	}
	fd = fcntl(handle, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -EMFILE;
	int e = map(r, fd, size);
	if (e != 0)
		close(fd);
	return e;
}

int mk_region_at(const struct mk_region *r, size_t offset, size_t size, size_t align, void **p)
{
	int e = mk_check(r, MK_MAGIC_REGION);

	if (e != 0)
		return e;
	if (p == NULL || align == 0 || (align & (align - 1)) != 0 || offset % align != 0)
		return -EINVAL;
	if (offset > r->size || size > r->size - offset)
		return -ERANGE;
	*p = (char *)r->base + offset;
	return 0;
}

int mk_region_destroy(struct mk_region *r)
{
	int e = mk_check(r, MK_MAGIC_REGION);

	if (e != 0)
		return e;
	munmap(r->base, r->size);
	close(r->handle);
	mk_publish(r, MK_MAGIC_DEAD);
	r->base = NULL;
	r->handle = -1;
	return 0;
}
