/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CPU accounting for bench_net (Linux /proc): where a measurement's CPU
 * went, so that its figures carry their own explanation.
 *
 * - net_cpu_proc: the CPU time of one process so far, the sum of the first
 *   field of each of its threads' schedstat (ns on a CPU: the same
 *   accounting as the demo's idle figure, examples/seed/sink.c), and the
 *   times they were put on a CPU (the third field).  Threads that exited
 *   are not counted.
 * - net_cpu_host: the host's idle time so far (idle + iowait of the "cpu"
 *   line of /proc/stat, in ns) and its number of online CPUs: over a
 *   measurement, idle ns / wall ns = CPUs of the machine left idle.
 * - net_cpu_timer_floor: the floor of a timer wake-up on this host, a
 *   plain thread (the caller) sleeping in absolute timed futex waits at
 *   rate wake-ups a second for ns_total, nothing waking it early.
 */
#ifndef BENCH_NET_CPU_H
#define BENCH_NET_CPU_H

#include <stdint.h>
#include <sys/types.h>

struct net_cpu_use {
	uint64_t ns;	  /* on a CPU */
	uint64_t wakeups; /* times put on a CPU */
};

/* 0, or -ENOENT when the process is gone (u left zero). */
int net_cpu_proc(pid_t pid, struct net_cpu_use *u);

/* 0, or -EIO when /proc/stat cannot be read. */
int net_cpu_host(uint64_t *idle_ns, unsigned *ncpus);

/* The calling thread's CPU over the sleeps, in *u (its own schedstat).
 * 0, -EINVAL for a rate outside 1..100000 or ns_total 0, -EIO when its
 * schedstat cannot be read. */
int net_cpu_timer_floor(double rate, uint64_t ns_total, struct net_cpu_use *u);

#endif
