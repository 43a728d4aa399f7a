/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rump kernel speaks NetBSD's errno numbers.  1..34 are the same on
 * Linux; above that the numbering differs, so every error a hypercall
 * returns goes through ru_errtrans.  Values from NetBSD's <sys/errno.h>.
 */
#include <errno.h>

#include "rumpuser_impl.h"

int ru_errtrans(int e)
{
	if (e < 0)
		e = -e;
	if (e <= 34)
		return e;
	switch (e) {
	case EAGAIN: return 35;
	case EINPROGRESS: return 36;
	case EALREADY: return 37;
	case ENOTSOCK: return 38;
	case EDESTADDRREQ: return 39;
	case EMSGSIZE: return 40;
	case EPROTOTYPE: return 41;
	case ENOPROTOOPT: return 42;
	case EPROTONOSUPPORT: return 43;
	case ESOCKTNOSUPPORT: return 44;
	case EOPNOTSUPP: return 45;
	case EPFNOSUPPORT: return 46;
	case EAFNOSUPPORT: return 47;
	case EADDRINUSE: return 48;
	case EADDRNOTAVAIL: return 49;
	case ENETDOWN: return 50;
	case ENETUNREACH: return 51;
	case ENETRESET: return 52;
	case ECONNABORTED: return 53;
	case ECONNRESET: return 54;
	case ENOBUFS: return 55;
	case EISCONN: return 56;
	case ENOTCONN: return 57;
	case ESHUTDOWN: return 58;
	case ETOOMANYREFS: return 59;
	case ETIMEDOUT: return 60;
	case ECONNREFUSED: return 61;
	case ELOOP: return 62;
	case ENAMETOOLONG: return 63;
	case EHOSTDOWN: return 64;
	case EHOSTUNREACH: return 65;
	case ENOTEMPTY: return 66;
	case EUSERS: return 68;
	case EDQUOT: return 69;
	case ESTALE: return 70;
	case EREMOTE: return 71;
	case ENOLCK: return 77;
	case ENOSYS: return 78;
	case EIDRM: return 82;
	case ENOMSG: return 83;
	case EOVERFLOW: return 84;
	case EILSEQ: return 85;
	case ECANCELED: return 87;
	case EBADMSG: return 88;
	case ENODATA: return 89;
	case ENOSR: return 90;
	case ENOSTR: return 91;
	case ETIME: return 92;
	case EMULTIHOP: return 94;
	case ENOLINK: return 95;
	case EPROTO: return 96;
	default: return 45; /* EOPNOTSUPP: no better NetBSD equivalent */
	}
}
