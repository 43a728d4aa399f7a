/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_comp's figures of whole systems run by rumpbridge-run
 * (bench_comp_system.c). */
#ifndef RB_BENCH_COMP_SYSTEM_H
#define RB_BENCH_COMP_SYSTEM_H

#include "bench.h"

/* Start a 4-PD system with rumpbridge-run, leave it idle for 5 s (1 s
 * with --quick) and record idle_cpu_ms: the CPU time all its PD
 * processes used meanwhile.  Records nothing (and says so) in a build
 * without the launcher. */
void comp_idle_bench(struct rb_bench *b);

/* Run a system of two PD processes, pingcli making PPCs to pingsrv, once
 * per repetition, and record ppcall_pd_rtt_ns: the median of the mean
 * round trips pingcli measured (20000 calls each).  Records nothing in a
 * build without the launcher. */
void comp_ppc_pd_bench(struct rb_bench *b);

#endif
