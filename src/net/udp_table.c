/* SPDX-License-Identifier: BSD-2-Clause */
/* net: the table of a stack's open UDP sockets (udp_table.h).  Every call
 * that takes a table runs under the stack's lock that guards it. */
#include <stdlib.h>

#include "udp_table.h"

void net_udp_table_init(struct net_udp_table *t)
{
	TAILQ_INIT(&t->socks);
}

struct net_udp *net_udp_new(size_t size, struct net_stack *s, net_udp_recv_fn fn, void *arg)
{
	struct net_udp_head *h;

	if (size < sizeof(*h))
		return NULL;
	h = calloc(1, size);
	if (h == NULL)
		return NULL;
	h->s = s;
	h->fn = fn;
	h->arg = arg;
	return net_udp_of(h);
}

void net_udp_table_insert(struct net_udp_table *t, struct net_udp *u)
{
	TAILQ_INSERT_TAIL(&t->socks, net_udp_head_of(u), link);
}

void net_udp_table_remove(struct net_udp_table *t, struct net_udp *u)
{
	TAILQ_REMOVE(&t->socks, net_udp_head_of(u), link);
}

struct net_udp *net_udp_table_pop(struct net_udp_table *t)
{
	struct net_udp_head *h = TAILQ_FIRST(&t->socks);

	if (h == NULL)
		return NULL;
	TAILQ_REMOVE(&t->socks, h, link);
	return net_udp_of(h);
}
