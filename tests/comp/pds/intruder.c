/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tries what a PD was not granted: signal, trace, read the memory of and
 * take descriptors from the launcher and another PD, start processes,
 * push input into its console's terminal.
 * Each attempt prints "refused (ERRNO)" or "ALLOWED".  Signals are 0 (a
 * permission check, nothing is delivered); an attach that succeeds (an
 * unfiltered PD) is undone at once.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <microkit.h>

uintptr_t pids;

static const char *ename(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOSYS: return "ENOSYS";
	case ESRCH: return "ESRCH";
	case ENOENT: return "ENOENT";
	case ENOTTY: return "ENOTTY";
	default: return strerror(e);
	}
}

static void report(const char *what, long r, int e)
{
	char line[160];

	if (r < 0)
		snprintf(line, sizeof line, "intruder: %s: refused (%s)\n", what, ename(e));
	else
		snprintf(line, sizeof line, "intruder: %s: ALLOWED\n", what);
	microkit_dbg_puts(line);
}

#define TRY(what, expr)                                                                    \
	do {                                                                               \
		long r_;                                                                   \
		errno = 0;                                                                 \
		r_ = (long)(expr);                                                         \
		report(what, r_, errno);                                                   \
	} while (0)

static void *nothing(void *arg)
{
	return arg;
}

void init(void)
{
	pid_t victim = *(volatile int32_t *)pids, launcher = getppid();
	char path[64], buf[16];
	struct iovec local = {buf, sizeof buf}, remote = {(void *)0x70000000, sizeof buf};
	int fd, opened = 0;
	long r;
	pthread_t t;

	TRY("kill the launcher", kill(launcher, 0));
	TRY("kill victim", kill(victim, 0));
	TRY("kill every process", kill(-1, 0));
	TRY("tgkill victim", syscall(SYS_tgkill, victim, victim, 0));
	TRY("tkill victim", syscall(SYS_tkill, victim, 0));
	errno = 0;
	r = ptrace(PTRACE_SEIZE, victim, 0, 0);
	report("ptrace victim", r, errno);
	if (r == 0)
		ptrace(PTRACE_DETACH, victim, 0, 0);
	TRY("process_vm_readv victim", process_vm_readv(victim, &local, 1, &remote, 1, 0));
	snprintf(path, sizeof path, "/proc/%d/mem", (int)victim);
	errno = 0;
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		r = pread(fd, buf, sizeof buf, 0x70000000);
		report("read victim's /proc/PID/mem", r, errno);
		close(fd);
	} else {
		report("read victim's /proc/PID/mem", -1, errno);
	}
	snprintf(path, sizeof path, "/proc/%d/mem", (int)launcher);
	TRY("open the launcher's /proc/PID/mem", open(path, O_RDONLY));
	/* the launcher holds every region's memfd */
	for (int i = 0; i < 64; i++) {
		snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)launcher, i);
		fd = open(path, O_RDWR);
		if (fd >= 0) {
			opened++;
			close(fd);
		}
	}
	report("open a descriptor of the launcher", opened ? 0 : -1, EACCES);
#ifdef SYS_pidfd_open
	TRY("pidfd_open victim", syscall(SYS_pidfd_open, victim, 0));
#endif
	TRY("TIOCSTI on its console", ioctl(1, TIOCSTI, "x"));
	TRY("fork", fork());
	TRY("execve", execl("/bin/true", "true", (char *)NULL));
	/* what it may do */
	TRY("kill itself (signal 0)", kill(getpid(), 0));
	TRY("a thread of its own", -pthread_create(&t, NULL, nothing, NULL));
	pthread_join(t, NULL);
	{
		int p[2], one = 1;

		if (pipe(p) == 0) {
			TRY("ioctl FIONBIO on a pipe of its own", ioctl(p[0], FIONBIO, &one));
			close(p[0]);
			close(p[1]);
		}
	}
}

void notified(microkit_channel ch)
{
	(void)ch;
}
