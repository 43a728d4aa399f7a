/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The host half of the rump kernel's shmif interface, written for green
 * threads.  A kernel-only build (buildrump.sh -k) leaves it out: its
 * three functions (declared in the kernel's shmif_user.h) are the
 * platform's to provide, as rumprun provides them.  A full build has
 * NetBSD's own, which waits for the bus with a blocking read() on the
 * calling kernel thread; defined here, in the program, ours take its
 * place (the kernel's library calls them through its PLT).
 *
 *   rumpcomp_shmif_mmap(fd, len, &mem)     size the bus file to len (at
 *                                          least) and map it, shared;
 *   rumpcomp_shmif_watchsetup(&kq, fd)     start watching the bus file for
 *                                          writes (kq -1: a new watch);
 *   rumpcomp_shmif_watchwait(kq)           wait until it is written.
 *
 * All return 0 or a NetBSD errno value.  The waiting is done by a host
 * thread per watch (blocked in read() of an inotify descriptor); a
 * kernel thread in watchwait gives its rump CPU back and waits on a
 * domain semaphore, so its vCPU runs other green threads meanwhile.
 *
 * Limitation: a watch and its host thread live until the program exits
 * (the kernel closes kq when the interface goes, the thread stays blocked
 * on its own copy of the descriptor).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/rumpuser.h>

/* rumpuser_component(3), from our librumpuser: a kernel-only install
 * has no <rump/rumpuser_component.h>. */
void *rumpuser_component_unschedule(void);
void rumpuser_component_schedule(void *cookie);
int rumpuser_component_errtrans(int hosterr);

int rumpcomp_shmif_mmap(int fd, size_t len, void **memp);
int rumpcomp_shmif_watchsetup(int *kqp, int fd);
int rumpcomp_shmif_watchwait(int kq);

#define MAX_WATCH_FD 1024

struct watch {
	int kq;	       /* given to the kernel */
	int own;       /* the helper's descriptor (a dup: outlives kq) */
	struct dom_sem sem;
	_Atomic int pending; /* a post is in sem and not yet taken */
	pthread_t helper;
};

static struct watch *_Atomic watches[MAX_WATCH_FD];

int rumpcomp_shmif_mmap(int fd, size_t len, void **memp)
{
	struct stat st;
	void *p;

	/* A new bus file is empty: give it its size (never shrink one). */
	if (fstat(fd, &st) != 0)
		return rumpuser_component_errtrans(errno);
	if ((uint64_t)st.st_size < len && ftruncate(fd, (off_t)len) != 0)
		return rumpuser_component_errtrans(errno);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return rumpuser_component_errtrans(errno);
	*memp = p;
	return 0;
}

static void *watch_helper(void *arg)
{
	struct watch *w = arg;
	char buf[4096] __attribute__((aligned(8)));

	for (;;) {
		ssize_t n = read(w->own, buf, sizeof(buf)); /* all queued events */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		/* One post until the waiter takes it: the kernel re-reads the
		 * whole bus after every wakeup, so more would be redundant. */
		if (!atomic_exchange(&w->pending, 1))
			dom_sem_post(&w->sem);
	}
}

static int add_watch(int kq, int fd)
{
	char proc[64], path[PATH_MAX];
	ssize_t n;

	/* inotify wants a path: the one the bus file was opened by. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, path, sizeof(path) - 1);
	if (n < 0)
		return errno;
	if (n >= (ssize_t)sizeof(path) - 1)
		return ENAMETOOLONG;
	path[n] = '\0';
	return inotify_add_watch(kq, path, IN_MODIFY) < 0 ? errno : 0;
}

int rumpcomp_shmif_watchsetup(int *kqp, int fd)
{
	struct watch *w;
	int e;

	if (*kqp >= 0) /* another bus file on an existing watch */
		return rumpuser_component_errtrans(add_watch(*kqp, fd));
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return rumpuser_component_errtrans(ENOMEM);
	w->kq = inotify_init1(IN_CLOEXEC);
	if (w->kq < 0) {
		e = errno;
		free(w);
		return rumpuser_component_errtrans(e);
	}
	if (w->kq >= MAX_WATCH_FD || (e = add_watch(w->kq, fd)) != 0 ||
	    (w->own = fcntl(w->kq, F_DUPFD_CLOEXEC, 0)) < 0) {
		e = w->kq >= MAX_WATCH_FD ? EMFILE : e != 0 ? e : errno;
		close(w->kq);
		free(w);
		return rumpuser_component_errtrans(e);
	}
	dom_sem_init(&w->sem, 0);
	if ((e = pthread_create(&w->helper, NULL, watch_helper, w)) != 0) {
		close(w->own);
		close(w->kq);
		free(w);
		return rumpuser_component_errtrans(e);
	}
	pthread_detach(w->helper);
	atomic_store(&watches[w->kq], w);
	*kqp = w->kq;
	return 0;
}

int rumpcomp_shmif_watchwait(int kq)
{
	struct watch *w = kq >= 0 && kq < MAX_WATCH_FD ? atomic_load(&watches[kq]) : NULL;
	void *cookie;
	bool entered = false;
	int r;

	if (w == NULL)
		return rumpuser_component_errtrans(EBADF);
	cookie = rumpuser_component_unschedule();
	/* Kernel threads are green threads; anything else enters. */
	if (dom_self() == NULL)
		entered = dom_enter(rumpbridge_domain()) == 0;
	r = dom_sem_wait(&w->sem); /* green: the vCPU runs others meanwhile */
	atomic_store(&w->pending, 0);
	if (entered)
		dom_leave(rumpbridge_domain());
	rumpuser_component_schedule(cookie);
	return r == 0 ? 0 : rumpuser_component_errtrans(-r);
}
