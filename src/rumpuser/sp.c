/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sysproxy, the server side (rumpuser_sp_init, rump_init_server): remote
 * clients -- NetBSD's unmodified librumpclient, hence librumphijack and
 * the rumpctrl-style tools -- make system calls into this kernel over a
 * unix or TCP socket (sp_wire.h has the protocol).
 *
 * Threads: every thread here is a host thread of its own, never a green
 * thread, so whatever blocks on a socket (accept, a client's read, a
 * send, a worker waiting for a copyin answer) holds no vCPU of the
 * domain.  They enter the kernel only to run a request, as any foreign
 * host thread does (hyp_schedule ... hyp_unschedule), bound to a home
 * lwp of their own in initproc between requests (below).  None of them
 * uses lwp.c's own lwps, which are for threads that call the kernel for
 * themselves.
 *   - the listener accepts, writes the banner, queues the client's
 *     reader;
 *   - pool threads (sp_call.c) take turns as a client's reader, which
 *     reads every frame the client sends: the handshake, fork and exec
 *     requests it serves itself (they switch the client's main lwp),
 *     answers to copyin/anonmmap it hands to the waiting syscall; at a
 *     syscall it hands the reading on to another pool thread and runs
 *     the syscall itself (sp_reader_run);
 *   - a syscall runs on a new lwp of the client's process
 *     (hyp_lwproc_newlwp(pid)), released after the call; the thread then
 *     switches back to its home lwp.
 * A client that disconnects, dies, or sends something malformed is
 * dropped by its reader (the reason is logged unless it simply
 * closed): waiters are woken (their copyin fails with EFAULT), the
 * process's lwps are ordered out (hyp_lwpexit), and once the last task
 * of the client is done the main lwp is released, which ends the
 * process and closes its descriptors.  Other clients are not touched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "sp_impl.h"

#define SP_CLIENTS_MAX 256
#define SP_REQ_MAX 65536      /* longest request body: syscall args, names */
#define SP_ARGS_MIN 512	      /* request bodies are zero-padded to this */
#define RFFD_SHARE 0x00	      /* rump.h's RUMP_RFFD_* */
#define RFFD_COPY 0x01
#define RFFD_CLEAR 0x02

static int listen_fd = -1;
static struct sp_addr listen_addr;
static char banner[SP_BANNER_MAX];
static pthread_t listener;

/* clients: the live ones, for the count and the id; under clients_mtx */
static pthread_mutex_t clients_mtx = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, sp_client) clients = TAILQ_HEAD_INITIALIZER(clients);
static unsigned nclients, next_id;

/* preforked processes waiting for their FORK handshake; under pf_mtx */
static pthread_mutex_t pf_mtx = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(, sp_prefork) preforks = LIST_HEAD_INITIALIZER(preforks);

/* The calling pool thread's home lwp in initproc, or NULL (a thread
 * whose home could not be made: it takes the temporary-lwp path). */
static _Thread_local struct lwp *home;

void sp_kernel_enter(void)
{
	if (home != NULL)
		ru_hyp->hyp_schedule(); /* bound: rumpuser_curlwp answers home */
	else
		ru_hyp_schedule_implicit();
}

void sp_kernel_leave(void)
{
	ru_hyp->hyp_unschedule();
}

void sp_kernel_home(void)
{
	ru_hyp->hyp_lwproc_switch(home); /* NULL: none, cleared at unschedule */
}

void sp_kernel_release(void)
{
	ru_hyp->hyp_lwproc_release();
	if (home != NULL)
		ru_hyp->hyp_lwproc_switch(home); /* frees the released lwp */
	/* else it is freed at unschedule */
}

void sp_home_make(void)
{
	sp_kernel_enter();
	if (ru_hyp->hyp_lwproc_newlwp(1) == 0) /* the temporary lwp is freed */
		home = ru_hyp->hyp_lwproc_curlwp();
	sp_kernel_leave();
}

void sp_home_release(void)
{
	if (home == NULL || atomic_load(&ru_exiting))
		return;
	ru_hyp->hyp_schedule();
	ru_hyp->hyp_lwproc_release();
	sp_kernel_leave(); /* frees it */
	home = NULL;
}

/* Release l: switch to it and let it go (the last lwp of a process ends
 * the process). */
static void lwp_release(struct lwp *l)
{
	sp_kernel_enter();
	ru_hyp->hyp_lwproc_switch(l);
	sp_kernel_release();
	sp_kernel_leave();
}

