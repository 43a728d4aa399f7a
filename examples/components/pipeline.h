/* SPDX-License-Identifier: BSD-2-Clause */
/* What filter and sensor agree on (examples/components). */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdint.h>

#define RING_CH 1	/* the ring's signals */
#define CTL_CH 2	/* filter -> sensor: done; sensor -> filter: PPC */
#define CAPACITY 64u	/* descriptors per queue */
#define BUF_SIZE 64u	/* bytes per buffer: one sample */
#define SAMPLES 1000u

struct sample {
	uint64_t seq;
	uint64_t value;
};

#endif
