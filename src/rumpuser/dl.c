/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rumpuser_dl_bootstrap: hand the kernel the modules and components that
 * are linked into the program, statically or as shared objects.  Each
 * object's link sets (__start_link_set_X / __stop_link_set_X, arrays of
 * pointers) are looked up per loaded object, each distinct set handed
 * over once.  Kernels built with constructors (RUMP_USE_CTOR, buildrump's
 * default on Linux) register components themselves; then the link sets
 * are simply absent.  Kernel symbol tables (the symload callback, for
 * modules loaded at run time) are not handed over: see docs/rumpuser.md.
 *
 * Also the check that the kernel reads curlwp through the hypercall: by
 * the time rump_init calls this it has used curlwp many times.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rumpuser_impl.h"

#define MAX_SETS 128

struct dl_state {
	void *seen[MAX_SETS];
	unsigned nseen;
	rump_modinit_fn modinit;
	rump_compload_fn compload;
};

static bool seen_before(struct dl_state *s, void *start)
{
	for (unsigned i = 0; i < s->nseen; i++)
		if (s->seen[i] == start)
			return true;
	if (s->nseen < MAX_SETS)
		s->seen[s->nseen++] = start;
	return false;
}

static void one_object(struct dl_state *s, void *h)
{
	void **ms = dlsym(h, "__start_link_set_modules");
	void **me = dlsym(h, "__stop_link_set_modules");
	void **cs = dlsym(h, "__start_link_set_rump_components");
	void **ce = dlsym(h, "__stop_link_set_rump_components");

	if (ms != NULL && me != NULL && me > ms && !seen_before(s, ms))
		s->modinit((const struct modinfo *const *)ms, (size_t)(me - ms));
	if (cs != NULL && ce != NULL && ce > cs && !seen_before(s, cs))
		for (void **c = cs; c < ce; c++)
			s->compload(*c);
}

static int each_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct dl_state *s = arg;
	void *h;

	(void)size;
	h = dlopen(info->dlpi_name[0] != '\0' ? info->dlpi_name : NULL, RTLD_LAZY | RTLD_NOLOAD);
	if (h == NULL)
		return 0;
	one_object(s, h);
	dlclose(h);
	return 0;
}

void rumpuser_dl_bootstrap(rump_modinit_fn modinit, rump_symload_fn symload,
			   rump_compload_fn compload)
{
	struct dl_state s = {.modinit = modinit, .compload = compload};

	(void)symload;
	if (atomic_load(&ru_curlwp_reads) == 0) {
		fprintf(stderr,
			"rumpbridge: this rump kernel keeps curlwp in a host thread-local "
			"variable (it was built without RUMP_CURLWP=hypercall).  Green threads "
			"share host threads, so it would run on the wrong lwp.  Rebuild it "
			"with: buildrump.sh -V RUMP_CURLWP=hypercall\n");
		rumpuser_exit(RUMPUSER_PANIC);
	}
	dl_iterate_phdr(each_object, &s);
}