int sp_send(struct sp_client *c, struct sp_hdr *h, const void *b1, size_t l1, const void *b2,
	    size_t l2)
{
	struct iovec iov[3] = {{h, sizeof(*h)}, {(void *)b1, l1}, {(void *)b2, l2}};
	struct iovec *v = iov;
	struct msghdr m = {0};
	size_t n = 3;
	ssize_t w;
	int r = 0;

	h->len = sizeof(*h) + l1 + l2;
	pthread_mutex_lock(&c->sendmtx);
	while (n > 0) {
		m.msg_iov = v;
		m.msg_iovlen = n;
		w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = NETBSD_ENOTCONN;
			break;
		}
		while (n > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	pthread_mutex_unlock(&c->sendmtx);
	return r;
}

void sp_send_error(struct sp_client *c, uint64_t reqno, uint32_t err)
{
	struct sp_hdr h = {.reqno = reqno, .class = SP_ERROR, .u = err};

	(void)sp_send(c, &h, NULL, 0, NULL, 0);
}

static void send_handshake(struct sp_client *c, uint64_t reqno, int error)
{
	struct sp_hdr h = {.reqno = reqno, .class = SP_RESP, .type = SP_HANDSHAKE};

	(void)sp_send(c, &h, &error, sizeof(error), NULL, 0);
}

/* 0: n bytes read; 1: end of stream before the first byte; -1: error or
 * end of stream part way. */
static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return got == 0 && r == 0 ? 1 : -1;
		got += (size_t)r;
	}
	return 0;
}

/* The client's process: a fork of initproc with a clean descriptor
 * table, named after the client's program. */
static const char *hs_guest(struct sp_client *c, const struct sp_hdr *h, char *comm)
{
	int r;

	sp_kernel_enter();
	r = ru_hyp->hyp_lwproc_rfork(c, RFFD_CLEAR, comm);
	if (r == 0) {
		c->mainlwp = ru_hyp->hyp_lwproc_curlwp();
		c->pid = ru_hyp->hyp_getpid();
	}
	sp_kernel_home();
	sp_kernel_leave();
	if (r != 0) {
		sp_send_error(c, h->reqno, SP_ERR_RFORK_FAILED);
		return "the kernel refused the process (rfork)";
	}
	send_handshake(c, h->reqno, 0);
	return NULL;
}

/* A forked client's new connection takes over the process made at its
 * PREFORK, sharing its descriptors. */
static const char *hs_fork(struct sp_client *c, const struct sp_hdr *h, void *body, size_t blen)
{
	struct sp_hs_fork f;
	struct sp_prefork *pf;
	struct lwp *tmp;
	int r;

	if (blen != sizeof(f)) {
		sp_send_error(c, h->reqno, SP_ERR_MALFORMED_REQUEST);
		return "fork handshake of the wrong length";
	}
	memcpy(&f, body, sizeof(f));
	pthread_mutex_lock(&pf_mtx);
	LIST_FOREACH(pf, &preforks, link)
		if (memcmp(pf->auth, f.auth, sizeof(f.auth)) == 0)
			break;
	if (pf != NULL) {
		LIST_REMOVE(pf, link);
		LIST_REMOVE(pf, own_link);
	}
	pthread_mutex_unlock(&pf_mtx);
	if (pf == NULL) {
		sp_send_error(c, h->reqno, SP_ERR_INVALID_PREFORK);
		return "fork handshake with an unknown key";
	}
	tmp = pf->lwp;
	free(pf);
	if (f.cancel) {
		lwp_release(tmp);
		return ""; /* the client said so: no complaint */
	}
	sp_kernel_enter();
	ru_hyp->hyp_lwproc_switch(tmp);
	r = ru_hyp->hyp_lwproc_rfork(c, RFFD_SHARE, NULL);
	if (r == 0) {
		c->mainlwp = ru_hyp->hyp_lwproc_curlwp();
		c->pid = ru_hyp->hyp_getpid();
		ru_hyp->hyp_lwproc_switch(tmp);
	}
	sp_kernel_release(); /* tmp, whichever way */
	sp_kernel_leave();
	if (r != 0) {
		sp_send_error(c, h->reqno, SP_ERR_RFORK_FAILED);
		return "the kernel refused the forked process (rfork)";
	}
	send_handshake(c, h->reqno, 0);
	return NULL;
}

