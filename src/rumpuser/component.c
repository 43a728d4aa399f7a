/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rumpuser component interface (rumpuser_component(3)): what the host
 * halves of drivers such as shmif and virtif use to leave and re-enter
 * the kernel around blocking host calls.
 */
#include <stdint.h>

#include "rumpuser_impl.h"

void *rumpuser_component_unschedule(void);
void rumpuser_component_schedule(void *cookie);
void rumpuser_component_kthread(void);
void rumpuser_component_kthread_release(void);
int rumpuser_component_errtrans(int hosterr);

/*
 * A driver's host half calls unschedule before a blocking host call (a
 * read(2) on a device or an inotify descriptor) and schedule after.  On a
 * green thread that call would hold the vCPU, so the thread also detaches
 * onto a porter host thread (dom_detach) until schedule.  The cookie
 * carries nlocks and whether it detached.
 */
void *rumpuser_component_unschedule(void)
{
	struct dom_thread *self = dom_self();
	int nlocks;
	intptr_t detached = 0;

	ru_unschedule(&nlocks, NULL);
	if (self != NULL && dom_thread_is_green(self) && dom_detach() == 0)
		detached = 1;
	return (void *)(((intptr_t)nlocks << 1) | detached);
}

void rumpuser_component_schedule(void *cookie)
{
	intptr_t c = (intptr_t)cookie;

	if (c & 1)
		dom_reattach();
	ru_schedule((int)(c >> 1), NULL);
}

/* Make the calling host thread a kernel thread: give it an lwp of its
 * own (lwproc_newlwp(0): in proc0, as kernel threads are), switching from
 * a temporary one (not from a foreign thread's own lwp of initproc). */
void rumpuser_component_kthread(void)
{
	ru_hyp_schedule_implicit();
	ru_hyp->hyp_lwproc_newlwp(0);
	ru_hyp->hyp_unschedule();
}

void rumpuser_component_kthread_release(void)
{
	ru_hyp->hyp_schedule();
	ru_hyp->hyp_lwproc_release();
	ru_hyp->hyp_unschedule();
}

int rumpuser_component_errtrans(int hosterr)
{
	return ru_errtrans(hosterr);
}
