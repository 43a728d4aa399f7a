/* SPDX-License-Identifier: BSD-2-Clause */
/* A header as mk.h was: an _Atomic field in a public struct, which no C++
 * or C99 compiler accepts.  check-headers.sh must reject it. */
#ifndef RB_BROKEN_ATOMIC_H
#define RB_BROKEN_ATOMIC_H
#include <errno.h>
#include <stdint.h>
struct rb_broken_atomic {
	_Atomic uint32_t word;
};
/* Errors: -EINVAL. */
int rb_broken_atomic_init(struct rb_broken_atomic *b);
#endif
