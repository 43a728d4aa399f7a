/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host files and block devices.
 *
 * Blocking host I/O never runs on a vCPU.  The helper host threads are
 * the domain's porters, its one pool for blocking work (src/dom/detach.c):
 * a green thread moves onto one for the operation (dom_detach, then
 * dom_reattach), so its vCPU runs other green threads meanwhile.  A host
 * thread does its I/O itself.  Either way the rump CPU is released
 * around it.
 *
 * rumpuser_bio is asynchronous: a porter does the transfer as a job
 * (dom_host_run) and delivers the completion through the domain
 * (dom_call: biodone runs on a green thread of the domain).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/fs.h>

#include "rumpuser_impl.h"

struct io_req {
	void (*fn)(struct io_req *);
	/* the operation */
	int fd, op, result;
	void *data;
	const struct rumpuser_iovec *iov;
	size_t iovlen, len, moved;
	int64_t off;
	rump_biodone_fn biodone;
	void *bioarg;
	const char *path;
	int flags;
	uint64_t *sizep;
	int *typep;
	uint64_t start, slen;
};

/* Nothing to start: the helpers are the domain's porters, started on
 * demand. */
int ru_io_start(void)
{
	return 0;
}

/* Run q->fn off the vCPUs if the caller is a green thread (on a porter:
 * dom_detach); release the rump CPU either way. */
static void run_io(struct io_req *q)
{
	struct dom_thread *self = dom_self();
	int nlocks;

	ru_unschedule(&nlocks, NULL);
	if (self != NULL && dom_thread_is_green(self) && dom_detach() == 0) {
		q->fn(q);
		dom_reattach();
	} else {
		/* a host thread; or no porter could start: a green thread
		 * then blocks its vCPU for the call rather than fail it */
		q->fn(q);
	}
	ru_schedule(nlocks, NULL);
}

static void do_open(struct io_req *q)
{
	int f = 0, fd;

	switch (q->flags & RUMPUSER_OPEN_ACCMODE) {
	case RUMPUSER_OPEN_RDONLY: f = O_RDONLY; break;
	case RUMPUSER_OPEN_WRONLY: f = O_WRONLY; break;
	case RUMPUSER_OPEN_RDWR: f = O_RDWR; break;
	default: q->result = NETBSD_EINVAL; return;
	}
	if (q->flags & RUMPUSER_OPEN_CREATE)
		f |= O_CREAT;
	if (q->flags & RUMPUSER_OPEN_EXCL)
		f |= O_EXCL;
	fd = open(q->path, f | O_CLOEXEC, 0644);
	q->result = fd < 0 ? ru_errtrans(errno) : 0;
	q->fd = fd;
}

int rumpuser_open(const char *path, int flags, int *fdp)
{
	struct io_req q = {.path = path, .flags = flags, .fn = do_open};

	if (path == NULL || fdp == NULL)
		return NETBSD_EINVAL;
	run_io(&q);
	if (q.result == 0)
		*fdp = q.fd;
	return q.result;
}

int rumpuser_close(int fd)
{
	return close(fd) == 0 ? 0 : ru_errtrans(errno);
}

static void do_fileinfo(struct io_req *q)
{
	struct stat st;
	uint64_t size = 0;
	int type;

	if (stat(q->path, &st) != 0) {
		q->result = ru_errtrans(errno);
		return;
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR: type = RUMPUSER_FT_DIR; break;
	case S_IFREG: type = RUMPUSER_FT_REG; size = (uint64_t)st.st_size; break;
	case S_IFBLK: {
		int fd = open(q->path, O_RDONLY | O_CLOEXEC);
		type = RUMPUSER_FT_BLK;
		if (fd >= 0) {
			if (ioctl(fd, BLKGETSIZE64, &size) != 0)
				size = 0;
			close(fd);
		}
		break;
	}
	case S_IFCHR: type = RUMPUSER_FT_CHR; break;
	default: type = RUMPUSER_FT_OTHER; break;
	}
	if (q->sizep != NULL)
		*q->sizep = size;
	if (q->typep != NULL)
		*q->typep = type;
	q->result = 0;
}

int rumpuser_getfileinfo(const char *path, uint64_t *sizep, int *typep)
{
	struct io_req q = {.path = path, .sizep = sizep, .typep = typep, .fn = do_fileinfo};

	if (path == NULL)
		return NETBSD_EINVAL;
	run_io(&q);
	return q.result;
}

