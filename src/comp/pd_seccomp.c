/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PD process's seccomp filter (libseccomp), installed by the runtime
 * after the boot record, the maps and the setvars and before init(), so
 * that no code of the PD's own runs without it (constructors of the
 * program aside).  no_new_privs is already set by the launcher.
 *
 * Allowed: what the runtime, libc, the dom layer and ordinary PD code
 * need inside their own process: memory (mmap and friends on descriptors
 * the PD holds), futexes, threads (clone with CLONE_THREAD only: no new
 * process), signals to itself, time, files by descriptor or path, its
 * control socket, exit.  Everything else fails with EPERM (not a kill:
 * a sanitizer or libc probing a system call gets an error, as it would
 * from an old kernel).  In particular a PD cannot:
 *   - signal another process: kill, tgkill, rt_sigqueueinfo and
 *     rt_tgsigqueueinfo only with the PD's own pid; tkill, pidfd_* never;
 *   - trace or read another process: ptrace, process_vm_readv/writev,
 *     kcmp, pidfd_getfd;
 *   - start a program or process: execve(at), fork, vfork, clone3 (ENOSYS
 *     so that libc falls back to clone, which is checked);
 *   - change its privileges or the system: setuid & co., mount, bpf,
 *     perf_event_open, keyctl, reboot, module and swap calls ...;
 *   - push input into a terminal (ioctl TIOCSTI, TIOCLINUX): its console
 *     is the launcher's stdout, perhaps the user's terminal.
 * /proc/PID/mem and /proc/PID/fd of other processes are refused by the
 * kernel's ptrace access check instead: every PD and the launcher are not
 * dumpable (PR_SET_DUMPABLE 0), and a PD holds no capability (one with
 * netns="own" only CAP_NET_ADMIN, in a namespace of its own: the calls it
 * uses on a TAP device and its addresses are allowed to every PD and
 * refused by the kernel to those without the capability).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "pd_runtime.h"

#ifdef RUMPBRIDGE_HAVE_SECCOMP
#include <seccomp.h>

/* System calls allowed whatever their arguments. */
static const char *const allowed[] = {
	/* memory */
	"mmap", "mmap2", "munmap", "mprotect", "mremap", "madvise", "brk", "msync", "mincore",
	"mlock", "munlock", "membarrier", "memfd_create",
	/* synchronisation, threads, scheduling */
	"futex", "futex_waitv", "set_robust_list", "get_robust_list", "set_tid_address", "rseq",
	"sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam",
	"sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min", "getcpu",
	"exit", "exit_group", "gettid", "getpid", "getppid", "getpgrp", "getpgid", "getsid",
	"getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid", "getresgid",
	"prlimit64", "getrlimit", "getrusage", "times", "sysinfo", "uname", "getrandom",
	"arch_prctl", "set_thread_area", "get_thread_area", "capget",
	/* signals (of its own) */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigreturn", "sigaltstack",
	"rt_sigpending", "rt_sigsuspend", "rt_sigtimedwait", "pause", "restart_syscall",
	/* time */
	"clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
	"timer_create", "timer_settime", "timer_gettime", "timer_delete", "timer_getoverrun",
	"timerfd_create", "timerfd_settime", "timerfd_gettime", "alarm", "setitimer", "getitimer",
	/* descriptors and files */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "close",
	"close_range", "dup", "dup2", "dup3", "fcntl", "fcntl64", "lseek", "_llseek",
	"openat", "open", "creat", "stat", "lstat", "fstat", "newfstatat", "fstatat64", "statx",
	"stat64", "lstat64", "fstat64", "access", "faccessat", "faccessat2", "readlink",
	"readlinkat", "getdents", "getdents64", "getcwd", "chdir", "fchdir", "ftruncate",
	"truncate", "fsync", "fdatasync", "unlink", "unlinkat", "mkdir", "mkdirat", "rename",
	"renameat", "renameat2", "statfs", "fstatfs", "fadvise64", "fallocate", "umask",
	"pipe", "pipe2", "eventfd", "eventfd2", "poll", "ppoll", "select", "_newselect",
	"pselect6", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"epoll_pwait2", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	/* sockets (its control socket; sockets it creates itself) */
	"socket", "socketpair", "bind", "connect", "listen", "accept", "accept4", "sendto",
	"recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "getsockname",
	"getpeername", "getsockopt", "setsockopt",
};

