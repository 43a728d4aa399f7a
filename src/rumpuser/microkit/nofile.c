/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * File and block I/O hypercalls in a PD.  A PD has no host files: each
 * call says so on the console, naming itself, and fails with EOPNOTSUPP
 * (bio completes its request with that error).  Nothing succeeds
 * silently.  The kernel's own file systems (tmpfs, rumpfs) need none of
 * these; a block device for a PD would be an sDDF block client here.
 */
#include "pd_impl.h"

#define NO_FILES NETBSD_EOPNOTSUPP

int rumpuser_open(const char *path, int mode, int *fdp)
{
	ru_pd_say("rumpuser_open(\"%s\", 0x%x): a PD has no host files", path != NULL ? path : "",
		  mode);
	if (fdp != NULL)
		*fdp = -1;
	return NO_FILES;
}

int rumpuser_close(int fd)
{
	ru_pd_say("rumpuser_close(%d): a PD has no host files", fd);
	return NO_FILES;
}

int rumpuser_getfileinfo(const char *path, uint64_t *sizep, int *ftp)
{
	ru_pd_say("rumpuser_getfileinfo(\"%s\"): a PD has no host files",
		  path != NULL ? path : "");
	(void)sizep, (void)ftp;
	return NO_FILES;
}

void rumpuser_bio(int fd, int op, void *data, size_t dlen, int64_t doff, rump_biodone_fn biodone,
		  void *bioarg)
{
	ru_pd_say("rumpuser_bio(%d, op 0x%x, %zu bytes at %lld): a PD has no host files", fd, op,
		  dlen, (long long)doff);
	(void)data;
	if (biodone != NULL)
		biodone(bioarg, 0, NO_FILES);
}

int rumpuser_iovread(int fd, struct rumpuser_iovec *iov, size_t iovlen, int64_t off, size_t *retp)
{
	ru_pd_say("rumpuser_iovread(%d): a PD has no host files", fd);
	(void)iov, (void)iovlen, (void)off;
	if (retp != NULL)
		*retp = 0;
	return NO_FILES;
}

int rumpuser_iovwrite(int fd, const struct rumpuser_iovec *iov, size_t iovlen, int64_t off,
		      size_t *retp)
{
	ru_pd_say("rumpuser_iovwrite(%d): a PD has no host files", fd);
	(void)iov, (void)iovlen, (void)off;
	if (retp != NULL)
		*retp = 0;
	return NO_FILES;
}

int rumpuser_syncfd(int fd, int flags, uint64_t start, uint64_t len)
{
	ru_pd_say("rumpuser_syncfd(%d): a PD has no host files", fd);
	(void)flags, (void)start, (void)len;
	return NO_FILES;
}
