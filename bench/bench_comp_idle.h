/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_comp's idle figure (bench_comp_idle.c). */
#ifndef RB_BENCH_COMP_IDLE_H
#define RB_BENCH_COMP_IDLE_H

#include "bench.h"

/* Start a 4-PD system with rumpbridge-run, leave it idle for 5 s (1 s
 * with --quick) and record idle_cpu_ms: the CPU time all its PD
 * processes used meanwhile.  Records nothing (and says so) in a build
 * without the launcher. */
void comp_idle_bench(struct rb_bench *b);

#endif
