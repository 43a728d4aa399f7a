/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host threads with an lwp of their own: adopted ones (rumpbridge_adopt)
 * and foreign ones, which get theirs on their first call.
 *
 * A host thread that calls into the kernel without an lwp (curlwp NULL)
 * takes the kernel's implicit-thread path in rump_schedule: it waits for
 * lwp0, borrows it to allocate a temporary lwp in initproc, and frees
 * that lwp again, with lwp0, in rump_unschedule -- on every call, and
 * one thread at a time (lwp0 is one).  Here such a thread instead gets
 * an lwp of its own on its first call, in the same process the temporary
 * ones live in (initproc, pid 1), and keeps it across calls; when the
 * thread exits, a thread-exit destructor releases it.
 *
 * How: rump_schedule reads curlwp first (rumpuser_curlwp).  When that
 * finds none on a host thread, it calls the kernel itself before
 * answering: hyp_schedule (the implicit path, one last time: the nested
 * rumpuser_curlwp answers NULL, as `implicit` is set), hyp_lwproc_newlwp(1)
 * (the thread switches to a new lwp of its own; the temporary one, marked
 * to die, is freed on the switch), hyp_unschedule (the CPU goes back, the
 * lwp stays bound: curlwpop SET entered the thread in the domain, until
 * CLEAR).  It then answers with the new lwp, and the kernel's
 * rump_schedule goes on as for any bound lwp.  At that point the thread
 * holds nothing: no rump CPU, no lwp, no kernel lock (curlwp was NULL).
 *
 * A thread may still bind other lwps itself (rump_pub_lwproc_newlwp,
 * _switch): its own lwp then waits in initproc, detached, and is switched
 * back to when the thread next calls in with none (after
 * rump_pub_lwproc_releaselwp), or released when the thread exits.
 *
 * Not for green threads (a rump kernel thread has its lwp; a plain green
 * thread of the domain keeps the implicit path: it has no thread-exit
 * hook), nor before rumpuser_dl_bootstrap (rump_init calls it once the
 * scheduler, lwp0 and initproc exist; earlier, rump_init's own thread
 * meets curlwp NULL before the kernel could make an lwp).  If the lwp
 * cannot be made (newlwp fails), the answer is NULL and the call takes
 * the implicit path as before.
 *
 * What the kernel sees: the thread's calls run on one lwp of initproc
 * instead of a fresh one each time, so curlwp is the same across calls
 * (an implicit lwp is new each call), and what the kernel keeps per lwp
 * (l_private, the lwp's credentials cache) persists; credentials and
 * file descriptors are initproc's either way.  One more lwp per live
 * calling thread exists in initproc.
 *
 * RUMPBRIDGE_FOREIGN_LWP=0 in the environment at rumpuser_init turns it
 * off (each call takes the implicit path, NetBSD's behaviour).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rumpuser_impl.h"

/* Set once by rumpuser_init and rumpuser_dl_bootstrap, before any thread
 * but rump_init's can call in; read by every foreign call. */
static _Atomic bool foreign_on, foreign_ready;
_Atomic bool ru_exiting;

/* Per host thread.  implicit: a hyp_schedule of ours must take the
 * kernel's implicit path (rumpuser_curlwp answers NULL). */
static _Thread_local bool implicit, adopted, dtor_armed;
/* The thread re-entered the domain to reach its own lwp after leaving it
 * (ru_lwp_foreign); it leaves at thread exit. */
static _Thread_local bool reentered;
static _Thread_local struct lwp *own; /* this thread's lwp, or NULL */

/* glibc's registration of thread_local destructors (what C++ uses): they
 * run at thread exit before any pthread key destructor, so while the
 * thread's domain record (an mk TLS slot, released by a key destructor)
 * is still there. */
extern int __cxa_thread_atexit_impl(void (*fn)(void *), void *obj, void *dso);
extern void *__dso_handle;

void ru_lwp_init(void)
{
	const char *e = getenv("RUMPBRIDGE_FOREIGN_LWP");

	atomic_store(&foreign_on, e == NULL || strcmp(e, "0") != 0);
}

void ru_lwp_kernel_ready(void)
{
	atomic_store(&foreign_ready, true);
}

void ru_hyp_schedule_implicit(void)
{
	bool was = implicit;

	implicit = true;
	ru_hyp->hyp_schedule();
	implicit = was;
}

/* Release the thread's own lwp (no CPU held).  The thread may have been
 * switched away from it meanwhile (rump_pub_lwproc_newlwp/switch leave it
 * in initproc, detached): then switch back to it first, from the current
 * lwp or a temporary one. */
static void release(void)
{
	bool entered = false;

	/* A thread that left the domain still has own in its record (the
	 * record's current pointer outlives dom_leave), invisible until it
	 * enters again: enter, so that the kernel finds own bound, rather
	 * than switching to an lwp that is still running (a panic). */
	if (dom_self() == NULL) {
		if (dom_enter(ru_dom) != 0) {
			own = NULL; /* the lwp stays in initproc: no crash */
			return;
		}
		entered = true;
	}
	ru_hyp_schedule_implicit();
	if (dom_current() != own)
		ru_hyp->hyp_lwproc_switch(own);
	ru_hyp->hyp_lwproc_release();
	ru_hyp->hyp_unschedule(); /* frees the lwp, curlwpop CLEAR */
	own = NULL;
	if (entered)
		dom_leave(ru_dom);
}

void ru_lwp_destroyed(struct lwp *l)
{
	if (l == own) /* released through the kernel (rump_pub_lwproc_releaselwp) */
		own = NULL;
}

static void thread_exit(void *unused)
{
	(void)unused;
	dtor_armed = false;
	/* While the process exits (rumpuser_exit), the kernel is not ours
	 * to call: the lwp goes with the process. */
	if (atomic_load(&ru_exiting))
		return;
	if (own != NULL)
		release();
	if (adopted) {
		adopted = false;
		dom_leave(ru_dom);
	}
	if (reentered) {
		reentered = false;
		dom_leave(ru_dom);
	}
}

/* Bind the calling host thread (no CPU held, curlwp NULL) to an lwp of
 * its own: a new one, or the one it has if the kernel was told to switch
 * the thread away from it.  0 or a positive NetBSD errno of the lwp
 * creation. */
static int bind_own(void)
{
	int r = 0;

	ru_hyp_schedule_implicit();
	if (own != NULL) {
		ru_hyp->hyp_lwproc_switch(own); /* the temporary lwp is freed */
	} else {
		/* pid 1 (initproc): where the kernel puts its temporary lwps
		 * too.  (hyp_getpid is the sysproxy's hook, not this.) */
		r = ru_hyp->hyp_lwproc_newlwp(1);
		if (r == 0)
			own = dom_current();
	}
	ru_hyp->hyp_unschedule();
	if (r == 0 && !dtor_armed && __cxa_thread_atexit_impl(thread_exit, NULL, &__dso_handle) == 0)
		dtor_armed = true;
	return r;
}

struct lwp *ru_lwp_foreign(void)
{
	struct dom_thread *self;

	/* relaxed: both are stored once, by rump_init's thread, before
	 * rump_init returns; a thread that calls in afterwards is ordered
	 * after that by the program itself (it was created, or told to go,
	 * after rump_init returned). */
	if (implicit || !atomic_load_explicit(&foreign_ready, memory_order_relaxed) ||
	    !atomic_load_explicit(&foreign_on, memory_order_relaxed))
		return NULL;
	self = dom_self();
	if (self != NULL && dom_thread_is_green(self))
		return NULL;
	/* Bound to own, but called in after leaving the domain it was
	 * entered in (a PD's handler thread enters and leaves per event):
	 * own is still in the thread's record, and still bound.  Enter again
	 * (for good: until the thread exits) and go on with it. */
	if (self == NULL && own != NULL && !reentered && dom_enter(ru_dom) == 0) {
		if (dom_current() == own) {
			reentered = true;
			return own;
		}
		dom_leave(ru_dom);
	}
	if (bind_own() != 0)
		return NULL;
	return own;
}

int rumpbridge_adopt(void)
{
	struct dom_thread *self = dom_self();
	int r;

	if (ru_hyp == NULL)
		return -ENXIO;
	if (self != NULL && dom_thread_is_green(self))
		return -EPERM;
	if (adopted)
		return 0;
	if ((r = dom_enter(ru_dom)) != 0)
		return r;
	if (dom_current() == NULL && (r = bind_own()) != 0) {
		dom_leave(ru_dom);
		return -r;
	}
	adopted = true;
	return 0;
}

int rumpbridge_unadopt(void)
{
	if (!adopted && own == NULL)
		return -EPERM;
	if (own != NULL)
		release();
	if (adopted) {
		adopted = false;
		dom_leave(ru_dom);
	}
	return 0;
}
