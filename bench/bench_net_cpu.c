/* SPDX-License-Identifier: BSD-2-Clause */
/* CPU accounting for bench_net: bench_net_cpu.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_net_cpu.h"

static int schedstat(const char *path, struct net_cpu_use *u)
{
	unsigned long long ns, wait, n;
	FILE *f = fopen(path, "r");
	int ok;

	if (f == NULL)
		return -ENOENT;
	ok = fscanf(f, "%llu %llu %llu", &ns, &wait, &n) == 3;
	fclose(f);
	if (!ok)
		return -EIO;
	u->ns += ns;
	u->wakeups += n;
	return 0;
}

int net_cpu_proc(pid_t pid, struct net_cpu_use *u)
{
	char path[32], p2[320];
	struct dirent *e;
	DIR *dir;

	memset(u, 0, sizeof(*u));
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid % 100000000);
	if ((dir = opendir(path)) == NULL)
		return -ENOENT;
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p2, sizeof p2, "%s/%s/schedstat", path, e->d_name);
		(void)schedstat(p2, u); /* a thread that just exited: left out */
	}
	closedir(dir);
	return 0;
}

int net_cpu_host(uint64_t *idle_ns, unsigned *ncpus)
{
	unsigned long long user, nice, sys, idle, iowait;
	long hz = sysconf(_SC_CLK_TCK), n = sysconf(_SC_NPROCESSORS_ONLN);
	FILE *f = fopen("/proc/stat", "r");
	int ok;

	if (f == NULL)
		return -EIO;
	ok = fscanf(f, "cpu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle, &iowait) == 5;
	fclose(f);
	if (!ok || hz <= 0 || n <= 0)
		return -EIO;
	*idle_ns = (uint64_t)(idle + iowait) * (1000000000u / (uint64_t)hz);
	*ncpus = (unsigned)n;
	return 0;
}

int net_cpu_timer_floor(double rate, uint64_t ns_total, struct net_cpu_use *u)
{
	struct net_cpu_use a = {0, 0}, b = {0, 0};
	uint64_t step, deadline, end;
	_Atomic uint32_t word = 0; /* nobody changes it: each wait times out */

	if (!(rate >= 1 && rate <= 100000) || ns_total == 0)
		return -EINVAL;
	step = (uint64_t)(1e9 / rate);
	if (schedstat("/proc/thread-self/schedstat", &a) != 0)
		return -EIO;
	deadline = rb_now_ns();
	end = deadline + ns_total;
	while ((deadline += step) <= end) {
		struct timespec ts = {(time_t)(deadline / 1000000000u),
				      (long)(deadline % 1000000000u)};

		/* absolute CLOCK_MONOTONIC, as dom's vCPUs wait for a timer */
		syscall(SYS_futex, &word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, &ts, NULL,
			FUTEX_BITSET_MATCH_ANY);
	}
	if (schedstat("/proc/thread-self/schedstat", &b) != 0)
		return -EIO;
	u->ns = b.ns - a.ns;
	u->wakeups = b.wakeups - a.wakeups;
	return 0;
}
