/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Ready-made channel ends for comp_ring: an mk_notification badge (plain
 * host threads, any process that maps the notification) and a domain
 * event (green threads and entered host threads).
 */
#include <errno.h>

#include <rumpbridge/ring.h>

int comp_ring_notification_signal(void *ctx)
{
	struct comp_ring_notification *c = ctx;

	if (c == NULL)
		return -EINVAL;
	return mk_notification_signal(c->n, c->badge);
}

int comp_ring_notification_wait(void *ctx, uint64_t deadline_ns)
{
	struct comp_ring_notification *c = ctx;
	uint64_t w;
	int r;

	if (c == NULL || c->badge == 0)
		return -EINVAL;
	for (;;) {
		if ((c->stray & c->badge) != 0) {
			c->stray &= ~c->badge;
			return 0;
		}
		r = mk_notification_wait_until(c->n, deadline_ns, &w);
		if (r != 0)
			return r;
		/* The word is one per thread (or per PD): bits of other
		 * channels are its owner's business, kept for it. */
		c->stray |= w & ~c->badge;
		if ((w & c->badge) != 0)
			return 0;
	}
}

int comp_ring_dom_signal(void *ctx)
{
	struct comp_ring_dom_event *c = ctx;

	if (c == NULL)
		return -EINVAL;
	return dom_event_signal(c->d, c->mask);
}

int comp_ring_dom_wait(void *ctx, uint64_t deadline_ns)
{
	struct comp_ring_dom_event *c = ctx;
	uint64_t bits;

	if (c == NULL)
		return -EINVAL;
	return dom_event_wait_until(c->d, c->mask, deadline_ns, &bits);
}
