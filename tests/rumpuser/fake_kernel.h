/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A fake rump kernel for the conformance tests: its hyperup upcalls track
 * which thread holds a rump virtual CPU, so a test can check that a
 * hypercall that blocks gave the CPU back first and took it again after,
 * and that the _nowrap ones did not.  Each thread taking part binds a
 * struct lwp of its own with rumpuser_curlwpop(SET), as the kernel does.
 *
 * Its schedule/unschedule model the kernel's entry and exit for a host
 * thread: with no curlwp, schedule makes a temporary (implicit) lwp,
 * freed again at unschedule; newlwp switches the caller to a new lwp and
 * frees a temporary one it leaves; release marks the lwp to be freed at
 * unschedule.  fk_live counts the lwps that exist.
 */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H

#include <stdio.h>
#include <stdlib.h>

#include <rumpbridge/rumpuser.h>

#include "rb_test.h"
#include "rumpuser/hypercall.h"

#define FAKE_NCPU 2
#define NLOCKS_MAGIC 7

struct lwp {
	int id;
	bool implicit;		     /* temporary: freed at unschedule */
	bool released;		     /* lwproc_release: freed at unschedule */
	_Atomic int has_cpu;
	_Atomic long unsched, sched; /* backend calls made for this lwp */
	void *interlock;	     /* of its last backend unschedule */
};

static _Atomic int fk_cpus_free = FAKE_NCPU;
static _Atomic long fk_errors;
static _Atomic int fk_next_lwp;
static _Atomic long fk_live; /* lwps made and not freed */

static void fk_fail(const char *why)
{
	fprintf(stderr, "fake kernel: %s\n", why);
	atomic_fetch_add(&fk_errors, 1);
}

static struct lwp *fk_cur(void)
{
	struct lwp *l = rumpuser_curlwp();

	if (l == NULL)
		fk_fail("a CPU operation from a thread with no lwp");
	return l;
}

/* Take a virtual CPU (the kernel's scheduler, reduced to a counter). */
static void fk_take_cpu(struct lwp *l)
{
	for (;;) {
		int n = atomic_load(&fk_cpus_free);
		if (n > 0 && atomic_compare_exchange_weak(&fk_cpus_free, &n, n - 1))
			break;
		dom_yield() == 0 ? (void)0 : mk_thread_yield();
	}
	if (atomic_exchange(&l->has_cpu, 1) != 0)
		fk_fail("CPU taken twice");
}

static void fk_give_cpu(struct lwp *l)
{
	if (atomic_exchange(&l->has_cpu, 0) != 1)
		fk_fail("CPU released but not held");
	atomic_fetch_add(&fk_cpus_free, 1);
}

static void fk_backend_unschedule(int nlocks, int *countp, void *interlock)
{
	struct lwp *l = fk_cur();

	(void)nlocks;
	if (l == NULL)
		return;
	fk_give_cpu(l);
	atomic_fetch_add(&l->unsched, 1);
	l->interlock = interlock;
	*countp = NLOCKS_MAGIC;
}

static void fk_backend_schedule(int nlocks, void *interlock)
{
	struct lwp *l = fk_cur();

	(void)interlock;
	if (l == NULL)
		return;
	if (nlocks != NLOCKS_MAGIC)
		fk_fail("nlocks not handed back");
	fk_take_cpu(l);
	atomic_fetch_add(&l->sched, 1);
}

static struct lwp *fk_new_lwp(void)
{
	struct lwp *l = calloc(1, sizeof(*l));

	if (l == NULL)
		abort();
	l->id = atomic_fetch_add(&fk_next_lwp, 1) + 1;
	atomic_fetch_add(&fk_live, 1);
	return l;
}

static void fk_free_lwp(struct lwp *l)
{
	atomic_fetch_sub(&fk_live, 1);
	free(l);
}

/* The calling thread becomes a kernel thread holding a CPU. */
static struct lwp *fk_bind(void)
{
	struct lwp *l = fk_new_lwp();

	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, l);
	rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
	fk_take_cpu(l);
	return l;
}

static void fk_unbind(struct lwp *l)
{
	fk_give_cpu(l);
	rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, l);
	rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, l);
	fk_free_lwp(l);
}

/* The kernel's rump_schedule. */
static void fk_schedule(void)
{
	struct lwp *l = rumpuser_curlwp();

	if (l == NULL) {
		l = fk_new_lwp();
		l->implicit = true;
		rumpuser_curlwpop(RUMPUSER_LWP_CREATE, l);
		rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
	}
	fk_take_cpu(l);
}

/* The kernel's rump_unschedule. */
static void fk_unschedule(void)
{
	struct lwp *l = fk_cur();

	if (l == NULL)
		return;
	fk_give_cpu(l);
	if (l->implicit || l->released) {
		rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, l);
		rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, l);
		fk_free_lwp(l);
	}
}

static int fk_newlwp(pid_t pid)
{
	(void)pid;
	/* switch the caller to a fresh lwp, keeping its CPU */
	struct lwp *old = fk_cur(), *l = fk_new_lwp();
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, l);
	atomic_store(&l->has_cpu, atomic_exchange(&old->has_cpu, 0));
	rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
	if (old->implicit) {
		rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, old);
		fk_free_lwp(old);
	}
	return 0;
}

static void fk_switch(struct lwp *l)
{
	struct lwp *old = fk_cur();

	atomic_store(&l->has_cpu, atomic_exchange(&old->has_cpu, 0));
	rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
	if (old->implicit) {
		rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, old);
		fk_free_lwp(old);
	}
}

static void fk_release(void)
{
	struct lwp *l = fk_cur();

	if (l != NULL)
		l->released = true;
}

static pid_t fk_getpid(void)
{
	return 1;
}

static const struct rumpuser_hyperup fk_hyp = {
	.hyp_schedule = fk_schedule,
	.hyp_unschedule = fk_unschedule,
	.hyp_backend_unschedule = fk_backend_unschedule,
	.hyp_backend_schedule = fk_backend_schedule,
	.hyp_lwproc_newlwp = fk_newlwp,
	.hyp_lwproc_switch = fk_switch,
	.hyp_lwproc_release = fk_release,
	.hyp_getpid = fk_getpid,
};

#endif
