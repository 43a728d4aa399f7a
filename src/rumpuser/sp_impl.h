/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to the sysproxy server (sp.c, sp_call.c, sp_url.c). */
#ifndef RUMPUSER_SP_IMPL_H
#define RUMPUSER_SP_IMPL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "rumpuser_impl.h"
#include "sp_wire.h"

struct sp_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_un un;
		struct sockaddr_in in;
	} u;
	socklen_t len;
};

/* unix://PATH or tcp://ADDR:PORT into *out.  0 or a NetBSD errno:
 * EINVAL (malformed), ENAMETOOLONG, ERANGE (port), EOPNOTSUPP (tcp6). */
int sp_url_parse(const char *url, struct sp_addr *out);

/*
 * A request the server waits on (copyin, anonmmap): queued on its
 * client's waits until the receiver matches a response to reqno, or the
 * client dies.  All fields under the client's mtx.
 */
struct sp_wait {
	uint64_t reqno;
	size_t max;  /* the longest body accepted */
	void *data;  /* the body (malloc'd), owned by the waiter once done */
	size_t dlen;
	int error;   /* NetBSD errno: the client answered ERROR */
	bool done;
	TAILQ_ENTRY(sp_wait) link;
};

/*
 * One connected client: a process in the kernel (mainlwp, pid) and a
 * socket.  One pool thread at a time is its reader (the READ task) and
 * reads every frame; syscalls run on pool threads.
 *
 * Lifetime: refs counts the reader and each queued or running task;
 * the receiver, when the client goes (EOF, error, malformed frame), marks
 * it dying, wakes every waiter, orders the process's lwps out
 * (hyp_lwpexit), waits for refs to fall to 1, then releases the
 * process's last lwp (the process exits: its files close) and frees the
 * client.
 *
 * mtx guards: dying, refs, nextreq, waits, inexec.  sendmtx serialises
 * whole frames on fd (taken without mtx held; never the other way round).
 * mainlwp and pid are written by the receiver during the handshake,
 * before any task of the client exists, and read-only afterwards.
 */
struct sp_client {
	int fd;
	unsigned id; /* for the log */
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	pthread_mutex_t sendmtx;
	bool dying, running, inexec;
	unsigned refs;
	uint64_t nextreq;
	TAILQ_HEAD(, sp_wait) waits;
	struct lwp *mainlwp;
	int pid;
	LIST_HEAD(, sp_prefork) preforks;
	TAILQ_ENTRY(sp_client) link;
};

struct sp_prefork {
	uint32_t auth[SP_AUTH_WORDS];
	struct lwp *lwp;
	struct sp_client *owner;
	LIST_ENTRY(sp_prefork) link;	  /* all preforks */
	LIST_ENTRY(sp_prefork) own_link; /* the owner's */
};

/* Send one frame (header and body pieces) whole.  0 or a NetBSD errno
 * (ENOTCONN when the client is gone). */
int sp_send(struct sp_client *c, struct sp_hdr *h, const void *b1, size_t l1, const void *b2,
	    size_t l2);
void sp_send_error(struct sp_client *c, uint64_t reqno, uint32_t err);

/*
 * sp_call.c: the pool of host threads.  A task owns its body and holds a
 * reference to its client.  READ: be the client's reader (sp.c's
 * sp_reader_run, which runs syscalls itself after handing the reading on
 * to another pool thread); SYSCALL: run one queued syscall; EXEC: finish
 * an exec.  prompt: only if an idle thread or a new one takes it now,
 * else -EAGAIN and nothing queued.  0 or -ENOMEM / -EAGAIN.
 */
enum sp_task_kind { SP_TASK_READ, SP_TASK_SYSCALL, SP_TASK_EXEC };
int sp_task_submit(struct sp_client *c, enum sp_task_kind kind, const struct sp_hdr *h,
		   void *body, size_t blen, bool prompt);
void sp_client_unref(struct sp_client *c);
void sp_reader_run(struct sp_client *c);				       /* sp.c */
void sp_syscall_run(struct sp_client *c, const struct sp_hdr *h, void *body); /* sp_call.c */

/* rumpuser_sp_fini: answer the syscall c is in on this thread, if any. */
void sp_call_fini(void *c);

/* Called from inside a syscall the kernel runs for c (copyin, ...). */
int sp_wait_enqueue(struct sp_client *c, struct sp_wait *w, size_t max);
int sp_wait_for(struct sp_client *c, struct sp_wait *w);

/*
 * The kernel, from the server's threads.  Pool threads (sp_call.c) are
 * bound to a home lwp of their own in initproc between requests (made by
 * sp_home_make when the thread starts, released by sp_home_release when
 * it exits), so entering is the bound fast path; a thread without a home
 * takes the kernel's temporary-lwp path.  After switching to a client's
 * lwp, a request goes back with sp_kernel_home (switch home, or to none),
 * or sp_kernel_release (release the current lwp, then home).
 */
void sp_kernel_enter(void);
void sp_kernel_leave(void);
void sp_kernel_home(void);
void sp_kernel_release(void);
void sp_home_make(void);
void sp_home_release(void);

#endif
