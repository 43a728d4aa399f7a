/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NetBSD's errno numbers, the ones the rump kernel speaks: every error a
 * hypercall returns is one of these (rumpuser(3)), never a host number.
 * Written from the numbers of NetBSD's <sys/errno.h> (NetBSD 7.99, ELAST
 * 96); the names are NetBSD's with a NETBSD_ prefix, so they never clash
 * with the host's <errno.h>.  1..34 coincide with Linux's except 11
 * (NetBSD EDEADLK, Linux EAGAIN).  Ten of these have no Linux
 * counterpart (EPROCLIM, the Sun RPC ones, EFTYPE, EAUTH, ENEEDAUTH,
 * ENOATTR): nothing of the host produces them.
 */
#ifndef RUMPBRIDGE_NETBSD_ERRNO_H
#define RUMPBRIDGE_NETBSD_ERRNO_H

#define NETBSD_EPERM             1
#define NETBSD_ENOENT            2
#define NETBSD_ESRCH             3
#define NETBSD_EINTR             4
#define NETBSD_EIO               5
#define NETBSD_ENXIO             6
#define NETBSD_E2BIG             7
#define NETBSD_ENOEXEC           8
#define NETBSD_EBADF             9
#define NETBSD_ECHILD            10
#define NETBSD_EDEADLK           11
#define NETBSD_ENOMEM            12
#define NETBSD_EACCES            13
#define NETBSD_EFAULT            14
#define NETBSD_ENOTBLK           15
#define NETBSD_EBUSY             16
#define NETBSD_EEXIST            17
#define NETBSD_EXDEV             18
#define NETBSD_ENODEV            19
#define NETBSD_ENOTDIR           20
#define NETBSD_EISDIR            21
#define NETBSD_EINVAL            22
#define NETBSD_ENFILE            23
#define NETBSD_EMFILE            24
#define NETBSD_ENOTTY            25
#define NETBSD_ETXTBSY           26
#define NETBSD_EFBIG             27
#define NETBSD_ENOSPC            28
#define NETBSD_ESPIPE            29
#define NETBSD_EROFS             30
#define NETBSD_EMLINK            31
#define NETBSD_EPIPE             32
#define NETBSD_EDOM              33
#define NETBSD_ERANGE            34
#define NETBSD_EAGAIN            35
#define NETBSD_EINPROGRESS       36
#define NETBSD_EALREADY          37
#define NETBSD_ENOTSOCK          38
#define NETBSD_EDESTADDRREQ      39
#define NETBSD_EMSGSIZE          40
#define NETBSD_EPROTOTYPE        41
#define NETBSD_ENOPROTOOPT       42
#define NETBSD_EPROTONOSUPPORT   43
#define NETBSD_ESOCKTNOSUPPORT   44
#define NETBSD_EOPNOTSUPP        45
#define NETBSD_EPFNOSUPPORT      46
#define NETBSD_EAFNOSUPPORT      47
#define NETBSD_EADDRINUSE        48
#define NETBSD_EADDRNOTAVAIL     49
#define NETBSD_ENETDOWN          50
#define NETBSD_ENETUNREACH       51
#define NETBSD_ENETRESET         52
#define NETBSD_ECONNABORTED      53
#define NETBSD_ECONNRESET        54
#define NETBSD_ENOBUFS           55
#define NETBSD_EISCONN           56
#define NETBSD_ENOTCONN          57
#define NETBSD_ESHUTDOWN         58
#define NETBSD_ETOOMANYREFS      59
#define NETBSD_ETIMEDOUT         60
#define NETBSD_ECONNREFUSED      61
#define NETBSD_ELOOP             62
#define NETBSD_ENAMETOOLONG      63
#define NETBSD_EHOSTDOWN         64
#define NETBSD_EHOSTUNREACH      65
#define NETBSD_ENOTEMPTY         66
#define NETBSD_EPROCLIM          67
#define NETBSD_EUSERS            68
#define NETBSD_EDQUOT            69
#define NETBSD_ESTALE            70
#define NETBSD_EREMOTE           71
#define NETBSD_EBADRPC           72
#define NETBSD_ERPCMISMATCH      73
#define NETBSD_EPROGUNAVAIL      74
#define NETBSD_EPROGMISMATCH     75
#define NETBSD_EPROCUNAVAIL      76
#define NETBSD_ENOLCK            77
#define NETBSD_ENOSYS            78
#define NETBSD_EFTYPE            79
#define NETBSD_EAUTH             80
#define NETBSD_ENEEDAUTH         81
#define NETBSD_EIDRM             82
#define NETBSD_ENOMSG            83
#define NETBSD_EOVERFLOW         84
#define NETBSD_EILSEQ            85
#define NETBSD_ENOTSUP           86
#define NETBSD_ECANCELED         87
#define NETBSD_EBADMSG           88
#define NETBSD_ENODATA           89
#define NETBSD_ENOSR             90
#define NETBSD_ENOSTR            91
#define NETBSD_ETIME             92
#define NETBSD_ENOATTR           93
#define NETBSD_EMULTIHOP         94
#define NETBSD_ENOLINK           95
#define NETBSD_EPROTO            96

#define NETBSD_ELAST NETBSD_EPROTO

#endif
