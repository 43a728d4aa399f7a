/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net: the table of a stack's open UDP sockets (udp_table.c).
 *
 * What every stack keeps of a socket, whatever it does with it otherwise:
 * the stack it belongs to, its receive callback, and its place in the
 * stack's table of open sockets.  Each stack defines its own struct
 * net_udp, which must begin with a struct net_udp_head (so that a socket
 * and its head are one address; the calls below take and give sockets).
 * udp_open makes a socket with net_udp_new and, once it is whole, adds it
 * with net_udp_table_insert; udp_close takes it out with
 * net_udp_table_remove; fini empties the table with net_udp_table_pop.
 * The stack frees a socket (free()) once it is out of the table and the
 * stack is done with it.
 *
 * Locking: the table has no lock of its own.  Each stack guards its table
 * with one of its locks, held around every call below that takes a table
 * (lwIP: the core mutex, which every call into that stack holds; rump:
 * the socket-list mutex, s->lock).  A head's s, fn and arg are written
 * once, by net_udp_new, before the socket is inserted or given to any
 * other thread, and only read afterwards.
 */
#ifndef RUMPBRIDGE_NET_UDP_TABLE_H
#define RUMPBRIDGE_NET_UDP_TABLE_H

#include <stddef.h>
#include <sys/queue.h>

#include "stack.h"

struct net_udp_head {
	struct net_stack *s;		/* the stack of the socket */
	net_udp_recv_fn fn;		/* its receive callback; NULL: none */
	void *arg;			/* fn's first argument */
	TAILQ_ENTRY(net_udp_head) link; /* in the table, under the stack's lock */
};

struct net_udp_table {
	TAILQ_HEAD(, net_udp_head) socks; /* the open sockets, oldest first */
};

/* The socket whose head is h (its first member), and back. */
static inline struct net_udp *net_udp_of(struct net_udp_head *h)
{
	return (struct net_udp *)h;
}

static inline struct net_udp_head *net_udp_head_of(struct net_udp *u)
{
	return (struct net_udp_head *)u;
}

/* An empty table. */
void net_udp_table_init(struct net_udp_table *t);

/* A new socket of stack s: size bytes (the stack's struct net_udp),
 * zeroed, its head's s, fn and arg set, in no table yet.  NULL when out
 * of memory, or when size is smaller than a head. */
struct net_udp *net_udp_new(size_t size, struct net_stack *s, net_udp_recv_fn fn, void *arg);

/* Add u, in no table, at the end of t. */
void net_udp_table_insert(struct net_udp_table *t, struct net_udp *u);

/* Take u, which is in t, out of t. */
void net_udp_table_remove(struct net_udp_table *t, struct net_udp *u);

/* Take the oldest socket out of t: it, or NULL when t is empty. */
struct net_udp *net_udp_table_pop(struct net_udp_table *t);

/* The socket after u in t (u NULL: the first), or NULL after the last:
 * a walk of t, under the stack's lock, that takes nothing out. */
static inline struct net_udp *net_udp_table_next(struct net_udp_table *t, struct net_udp *u)
{
	struct net_udp_head *h = u == NULL ? TAILQ_FIRST(&t->socks)
					   : TAILQ_NEXT(net_udp_head_of(u), link);

	return h == NULL ? NULL : net_udp_of(h);
}

#endif
