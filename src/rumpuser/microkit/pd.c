/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * librumpuser in a Microkit PD: rumpuser_init and the small hypercalls
 * (parameters, errno, kill, exit, console, random numbers, daemonize,
 * sysproxy), and the PD's set-up call.  The PD has no C library, no
 * processes, no files and no environment: what the Linux backend asks of
 * the host (src/rumpuser/init.c) comes from the configuration, the
 * console (microkit_dbg_puts through mk_console_write) and the domain.
 */
#include <errno.h>
#include <string.h>

#include <microkit.h>

#include "pd_impl.h"

const struct rumpuser_hyperup *ru_hyp;
struct dom *ru_dom;
_Atomic unsigned long ru_curlwp_reads;
struct rumpbridge_microkit_config ru_pd_cfg;
int rumpbridge_microkit_errno;
static struct rumpuser_hyperup hyp_copy;
static bool set_up;
static uint64_t slice_start, slice_yields;

static void console(const char *s)
{
	mk_console_write(s, strlen(s));
}

void ru_pd_say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	ru_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console("rumpuser: ");
	console(buf);
	console("\n");
}

static const char *self_name(void)
{
	struct dom_thread *t = dom_self();

	return t != NULL ? dom_thread_name(t) : "(PD context)";
}

int ru_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = mk_console_vformat(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

/* Reported, then a fault (brk): seL4 sends it to the PD's fault handler
 * (its parent's fault(), or the monitor, which prints the PD's name). */
void ru_panic(const char *what, int err)
{
	ru_pd_say("panic in %s: %s: %s", self_name(), what, mk_strerror(err));
	__builtin_trap();
}

int rumpbridge_microkit_setup(const struct rumpbridge_microkit_config *cfg)
{
	int r;

	if (cfg == NULL || cfg->dom == NULL || cfg->mem == NULL ||
	    (uintptr_t)cfg->mem % 4096 != 0 || cfg->mem_size < 0x10000)
		return -EINVAL;
	if (set_up)
		return -EBUSY;
	if ((r = ru_heap_init(&ru_pd_heap, cfg->mem, cfg->mem_size)) != 0)
		return r;
	ru_pd_cfg = *cfg;
	if (ru_pd_cfg.slice_ns == 0)
		ru_pd_cfg.slice_ns = 1000000;
	ru_dom = cfg->dom;
	set_up = true;
	return 0;
}

void rumpbridge_microkit_get_stats(struct rumpbridge_microkit_stats *s)
{
	*s = (struct rumpbridge_microkit_stats){
		.mem_size = ru_pd_heap.end - ru_pd_heap.base,
		.mem_used = ru_pd_heap.used,
		.mem_peak = ru_pd_heap.peak,
		.mem_nfree = ru_pd_heap.nfree,
		.allocs = ru_pd_heap.allocs,
		.frees = ru_pd_heap.frees,
		.failed = ru_pd_heap.failed,
		.slice_yields = slice_yields,
	};
}

/*
 * Time slices.  The PD's domain is cooperative on one vCPU, and rump
 * kernel code runs until it blocks: rump_init() alone runs for some
 * 150 ms of QEMU time without blocking once.  So a few hypercalls that
 * the kernel makes often (malloc, free, clock_gettime) are yield points:
 * when the slice since the last yield point yielded is over, the caller
 * yields.  It keeps its rump CPU and every lock it holds: rump threads
 * that need the CPU block on the kernel's own scheduler and wait (as
 * they would for a CPU held on a preemptive host), and green threads
 * outside the kernel (the PD's own) run.  Nothing of the kernel's state
 * changes hands, so no kernel invariant sees the yield.  One slice for
 * the whole domain: it bounds how long any thread runs past a yield
 * point.  The PD context is not a member and never yields here.
 */
void ru_pd_slice_check(void)
{
	struct dom_thread *self;
	uint64_t now;

	if (ru_pd_cfg.slice_ns == UINT64_MAX)
		return;
	now = mk_clock_now_ns();
	if (now - slice_start < ru_pd_cfg.slice_ns)
		return;
	if ((self = dom_self()) == NULL || !dom_thread_is_green(self))
		return;
	slice_start = now;
	slice_yields++;
	dom_yield();
}

int rumpuser_init(int version, const struct rumpuser_hyperup *hyp)
{
	if (version != RUMPUSER_VERSION) {
		ru_pd_say("the rump kernel wants hypercall version %d, this librumpuser "
			  "implements %d",
			  version, RUMPUSER_VERSION);
		return NETBSD_EINVAL;
	}
	if (hyp == NULL)
		return NETBSD_EINVAL;
	if (!set_up) {
		ru_pd_say("rumpuser_init: rumpbridge_microkit_setup was not called");
		return NETBSD_EINVAL;
	}
	if (dom_self() == NULL || !dom_thread_is_green(dom_self())) {
		ru_pd_say("rumpuser_init: rump_init must run on a green thread of the PD's domain");
		return NETBSD_EPERM;
	}
	if (ru_hyp != NULL)
		return NETBSD_EBUSY; /* initialised already */
	hyp_copy = *hyp;
	ru_hyp = &hyp_copy;
	return 0;
}

/* The platform calls of <rumpbridge/rumpuser.h>, as far as a PD has them. */
int rumpbridge_set_domain(struct dom *d)
{
	if (d == NULL)
		return -EINVAL;
	if (ru_hyp != NULL)
		return -EBUSY;
	ru_dom = d;
	return 0;
}

struct dom *rumpbridge_domain(void)
{
	return ru_hyp != NULL ? ru_dom : NULL;
}

/* Adoption is for host threads; a PD has one seL4 thread, all of whose
 * code that calls the kernel runs on green threads. */
int rumpbridge_adopt(void)
{
	return -ENOTSUP;
}

int rumpbridge_unadopt(void)
{
	return -ENOTSUP;
}

int rumpbridge_event_wait(uint64_t mask, uint64_t *bits)
{
	int r, nlocks;

	if (ru_hyp == NULL)
		return -ENXIO;
	ru_unschedule(&nlocks, NULL);
	r = dom_event_wait(ru_dom, mask, bits);
	ru_schedule(nlocks, NULL);
	return r;
}

static const char *param(const char *name)
{
	size_t n = strlen(name);

	for (const char *const *p = ru_pd_cfg.params; p != NULL && *p != NULL; p++)
		if (strlen(*p) > n && memcmp(*p, name, n) == 0 && (*p)[n] == '=')
			return *p + n + 1;
	return NULL;
}

int rumpuser_getparam(const char *name, void *buf, size_t blen)
{
	const char *v;
	char tmp[64];

	if (name == NULL || buf == NULL || blen == 0)
		return NETBSD_EINVAL;
	if (strcmp(name, RUMPUSER_PARAM_NCPU) == 0) {
		ru_snprintf(tmp, sizeof(tmp), "%u", dom_vcpus(ru_dom));
		v = tmp;
	} else if (strcmp(name, RUMPUSER_PARAM_HOSTNAME) == 0) {
		if ((v = ru_pd_cfg.hostname) == NULL) {
			ru_snprintf(tmp, sizeof(tmp), "rump-%s", microkit_name);
			v = tmp;
		}
	} else if ((v = param(name)) == NULL) {
		if (strcmp(name, "RUMP_MEMLIMIT") != 0)
			return NETBSD_ENOENT;
		/* the kernel sizes its caches by physmem: the region */
		ru_snprintf(tmp, sizeof(tmp), "%zu", ru_pd_cfg.mem_size);
		v = tmp;
	}
	if (strlen(v) + 1 > blen)
		return NETBSD_ENAMETOOLONG;
	strcpy(buf, v);
	return 0;
}

void rumpuser_seterrno(int e)
{
	rumpbridge_microkit_errno = e; /* NetBSD numbers */
}

/* No processes: a signal (the kernel's RUMP_SIGMODEL_RAISE) is reported. */
int rumpuser_kill(int64_t pid, int sig)
{
	ru_pd_say("rumpuser_kill: signal %d to pid %lld: a PD has no processes", sig,
		  (long long)pid);
	return NETBSD_EOPNOTSUPP;
}

__attribute__((__weak__)) void rumpbridge_microkit_exit(int status)
{
	(void)status;
	for (;;) {
		dom_thread_exit(NULL);
		/* not a green thread: nothing to end; wait for ever */
		dom_sleep_until(MK_FOREVER);
	}
}

void rumpuser_exit(int rv)
{
	if (rv == RUMPUSER_PANIC) {
		ru_pd_say("rump kernel panic (thread %s)", self_name());
		__builtin_trap();
	}
	ru_pd_say("exit(%d): the rump kernel has stopped (thread %s)", rv, self_name());
	rumpbridge_microkit_exit(rv);
}

/*
 * Random numbers.  A PD on QEMU virt (Cortex-A53, Armv8.0) has no
 * hardware source: no RNDR (Armv8.5), no entropy device given to it.  So
 * this is a deterministic generator, SplitMix64, seeded once from
 * cntpct_el0 at the first call, the configuration's random_seed and the
 * region's address, and re-mixed with cntpct_el0 on every call.  It is
 * NOT cryptographic quality: anyone who knows the image and roughly when
 * it booted can predict it.  Enough for the kernel's hash seeds and
 * initial sequence numbers in a test system; a real system should give
 * the PD a seed from a trusted source (random_seed) or an entropy PD.
 * RUMPUSER_RANDOM_HARD gets the same stream; the call never blocks.
 */
static uint64_t rnd_state;
static bool rnd_seeded;

static uint64_t splitmix64(void)
{
	uint64_t z = (rnd_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

int rumpuser_getrandom(void *buf, size_t buflen, int flags, size_t *retp)
{
	unsigned char *b = buf;

	(void)flags;
	if (buf == NULL || retp == NULL)
		return NETBSD_EINVAL;
	if (!rnd_seeded) {
		rnd_state = ru_pd_cfg.random_seed ^ (uint64_t)(uintptr_t)ru_pd_cfg.mem;
		rnd_seeded = true;
	}
	rnd_state ^= mk_clock_now_ns();
	for (size_t i = 0; i < buflen; i += 8) {
		uint64_t v = splitmix64();
		for (size_t k = 0; k < 8 && i + k < buflen; k++)
			b[i + k] = (unsigned char)(v >> (8 * k));
	}
	*retp = buflen;
	return 0;
}

/* Nothing to detach from. */
int rumpuser_daemonize_begin(void)
{
	return 0;
}

int rumpuser_daemonize_done(int error)
{
	(void)error;
	return 0;
}

/* Sysproxy (remote clients) is not supported in a PD. */
int rumpuser_sp_init(const char *url, const char *ostype, const char *osrelease,
		     const char *machine)
{
	(void)url, (void)ostype, (void)osrelease, (void)machine;
	ru_pd_say("rumpuser_sp_init: sysproxy (rump_init_server) is not supported in a PD");
	return NETBSD_EOPNOTSUPP;
}

int rumpuser_sp_copyin(void *a, const void *b, void *c, size_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	return NETBSD_EOPNOTSUPP;
}

int rumpuser_sp_copyinstr(void *a, const void *b, void *c, size_t *d)
{
	(void)a, (void)b, (void)c, (void)d;
	return NETBSD_EOPNOTSUPP;
}

int rumpuser_sp_copyout(void *a, const void *b, void *c, size_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	return NETBSD_EOPNOTSUPP;
}

int rumpuser_sp_copyoutstr(void *a, const void *b, void *c, size_t *d)
{
	(void)a, (void)b, (void)c, (void)d;
	return NETBSD_EOPNOTSUPP;
}

int rumpuser_sp_anonmmap(void *a, size_t b, void **c)
{
	(void)a, (void)b, (void)c;
	return NETBSD_EOPNOTSUPP;
}

int rumpuser_sp_raise(void *a, int b)
{
	(void)a, (void)b;
	return NETBSD_EOPNOTSUPP;
}

void rumpuser_sp_fini(void *a)
{
	(void)a;
}
