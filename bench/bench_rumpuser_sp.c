/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_rumpuser's sysproxy part: a remote getpid round trip from a
 * client on NetBSD's librumpclient to a server (rump_init_server on a
 * unix socket in the build directory) running on our librumpuser
 * (sp_getpid_ns), and the same client on the same kernel on NetBSD's
 * librumpuser (netbsd_sp_getpid_ns), same run, repetitions interleaved.
 * The programs are the sysproxy tests' (tests/rumpuser/integration/sp):
 * the client times N getpid calls itself and prints ns per call.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_rumpuser_sp.h"

struct sp_server {
	const char *label, *path;
	char url[300];
	pid_t pid;
	bool up;
};

static bool server_start(struct sp_server *s, const char *dir)
{
	char sock[280];
	struct stat st;

	snprintf(sock, sizeof(sock), "%s/bench-sp-%s.sock", dir, s->label);
	snprintf(s->url, sizeof(s->url), "unix://%s", sock);
	unlink(sock);
	if ((s->pid = fork()) == 0) {
		freopen("/dev/null", "w", stdout);
		execl(s->path, s->path, s->url, "-t", "900", (char *)NULL);
		_exit(127);
	}
	if (s->pid < 0)
		return false;
	for (int i = 0; i < 300; i++) { /* up to 30 s */
		if (stat(sock, &st) == 0) {
			s->up = true;
			return true;
		}
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
			break;
		usleep(100000);
	}
	fprintf(stderr, "bench_rumpuser: the %s sysproxy server (%s) did not start\n", s->label,
		s->path);
	if (waitpid(s->pid, NULL, WNOHANG) == 0) {
		kill(s->pid, SIGTERM); /* our own child */
		waitpid(s->pid, NULL, 0);
	}
	return false;
}

static double client_run(const char *url, const char *args)
{
	char cmd[700], line[128];
	double v = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "RUMP_SERVER='%s' '%s' %s", url, RB_SP_CLIENT, args);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), p) != NULL)
		v = atof(line);
	if (pclose(p) != 0)
		v = -1;
	return v;
}

static void server_stop(struct sp_server *s)
{
	if (!s->up)
		return;
	client_run(s->url, "reboot");
	waitpid(s->pid, NULL, 0);
	s->up = false;
}

static uint64_t sp_fn(void *arg, uint64_t iters)
{
	struct sp_server *s = arg;
	char args[64];
	double ns;

	snprintf(args, sizeof(args), "bench %llu", (unsigned long long)iters);
	ns = client_run(s->url, args);
	if (ns <= 0) {
		fprintf(stderr, "bench_rumpuser: sysproxy client on the %s server failed\n", s->label);
		exit(1);
	}
	return (uint64_t)(ns * (double)iters);
}

void rb_sp_bench(struct rb_bench *b)
{
	static struct sp_server ours = {.label = "ours", .path = RB_SP_SERVER_OURS};
#ifdef RB_SP_SERVER_NETBSD
	static struct sp_server netbsd = {.label = "netbsd", .path = RB_SP_SERVER_NETBSD};
#endif
	struct rb_bench_case cases[2];
	int n = 0;

	if (server_start(&ours, RB_SP_DIR))
		cases[n++] = (struct rb_bench_case){
			"sp_getpid_ns", "ours: remote getpid, librumpclient -> our server", sp_fn,
			&ours};
#ifdef RB_SP_SERVER_NETBSD
	if (server_start(&netbsd, RB_SP_DIR))
		cases[n++] = (struct rb_bench_case){
			"netbsd_sp_getpid_ns", "NetBSD: remote getpid, librumpclient -> its server",
			sp_fn, &netbsd};
#endif
	rb_bench_compare(b, cases, n);
	server_stop(&ours);
#ifdef RB_SP_SERVER_NETBSD
	server_stop(&netbsd);
	rb_bench_ratio(b, "sysproxy getpid: ours vs NetBSD", "sp_getpid_ns", "netbsd_sp_getpid_ns",
		       "<= 1");
#endif
}