static void do_iov(struct io_req *q)
{
	ssize_t n;
	int cnt = q->iovlen > IOV_MAX ? IOV_MAX : (int)q->iovlen;
	/* struct rumpuser_iovec has struct iovec's layout */
	const struct iovec *iov = (const struct iovec *)q->iov;

	if (q->op == RUMPUSER_BIO_READ)
		n = q->off == RUMPUSER_IOV_NOSEEK ? readv(q->fd, iov, cnt)
						  : preadv(q->fd, iov, cnt, q->off);
	else
		n = q->off == RUMPUSER_IOV_NOSEEK ? writev(q->fd, iov, cnt)
						  : pwritev(q->fd, iov, cnt, q->off);
	if (n < 0) {
		q->result = ru_errtrans(errno);
		q->moved = 0;
	} else {
		q->result = 0;
		q->moved = (size_t)n;
	}
}

int rumpuser_iovread(int fd, struct rumpuser_iovec *iov, size_t iovlen, int64_t off,
		     size_t *retp)
{
	struct io_req q = {.fd = fd, .iov = iov, .iovlen = iovlen, .off = off,
			   .op = RUMPUSER_BIO_READ, .fn = do_iov};

	if ((iov == NULL && iovlen != 0) || retp == NULL)
		return NETBSD_EINVAL;
	run_io(&q);
	*retp = q.moved;
	return q.result;
}

int rumpuser_iovwrite(int fd, const struct rumpuser_iovec *iov, size_t iovlen, int64_t off,
		      size_t *retp)
{
	struct io_req q = {.fd = fd, .iov = iov, .iovlen = iovlen, .off = off,
			   .op = RUMPUSER_BIO_WRITE, .fn = do_iov};

	if ((iov == NULL && iovlen != 0) || retp == NULL)
		return NETBSD_EINVAL;
	run_io(&q);
	*retp = q.moved;
	return q.result;
}

static void do_sync(struct io_req *q)
{
	int r = 0;

	if (q->flags & (RUMPUSER_SYNCFD_WRITE | RUMPUSER_SYNCFD_SYNC))
		r = fdatasync(q->fd);
	q->result = r == 0 ? 0 : ru_errtrans(errno);
}

int rumpuser_syncfd(int fd, int flags, uint64_t start, uint64_t len)
{
	struct io_req q = {.fd = fd, .flags = flags, .start = start, .slen = len, .fn = do_sync};

	if (flags & ~(RUMPUSER_SYNCFD_READ | RUMPUSER_SYNCFD_WRITE | RUMPUSER_SYNCFD_BARRIER |
		      RUMPUSER_SYNCFD_SYNC))
		return NETBSD_EINVAL;
	run_io(&q);
	return q.result;
}

/* The completion runs on a green thread of the domain. */
static void *biodone_in_domain(void *p)
{
	struct io_req *q = p;

	q->biodone(q->bioarg, q->moved, q->result);
	return NULL;
}

static void do_bio(struct io_req *q)
{
	ssize_t n;

	if (q->op & RUMPUSER_BIO_READ)
		n = pread(q->fd, q->data, q->len, q->off);
	else
		n = pwrite(q->fd, q->data, q->len, q->off);
	if (n >= 0 && (q->op & RUMPUSER_BIO_SYNC) && (q->op & RUMPUSER_BIO_WRITE) &&
	    fdatasync(q->fd) != 0)
		n = -1;
	q->result = n < 0 ? ru_errtrans(errno) : 0;
	q->moved = n < 0 ? 0 : (size_t)n;
	dom_call(ru_dom, biodone_in_domain, q, NULL);
	free(q);
}

static void bio_job(void *p)
{
	struct io_req *q = p;

	q->fn(q);
}

void rumpuser_bio(int fd, int op, void *data, size_t dlen, int64_t off, rump_biodone_fn biodone,
		  void *bioarg)
{
	struct io_req *q = calloc(1, sizeof(*q));
	int nlocks, r;

	if (q == NULL) {
		biodone(bioarg, 0, NETBSD_ENOMEM);
		return;
	}
	*q = (struct io_req){.fd = fd, .op = op, .data = data, .len = dlen, .off = off,
			     .biodone = biodone, .bioarg = bioarg, .fn = do_bio};
	ru_unschedule(&nlocks, NULL);
	if ((r = dom_host_run(ru_dom, bio_job, q)) != 0)
		ru_panic("cannot start an I/O helper thread", r);
	ru_schedule(nlocks, NULL);
}
