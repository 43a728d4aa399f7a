/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Foreign host threads on a real NetBSD rump kernel (src/rumpuser/lwp.c):
 * a plain pthread that calls into the kernel without rumpbridge_adopt
 * gets an lwp of its own on its first call, keeps it across calls, and
 * the lwp goes when the thread exits.
 *
 *   1. 4 plain threads x N calls: each pushes N values through a rump pipe
 *      of its own (write, then read back) and checks getpid; the sums of
 *      what was written and what was read must agree, and with own lwps
 *      the thread's curlwp must stay the same lwp.  While all 4 are alive
 *      (after their first call), the kernel has 4 more lwps.
 *   2. 1,000 short-lived plain threads each make one call and exit.
 *   3. A thread binds an lwp of its own making (rump_pub_lwproc_newlwp),
 *      calls, releases it (rump_pub_lwproc_releaselwp), calls again (on
 *      its first lwp again) and exits.
 *   4. A thread enters the kernel's domain (as a PD's handler thread
 *      does), calls, leaves, calls again, enters and leaves once more,
 *      calls, and exits: one lwp throughout (the kernel panicked before
 *      librumpuser handled a bound thread outside the domain).
 *   After each part, the kernel's lwp count is back where it started: no
 *   lwp is leaked.  The count is the kernel's own: it reports each lwp it
 *   makes and frees to the platform (rumpuser_curlwpop CREATE and
 *   DESTROY), and this program interposes that hypercall to count them
 *   (a rump kernel has no kern.lwp sysctl).
 *
 * With RUMPBRIDGE_FOREIGN_LWP=0 (each call on a temporary lwp, NetBSD's
 * way) the same must hold, except that curlwp changes and no lwp stays.
 *
 * Usage: test_rumpuser_foreign_lwp [N, default 100000].  Exit status 0
 * when everything held.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/rumpuser.h>

#define THREADS 4
#define SHORT_LIVED 1000

/* rumpuser(3) */
#define RUMPUSER_LWP_CREATE 0
#define RUMPUSER_LWP_DESTROY 1

static long calls = 100000;
static bool own_lwps;
static _Atomic int failures;
static pthread_barrier_t first_call, measured;

#define fail(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "FAIL: " __VA_ARGS__);                                             \
		fputc('\n', stderr);                                                               \
		atomic_fetch_add(&failures, 1);                                                    \
	} while (0)

static _Atomic long lwps;

/* The kernel's calls of this hypercall come here first (the program's
 * definition is found before the library's), then go to librumpuser's. */
void rumpuser_curlwpop(int op, struct lwp *l)
{
	static void (*next)(int, struct lwp *);

	if (next == NULL)
		next = (void (*)(int, struct lwp *))dlsym(RTLD_NEXT, "rumpuser_curlwpop");
	if (op == RUMPUSER_LWP_CREATE)
		atomic_fetch_add(&lwps, 1);
	else if (op == RUMPUSER_LWP_DESTROY)
		atomic_fetch_sub(&lwps, 1);
	next(op, l);
}

static long kernel_lwps(void)
{
	return atomic_load(&lwps);
}

struct caller {
	int idx;
	uint64_t wrote, read;
	long lwp_changes;
	const char *err;
};

static void *caller(void *p)
{
	struct caller *c = p;
	struct lwp *first;
	int fds[2];

	if (rump_sys_pipe(fds) == -1) {
		c->err = "pipe";
		pthread_barrier_wait(&first_call);
		pthread_barrier_wait(&measured);
		return NULL;
	}
	first = rump_pub_lwproc_curlwp();
	pthread_barrier_wait(&first_call);
	pthread_barrier_wait(&measured);
	for (long i = 0; i < calls && c->err == NULL; i++) {
		uint64_t v = ((uint64_t)c->idx << 56) ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull), got = 0;

		if (rump_sys_write(fds[1], &v, sizeof(v)) != sizeof(v))
			c->err = "write";
		else if (rump_sys_read(fds[0], &got, sizeof(got)) != sizeof(got))
			c->err = "read";
		c->wrote += v;
		c->read += got;
		if (i % 64 == 0 && rump_sys_getpid() != 1)
			c->err = "getpid is not 1 (initproc)";
		if (own_lwps && i % 1024 == 0 && rump_pub_lwproc_curlwp() != first)
			c->lwp_changes++;
	}
	rump_sys_close(fds[0]);
	rump_sys_close(fds[1]);
	return NULL;
}

