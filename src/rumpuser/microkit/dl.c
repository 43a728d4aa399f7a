/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rumpuser_dl_bootstrap in a PD: one statically linked image, so the
 * kernel's modules and components are the link sets the linker gathered
 * (link_set_modules, link_set_rump_components; the rump libraries are
 * linked --whole-archive so that none is dropped).  The __start_/__stop_
 * symbols are weak: an image without a set links and hands over none.
 */
#include <errno.h>

#include "pd_impl.h"

extern const struct modinfo *const __start_link_set_modules[] __attribute__((__weak__));
extern const struct modinfo *const __stop_link_set_modules[] __attribute__((__weak__));
extern const struct rump_component *const __start_link_set_rump_components[]
	__attribute__((__weak__));
extern const struct rump_component *const __stop_link_set_rump_components[]
	__attribute__((__weak__));

void rumpuser_dl_bootstrap(rump_modinit_fn domodinit, rump_symload_fn symload,
			   rump_compload_fn compload)
{
	(void)symload; /* no symbol tables are loaded: nothing is loaded later */
	/* relaxed: read once; set by rumpuser_curlwp on this same vCPU */
	if (atomic_load_explicit(&ru_curlwp_reads, memory_order_relaxed) == 0) {
		ru_pd_say("this rump kernel keeps curlwp in a TLS variable, which a PD does not "
			  "have: build it with buildrump.sh -V RUMP_CURLWP=hypercall");
		ru_panic("rumpuser_dl_bootstrap", -ENOTSUP);
	}
	const struct modinfo *const *m0 = __start_link_set_modules, *const *m1 = __stop_link_set_modules;
	const struct rump_component *const *c0 = __start_link_set_rump_components;
	const struct rump_component *const *c1 = __stop_link_set_rump_components;

	if (m0 != NULL && m1 > m0)
		domodinit(m0, (size_t)(m1 - m0));
	for (; c0 != NULL && c0 < c1; c0++)
		compload(*c0);
}
