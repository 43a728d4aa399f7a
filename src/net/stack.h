/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net: the stack interface of the network component.
 *
 * The network component hosts one TCP/IP stack on a domain's green
 * threads.  Two stacks sit behind this one interface, chosen at run time
 * by their ops table:
 *   net_stack_lwip  lwIP from Debian (src/net/stack_lwip.c);
 *   net_stack_rump  the NetBSD rump kernel's stack on librumpuser
 *                   (src/net/stack_rump.c, with the host half of if_virt
 *                   written on the rings).
 * A build leaves out a stack it cannot build; its table is then absent
 * (net_stack_find returns NULL for it).
 *
 * The network interface.  The stack has one Ethernet interface whose
 * frames go to and come from a NIC component over two sDDF rings
 * (include/rumpbridge/ring.h, docs/rings.md), attached by the caller
 * before net_stack_ops.init and owned by the caller:
 *   tx  frames the stack sends: the stack is the PRODUCER (takes an empty
 *       buffer from the free queue, writes one whole frame, enqueues it on
 *       the active queue; desc.len is the frame's length, without FCS);
 *   rx  frames for the stack: the stack is the CONSUMER (dequeues a full
 *       buffer, takes the frame, returns the buffer on the free queue).
 * The rings' buffers are NET_BUF_SIZE bytes (comp_ring_format's
 * buf_size); a descriptor on a free queue carries len NET_BUF_SIZE.
 * The rings' channels must have a wait function usable from green threads
 * (comp_ring_dom_wait on an event bit of the domain): the stack's own
 * green thread sleeps in it until the NIC hands it frames.  The stack
 * never polls a ring: while nothing arrives and nobody sends, its threads
 * sleep (its protocol timers may wake it, see each implementation's
 * docs/network.md section).
 *
 * Kinds of callers (as in dom.h):
 *   green    a green thread of the stack's domain;
 *   entered  a host thread between dom_enter and dom_leave on that
 *            domain (a PD's notification-callback or RPC-handler thread
 *            enters the domain, then calls the stack directly);
 *   any      any thread.
 * A function called from a thread of the wrong kind returns -EPERM.  The
 * stack serialises its callers itself; they need no lock of their own.
 *
 * Receive callbacks run on a green thread of the stack's domain, with the
 * stack's internal lock held: a callback copies the datagram out (into a
 * client's receive ring, say), may signal other components, and returns;
 * it must not call any function of this interface and must not block.
 *
 * Addresses are IPv4 in network byte order (as in_addr_t); ports in host
 * byte order.
 *
 * Errors, for every function: 0 on success, or a negative errno code:
 *   -EINVAL  NULL argument or argument out of range;
 *   -EPERM   the calling thread is of the wrong kind (see above);
 *   -EDEADLK called from a receive callback of this stack (every
 *            function but init, which says -EBUSY then, and get_stats,
 *            which any thread may call);
 * plus the codes listed at each function.  Bad input never aborts.  A
 * socket is freed by udp_close and a stack by fini (with its sockets):
 * their handles must not be used afterwards.
 */
#ifndef RUMPBRIDGE_NET_STACK_H
#define RUMPBRIDGE_NET_STACK_H

#include <stddef.h>
#include <stdint.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/ring.h>

/* Largest Ethernet frame on the rings: 14-byte header + 1500-byte MTU. */
#define NET_ETH_HLEN 14u
#define NET_MTU 1500u
#define NET_FRAME_MAX (NET_ETH_HLEN + NET_MTU)
/* Size of every buffer of the frame rings (room for NET_FRAME_MAX). */
#define NET_BUF_SIZE 2048u
/* Largest UDP payload in one unfragmented IPv4 datagram at NET_MTU. */
#define NET_UDP_PAYLOAD_MAX (NET_MTU - 20u - 8u)

struct net_stack;
struct net_udp;

struct net_stack_config {
	struct dom *d;	      /* the domain whose green threads run the stack */
	uint32_t addr;	      /* interface address, network byte order */
	uint32_t netmask;     /* network byte order */
	uint32_t gateway;     /* network byte order; 0: none */
	uint8_t mac[6];	      /* interface MAC address (unicast) */
	struct comp_ring *tx; /* attached as COMP_RING_PRODUCER */
	struct comp_ring *rx; /* attached as COMP_RING_CONSUMER */
	/* Event bits of d that rx's channel waits on.  The stack may signal
	 * them itself to wake its own green thread (a spurious wake-up of the
	 * ring wait, which the ring allows). */
	uint64_t rx_events;
};

/* Datagram for a bound socket: data and len are valid during the call
 * only.  src/sport: the sender.  Runs on a green thread (see above). */
typedef void (*net_udp_recv_fn)(void *arg, const void *data, size_t len, uint32_t src,
				uint16_t sport);