static void *switch_away(void *unused)
{
	struct lwp *first, *mine;

	(void)unused;
	rump_sys_getpid();
	first = rump_pub_lwproc_curlwp();
	if (rump_pub_lwproc_newlwp(1) != 0) {
		fail("rump_pub_lwproc_newlwp");
		return NULL;
	}
	mine = rump_pub_lwproc_curlwp();
	if (mine == first || rump_sys_getpid() != 1)
		fail("not switched to the new lwp");
	rump_pub_lwproc_releaselwp();
	if (rump_sys_getpid() != 1)
		fail("getpid after releaselwp");
	if (own_lwps && rump_pub_lwproc_curlwp() != first)
		fail("not back on the thread's first lwp after releaselwp");
	return NULL;
}

static void *enter_leave(void *unused)
{
	struct dom *d = rumpbridge_domain();
	struct lwp *first;

	(void)unused;
	if (dom_enter(d) != 0) {
		fail("dom_enter");
		return NULL;
	}
	rump_sys_getpid();
	first = rump_pub_lwproc_curlwp();
	dom_leave(d);
	if (rump_sys_getpid() != 1)
		fail("getpid after leaving the domain");
	if (own_lwps && rump_pub_lwproc_curlwp() != first)
		fail("another lwp after leaving the domain");
	if (dom_enter(d) != 0) {
		fail("dom_enter again");
		return NULL;
	}
	rump_sys_getpid();
	if (own_lwps && rump_pub_lwproc_curlwp() != first)
		fail("another lwp after entering again");
	dom_leave(d);
	rump_sys_getpid();
	return NULL;
}

static void *call_once(void *unused)
{
	(void)unused;
	if (rump_sys_getpid() != 1)
		fail("short-lived thread: getpid is not 1");
	return NULL;
}

int main(int argc, char **argv)
{
	const char *e = getenv("RUMPBRIDGE_FOREIGN_LWP");
	struct caller c[THREADS];
	pthread_t t[THREADS];
	long before, alive, after;

	if (argc > 1)
		calls = strtol(argv[1], NULL, 10);
	own_lwps = e == NULL || strcmp(e, "0") != 0;
	printf("foreign threads: %s; %d threads x %ld calls, then %d short-lived threads\n",
	       own_lwps ? "an lwp of their own" : "a temporary lwp per call (RUMPBRIDGE_FOREIGN_LWP=0)",
	       THREADS, calls, SHORT_LIVED);
	if (rump_init() != 0) {
		fprintf(stderr, "FAIL: rump_init\n");
		return 1;
	}
	/* main's own first call is one of them: count after it */
	before = kernel_lwps();

	pthread_barrier_init(&first_call, NULL, THREADS + 1);
	pthread_barrier_init(&measured, NULL, THREADS + 1);
	memset(c, 0, sizeof(c));
	for (int i = 0; i < THREADS; i++) {
		c[i].idx = i;
		pthread_create(&t[i], NULL, caller, &c[i]);
	}
	pthread_barrier_wait(&first_call);
	alive = kernel_lwps();
	pthread_barrier_wait(&measured);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	after = kernel_lwps();
	for (int i = 0; i < THREADS; i++) {
		if (c[i].err != NULL)
			fail("thread %d: %s", i, c[i].err);
		if (c[i].wrote != c[i].read)
			fail("thread %d: checksum: wrote %#llx, read %#llx", i,
			     (unsigned long long)c[i].wrote, (unsigned long long)c[i].read);
		if (c[i].lwp_changes != 0)
			fail("thread %d: curlwp changed %ld times", i, c[i].lwp_changes);
	}
	printf("kernel lwps: %ld before, %ld with %d threads alive, %ld after\n", before, alive,
	       THREADS, after);
	if (own_lwps && alive != before + THREADS)
		fail("%ld lwps with %d threads alive, %ld expected", alive, THREADS, before + THREADS);
	if (!own_lwps && alive != before)
		fail("%ld lwps between calls, %ld expected", alive, before);
	if (after != before)
		fail("%ld lwps after the threads exited, %ld before", after, before);

	for (int i = 0; i < SHORT_LIVED; i++) {
		pthread_create(&t[0], NULL, call_once, NULL);
		pthread_join(t[0], NULL);
	}
	after = kernel_lwps();
	printf("kernel lwps after %d short-lived threads: %ld\n", SHORT_LIVED, after);
	if (after != before)
		fail("%ld lwps after the short-lived threads, %ld before", after, before);

	pthread_create(&t[0], NULL, switch_away, NULL);
	pthread_join(t[0], NULL);
	after = kernel_lwps();
	printf("kernel lwps after a thread that switched lwps: %ld\n", after);
	if (after != before)
		fail("%ld lwps after the thread that switched lwps, %ld before", after, before);

	pthread_create(&t[0], NULL, enter_leave, NULL);
	pthread_join(t[0], NULL);
	after = kernel_lwps();
	printf("kernel lwps after a thread that entered and left the domain: %ld\n", after);
	if (after != before)
		fail("%ld lwps after the thread that entered and left, %ld before", after, before);

	if (atomic_load(&failures) != 0)
		return 1;
	printf("PASSED\n");
	return 0;
}
