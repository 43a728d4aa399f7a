/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host (Linux) errno -> NetBSD errno, for every error a hypercall returns
 * to the rump kernel.  By name on both sides: the numbers differ from 35
 * up, and 11 is EAGAIN on Linux but EDEADLK on NetBSD.  Linux's aliases
 * (EWOULDBLOCK = EAGAIN, EDEADLOCK = EDEADLK, ENOTSUP = EOPNOTSUPP) map
 * with the name they alias.  A host error with no NetBSD counterpart
 * (ENOMEDIUM, EKEYEXPIRED, ...) becomes EINVAL, as in NetBSD's own
 * librumpuser.
 */
#include <errno.h>

#include "rumpuser_impl.h"

int ru_errtrans(int e)
{
	if (e < 0)
		e = -e;
	switch (e) {
	case 0: return 0;
	case EPERM: return NETBSD_EPERM;
	case ENOENT: return NETBSD_ENOENT;
	case ESRCH: return NETBSD_ESRCH;
	case EINTR: return NETBSD_EINTR;
	case EIO: return NETBSD_EIO;
	case ENXIO: return NETBSD_ENXIO;
	case E2BIG: return NETBSD_E2BIG;
	case ENOEXEC: return NETBSD_ENOEXEC;
	case EBADF: return NETBSD_EBADF;
	case ECHILD: return NETBSD_ECHILD;
	case EDEADLK: return NETBSD_EDEADLK;
	case ENOMEM: return NETBSD_ENOMEM;
	case EACCES: return NETBSD_EACCES;
	case EFAULT: return NETBSD_EFAULT;
	case ENOTBLK: return NETBSD_ENOTBLK;
	case EBUSY: return NETBSD_EBUSY;
	case EEXIST: return NETBSD_EEXIST;
	case EXDEV: return NETBSD_EXDEV;
	case ENODEV: return NETBSD_ENODEV;
	case ENOTDIR: return NETBSD_ENOTDIR;
	case EISDIR: return NETBSD_EISDIR;
	case EINVAL: return NETBSD_EINVAL;
	case ENFILE: return NETBSD_ENFILE;
	case EMFILE: return NETBSD_EMFILE;
	case ENOTTY: return NETBSD_ENOTTY;
	case ETXTBSY: return NETBSD_ETXTBSY;
	case EFBIG: return NETBSD_EFBIG;
	case ENOSPC: return NETBSD_ENOSPC;
	case ESPIPE: return NETBSD_ESPIPE;
	case EROFS: return NETBSD_EROFS;
	case EMLINK: return NETBSD_EMLINK;
	case EPIPE: return NETBSD_EPIPE;
	case EDOM: return NETBSD_EDOM;
	case ERANGE: return NETBSD_ERANGE;
	case EAGAIN: return NETBSD_EAGAIN;
	case EINPROGRESS: return NETBSD_EINPROGRESS;
	case EALREADY: return NETBSD_EALREADY;
	case ENOTSOCK: return NETBSD_ENOTSOCK;
	case EDESTADDRREQ: return NETBSD_EDESTADDRREQ;
	case EMSGSIZE: return NETBSD_EMSGSIZE;
	case EPROTOTYPE: return NETBSD_EPROTOTYPE;
	case ENOPROTOOPT: return NETBSD_ENOPROTOOPT;
	case EPROTONOSUPPORT: return NETBSD_EPROTONOSUPPORT;
	case ESOCKTNOSUPPORT: return NETBSD_ESOCKTNOSUPPORT;
	case EOPNOTSUPP: return NETBSD_EOPNOTSUPP;
	case EPFNOSUPPORT: return NETBSD_EPFNOSUPPORT;
	case EAFNOSUPPORT: return NETBSD_EAFNOSUPPORT;
	case EADDRINUSE: return NETBSD_EADDRINUSE;
	case EADDRNOTAVAIL: return NETBSD_EADDRNOTAVAIL;
	case ENETDOWN: return NETBSD_ENETDOWN;
	case ENETUNREACH: return NETBSD_ENETUNREACH;
	case ENETRESET: return NETBSD_ENETRESET;
	case ECONNABORTED: return NETBSD_ECONNABORTED;
	case ECONNRESET: return NETBSD_ECONNRESET;
	case ENOBUFS: return NETBSD_ENOBUFS;
	case EISCONN: return NETBSD_EISCONN;
	case ENOTCONN: return NETBSD_ENOTCONN;
	case ESHUTDOWN: return NETBSD_ESHUTDOWN;
	case ETOOMANYREFS: return NETBSD_ETOOMANYREFS;
	case ETIMEDOUT: return NETBSD_ETIMEDOUT;
	case ECONNREFUSED: return NETBSD_ECONNREFUSED;
	case ELOOP: return NETBSD_ELOOP;
	case ENAMETOOLONG: return NETBSD_ENAMETOOLONG;
	case EHOSTDOWN: return NETBSD_EHOSTDOWN;
	case EHOSTUNREACH: return NETBSD_EHOSTUNREACH;
	case ENOTEMPTY: return NETBSD_ENOTEMPTY;
	case EUSERS: return NETBSD_EUSERS;
	case EDQUOT: return NETBSD_EDQUOT;
	case ESTALE: return NETBSD_ESTALE;
	case EREMOTE: return NETBSD_EREMOTE;
	case ENOLCK: return NETBSD_ENOLCK;
	case ENOSYS: return NETBSD_ENOSYS;
	case EIDRM: return NETBSD_EIDRM;
	case ENOMSG: return NETBSD_ENOMSG;
	case EOVERFLOW: return NETBSD_EOVERFLOW;
	case EILSEQ: return NETBSD_EILSEQ;
	case ECANCELED: return NETBSD_ECANCELED;
	case EBADMSG: return NETBSD_EBADMSG;
	case ENODATA: return NETBSD_ENODATA;
	case ENOSR: return NETBSD_ENOSR;
	case ENOSTR: return NETBSD_ENOSTR;
	case ETIME: return NETBSD_ETIME;
	case EMULTIHOP: return NETBSD_EMULTIHOP;
	case ENOLINK: return NETBSD_ENOLINK;
	case EPROTO: return NETBSD_EPROTO;
	default: return NETBSD_EINVAL;
	}
}
