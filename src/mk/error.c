/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <limits.h>

#include <rumpbridge/mk.h>

/* Our own table rather than strerror(): the text is the contract of the
 * mk, dom and rumpuser headers, and strerror() is not freestanding.  It
 * names exactly the codes those headers document (tests/mk/test_clock.c
 * lists them). */
const char *mk_strerror(int err)
{
	if (err == INT_MIN) /* -INT_MIN overflows */
		return "unknown error";
	if (err < 0)
		err = -err;
	switch (err) {
	case 0: return "success";
	case EINVAL: return "invalid argument (NULL object or value out of range)";
	case EBADF: return "object destroyed or never initialised";
	case EPROTOTYPE: return "object is of another kind";
	case EBUSY: return "object in use";
	case ETIMEDOUT: return "deadline passed";
	case EAGAIN: return "nothing pending / would block";
	case EDEADLK: return "would deadlock (lock already held by the caller)";
	case EPERM: return "caller does not own the object";
	case ENOMEM: return "out of memory";
	case ENAMETOOLONG: return "name too long";
	case ERANGE: return "does not fit";
	case EOVERFLOW: return "size overflows";
	case ESTALE: return "reply token does not name a call in service";
	case ECANCELED: return "call cancelled by the server";
	case EEXIST: return "already exists";
	case ESRCH: return "no such thread (not joinable)";
	case ESHUTDOWN: return "domain is shutting down";
	case EMFILE: return "too many open files";
	case ENXIO: return "no rump kernel in this process";
	case ENOTSUP: return "not supported"; /* by this backend: mk_microkit.h */
	default: return "unknown error";
	}
}
