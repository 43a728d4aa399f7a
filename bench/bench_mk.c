/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_mk: the mk layer against the host's own primitives, same run.
 *
 * Every ping-pong is a round trip between two host threads: one side
 * wakes the other and sleeps until woken back.  Baselines: a raw futex
 * (the floor: one word each way, always the wake system call), eventfd,
 * pipe, and pthread mutex + condition variable.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rumpbridge/mk.h>

#include "bench.h"

/* ---- the partner thread every ping-pong uses ---- */

struct pp {
	void (*serve)(struct pp *, uint64_t iters);
	void (*ping)(struct pp *, uint64_t iters);
	uint64_t iters;
	/* the objects, whichever kind is measured */
	struct mk_notification n[2];
	int fd[4];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t turn;
	struct mk_endpoint *ep;
};

static void *partner(void *p)
{
	struct pp *pp = p;
	pp->serve(pp, pp->iters);
	return NULL;
}

static uint64_t run_pp(struct pp *pp, uint64_t iters)
{
	struct mk_thread *t;
	uint64_t t0, t1;

	pp->iters = iters;
	if (mk_thread_create(&t, "bench-partner", partner, pp) != 0)
		abort();
	t0 = rb_now_ns();
	pp->ping(pp, iters);
	t1 = rb_now_ns();
	mk_thread_join(t, NULL);
	return t1 - t0;
}

/* ---- mk notification ---- */

static void ntf_ping(struct pp *pp, uint64_t iters)
{
	uint64_t w;
	for (uint64_t i = 0; i < iters; i++) {
		mk_notification_signal(&pp->n[0], 1);
		mk_notification_wait(&pp->n[1], &w);
	}
}

static void ntf_serve(struct pp *pp, uint64_t iters)
{
	uint64_t w;
	for (uint64_t i = 0; i < iters; i++) {
		mk_notification_wait(&pp->n[0], &w);
		mk_notification_signal(&pp->n[1], 1);
	}
}

static uint64_t bench_notification(void *arg, uint64_t iters)
{
	struct pp *pp = arg;
	mk_notification_init(&pp->n[0], 0);
	mk_notification_init(&pp->n[1], 0);
	pp->ping = ntf_ping;
	pp->serve = ntf_serve;
	return run_pp(pp, iters);
}

/* ---- raw futex: the floor ---- */

static uint64_t bench_futex(void *arg, uint64_t iters)
{
	(void)arg;
	return rb_futex_pingpong(iters);
}

/* ---- eventfd and pipe: fd[0]/fd[1] one way, fd[2]/fd[3] back ---- */

static void fd_xfer(int wfd, int rfd, size_t len)
{
	uint64_t v = 1;
	if (write(wfd, &v, len) != (ssize_t)len || read(rfd, &v, len) != (ssize_t)len)
		abort();
}

static void efd_ping(struct pp *pp, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++)
		fd_xfer(pp->fd[0], pp->fd[1], 8);
}

static void efd_serve(struct pp *pp, uint64_t iters)
{
	uint64_t v;
	for (uint64_t i = 0; i < iters; i++) {
		if (read(pp->fd[0], &v, 8) != 8 || write(pp->fd[1], &v, 8) != 8)
			abort();
	}
}

static uint64_t bench_eventfd(void *arg, uint64_t iters)
{
	struct pp *pp = arg;
	uint64_t ns;
	pp->fd[0] = eventfd(0, 0);
	pp->fd[1] = eventfd(0, 0);
	pp->ping = efd_ping;
	pp->serve = efd_serve;
	ns = run_pp(pp, iters);
	close(pp->fd[0]);
	close(pp->fd[1]);
	return ns;
}

static void pipe_ping(struct pp *pp, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++)
		fd_xfer(pp->fd[1], pp->fd[2], 1);
}

static void pipe_serve(struct pp *pp, uint64_t iters)
{
	char c;
	for (uint64_t i = 0; i < iters; i++) {
		if (read(pp->fd[0], &c, 1) != 1 || write(pp->fd[3], &c, 1) != 1)
			abort();
	}
}

static uint64_t bench_pipe(void *arg, uint64_t iters)
{
	struct pp *pp = arg;
	uint64_t ns;
	if (pipe(pp->fd) != 0 || pipe(pp->fd + 2) != 0)
		abort();
	pp->ping = pipe_ping;
	pp->serve = pipe_serve;
	ns = run_pp(pp, iters);
	for (int i = 0; i < 4; i++)
		close(pp->fd[i]);
	return ns;
}

/* ---- pthread mutex + condition variable ---- */