/* Counters of a stack; every frame and datagram the stack handles is
 * counted once, every one dropped once under its reason. */
struct net_stack_stats {
	uint64_t tx_frames;	/* frames put on the tx ring */
	uint64_t rx_frames;	/* frames taken from the rx ring */
	uint64_t tx_ring_full;	/* frames dropped: no free tx buffer */
	uint64_t tx_too_big;	/* frames dropped: longer than a tx buffer */
	uint64_t rx_bad;	/* frames dropped: refused by the ring or the stack */
	uint64_t udp_sent;	/* datagrams accepted by udp_sendto */
	uint64_t udp_received;	/* datagrams handed to a receive callback */
	uint64_t udp_no_socket; /* datagrams dropped: no socket on the port */
	uint64_t ring_errors;	/* ring calls that failed otherwise (-EPROTO, ...) */
};

struct net_stack_ops {
	const char *name; /* "lwip", "rump" */

	/* Bring the stack up on cfg->d with one interface on the rings,
	 * configured and up, and start its green thread(s).  green or
	 * entered (of cfg->d); may block while the stack starts.  Errors:
	 * -EINVAL (a ring not attached in the right role, a multicast or
	 * zero MAC, a zero address or netmask, rx_events 0 or outside
	 * DOM_EVENT_MASK; rump: a domain other than the one its kernel
	 * first came up on), -EBUSY (this stack allows one instance per
	 * process and one is up; rump: a rump kernel this stack did not
	 * start runs in the process, or every if_virt unit is taken),
	 * -ENOMEM, -EAGAIN (a thread could not be started), -EIO (the stack
	 * refused the configuration). */
	int (*init)(struct net_stack **s, const struct net_stack_config *cfg);

	/* Stop the stack's threads, close every socket still open, free the
	 * stack.  The rings stay attached (the caller detaches them).  green
	 * or entered, not from a receive callback (-EDEADLK). */
	int (*fini)(struct net_stack *s);

	/* Open a UDP socket; fn(arg, ...) receives its datagrams once it is
	 * bound (fn NULL: datagrams for it are dropped, counted as
	 * udp_no_socket).  green or entered, not from a receive callback.
	 * Errors: -ENOMEM (the stack is out of sockets or memory). */
	int (*udp_open)(struct net_stack *s, struct net_udp **u, net_udp_recv_fn fn, void *arg);

	/* Bind u to addr (0: any) and port (0: an ephemeral port).  green or
	 * entered, not from a receive callback.  Errors: -EADDRINUSE (the
	 * port is bound already; port 0: no ephemeral port is free),
	 * -EADDRNOTAVAIL (addr is not the interface's), -EINVAL (u bound
	 * already, by a bind or its first datagram), -EIO (the stack refused
	 * it for a reason this interface has no code for). */
	int (*udp_bind)(struct net_udp *u, uint32_t addr, uint16_t port);

	/* Send one datagram of len bytes (0..NET_UDP_PAYLOAD_MAX) to
	 * dst:dport; an unbound socket is bound to an ephemeral port first.
	 * Returns once the frame is on the tx ring (or queued in the stack
	 * while the peer's MAC is resolved): the data may be reused at once.
	 * Never waits for ring space.  green or entered, not from a receive
	 * callback.  Errors: -EMSGSIZE (len over NET_UDP_PAYLOAD_MAX),
	 * -ENOBUFS (no free tx buffer: the datagram is dropped and counted
	 * as tx_ring_full; or no stack memory), -EAGAIN (the next hop's MAC
	 * is being resolved and a datagram already waits for it: nothing
	 * was sent, send again later), -EHOSTUNREACH (no route to dst), -EINVAL
	 * (dport 0, dst 0 or broadcast), -EADDRINUSE (u unbound and no
	 * ephemeral port is free), -EIO (the stack refused it for a reason
	 * this interface has no code for). */
	int (*udp_sendto)(struct net_udp *u, const void *data, size_t len, uint32_t dst,
			  uint16_t dport);

	/* Close u: no callback runs for it after this returns.  green or
	 * entered, not from a receive callback (-EDEADLK). */
	int (*udp_close)(struct net_udp *u);

	/* A copy of the counters.  any. */
	int (*get_stats)(struct net_stack *s, struct net_stack_stats *st);
};

/* The stacks.  A stack exists only in a build that defines its
 * NET_HAVE_LWIP / NET_HAVE_RUMP (CMake does, for rumpbridge_net): use
 * net_stack_find unless you know the build has it. */
extern const struct net_stack_ops net_stack_lwip;
extern const struct net_stack_ops net_stack_rump;

/* The stack named name ("lwip", "rump"), or NULL when it is not built. */
const struct net_stack_ops *net_stack_find(const char *name);

#endif
