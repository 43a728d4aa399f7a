/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Threads and curlwp.  Rump kernel threads are green threads of the
 * domain.  curlwp lives in the "current" pointer of whichever thread runs
 * (dom_current): a green thread's record, or an entered host thread's.
 *
 * A host thread that the kernel binds an lwp to (rumpuser_curlwpop SET)
 * without having entered the domain is entered for as long as the lwp is
 * set (until CLEAR), so its curlwp survives between calls.
 */
#include <errno.h>
#include <string.h>

#include "rumpuser_impl.h"

static _Thread_local bool entered_for_lwp; /* host threads only */

/*
 * The kernel's clock threads ("rumpclkN", one per rump CPU: NetBSD's
 * doclock, sys/rump/librump/rumpkern/intr.c) wake 1/hz apart for ever,
 * idle or not, each for a few microseconds of hardclock().  They run on
 * one vCPU, the last: a timer of a bound thread wakes its vCPU only
 * (dom's timers), so the other vCPUs of an idle domain sleep through the
 * ticks, and the clock threads of all CPUs, on one grid (sleep.c), run one
 * after the other in one wake-up.  Not vCPU 0, which a domain may run
 * only inside dom_run.  Nothing else is bound: any vCPU may run it.
 */
static int vcpu_for(const char *name)
{
	unsigned n = dom_vcpus(ru_dom);

	static const char clk[] = "rumpclk";

	if (n < 2 || name == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(clk) - 1; i++) /* a PD has no strncmp */
		if (name[i] != clk[i])
			return -1;
	return (int)n - 1;
}

int rumpuser_thread_create(void *(*f)(void *), void *arg, const char *name, int mustjoin,
			   int priority, int cpuidx, void **cookie)
{
	struct dom_thread_attr a = {.vcpu = vcpu_for(name), .detached = !mustjoin};
	struct dom_thread *t;
	char n[DOM_NAME_MAX + 1];
	int r;

	(void)priority; /* cooperative scheduling has no priorities */
	(void)cpuidx;	/* rump CPUs are not vCPUs (but see vcpu_for) */
	if (f == NULL || (mustjoin && cookie == NULL))
		return NETBSD_EINVAL;
	strncpy(n, name != NULL ? name : "rump", sizeof(n) - 1);
	n[sizeof(n) - 1] = '\0';
	a.name = n;
	r = dom_thread_create(ru_dom, mustjoin ? &t : NULL, &a, f, arg);
	if (r != 0)
		return ru_errtrans(r);
	if (mustjoin)
		*cookie = t;
	return 0;
}

void rumpuser_thread_exit(void)
{
	int r = dom_thread_exit(NULL);

	ru_panic("thread_exit from a thread that is not a rump thread", r);
}

int rumpuser_thread_join(void *cookie)
{
	bool e;
	int r, nlocks;

	if (cookie == NULL)
		return NETBSD_EINVAL;
	ru_unschedule(&nlocks, NULL);
	e = ru_enter();
	r = dom_thread_join(cookie, NULL);
	ru_leave(e);
	ru_schedule(nlocks, NULL);
	return r == 0 ? 0 : ru_errtrans(r);
}

void rumpuser_curlwpop(int op, struct lwp *l)
{
	struct dom_thread *self;

	switch (op) {
	case RUMPUSER_LWP_CREATE:
		return;
	case RUMPUSER_LWP_DESTROY:
		ru_lwp_destroyed(l);
		return;
	case RUMPUSER_LWP_SET:
		if ((self = dom_self()) == NULL) {
			int r = dom_enter(ru_dom);
			if (r != 0)
				ru_panic("curlwpop(SET): entering the domain", r);
			entered_for_lwp = true;
		}
		dom_current_set(l);
		return;
	case RUMPUSER_LWP_CLEAR:
		dom_current_set(NULL);
		self = dom_self();
		if (self != NULL && !dom_thread_is_green(self) && entered_for_lwp) {
			entered_for_lwp = false;
			dom_leave(ru_dom);
		}
		return;
	default:
		ru_panic("curlwpop: unknown op", -EINVAL);
	}
}

/* The kernel's curlwp.  A host thread without an lwp gets its own here,
 * on its first call (lwp.c). */
struct lwp *rumpuser_curlwp(void)
{
	struct lwp *l;

	/* relaxed: only read once, by rumpuser_dl_bootstrap's check */
	if (atomic_load_explicit(&ru_curlwp_reads, memory_order_relaxed) == 0)
		atomic_store_explicit(&ru_curlwp_reads, 1, memory_order_relaxed);
	l = dom_current();
	if (__builtin_expect(l == NULL, 0))
		l = ru_lwp_foreign();
	return l;
}
