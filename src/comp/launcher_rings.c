/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The status view's ring lines: for each ring a PD registered
 * (comp_ring_register, struct comp_ring_reg in its object region), the
 * depth of the active and free queues, read from the ring's control pages
 * in the launcher's own mapping of the memory region.  The PD is not
 * trusted: the map number, the offset, the header and the indices are
 * checked, and a ring that does not check out is printed as unreadable.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <rumpbridge/ring.h>

#include "launcher.h"
#include "pd_abi.h"

static const char *queue_depth(const struct comp_ring_ctl *c, uint32_t cap, uint32_t *depth)
{
	/* acquire: pairs with the sides' release stores of their index */
	uint32_t head = atomic_load_explicit(&c->head, memory_order_acquire);
	uint32_t tail = atomic_load_explicit(&c->tail, memory_order_acquire);

	*depth = tail - head;
	return *depth > cap ? "impossible indices" : NULL;
}

void launcher_print_rings(const struct comp_pd_objs *o, const struct sys_system *s,
			  const struct sys_pd *sp, const struct mk_region *regions)
{
	/* acquire: pairs with the PD's release store after the entry */
	uint32_t n = atomic_load_explicit(&o->nrings, memory_order_acquire);

	if (n > COMP_RINGS)
		n = COMP_RINGS;
	for (uint32_t i = 0; i < n; i++) {
		struct comp_ring_reg e;
		const struct mk_region *reg;
		const struct comp_ring_header *h;
		const char *bad = NULL;
		uint32_t active = 0, freeq = 0;
		const char *base;

		memcpy(&e, &o->rings[i], sizeof e); /* once: the PD may change it */
		e.name[COMP_RING_NAME_MAX] = 0;
		if (e.map >= sp->nmaps) {
			fprintf(stderr, "    ring %-11s unreadable (no map %u)\n", e.name, e.map);
			continue;
		}
		reg = &regions[sp->maps[e.map].region];
		base = (const char *)reg->base;
		if (e.offset > reg->size || reg->size - e.offset < 3 * (uint64_t)COMP_RING_PAGE) {
			fprintf(stderr, "    ring %-11s unreadable (offset 0x%llx in region '%s')\n",
				e.name, (unsigned long long)e.offset, s->regions[sp->maps[e.map].region].name);
			continue;
		}
		h = (const struct comp_ring_header *)(base + e.offset);
		if (h->magic != COMP_RING_MAGIC || h->capacity < COMP_RING_CAPACITY_MIN ||
		    h->capacity > COMP_RING_CAPACITY_MAX || (h->capacity & (h->capacity - 1)))
			bad = "no ring there";
		if (!bad)
			bad = queue_depth((const struct comp_ring_ctl *)(base + e.offset + COMP_RING_PAGE),
					  h->capacity, &active);
		if (!bad)
			bad = queue_depth(
				(const struct comp_ring_ctl *)(base + e.offset + 2 * COMP_RING_PAGE),
				h->capacity, &freeq);
		if (bad)
			fprintf(stderr, "    ring %-11s unreadable (%s)\n", e.name, bad);
		else
			fprintf(stderr, "    ring %-11s active %u/%u free %u/%u (region '%s' + 0x%llx)\n",
				e.name, active, h->capacity, freeq, h->capacity,
				s->regions[sp->maps[e.map].region].name, (unsigned long long)e.offset);
	}
}