static const char *prefork(struct sp_client *c, const struct sp_hdr *h)
{
	struct sp_hdr rh = {.reqno = h->reqno, .class = SP_RESP, .type = SP_PREFORK};
	uint32_t auth[SP_AUTH_WORDS];
	struct sp_prefork *pf;
	bool inexec;
	int r;

	pthread_mutex_lock(&c->mtx);
	inexec = c->inexec;
	pthread_mutex_unlock(&c->mtx);
	if (inexec) {
		sp_send_error(c, h->reqno, SP_ERR_INEXEC);
		return "fork during exec";
	}
	if ((pf = calloc(1, sizeof(*pf))) == NULL) {
		sp_send_error(c, h->reqno, SP_ERR_NOMEM);
		return NULL;
	}
	sp_kernel_enter();
	ru_hyp->hyp_lwproc_switch(c->mainlwp);
	r = ru_hyp->hyp_lwproc_rfork(c, RFFD_COPY, NULL);
	if (r == 0)
		pf->lwp = ru_hyp->hyp_lwproc_curlwp();
	sp_kernel_home();
	sp_kernel_leave();
	if (r != 0) {
		free(pf);
		sp_send_error(c, h->reqno, SP_ERR_RFORK_FAILED);
		return NULL; /* the client sees the fork fail */
	}
	if (getrandom(pf->auth, sizeof(pf->auth), 0) != (ssize_t)sizeof(pf->auth)) {
		lwp_release(pf->lwp);
		free(pf);
		sp_send_error(c, h->reqno, SP_ERR_NOMEM);
		return NULL;
	}
	pf->owner = c;
	/* once published, the forked child's connection may take pf and
	 * free it at any moment: send the key from a copy */
	memcpy(auth, pf->auth, sizeof(auth));
	pthread_mutex_lock(&pf_mtx);
	LIST_INSERT_HEAD(&preforks, pf, link);
	LIST_INSERT_HEAD(&c->preforks, pf, own_link);
	pthread_mutex_unlock(&pf_mtx);
	(void)sp_send(c, &rh, auth, sizeof(auth), NULL, 0);
	return NULL;
}

/* exec: the process's lwps are ordered out now; a worker waits for them
 * to drain and completes it (sp_call.c). */
static const char *hs_exec(struct sp_client *c, const struct sp_hdr *h, void *body, size_t blen)
{
	bool inexec;

	pthread_mutex_lock(&c->mtx);
	inexec = c->inexec;
	c->inexec = true;
	pthread_mutex_unlock(&c->mtx);
	if (inexec) {
		free(body);
		sp_send_error(c, h->reqno, SP_ERR_INEXEC);
		return "exec during exec";
	}
	sp_kernel_enter();
	ru_hyp->hyp_lwproc_switch(c->mainlwp);
	ru_hyp->hyp_lwpexit();
	sp_kernel_home();
	sp_kernel_leave();
	if (sp_task_submit(c, SP_TASK_EXEC, h, body, blen, false) != 0) {
		sp_send_error(c, h->reqno, SP_ERR_NOMEM);
		return "no memory for the exec";
	}
	return NULL;
}

/* A syscall request, read and not yet run. */
struct sp_req {
	struct sp_hdr h;
	void *body; /* zero-padded, owned */
	size_t blen;
};

/* One request of c (body: blen bytes, zero-padded, owned here).  NULL,
 * or why the client is to be dropped.  A syscall is left in *req. */
static const char *request(struct sp_client *c, const struct sp_hdr *h, void *body, size_t blen,
			   struct sp_req *req)
{
	const char *why = NULL;

	if (!c->running) {
		if (h->type != SP_HANDSHAKE) {
			sp_send_error(c, h->reqno, SP_ERR_AUTH);
			why = "request before the handshake";
		} else if (h->u == SP_HS_GUEST) {
			why = hs_guest(c, h, body);
		} else if (h->u == SP_HS_FORK) {
			why = hs_fork(c, h, body, blen);
		} else {
			sp_send_error(c, h->reqno, SP_ERR_AUTH);
			why = "unknown handshake kind";
		}
		free(body);
		if (why == NULL)
			c->running = true;
		return why;
	}
	switch (h->type) {
	case SP_SYSCALL: /* for the caller, sp_reader_run */
		*req = (struct sp_req){.h = *h, .body = body, .blen = blen};
		return NULL;
	case SP_PREFORK:
		free(body);
		return prefork(c, h);
	case SP_HANDSHAKE:
		if (h->u == SP_HS_EXEC)
			return hs_exec(c, h, body, blen);
		free(body);
		sp_send_error(c, h->reqno, SP_ERR_MALFORMED_REQUEST);
		return "second handshake";
	default:
		free(body);
		sp_send_error(c, h->reqno, SP_ERR_MALFORMED_REQUEST);
		return "unknown request type";
	}
}

