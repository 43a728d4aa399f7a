/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host files and environment (mk.h): what dom's trace recorder needs to
 * find RUMPBRIDGE_TRACE and write the trace file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <rumpbridge/mk.h>

const char *mk_env_get(const char *name)
{
	return name != NULL ? getenv(name) : NULL;
}

int mk_file_write(const char *path, const void *buf, size_t len)
{
	const char *p = buf;
	int fd, r = 0;

	if (path == NULL || buf == NULL)
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0 && r == 0)
		r = -errno;
	return r;
}
