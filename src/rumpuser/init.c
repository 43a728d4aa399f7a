/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rumpuser_init and the small hypercalls: parameters, errno, exit,
 * console, random numbers (daemonize.c: daemonizing; sp*.c: sysproxy).
 * Also the platform's own calls: rumpbridge_set_domain, rumpbridge_domain,
 * rumpbridge_event_wait (rumpbridge_adopt is in lwp.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "rumpuser_impl.h"

const struct rumpuser_hyperup *ru_hyp;
struct dom *ru_dom;
_Atomic unsigned long ru_curlwp_reads;
static struct rumpuser_hyperup hyp_copy;
static bool own_dom;

void ru_panic(const char *what, int err)
{
	fprintf(stderr, "rumpbridge: rumpuser: %s: %s\n", what, mk_strerror(err));
	abort();
}

static unsigned ncpu_default(void)
{
	const char *e = getenv("RUMP_NCPU");
	long n;

	if (e != NULL && strcmp(e, "host") != 0) {
		n = strtol(e, NULL, 10);
	} else {
		n = sysconf(_SC_NPROCESSORS_ONLN);
	}
	if (n < 1)
		n = 1;
	if (n > DOM_VCPUS_MAX)
		n = DOM_VCPUS_MAX;
	return (unsigned)n;
}

int rumpuser_init(int version, const struct rumpuser_hyperup *hyp)
{
	int r;

	if (version != RUMPUSER_VERSION) {
		fprintf(stderr,
			"rumpbridge: rumpuser: the rump kernel wants hypercall version %d, "
			"this librumpuser implements %d\n",
			version, RUMPUSER_VERSION);
		return NETBSD_EINVAL;
	}
	if (hyp == NULL)
		return NETBSD_EINVAL;
	if (ru_hyp != NULL)
		return NETBSD_EBUSY; /* initialised already */
	hyp_copy = *hyp;
	if (ru_dom == NULL) {
		struct dom_config c = {.name = "rump", .vcpus = ncpu_default()};
		if ((r = dom_create(&ru_dom, &c)) != 0) {
			fprintf(stderr, "rumpbridge: rumpuser: cannot create the domain: %s\n",
				mk_strerror(r));
			return ru_errtrans(r);
		}
		own_dom = true;
	}
	if ((r = ru_io_start()) != 0)
		return ru_errtrans(r);
	ru_lwp_init();
	ru_hyp = &hyp_copy;
	return 0;
}

int rumpbridge_set_domain(struct dom *d)
{
	if (d == NULL)
		return -EINVAL;
	if (ru_hyp != NULL)
		return -EBUSY;
	ru_dom = d;
	own_dom = false;
	return 0;
}

struct dom *rumpbridge_domain(void)
{
	return ru_hyp != NULL ? ru_dom : NULL;
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

int rumpuser_getparam(const char *name, void *buf, size_t blen)
{
	const char *v;
	char tmp[64];

	if (name == NULL || buf == NULL || blen == 0)
		return NETBSD_EINVAL;
	if (strcmp(name, RUMPUSER_PARAM_NCPU) == 0) {
		/* Rump CPUs are not vCPUs: on a domain given to us, RUMP_NCPU
		 * (a number, as NetBSD's librumpuser reads it) may set them
		 * apart; on our own domain it set the vCPUs already. */
		const char *e = own_dom ? NULL : getenv("RUMP_NCPU");
		long n = 0;

		if (e != NULL) {
			char *end;
			n = strtol(e, &end, 10);
			if (*end != '\0' || n > 1024)
				n = 0;
		}
		if (n < 1)
			n = (long)dom_vcpus(ru_dom);
		snprintf(tmp, sizeof(tmp), "%ld", n);
		v = tmp;
	} else if (strcmp(name, RUMPUSER_PARAM_HOSTNAME) == 0) {
		char h[48];
		if (gethostname(h, sizeof(h)) != 0)
			strcpy(h, "rump");
		h[sizeof(h) - 1] = '\0';
		snprintf(tmp, sizeof(tmp), "%s-%d", h, (int)getpid());
		v = tmp;
	} else if ((v = getenv(name)) == NULL) {
		return NETBSD_ENOENT;
	}
	if (strlen(v) + 1 > blen)
		return NETBSD_ENAMETOOLONG; /* as NetBSD */
	strcpy(buf, v);
	return 0;
}

void rumpuser_seterrno(int e)
{
	errno = e; /* NetBSD numbers: the rump_sys_* caller expects them */
}

void rumpuser_exit(int rv)
{
	atomic_store(&ru_exiting, true);
	if (rv == RUMPUSER_PANIC)
		abort();
	exit(rv);
}

int rumpuser_getrandom(void *buf, size_t buflen, int flags, size_t *retp)
{
	ssize_t n;
	int hf = 0;

	if (buf == NULL || retp == NULL)
		return NETBSD_EINVAL;
	if (flags & RUMPUSER_RANDOM_HARD)
		hf |= GRND_RANDOM;
	if (flags & RUMPUSER_RANDOM_NOWAIT)
		hf |= GRND_NONBLOCK;
	do
		n = getrandom(buf, buflen, hf);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		*retp = 0;
		return ru_errtrans(errno);
	}
	*retp = (size_t)n;
	return 0;
}
