/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The sysproxy wire protocol, as NetBSD's librumpclient speaks it
 * (protocol 0.4; our own declarations of the documented frame layout).
 * Host byte order and host ABI: client and server share the machine's
 * data layout, as with NetBSD's implementation.
 *
 * On connect the server writes a banner line
 * "RUMPSP-0.4-<ostype>-<osrelease>/<machine>\n".  Every message after it
 * is a frame: struct sp_hdr, then len - sizeof(struct sp_hdr) bytes.
 * Requests carry a request number the response repeats.
 *
 *   client -> server  REQ HANDSHAKE(GUEST)  body: program name, NUL
 *                     REQ HANDSHAKE(FORK)   body: struct sp_hs_fork
 *                     REQ HANDSHAKE(EXEC)   body: new program name
 *                     REQ SYSCALL(sysnum)   body: the argument block
 *                     REQ PREFORK           no body
 *                     RESP COPYIN           body: the bytes (a string:
 *                                           up to and with its NUL)
 *                     RESP ANONMMAP         body: void *, NULL: failed
 *   server -> client  RESP HANDSHAKE        body: int error
 *                     RESP SYSCALL          body: struct sp_sysresp
 *                     RESP PREFORK          body: uint32_t auth[4]
 *                     ERROR (u = enum)      no body
 *                     REQ COPYIN/COPYINSTR  body: struct sp_copydata
 *                     REQ COPYOUT/..STR     body: sp_copydata + bytes,
 *                                           no response
 *                     REQ ANONMMAP          body: size_t length
 *                     REQ RAISE (u = signo) no body, no response
 */
#ifndef RUMPUSER_SP_WIRE_H
#define RUMPUSER_SP_WIRE_H

#include <stddef.h>
#include <stdint.h>

enum { SP_REQ, SP_RESP, SP_ERROR };
enum {
	SP_HANDSHAKE,
	SP_SYSCALL,
	SP_COPYIN,
	SP_COPYINSTR,
	SP_COPYOUT,
	SP_COPYOUTSTR,
	SP_ANONMMAP,
	SP_PREFORK,
	SP_RAISE,
};
enum { SP_HS_GUEST, SP_HS_AUTH, SP_HS_FORK, SP_HS_EXEC };
enum {
	SP_ERR_NONE,
	SP_ERR_TRYAGAIN,
	SP_ERR_AUTH,
	SP_ERR_INVALID_PREFORK,
	SP_ERR_RFORK_FAILED,
	SP_ERR_INEXEC,
	SP_ERR_NOMEM,
	SP_ERR_MALFORMED_REQUEST,
};

#define SP_PROTO_MAJOR 0
#define SP_PROTO_MINOR 4
#define SP_BANNER_MAX 96
#define SP_AUTH_WORDS 4

struct sp_hdr {
	uint64_t len; /* of the whole frame, header included */
	uint64_t reqno;
	uint16_t class;
	uint16_t type;
	uint32_t u; /* sysnum, error, handshake kind or signal */
};

struct sp_copydata {
	size_t len;
	void *addr; /* in the client's address space */
};

struct sp_sysresp {
	int error;
	long retval[2];
};

struct sp_hs_fork {
	uint32_t auth[SP_AUTH_WORDS];
	int cancel;
};

_Static_assert(sizeof(struct sp_hdr) == 24, "sysproxy header is 24 bytes on the wire");
_Static_assert(sizeof(struct sp_copydata) == 2 * sizeof(void *), "copydata layout");
_Static_assert(offsetof(struct sp_sysresp, retval) == sizeof(long), "sysresp layout");

#endif
