/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * comp_ring_register (include/rumpbridge/comp.h): a PD names a ring in
 * one of its memory regions so that the launcher's status view can show
 * the depths of its queues.  The entry goes to the PD's object region
 * (struct comp_ring_reg); the launcher maps the memory region itself and
 * reads the ring's shared control pages, checking everything.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <rumpbridge/comp.h>

#include "pd_runtime.h"

/* Registrations, one at a time (the table is append-only but for
 * replacement of a name). */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;

int comp_ring_register(const char *name, const void *mem)
{
	uintptr_t a = (uintptr_t)mem;
	size_t len = name ? strnlen(name, COMP_RING_NAME_MAX + 1) : 0;
	struct comp_ring_reg *e = NULL;
	uint32_t n, map;
	int r = 0;

	if (!name || len == 0 || len > COMP_RING_NAME_MAX || !mem)
		return -EINVAL;
	for (map = 0; map < pd_boot->nmaps; map++) {
		const struct comp_boot_map *m = &pd_boot->maps[map];

		if (a >= m->vaddr && a - m->vaddr < m->size)
			break;
	}
	if (map == pd_boot->nmaps)
		return -ENOENT;
	pthread_mutex_lock(&reg_lock);
	n = atomic_load_explicit(&pd_self->nrings, memory_order_relaxed); /* only we write it */
	for (uint32_t i = 0; i < n && i < COMP_RINGS; i++)
		if (strcmp(pd_self->rings[i].name, name) == 0)
			e = &pd_self->rings[i];
	if (!e && n >= COMP_RINGS)
		r = -ENOSPC;
	if (!r) {
		struct comp_ring_reg *w = e ? e : &pd_self->rings[n];

		memset(w->name, 0, sizeof w->name);
		memcpy(w->name, name, len);
		w->map = map;
		w->offset = a - pd_boot->maps[map].vaddr;
		/* release: the launcher's acquire load of nrings sees the entry */
		if (!e)
			atomic_store_explicit(&pd_self->nrings, n + 1, memory_order_release);
	}
	pthread_mutex_unlock(&reg_lock);
	return r;
}
