/* SPDX-License-Identifier: BSD-2-Clause */
/* The NIC component's TAP mode (nic_tap.c), called by nic.c. */
#ifndef SEED_NIC_H
#define SEED_NIC_H

#include <rumpbridge/ring.h>

#include "seed.h"

/* Enter a network namespace of our own, create the TAP device and the
 * receiver's UDP socket there, start the tap-rx and udp-rx threads.  tx:
 * net0's frames (we consume), rx: frames for net0 (we produce), sink: the
 * sink's receive ring (we produce).  Exits the PD with a message when any
 * step fails (no root: no namespace). */
void nic_tap_init(struct comp_ring *tx, struct comp_ring *rx, struct comp_ring *sink,
		  struct seed_stats *stats);

/* net0 signalled: write its frames to the TAP device. */
void nic_tap_notified(void);

#endif
