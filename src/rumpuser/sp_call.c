/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sysproxy: the pool of host threads that read clients' sockets and run
 * their syscalls, and the hypercalls the kernel makes inside such a
 * syscall to reach the client's memory (rumpuser_sp_copyin, _copyout,
 * _anonmmap, _raise).
 *
 * The pool: detached host threads taking tasks from one queue (READ: be
 * a client's reader, sp.c's sp_reader_run; SYSCALL: a queued syscall;
 * EXEC).  A task goes to an idle thread, or a new one is made (up to
 * SP_WORKERS_MAX; beyond, tasks wait in the queue); a thread with
 * SP_WORKERS_IDLE idle ones beside it exits.  A reader that meets a
 * syscall hands the reading on and runs the syscall itself, on a new lwp
 * of the client's process (hyp_lwproc_newlwp(pid)), so the call sees the
 * client's descriptors and credentials; the lwp is released after.
 * Between tasks a thread is bound to an lwp of its own in initproc (its
 * home, sp.c): entering the kernel is the bound fast path, and after the
 * call the thread switches home, which frees the released lwp.  A
 * syscall that needs the client's memory sends a request on the client's
 * socket and waits for the client's reader to hand it the answer, with
 * its rump CPU given back (hyp_backend_unschedule) and on a host thread,
 * so no vCPU waits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_impl.h"

/* a reader per client (up to 256) and as many syscalls running */
#define SP_WORKERS_MAX 512
#define SP_WORKERS_IDLE 16

struct sp_task {
	enum sp_task_kind kind;
	struct sp_client *c;
	struct sp_hdr h;
	void *body;
	size_t blen;
	TAILQ_ENTRY(sp_task) link;
};

/* under pool_mtx */
static pthread_mutex_t pool_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static TAILQ_HEAD(, sp_task) tasks = TAILQ_HEAD_INITIALIZER(tasks);
static unsigned nworkers, nidle, nqueued;

/* The syscall this worker thread runs for a client (rumpuser_sp_fini). */
static _Thread_local struct sp_client *cur_client;
static _Thread_local uint64_t cur_reqno;
static _Thread_local bool cur_answered;

static void send_sysresp(struct sp_client *c, uint64_t reqno, int error, const long rv[2])
{
	struct sp_hdr h = {.reqno = reqno, .class = SP_RESP, .type = SP_SYSCALL};
	struct sp_sysresp s;

	memset(&s, 0, sizeof(s));
	s.error = error;
	s.retval[0] = rv[0];
	s.retval[1] = rv[1];
	(void)sp_send(c, &h, &s, sizeof(s), NULL, 0);
}

void sp_call_fini(void *c)
{
	static const long zero[2];

	if (c != NULL && c == cur_client && !cur_answered) {
		cur_answered = true;
		send_sysresp(cur_client, cur_reqno, 0, zero);
	}
}

void sp_client_unref(struct sp_client *c)
{
	pthread_mutex_lock(&c->mtx);
	if (--c->refs <= 2)
		pthread_cond_broadcast(&c->cv); /* teardown waits for 1, exec for 2 */
	pthread_mutex_unlock(&c->mtx);
}

void sp_syscall_run(struct sp_client *c, const struct sp_hdr *h, void *body)
{
	long rv[2] = {0, 0};
	int err;

	if (h->u > (uint32_t)__INT_MAX__) {
		send_sysresp(c, h->reqno, NETBSD_ENOSYS, (long[2]){-1, 0});
		return;
	}
	sp_kernel_enter();
	err = ru_hyp->hyp_lwproc_newlwp(c->pid); /* EBUSY once the process is exiting */
	if (err == 0) {
		cur_client = c;
		cur_reqno = h->reqno;
		cur_answered = false;
		err = ru_hyp->hyp_syscall((int)h->u, body, rv);
		cur_client = NULL;
		sp_kernel_release();
	} else {
		rv[0] = -1;
	}
	sp_kernel_leave();
	if (!cur_answered)
		send_sysresp(c, h->reqno, err, rv);
}

/* Complete an exec once the process's other lwps have drained: the
 * kernel closes close-on-exec descriptors and renames the process. */
static void run_exec(struct sp_task *t)
{
	struct sp_client *c = t->c;
	struct sp_hdr h = {.reqno = t->h.reqno, .class = SP_RESP, .type = SP_HANDSHAKE};
	int zero = 0;
	bool dying;

	pthread_mutex_lock(&c->mtx);
	while (c->refs > 2 && !c->dying) /* the reader and this task */
		pthread_cond_wait(&c->cv, &c->mtx);
	dying = c->dying;
	pthread_mutex_unlock(&c->mtx);
	if (!dying) {
		((char *)t->body)[t->blen] = '\0'; /* room: bodies are padded */
		sp_kernel_enter();
		ru_hyp->hyp_lwproc_switch(c->mainlwp);
		ru_hyp->hyp_execnotify(t->body);
		sp_kernel_home(); /* mainlwp stays, detached */
		sp_kernel_leave();
	}
	pthread_mutex_lock(&c->mtx);
	c->inexec = false;
	pthread_mutex_unlock(&c->mtx);
	if (!dying)
		(void)sp_send(c, &h, &zero, sizeof(zero), NULL, 0);
}

