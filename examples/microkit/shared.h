/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The page the client and the domain PD share (region "shared").
 *
 * Round i: the client stores req = i and notifies; the domain's waiter
 * thread wakes, reads req, stores ack = req and notifies back.  Each side
 * reads the other's word after every notification and acts on its value,
 * not on how many notifications came: two notifications before the other
 * side runs arrive as one (seL4 notifications coalesce), and a wake-up
 * whose word has not changed is simply a spurious one.
 */
#ifndef EXAMPLE_MICROKIT_SHARED_H
#define EXAMPLE_MICROKIT_SHARED_H

#include <stdatomic.h>
#include <stdint.h>

#define ROUNDS 100
#define REPORT_ROUND (ROUNDS + 1) /* after a quiet second: print counters again */

/* Each word has one writer.  A store is made before the notification
 * that announces it, and read after the wake-up: the release store pairs
 * with the acquire load on the other side (the kernel entry and exit in
 * between order them on one core already; the atomics say so to the
 * compiler and hold on several cores too). */
struct shared {
	_Atomic uint64_t req; /* client -> domain */
	_Atomic uint64_t ack; /* domain -> client */
};

#endif
