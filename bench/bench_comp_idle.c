/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * idle_cpu_ms: a 4-PD system (two native PDs, two domain components with
 * 2 and 1 vCPUs; notification channels, one PPC channel) started with
 * rumpbridge-run and left idle.  The clock starts once every PD has
 * printed "ready" (init() returned) and 0.2 s more have passed; the
 * figure is the CPU time (on-CPU ns from /proc/PID/task/TID/schedstat,
 * every thread) the PD processes used from then on, over 5 s (1 s with
 * --quick).  The launcher stops the system by itself (--timeout).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_comp_idle.h"

#ifdef RB_LAUNCHER
static const char idle_system[] =
	"<?xml version=\"1.0\"?>\n"
	"<system>\n"
	"  <protection_domain name=\"dom2\" priority=\"200\">\n"
	"    <?rumpbridge vcpus=\"2\"?>\n"
	"    <program_image path=\"idle.elf\"/>\n"
	"  </protection_domain>\n"
	"  <protection_domain name=\"dom1\" priority=\"150\">\n"
	"    <?rumpbridge vcpus=\"1\"?>\n"
	"    <program_image path=\"idle.elf\"/>\n"
	"  </protection_domain>\n"
	"  <protection_domain name=\"native1\" priority=\"100\">\n"
	"    <program_image path=\"idle.elf\"/>\n"
	"  </protection_domain>\n"
	"  <protection_domain name=\"native2\" priority=\"100\">\n"
	"    <program_image path=\"idle.elf\"/>\n"
	"  </protection_domain>\n"
	"  <channel><end pd=\"native1\" id=\"1\" pp=\"true\"/><end pd=\"dom2\" id=\"1\"/></channel>\n"
	"  <channel><end pd=\"native2\" id=\"1\"/><end pd=\"dom1\" id=\"1\"/></channel>\n"
	"  <channel><end pd=\"native1\" id=\"2\"/><end pd=\"native2\" id=\"2\"/></channel>\n"
	"</system>\n";

/* On-CPU ns of every thread of every child process of `parent`;
 * *procs counts the processes. */
static uint64_t children_cpu_ns(pid_t parent, int *procs)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	uint64_t total = 0;

	*procs = 0;
	while (d && (de = readdir(d))) {
		char path[600], buf[512], *p;
		FILE *f;
		int ppid = -1;
		DIR *td;
		struct dirent *te;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')) != NULL)
			sscanf(p + 2, "%*c %d", &ppid);
		fclose(f);
		if (ppid != parent)
			continue;
		(*procs)++;
		snprintf(path, sizeof path, "/proc/%s/task", de->d_name);
		td = opendir(path);
		while (td && (te = readdir(td))) {
			unsigned long long ns = 0;

			if (te->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "/proc/%s/task/%s/schedstat", de->d_name,
				 te->d_name);
			f = fopen(path, "r");
			if (f && fscanf(f, "%llu", &ns) == 1)
				total += ns;
			if (f)
				fclose(f);
		}
		if (td)
			closedir(td);
	}
	if (d)
		closedir(d);
	return total;
}

void comp_idle_bench(struct rb_bench *b)
{
	unsigned idle_s = rb_bench_quick(b) ? 1 : 5;
	char dir[] = "/tmp/bench_comp_idle.XXXXXX", sys[300], line[256], timeout[16];
	struct timespec settle = {0, 200000000}, idle = {(time_t)idle_s, 0};
	int out[2], ready = 0, procs0, procs1, status;
	uint64_t c0, c1;
	FILE *f, *in;
	pid_t pid;

	if (!mkdtemp(dir)) {
		perror("bench_comp: mkdtemp");
		return;
	}
	snprintf(sys, sizeof sys, "%s/idle.system", dir);
	f = fopen(sys, "w");
	if (!f || fputs(idle_system, f) < 0 || fclose(f) != 0) {
		perror("bench_comp: writing the idle system");
		return;
	}
	snprintf(timeout, sizeof timeout, "%u", idle_s + 2);
	if (pipe(out) != 0)
		abort();
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execl(RB_LAUNCHER, "rumpbridge-run", sys, "--search-path", RB_IDLE_DIR, "--timeout",
		      timeout, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	in = fdopen(out[0], "r");
	while (ready < 4 && in && fgets(line, sizeof line, in))
		ready += strstr(line, " ready") != NULL;
	if (ready < 4) {
		fprintf(stderr, "bench_comp: the idle system did not start (%d of 4 PDs ready)\n",
			ready);
		waitpid(pid, &status, 0);
		exit(1);
	}
	nanosleep(&settle, NULL);
	c0 = children_cpu_ns(pid, &procs0);
	nanosleep(&idle, NULL);
	c1 = children_cpu_ns(pid, &procs1);
	while (fgets(line, sizeof line, in)) /* until the launcher's --timeout */
		;
	fclose(in);
	waitpid(pid, &status, 0);
	unlink(sys);
	rmdir(dir);
	if (c0 == 0) { /* their start-up alone takes CPU time */
		fprintf(stderr, "bench_comp: cannot read the PD threads' /proc/.../schedstat\n");
		exit(1);
	}
	if (procs0 != 4 || procs1 != 4) {
		fprintf(stderr, "bench_comp: idle system: %d / %d PD processes, not 4\n", procs0,
			procs1);
		exit(1);
	}
	snprintf(line, sizeof line, "CPU of a 4-PD system idle %u s, all PD threads (target < 5)",
		 idle_s);
	rb_bench_value(b, "idle_cpu_ms", line, (double)(c1 - c0) / 1e6, "ms");
	rb_bench_value(b, "idle_pd_processes", "PD processes sampled", procs1, "");
	rb_bench_value(b, "idle_pd_startup_cpu_ms", "CPU the 4 PDs used to start (for scale)",
		       (double)c0 / 1e6, "ms");
}
#else
void comp_idle_bench(struct rb_bench *b)
{
	(void)b;
	fprintf(stderr, "bench_comp: built without rumpbridge-run (libxml2): no idle_cpu_ms\n");
}
#endif
