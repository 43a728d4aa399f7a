/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net: what the stacks behind stack.h share (stack.c, udp_table.c), for
 * their implementations (stack_lwip.c, stack_rump.c), not their callers.
 *
 * The checks of the interface's arguments that do not depend on the
 * stack, made in the same order by every stack, so that a bad argument
 * gets the same error whichever stack is behind the ops table; and the
 * table of a stack's open UDP sockets (udp_table.h).
 */
#ifndef RUMPBRIDGE_NET_STACK_IMPL_H
#define RUMPBRIDGE_NET_STACK_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "stack.h"
#include "udp_table.h"

/* The checks of init's arguments every stack makes before it takes its
 * one instance: sp and cfg given, cfg->d, tx and rx given, a nonzero
 * address and netmask, a unicast nonzero MAC, rx_events nonzero and
 * within DOM_EVENT_MASK, tx attached as the producer and rx as the
 * consumer with their data regions, and the calling thread a green or
 * entered thread of cfg->d.  Any thread.  Returns 0, -EINVAL (the first
 * of these that fails, before the caller's) or -EPERM (the caller's
 * kind). */
int net_stack_config_check(struct net_stack **sp, const struct net_stack_config *cfg);

/* The checks of udp_sendto's arguments after its socket's: data given
 * unless len is 0 (-EINVAL), len at most NET_UDP_PAYLOAD_MAX
 * (-EMSGSIZE), then dport nonzero and dst neither 0 nor broadcast
 * (-EINVAL).  Any thread.  Returns 0 or the first error. */
int net_udp_sendto_check(const void *data, size_t len, uint32_t dst, uint16_t dport);

#endif