static uint64_t bench_condvar(void *arg, uint64_t iters)
{
	(void)arg;
	return rb_condvar_pingpong(iters);
}

/* ---- signal with nobody waiting ---- */

static uint64_t bench_signal_nowaiter(void *arg, uint64_t iters)
{
	struct mk_notification *n = arg;
	uint64_t t0 = rb_now_ns();
	for (uint64_t i = 0; i < iters; i++)
		mk_notification_signal(n, 1);
	return rb_now_ns() - t0;
}

/* ---- endpoint call / reply ---- */

static void ep_ping(struct pp *pp, uint64_t iters)
{
	struct mk_msg m = {.label = 1, .len = 1};
	for (uint64_t i = 0; i < iters; i++) {
		m.w[0] = i;
		if (mk_endpoint_call(pp->ep, 1, &m) != 0 || m.w[0] != i + 1)
			abort();
	}
}

static void ep_serve(struct pp *pp, uint64_t iters)
{
	struct mk_msg m;
	struct mk_reply rep;
	uint64_t badge;

	if (mk_endpoint_recv(pp->ep, MK_FOREVER, &m, &badge, &rep) != 0)
		abort();
	for (uint64_t i = 1; i < iters; i++) {
		m.w[0]++;
		if (mk_endpoint_reply_recv(pp->ep, &rep, &m, &badge) != 0)
			abort();
	}
	m.w[0]++;
	mk_endpoint_reply(pp->ep, &rep, &m);
}

static uint64_t bench_endpoint_thread(void *arg, uint64_t iters)
{
	struct pp *pp = arg;
	static struct mk_endpoint ep;
	mk_endpoint_init(&ep, 0);
	pp->ep = &ep;
	pp->ping = ep_ping;
	pp->serve = ep_serve;
	return run_pp(pp, iters);
}

static uint64_t bench_endpoint_process(void *arg, uint64_t iters)
{
	struct pp *pp = arg;
	struct mk_region r;
	uint64_t t0, t1;
	int status;

	if (mk_region_create(&r, "bench-ep", sizeof(struct mk_endpoint)) != 0 ||
	    mk_region_at(&r, 0, sizeof(struct mk_endpoint), 64, (void **)&pp->ep) != 0)
		abort();
	mk_endpoint_init(pp->ep, MK_SHARED);
	pid_t pid = fork();
	if (pid == 0) {
		ep_serve(pp, iters);
		_exit(0);
	}
	t0 = rb_now_ns();
	ep_ping(pp, iters);
	t1 = rb_now_ns();
	waitpid(pid, &status, 0);
	mk_region_destroy(&r);
	return t1 - t0;
}

int main(int argc, char **argv)
{
	struct rb_bench *b = rb_bench_open("bench_mk", argc, argv);
	static struct pp pp;
	struct mk_notification n;

	if (b == NULL)
		return 2;
	/* Interleaved, so the baselines see the same machine as we do. */
	const struct rb_bench_case pingpong[] = {
		{"notification_pingpong_ns", "mk notification round trip, 2 threads",
		 bench_notification, &pp},
		{"futex_pingpong_ns", "raw futex round trip, 2 threads", bench_futex, &pp},
		{"eventfd_pingpong_ns", "eventfd round trip, 2 threads", bench_eventfd, &pp},
		{"pipe_pingpong_ns", "pipe round trip, 2 threads", bench_pipe, &pp},
		{"condvar_pingpong_ns", "pthread mutex+condvar round trip", bench_condvar, &pp},
		{"endpoint_call_thread_ns", "mk endpoint call+reply, 2 threads",
		 bench_endpoint_thread, &pp},
		{"endpoint_call_process_ns", "mk endpoint call+reply, 2 processes",
		 bench_endpoint_process, &pp},
	};
	rb_bench_compare(b, pingpong, (int)(sizeof(pingpong) / sizeof(pingpong[0])));
	mk_notification_init(&n, 0);
	rb_bench_run(b, "signal_nowaiter_ns", "mk_notification_signal, nobody waiting",
		     bench_signal_nowaiter, &n);
	rb_bench_ratio(b, "notification vs raw futex", "notification_pingpong_ns",
		       "futex_pingpong_ns", "<= 1.1");
	rb_bench_ratio(b, "endpoint (threads) vs notification", "endpoint_call_thread_ns",
		       "notification_pingpong_ns", "report");
	rb_bench_ratio(b, "endpoint (processes) vs notification", "endpoint_call_process_ns",
		       "notification_pingpong_ns", "report");
	return rb_bench_close(b);
}