/* An answer to one of our requests: to its waiter, if it fits. */
static const char *answer(struct sp_client *c, const struct sp_hdr *h, size_t blen)
{
	struct sp_wait *w;
	void *data;

	pthread_mutex_lock(&c->mtx);
	TAILQ_FOREACH(w, &c->waits, link)
		if (w->reqno == h->reqno && !w->done)
			break;
	pthread_mutex_unlock(&c->mtx);
	/* w stays queued until done or dying, both set by the reader: us */
	if (w == NULL)
		return "answer to no request";
	if (blen > w->max)
		return "answer longer than asked for";
	if ((data = malloc(blen > 0 ? blen : 1)) == NULL)
		return "no memory for an answer";
	if (read_full(c->fd, data, blen) != 0) {
		free(data);
		return "truncated frame";
	}
	pthread_mutex_lock(&c->mtx);
	w->data = data;
	w->dlen = blen;
	w->error = h->class == SP_ERROR ? NETBSD_EFAULT : 0;
	w->done = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mtx);
	return NULL;
}

/* Read and act on frames until a syscall request comes (NULL, *req
 * filled) or the client goes (why; "" when it simply closed). */
static const char *serve(struct sp_client *c, struct sp_req *req)
{
	struct sp_hdr h;
	const char *why;
	size_t blen;
	void *body;
	int r;

	for (;;) {
		if ((r = read_full(c->fd, &h, sizeof(h))) != 0)
			return r > 0 ? "" : "truncated frame header";
		if (h.len < sizeof(h))
			return "frame length shorter than its header";
		blen = (size_t)(h.len - sizeof(h));
		if (h.class == SP_RESP || h.class == SP_ERROR) {
			if ((why = answer(c, &h, blen)) != NULL)
				return why;
			continue;
		}
		if (h.class != SP_REQ)
			return "unknown frame class";
		if (blen > SP_REQ_MAX)
			return "request longer than any request";
		if ((body = calloc(1, blen + 1 > SP_ARGS_MIN ? blen + 1 : SP_ARGS_MIN)) == NULL)
			return "no memory for a request";
		if (read_full(c->fd, body, blen) != 0) {
			free(body);
			return "truncated frame";
		}
		if ((why = request(c, &h, body, blen, req)) != NULL || req->body != NULL)
			return why;
	}
}

static void client_free(struct sp_client *c)
{
	pthread_mutex_lock(&clients_mtx);
	TAILQ_REMOVE(&clients, c, link);
	nclients--;
	pthread_mutex_unlock(&clients_mtx);
	close(c->fd);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mtx);
	pthread_mutex_destroy(&c->sendmtx);
	free(c);
}

/* The client is gone: end its process without touching anyone else's. */
static void teardown(struct sp_client *c, const char *why)
{
	struct sp_prefork *pf;
	bool inexec;

	if (why != NULL && *why != '\0')
		fprintf(stderr, "rumpbridge: sysproxy: client %u (pid %d) dropped: %s\n", c->id,
			c->pid, why);
	pthread_mutex_lock(&c->mtx);
	c->dying = true;
	inexec = c->inexec;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mtx);
	shutdown(c->fd, SHUT_RDWR); /* a worker blocked sending gives up */
	/* an exec in progress ordered the lwps out already and may be using
	 * mainlwp: leave that to it */
	if (c->mainlwp != NULL && !inexec) {
		sp_kernel_enter();
		ru_hyp->hyp_lwproc_switch(c->mainlwp);
		ru_hyp->hyp_lwpexit();
		sp_kernel_home();
		sp_kernel_leave();
	}
	pthread_mutex_lock(&c->mtx);
	while (c->refs > 1)
		pthread_cond_wait(&c->cv, &c->mtx);
	pthread_mutex_unlock(&c->mtx);
	for (;;) {
		pthread_mutex_lock(&pf_mtx);
		if ((pf = LIST_FIRST(&c->preforks)) != NULL) {
			LIST_REMOVE(pf, link);
			LIST_REMOVE(pf, own_link);
		}
		pthread_mutex_unlock(&pf_mtx);
		if (pf == NULL)
			break;
		lwp_release(pf->lwp);
		free(pf);
	}
	if (c->mainlwp != NULL)
		lwp_release(c->mainlwp); /* the process's last lwp: it exits */
	client_free(c);
}

/*
 * Be c's reader (a READ task on a pool thread): read its frames; at a
 * syscall, hand the reading on to another pool thread (an idle one, at
 * once) and run the syscall on this one, which then goes back to the
 * pool: the call starts without waiting for a thread to wake up.  With
 * no thread to hand over to, the syscall is queued and this one reads
 * on (the reader must keep reading: the syscall may need answers).
 */
