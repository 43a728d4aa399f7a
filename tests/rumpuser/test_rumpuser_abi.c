/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The NetBSD numbers at the hypercall boundary: errno values (every error
 * a hypercall returns is NetBSD's) and signals (rumpuser_kill).
 *
 * rumpuser_kill must never send a signal out of the process: the kernel
 * passes its own pid (rump pid 1 is its initproc, not the host's init)
 * and a NetBSD signal number (NetBSD's SIGCHLD, 20, is Linux's SIGTSTP).
 * Proof: a forked child installs a seccomp filter that traps every
 * signal-sending system call (kill, tkill, tgkill, rt_sigqueueinfo,
 * rt_tgsigqueueinfo, pidfd_send_signal) whose target is not the child
 * itself, calls rumpuser_kill with the pids and signals a kernel passes,
 * and reports what was trapped and which Linux signals its handlers
 * caught.  A positive control, kill(getppid(), 0), must be trapped.
 *
 * The tables are checked against numbers spelled here from NetBSD's
 * <sys/errno.h> and <sys/signal.h>, not against netbsd_errno.h: a wrong
 * number there would otherwise check itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rb_test.h"
#include "rumpuser/hypercall.h"

int ru_errtrans(int e);
int ru_sigtrans(int netbsd_sig);

#if defined(__x86_64__)
#define RB_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define RB_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/* ---- errno ---- */

static const struct {
	int host;
	int netbsd;
	const char *name;
} errnos[] = {
#define E(name, nb) {name, nb, #name}
	E(EPERM, 1),
	E(ENOENT, 2),
	E(ESRCH, 3),
	E(EINTR, 4),
	E(EIO, 5),
	E(ENXIO, 6),
	E(E2BIG, 7),
	E(ENOEXEC, 8),
	E(EBADF, 9),
	E(ECHILD, 10),
	E(EDEADLK, 11),
	E(ENOMEM, 12),
	E(EACCES, 13),
	E(EFAULT, 14),
	E(ENOTBLK, 15),
	E(EBUSY, 16),
	E(EEXIST, 17),
	E(EXDEV, 18),
	E(ENODEV, 19),
	E(ENOTDIR, 20),
	E(EISDIR, 21),
	E(EINVAL, 22),
	E(ENFILE, 23),
	E(EMFILE, 24),
	E(ENOTTY, 25),
	E(ETXTBSY, 26),
	E(EFBIG, 27),
	E(ENOSPC, 28),
	E(ESPIPE, 29),
	E(EROFS, 30),
	E(EMLINK, 31),
	E(EPIPE, 32),
	E(EDOM, 33),
	E(ERANGE, 34),
	E(EAGAIN, 35),
	E(EINPROGRESS, 36),
	E(EALREADY, 37),
	E(ENOTSOCK, 38),
	E(EDESTADDRREQ, 39),
	E(EMSGSIZE, 40),
	E(EPROTOTYPE, 41),
	E(ENOPROTOOPT, 42),
	E(EPROTONOSUPPORT, 43),
	E(ESOCKTNOSUPPORT, 44),
	E(EOPNOTSUPP, 45),
	E(EPFNOSUPPORT, 46),
	E(EAFNOSUPPORT, 47),
	E(EADDRINUSE, 48),
	E(EADDRNOTAVAIL, 49),
	E(ENETDOWN, 50),
	E(ENETUNREACH, 51),
	E(ENETRESET, 52),
	E(ECONNABORTED, 53),
	E(ECONNRESET, 54),
	E(ENOBUFS, 55),
	E(EISCONN, 56),
	E(ENOTCONN, 57),
	E(ESHUTDOWN, 58),
	E(ETOOMANYREFS, 59),
	E(ETIMEDOUT, 60),
	E(ECONNREFUSED, 61),
	E(ELOOP, 62),
	E(ENAMETOOLONG, 63),
	E(EHOSTDOWN, 64),
	E(EHOSTUNREACH, 65),
	E(ENOTEMPTY, 66),
	E(EUSERS, 68),
	E(EDQUOT, 69),
	E(ESTALE, 70),
	E(EREMOTE, 71),
	E(ENOLCK, 77),
	E(ENOSYS, 78),
	E(EIDRM, 82),
	E(ENOMSG, 83),
	E(EOVERFLOW, 84),
	E(EILSEQ, 85),
	E(ECANCELED, 87),
	E(EBADMSG, 88),
	E(ENODATA, 89),
	E(ENOSR, 90),
	E(ENOSTR, 91),
	E(ETIME, 92),
	E(EMULTIHOP, 94),
	E(ENOLINK, 95),
	E(EPROTO, 96),
	/* Linux's aliases */
	E(EWOULDBLOCK, 35),
	E(EDEADLOCK, 11),
	E(ENOTSUP, 45), /* = EOPNOTSUPP on Linux */
#undef E
};

static void errno_by_name(void **s)
{
	(void)s;
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		int got = ru_errtrans(errnos[i].host);

		if (got != errnos[i].netbsd)
			fail_msg("%s (Linux %d): NetBSD %d expected, got %d", errnos[i].name,
				 errnos[i].host, errnos[i].netbsd, got);
		assert_int_equal(ru_errtrans(-errnos[i].host), errnos[i].netbsd);
	}
	assert_int_equal(ru_errtrans(0), 0);
	/* no NetBSD counterpart: EINVAL, as NetBSD's librumpuser */
	assert_int_equal(ru_errtrans(ENOMEDIUM), 22);
	assert_int_equal(ru_errtrans(EKEYEXPIRED), 22);
	assert_int_equal(ru_errtrans(100000), 22);
}

/* ---- signal numbers ---- */

static const struct {
	int netbsd;
	int host; /* 0: Linux has none, ignored */
} signals[] = {
	{1, SIGHUP}, {2, SIGINT}, {3, SIGQUIT}, {4, SIGILL},
	{5, SIGTRAP}, {6, SIGABRT}, {7, 0 /* EMT */}, {8, SIGFPE},
	{9, SIGKILL}, {10, SIGBUS}, {11, SIGSEGV}, {12, SIGSYS},
	{13, SIGPIPE}, {14, SIGALRM}, {15, SIGTERM}, {16, SIGURG},
	{17, SIGSTOP}, {18, SIGTSTP}, {19, SIGCONT}, {20, SIGCHLD},
	{21, SIGTTIN}, {22, SIGTTOU}, {23, SIGIO}, {24, SIGXCPU},
	{25, SIGXFSZ}, {26, SIGVTALRM}, {27, SIGPROF}, {28, SIGWINCH},
	{29, 0 /* INFO */}, {30, SIGUSR1}, {31, SIGUSR2}, {32, SIGPWR},
	{0, 0}, {33, 0 /* real-time */}, {63, 0}, {64, 0},
	{-1, 0},
};

static void signal_numbers(void **s)
{
	(void)s;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		int got = ru_sigtrans(signals[i].netbsd);

		if (got != signals[i].host)
			fail_msg("NetBSD signal %d: Linux %d expected, got %d", signals[i].netbsd,
				 signals[i].host, got);
	}
}

