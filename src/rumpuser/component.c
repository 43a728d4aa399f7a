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

void *rumpuser_component_unschedule(void)
{
	int nlocks;

	ru_unschedule(&nlocks, NULL);
	return (void *)(intptr_t)nlocks;
}

void rumpuser_component_schedule(void *cookie)
{
	ru_schedule((int)(intptr_t)cookie, NULL);
}

/* Make the calling host thread a kernel thread of its own process. */
void rumpuser_component_kthread(void)
{
	ru_hyp->hyp_schedule();
	ru_hyp->hyp_lwproc_rfork(NULL, 0x2 /* RUMP_RFCFDG */, NULL);
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