static void *worker(void *arg)
{
	struct sp_task *t;

	(void)arg;
	sp_home_make();
	pthread_mutex_lock(&pool_mtx);
	for (;;) {
		while (TAILQ_EMPTY(&tasks)) {
			if (nidle >= SP_WORKERS_IDLE) {
				nworkers--;
				pthread_mutex_unlock(&pool_mtx);
				sp_home_release();
				return NULL;
			}
			nidle++;
			pthread_cond_wait(&pool_cv, &pool_mtx);
			nidle--;
		}
		t = TAILQ_FIRST(&tasks);
		TAILQ_REMOVE(&tasks, t, link);
		nqueued--;
		pthread_mutex_unlock(&pool_mtx);
		switch (t->kind) {
		case SP_TASK_READ:
			sp_reader_run(t->c); /* gives its reference back itself */
			break;
		case SP_TASK_SYSCALL:
			sp_syscall_run(t->c, &t->h, t->body);
			sp_client_unref(t->c);
			break;
		case SP_TASK_EXEC:
			run_exec(t);
			sp_client_unref(t->c);
			break;
		}
		free(t->body);
		free(t);
		pthread_mutex_lock(&pool_mtx);
	}
}

int sp_task_submit(struct sp_client *c, enum sp_task_kind kind, const struct sp_hdr *h,
		   void *body, size_t blen, bool prompt)
{
	struct sp_task *t = malloc(sizeof(*t));
	pthread_attr_t a;
	pthread_t pt;
	int r = 0;

	if (t == NULL)
		return -ENOMEM;
	*t = (struct sp_task){.kind = kind, .c = c, .body = body, .blen = blen};
	if (h != NULL)
		t->h = *h;
	pthread_mutex_lock(&c->mtx);
	c->refs++;
	pthread_mutex_unlock(&c->mtx);
	pthread_mutex_lock(&pool_mtx);
	TAILQ_INSERT_TAIL(&tasks, t, link);
	nqueued++;
	if (nqueued <= nidle) {
		pthread_cond_signal(&pool_cv);
	} else if (nworkers < SP_WORKERS_MAX) {
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&pt, &a, worker, NULL) == 0)
			nworkers++;
		else if (nworkers == 0 || prompt)
			r = -EAGAIN; /* nobody would ever run it, or not now */
		pthread_attr_destroy(&a);
	} else if (prompt) {
		r = -EAGAIN;
	}
	if (r != 0) {
		TAILQ_REMOVE(&tasks, t, link);
		nqueued--;
	}
	pthread_mutex_unlock(&pool_mtx);
	if (r != 0) {
		sp_client_unref(c);
		free(t);
	}
	return r;
}

/* Queue w for the answer to a request we are about to send. */
int sp_wait_enqueue(struct sp_client *c, struct sp_wait *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
	pthread_mutex_lock(&c->mtx);
	if (c->dying) {
		pthread_mutex_unlock(&c->mtx);
		return NETBSD_ENOTCONN;
	}
	w->reqno = c->nextreq++;
	TAILQ_INSERT_TAIL(&c->waits, w, link);
	pthread_mutex_unlock(&c->mtx);
	return 0;
}

/* Wait for the answer (or the client's end) and dequeue w. */
int sp_wait_for(struct sp_client *c, struct sp_wait *w)
{
	int r;

	pthread_mutex_lock(&c->mtx);
	while (!w->done && !c->dying)
		pthread_cond_wait(&c->cv, &c->mtx);
	TAILQ_REMOVE(&c->waits, w, link);
	r = w->done ? w->error : NETBSD_ENOTCONN;
	pthread_mutex_unlock(&c->mtx);
	if (r != 0) {
		free(w->data);
		w->data = NULL;
	}
	return r;
}

static void wait_dequeue(struct sp_client *c, struct sp_wait *w)
{
	pthread_mutex_lock(&c->mtx);
	TAILQ_REMOVE(&c->waits, w, link);
	pthread_mutex_unlock(&c->mtx);
	free(w->data);
}

/* Give the rump CPU back around a wait on the client; a green thread (a
 * kernel thread reaching a client's memory) also detaches onto a porter,
 * so the wait holds no vCPU. */
struct sp_out {
	int nlocks;
	bool detached;
};

static void out_begin(struct sp_out *o)
{
	struct dom_thread *self = dom_self();

	ru_unschedule(&o->nlocks, NULL);
	o->detached = self != NULL && dom_thread_is_green(self) && dom_detach() == 0;
}

static void out_end(struct sp_out *o)
{
	if (o->detached)
		dom_reattach();
	ru_schedule(o->nlocks, NULL);
}

