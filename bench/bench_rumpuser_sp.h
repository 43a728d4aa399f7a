/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef BENCH_RUMPUSER_SP_H
#define BENCH_RUMPUSER_SP_H
struct rb_bench;
/* The sysproxy round trips (bench_rumpuser_sp.c). */
void rb_sp_bench(struct rb_bench *b);
#endif