/* ---- rumpuser_kill under a seccomp filter ---- */

#define NSIGS 65

struct report {
	int setup_errno;      /* 0, or the errno of a failed prctl */
	int trapped;	      /* signal system calls to others, trapped */
	int trapped_nr;	      /* the first one's number */
	int trapped_control;  /* after the positive control */
	int bad_return;	      /* rumpuser_kill calls that did not return 0 */
	int caught[NSIGS];    /* Linux signals the handlers saw */
};

/* Written by the handlers, read by the interrupted code of the same (only)
 * thread: volatile sig_atomic_t, as C11 7.14.1.1 allows. */
static volatile sig_atomic_t trapped, trapped_nr;
static volatile sig_atomic_t caught[NSIGS];

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	if (trapped++ == 0)
		trapped_nr = si->si_syscall;
	/* Returning resumes after the system call, which did not run. */
}

static void on_signal(int sig)
{
	if (sig > 0 && sig < NSIGS)
		caught[sig]++;
}

#ifdef RB_AUDIT_ARCH
/* Trap a signal-sending call whose first argument (pid, tgid or tid) is
 * not this process; pidfd_send_signal always. */
static int install_filter(pid_t self)
{
	struct sock_filter f[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RB_AUDIT_ARCH, 1, 0),
		/* 2 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_kill, 6, 0),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_tgkill, 5, 0),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_tkill, 4, 0),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigqueueinfo, 3, 0),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_tgsigqueueinfo, 2, 0),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 424 /* pidfd_send_signal */, 4, 0),
		/* 10 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 11: the target, low word of args[0] (little-endian) */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		/* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)self, 0, 1),
		/* 13 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 14 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
		return errno;
	return 0;
}
#endif

static void kill_expect_zero(struct report *rep, int64_t pid, int sig)
{
	if (rumpuser_kill(pid, sig) != 0)
		rep->bad_return++;
}

static void child(int fd)
{
	static const int handled[] = {SIGCHLD, SIGTSTP, SIGUSR1, SIGUSR2, SIGTERM, SIGHUP, SIGPWR};
	struct report rep;
	struct sigaction sa;

	memset(&rep, 0, sizeof(rep));
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaction(handled[i], &sa, NULL);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	alarm(60);

#ifdef RB_AUDIT_ARCH
	rep.setup_errno = install_filter(getpid());
#else
	rep.setup_errno = ENOSYS;
#endif
	if (rep.setup_errno == 0) {
		/* What a kernel passes: its initproc's pid 1 and SIGCHLD when
		 * a rump process exits, pid 0, the "self" pid, another host
		 * process's pid (the parent's, as a stand-in for any). */
		kill_expect_zero(&rep, 1, 20 /* NetBSD SIGCHLD */);
		kill_expect_zero(&rep, 0, 30 /* NetBSD SIGUSR1 */);
		kill_expect_zero(&rep, RUMPUSER_PID_SELF, 31 /* NetBSD SIGUSR2 */);
		kill_expect_zero(&rep, getppid(), 15 /* NetBSD SIGTERM */);
		kill_expect_zero(&rep, -1, 1 /* NetBSD SIGHUP */);
		/* none on Linux, or out of range: ignored */
		kill_expect_zero(&rep, 1, 7 /* SIGEMT */);
		kill_expect_zero(&rep, 1, 29 /* SIGINFO */);
		kill_expect_zero(&rep, 1, 0);
		kill_expect_zero(&rep, 1, 40);
		kill_expect_zero(&rep, 1, -3);
		rep.trapped = trapped;
		rep.trapped_nr = trapped_nr;
		/* the positive control: the filter does trap */
		syscall(SYS_kill, getppid(), 0);
		rep.trapped_control = trapped;
		for (int i = 0; i < NSIGS; i++)
			rep.caught[i] = caught[i];
	}
	if (write(fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		_exit(3);
	_exit(0);
}

static void kill_stays_in_process(void **s)
{
	(void)s;
	struct report rep;
	int fds[2], status;
	pid_t pid;

#ifdef RUMPBRIDGE_QEMU
	skip(); /* qemu-user refuses seccomp filters (they would bind qemu) */
#endif
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child(fds[1]);
	}
	close(fds[1]);
	memset(&rep, 0, sizeof(rep));
	ssize_t n = read(fds[0], &rep, sizeof(rep));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the child did not exit normally (status 0x%x)", status);
	assert_int_equal(n, sizeof(rep));
	if (rep.setup_errno == ENOSYS || rep.setup_errno == EINVAL) {
		print_message("seccomp filters are not available here (%s): skipped\n",
			      strerror(rep.setup_errno));
		skip();
	}
	assert_int_equal(rep.setup_errno, 0);
	if (rep.trapped != 0)
		fail_msg("rumpuser_kill sent %d signal(s) out of the process (first: system "
			 "call %d)",
			 rep.trapped, rep.trapped_nr);
	assert_int_equal(rep.trapped_control, 1);
	assert_int_equal(rep.bad_return, 0);
	/* each raised once in the calling process, translated */
	assert_int_equal(rep.caught[SIGCHLD], 1);
	assert_int_equal(rep.caught[SIGUSR1], 1);
	assert_int_equal(rep.caught[SIGUSR2], 1);
	assert_int_equal(rep.caught[SIGTERM], 1);
	assert_int_equal(rep.caught[SIGHUP], 1);
	/* and never as the untranslated numbers */
	assert_int_equal(rep.caught[SIGTSTP], 0); /* Linux 20 */
	assert_int_equal(rep.caught[SIGPWR], 0); /* Linux 30 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errno_by_name),
		cmocka_unit_test(signal_numbers),
		cmocka_unit_test(kill_stays_in_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