/* Ask the client for len bytes at raddr.  str: a string, up to len
 * bytes with its NUL; *got is what came. */
static int ask(struct sp_client *c, const void *raddr, size_t len, bool str, void *laddr,
	       size_t *got)
{
	struct sp_hdr h = {.class = SP_REQ, .type = str ? SP_COPYINSTR : SP_COPYIN};
	struct sp_copydata cd = {.len = len, .addr = (void *)raddr};
	struct sp_wait w;
	int r;

	if ((r = sp_wait_enqueue(c, &w, len)) != 0)
		return r;
	h.reqno = w.reqno;
	if ((r = sp_send(c, &h, &cd, sizeof(cd), NULL, 0)) != 0) {
		wait_dequeue(c, &w);
		return r;
	}
	if ((r = sp_wait_for(c, &w)) != 0)
		return r;
	if (!str && w.dlen != len) {
		free(w.data);
		return NETBSD_EFAULT; /* a short answer */
	}
	memcpy(laddr, w.data, w.dlen);
	*got = w.dlen;
	free(w.data);
	return 0;
}

int rumpuser_sp_copyin(void *arg, const void *raddr, void *laddr, size_t len)
{
	struct sp_out o;
	size_t got;
	int r;

	if (arg == NULL || (laddr == NULL && len > 0))
		return NETBSD_EFAULT;
	out_begin(&o);
	r = ask(arg, raddr, len, false, laddr, &got);
	out_end(&o);
	return r == 0 ? 0 : NETBSD_EFAULT;
}

int rumpuser_sp_copyinstr(void *arg, const void *raddr, void *laddr, size_t *len)
{
	struct sp_out o;
	size_t got = 0;
	int r;

	if (arg == NULL || len == NULL || (laddr == NULL && *len > 0))
		return NETBSD_EFAULT;
	out_begin(&o);
	r = ask(arg, raddr, *len, true, laddr, &got);
	out_end(&o);
	if (r != 0)
		return NETBSD_EFAULT;
	*len = got; /* the kernel looks for the NUL within it */
	return 0;
}

static int tell(struct sp_client *c, int type, const void *laddr, void *raddr, size_t len)
{
	struct sp_hdr h = {.class = SP_REQ, .type = (uint16_t)type};
	struct sp_copydata cd = {.len = len, .addr = raddr};
	struct sp_out o;
	int r;

	if (c == NULL || (laddr == NULL && len > 0))
		return NETBSD_EFAULT;
	pthread_mutex_lock(&c->mtx);
	h.reqno = c->nextreq++;
	r = c->dying ? NETBSD_ENOTCONN : 0;
	pthread_mutex_unlock(&c->mtx);
	if (r == 0) {
		out_begin(&o);
		r = sp_send(c, &h, &cd, sizeof(cd), laddr, len);
		out_end(&o);
	}
	return r == 0 ? 0 : NETBSD_EFAULT;
}

int rumpuser_sp_copyout(void *arg, const void *laddr, void *raddr, size_t len)
{
	return tell(arg, SP_COPYOUT, laddr, raddr, len);
}

int rumpuser_sp_copyoutstr(void *arg, const void *laddr, void *raddr, size_t *len)
{
	if (len == NULL)
		return NETBSD_EFAULT;
	return tell(arg, SP_COPYOUTSTR, laddr, raddr, *len);
}

int rumpuser_sp_anonmmap(void *arg, size_t howmuch, void **addr)
{
	struct sp_client *c = arg;
	struct sp_hdr h = {.class = SP_REQ, .type = SP_ANONMMAP};
	struct sp_wait w;
	struct sp_out o;
	void *p = NULL;
	int r;

	if (c == NULL || addr == NULL)
		return NETBSD_EINVAL;
	out_begin(&o);
	if ((r = sp_wait_enqueue(c, &w, sizeof(p))) == 0) {
		h.reqno = w.reqno;
		if ((r = sp_send(c, &h, &howmuch, sizeof(howmuch), NULL, 0)) != 0)
			wait_dequeue(c, &w);
		else if ((r = sp_wait_for(c, &w)) == 0) {
			if (w.dlen == sizeof(p))
				memcpy(&p, w.data, sizeof(p));
			else
				r = NETBSD_EFAULT;
			free(w.data);
		}
	}
	out_end(&o);
	if (r != 0)
		return NETBSD_EFAULT;
	if (p == NULL)
		return NETBSD_ENOMEM;
	*addr = p;
	return 0;
}

int rumpuser_sp_raise(void *arg, int signo)
{
	struct sp_client *c = arg;
	struct sp_hdr h = {.class = SP_REQ, .type = SP_RAISE, .u = (uint32_t)signo};
	struct sp_out o;
	int r;

	if (c == NULL)
		return NETBSD_EINVAL;
	out_begin(&o);
	r = sp_send(c, &h, NULL, 0, NULL, 0);
	out_end(&o);
	return r;
}
