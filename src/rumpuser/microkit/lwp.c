/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host threads' own lwps (../lwp.c on Linux) in a PD: a PD has no host
 * threads, only green threads, which the kernel gives lwps itself; a
 * green thread without one (a PD's own thread calling rump_sys_*) takes
 * the kernel's implicit-thread path, as on Linux.  So: no own lwps.
 */
#include "pd_impl.h"

_Atomic bool ru_exiting;

void ru_lwp_init(void)
{
}

void ru_lwp_kernel_ready(void)
{
}

/* No host thread ever asks: every caller is a green thread. */
struct lwp *ru_lwp_foreign(void)
{
	return NULL;
}

void ru_hyp_schedule_implicit(void)
{
	ru_hyp->hyp_schedule();
}

void ru_lwp_destroyed(struct lwp *l)
{
	(void)l;
}