void sp_reader_run(struct sp_client *c)
{
	struct sp_req req;
	const char *why;

	for (;;) {
		req.body = NULL;
		if ((why = serve(c, &req)) != NULL) {
			teardown(c, why); /* frees c */
			return;
		}
		if (sp_task_submit(c, SP_TASK_READ, NULL, NULL, 0, true) == 0) {
			sp_syscall_run(c, &req.h, req.body);
			free(req.body);
			sp_client_unref(c); /* this thread's READ reference */
			return;
		}
		if (sp_task_submit(c, SP_TASK_SYSCALL, &req.h, req.body, req.blen, false) != 0) {
			free(req.body);
			sp_send_error(c, req.h.reqno, SP_ERR_TRYAGAIN);
		}
	}
}

static void accept_one(int fd, bool tcp)
{
	struct sp_client *c;
	size_t bl = strlen(banner);
	int one = 1;

	if (tcp)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pthread_mutex_lock(&clients_mtx);
	if (nclients >= SP_CLIENTS_MAX) {
		pthread_mutex_unlock(&clients_mtx);
		fprintf(stderr, "rumpbridge: sysproxy: %d clients already: connection refused\n",
			SP_CLIENTS_MAX);
		close(fd);
		return;
	}
	pthread_mutex_unlock(&clients_mtx);
	if (send(fd, banner, bl, MSG_NOSIGNAL) != (ssize_t)bl || (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->pid = -1;
	TAILQ_INIT(&c->waits);
	LIST_INIT(&c->preforks);
	pthread_mutex_init(&c->mtx, NULL);
	pthread_mutex_init(&c->sendmtx, NULL);
	pthread_cond_init(&c->cv, NULL);
	pthread_mutex_lock(&clients_mtx);
	c->id = ++next_id;
	TAILQ_INSERT_TAIL(&clients, c, link);
	nclients++;
	pthread_mutex_unlock(&clients_mtx);
	if (sp_task_submit(c, SP_TASK_READ, NULL, NULL, 0, false) != 0) {
		fprintf(stderr, "rumpbridge: sysproxy: no thread for a client: refused\n");
		client_free(c);
	}
}

static void *listen_loop(void *arg)
{
	bool tcp = arg != NULL;
	int fd;

	for (;;) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			accept_one(fd, tcp);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
		    errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			continue;
		return NULL; /* shut down (rumpuser_sp_fini) */
	}
}

int rumpuser_sp_init(const char *url, const char *ostype, const char *osrelease,
		     const char *machine)
{
	int r, fd;

	struct sp_addr addr;

	if (ostype == NULL || osrelease == NULL || machine == NULL)
		return NETBSD_EINVAL;
	if ((r = sp_url_parse(url, &addr)) != 0) {
		fprintf(stderr, "rumpbridge: sysproxy: cannot use the address \"%s\"\n",
			url != NULL ? url : "(null)");
		return r;
	}
	if (ru_hyp == NULL || ru_hyp->hyp_lwproc_rfork == NULL || ru_hyp->hyp_syscall == NULL)
		return NETBSD_ENXIO; /* no kernel, or one without sysproxy */
	if (listen_fd >= 0)
		return NETBSD_EBUSY;
	listen_addr = addr;
	snprintf(banner, sizeof(banner), "RUMPSP-%d.%d-%s-%s/%s\n", SP_PROTO_MAJOR,
		 SP_PROTO_MINOR, ostype, osrelease, machine);
	fd = socket(listen_addr.u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ru_errtrans(errno);
	if (bind(fd, &listen_addr.u.sa, listen_addr.len) != 0 || listen(fd, SP_CLIENTS_MAX) != 0) {
		r = errno;
		fprintf(stderr, "rumpbridge: sysproxy: cannot listen on %s: %s\n", url, strerror(r));
		close(fd);
		return ru_errtrans(r);
	}
	listen_fd = fd;
	r = pthread_create(&listener, NULL, listen_loop,
			   listen_addr.u.sa.sa_family == AF_INET ? (void *)1 : NULL);
	if (r != 0) {
		close(fd);
		listen_fd = -1;
		return ru_errtrans(r);
	}
	pthread_detach(listener);
	return 0;
}

/*
 * The kernel is going down (reboot, from a client's syscall or from the
 * program): the client whose syscall it is gets its answer now, since
 * the process is about to end; no new client is accepted, and a unix
 * socket's file is removed.
 */
void rumpuser_sp_fini(void *arg)
{
	sp_call_fini(arg);
	if (listen_fd >= 0) {
		if (listen_addr.u.sa.sa_family == AF_UNIX)
			unlink(listen_addr.u.un.sun_path);
		shutdown(listen_fd, SHUT_RDWR);
	}
}
