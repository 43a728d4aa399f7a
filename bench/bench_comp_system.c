/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_comp's figures of whole systems, started with rumpbridge-run from
 * a system file written to a temporary directory:
 *
 * ppcall_pd_rtt_ns: pingcli (bench/ping_pd.c) makes 2000 PPCs to the
 * passive pingsrv to warm up, then 20000 on its clock, and prints the
 * mean round trip; the system is stopped (SIGTERM to the launcher, our
 * child) once the line is read.  Once per repetition; the median.
 * ppcall_pd_2cpu_rtt_ns: the same with each PD on a CPU of its own
 * (<?rumpbridge cpu="N"?>, the first two CPUs bench_comp may use).
 *
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
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_comp_system.h"

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

static const char ping_system[] =
	"<?xml version=\"1.0\"?>\n"
	"<system>\n"
	"  <protection_domain name=\"pingsrv\" priority=\"200\" passive=\"true\">\n"
	"    <program_image path=\"ping.elf\"/>\n"
	"  </protection_domain>\n"
	"  <protection_domain name=\"pingcli\" priority=\"100\">\n"
	"    <program_image path=\"ping.elf\"/>\n"
	"  </protection_domain>\n"
	"  <channel><end pd=\"pingcli\" id=\"1\" pp=\"true\"/><end pd=\"pingsrv\" id=\"1\"/></channel>\n"
	"</system>\n";

/* ping_system with the two PDs on CPUs %d and %d (snprintf). */
static const char ping_system_cpus[] =
	"<?xml version=\"1.0\"?>\n"
	"<system>\n"
	"  <protection_domain name=\"pingsrv\" priority=\"200\" passive=\"true\">\n"
	"    <?rumpbridge cpu=\"%d\"?>\n"
	"    <program_image path=\"ping.elf\"/>\n"
	"  </protection_domain>\n"
	"  <protection_domain name=\"pingcli\" priority=\"100\">\n"
	"    <?rumpbridge cpu=\"%d\"?>\n"
	"    <program_image path=\"ping.elf\"/>\n"
	"  </protection_domain>\n"
	"  <channel><end pd=\"pingcli\" id=\"1\" pp=\"true\"/><end pd=\"pingsrv\" id=\"1\"/></channel>\n"
	"</system>\n";

struct running {
	char dir[64], sys[128];
	pid_t pid;
	FILE *out; /* the launcher's stdout: the PDs' console */
};

/* Write xml to a temporary system file and start rumpbridge-run on it
 * with --timeout timeout_s.  0, or -1 (said why). */
static int start_system(struct running *s, const char *xml, unsigned timeout_s)
{
	char timeout[16];
	int out[2];
	FILE *f;

	snprintf(s->dir, sizeof s->dir, "/tmp/bench_comp.XXXXXX");
	if (!mkdtemp(s->dir)) {
		perror("bench_comp: mkdtemp");
		return -1;
	}
	snprintf(s->sys, sizeof s->sys, "%s/bench.system", s->dir);
	f = fopen(s->sys, "w");
	if (!f || fputs(xml, f) < 0 || fclose(f) != 0) {
		perror("bench_comp: writing a system file");
		return -1;
	}
	snprintf(timeout, sizeof timeout, "%u", timeout_s);
	if (pipe(out) != 0)
		abort();
	s->pid = fork();
	if (s->pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execl(RB_LAUNCHER, "rumpbridge-run", s->sys, "--search-path", RB_PD_DIR, "--timeout",
		      timeout, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	s->out = fdopen(out[0], "r");
	return s->out ? 0 : -1;
}

/* Stop the system (SIGTERM to the launcher, our own child) unless it
 * stopped already, reap it, remove the files. */
static void end_system(struct running *s, int stop)
{
	char line[256];
	int status;

	if (stop)
		kill(s->pid, SIGTERM);
	while (fgets(line, sizeof line, s->out))
		;
	fclose(s->out);
	waitpid(s->pid, &status, 0);
	unlink(s->sys);
	rmdir(s->dir);
}

static void ppc_pd_bench(struct rb_bench *b, const char *xml, const char *key, const char *what)
{
	int reps = rb_bench_quick(b) ? 1 : rb_bench_reps(b);
	double v[64];
	int n = 0;

	if (reps > 64)
		reps = 64;
	for (int i = 0; i < reps; i++) {
		struct running s;
		char line[256];
		double rtt = 0;

		if (start_system(&s, xml, 60))
			exit(1);
		while (fgets(line, sizeof line, s.out))
			if (sscanf(line, "pingcli: rtt_ns %lf", &rtt) == 1 || strstr(line, "bad reply"))
				break;
		end_system(&s, 1);
		if (rtt <= 0) {
			fprintf(stderr, "bench_comp: the PPC system gave no figure (%s)\n", line);
			exit(1);
		}
		v[n++] = rtt;
	}
	for (int i = 1; i < n; i++) /* insertion sort: a handful */
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	rb_bench_value(b, key, what, v[n / 2], "ns");
}

void comp_ppc_pd_bench(struct rb_bench *b)
{
	cpu_set_t set;
	int cpu[2], n = 0;
	char xml[sizeof ping_system + 128];

	ppc_pd_bench(b, ping_system, "ppcall_pd_rtt_ns",
		     "PPC round trip between 2 PD processes under rumpbridge-run (median of runs)");
	/* The same with <?rumpbridge cpu?>: server and client on a CPU each. */
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpu[n++] = c;
	if (n < 2)
		return;
	snprintf(xml, sizeof xml, ping_system_cpus, cpu[0], cpu[1]);
	ppc_pd_bench(b, xml, "ppcall_pd_2cpu_rtt_ns",
		     "the same, each PD on a CPU of its own (cpu=\"N\")");
}

void comp_idle_bench(struct rb_bench *b)
{
	unsigned idle_s = rb_bench_quick(b) ? 1 : 5;
	struct timespec settle = {0, 200000000}, idle = {(time_t)idle_s, 0};
	int ready = 0, procs0, procs1;
	struct running s;
	char line[256];
	uint64_t c0, c1;

	if (start_system(&s, idle_system, idle_s + 2))
		exit(1);
	while (ready < 4 && fgets(line, sizeof line, s.out))
		ready += strstr(line, " ready") != NULL;
	if (ready < 4) {
		fprintf(stderr, "bench_comp: the idle system did not start (%d of 4 PDs ready)\n",
			ready);
		end_system(&s, 1);
		exit(1);
	}
	nanosleep(&settle, NULL);
	c0 = children_cpu_ns(s.pid, &procs0);
	nanosleep(&idle, NULL);
	c1 = children_cpu_ns(s.pid, &procs1);
	end_system(&s, 0); /* until the launcher's --timeout */
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
void comp_ppc_pd_bench(struct rb_bench *b)
{
	(void)b;
	fprintf(stderr, "bench_comp: built without rumpbridge-run (libxml2): no ppcall_pd_rtt_ns\n");
}

void comp_idle_bench(struct rb_bench *b)
{
	(void)b;
	fprintf(stderr, "bench_comp: built without rumpbridge-run (libxml2): no idle_cpu_ms\n");
}
#endif