/* Allowed when their first argument is the PD's own pid. */
static const char *const own_pid_first[] = {"kill", "tgkill", "rt_sigqueueinfo",
					     "rt_tgsigqueueinfo"};

/* prctl operations allowed. */
static const int prctl_ops[] = {
	PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE, PR_GET_NO_NEW_PRIVS,
#ifdef PR_SET_VMA
	PR_SET_VMA,
#endif
};

static int add(scmp_filter_ctx ctx, const char *name, unsigned n, const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a system call of this architecture */
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, cmp);
}

/*
 * ioctl, but not the two that push input into a terminal the PD may share
 * with the launcher (its console is the launcher's stdout): TIOCSTI and
 * TIOCLINUX fail with the default EPERM.  A filter compares 64 bits but
 * the kernel reads the command as 32, and libseccomp keeps no
 * conditional rule beside an unconditional one, so the allowed commands
 * are written as a cover of [0, 2^32) minus the two, by masked
 * comparisons (upper 32 bits zero in each): for each bit i above the
 * lowest four (where the two differ), "equal to TIOCSTI above bit i and
 * different at bit i"; then each of the 16 values with TIOCSTI's upper
 * bits but the two.
 */
static int allow_ioctl(scmp_filter_ctx ctx)
{
	const uint64_t hi = 0xffffffff00000000ull, a = TIOCSTI, b = TIOCLINUX;
	int nr = SCMP_SYS(ioctl), r = 0;

	_Static_assert((TIOCSTI & ~0xfull) == (TIOCLINUX & ~0xfull),
		       "TIOCSTI and TIOCLINUX differ only in the lowest 4 bits");
	for (int i = 31; i >= 4 && !r; i--) {
		uint64_t above = (0xffffffffull << (i + 1)) & 0xffffffffull, bit = 1ull << i;

		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, hi | above | bit,
					     (a & above) | (~a & bit)));
	}
	for (uint64_t v = 0; v < 16 && !r; v++) {
		uint64_t cmd = (a & ~0xfull) | v;

		if (cmd != a && cmd != b)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A1(SCMP_CMP_EQ, cmd));
	}
	return r;
}

int pd_seccomp_install(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	struct scmp_arg_cmp self = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
	struct scmp_arg_cmp thread =
		SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, (scmp_datum_t)CLONE_THREAD);
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	/* the kernel's own error from seccomp_load, not -ECANCELED: so that
	 * "not supported here" (qemu-user) can be told from a failure */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0] && !r; i++)
		r = add(ctx, allowed[i], 0, NULL);
	for (size_t i = 0; i < sizeof own_pid_first / sizeof own_pid_first[0] && !r; i++)
		r = add(ctx, own_pid_first[i], 1, &self);
	/* threads only (CLONE_THREAD in the flags, the first argument on
	 * every architecture); clone3 passes its flags in memory, which a
	 * filter cannot read: ENOSYS makes libc use clone. */
	if (!r)
		r = add(ctx, "clone", 1, &thread);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (!r)
		r = allow_ioctl(ctx);
	/* prctl: only what the runtime and libc use on themselves */
	for (size_t i = 0; !r && i < sizeof prctl_ops / sizeof prctl_ops[0]; i++) {
		struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)prctl_ops[i]);

		r = add(ctx, "prctl", 1, &a);
	}
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}
#else
int pd_seccomp_install(void)
{
	return -ENOSYS;
}
#endif

void pd_isolate(void)
{
	int r;

	/* Not dumpable: other processes of the same uid cannot open our
	 * /proc/PID/mem, /proc/PID/fd or attach to us. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	r = pd_seccomp_install();
	if (r == -ENOSYS || r == -EINVAL || r == -EOPNOTSUPP) {
		/* qemu-user refuses seccomp (and a build without libseccomp
		 * has none): say so once, and run without it. */
		fprintf(stderr, "rumpbridge-run: PD '%s': running without a seccomp filter (%s)\n",
			microkit_name, strerror(-r));
		return;
	}
	if (r)
		pd_die("cannot install the seccomp filter: %s", strerror(-r));
}
