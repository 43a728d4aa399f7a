/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test cases every stack behind src/net/stack.h passes: cmocka tests whose
 * state is a fixture of peer.h with no stack up yet (each case brings it
 * up; the fixture's teardown takes it down).  test_stack_lwip and
 * test_stack_rump run them on their stack.
 */
#ifndef NET_TEST_STACK_CASES_H
#define NET_TEST_STACK_CASES_H

#include "peer.h"

/* Datagrams from the peer reach a bound socket's callback intact and in
 * order; ones for an unbound port are counted (udp_no_socket); a callback
 * that calls the stack gets -EDEADLK. */
void stack_case_receive(void **state);

/* Every error of the interface that a caller can cause: -EINVAL (NULL
 * arguments, each bad field of init's configuration, a second bind, a
 * bind after the first datagram bound the socket), -EPERM (init from a
 * plain thread), -EBUSY, -EADDRINUSE, -EADDRNOTAVAIL, -EMSGSIZE,
 * -EHOSTUNREACH, and -EAGAIN for a second datagram while ARP is
 * unanswered. */
void stack_case_errors(void **state);

/* The kinds of callers: from a plain host thread every call but get_stats
 * is -EPERM; from a receive callback every call but get_stats is
 * -EDEADLK (init -EBUSY: the stack is up); the refused calls change
 * nothing (the socket stays unbound and open, the stack up). */
void stack_case_callers(void **state);

/* With the peer gone, the tx ring fills: sendto says -ENOBUFS and each
 * refused datagram is counted once as tx_ring_full. */
void stack_case_tx_ring_full(void **state);

#endif
