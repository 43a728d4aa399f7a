/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mk.h promises that mk_notification_signal "makes no system call when
 * nobody waits"; mk_notification_poll, which vCPUs call to check for
 * events, must make none either.  Prove it: a forked child installs a
 * seccomp filter that traps every system call except write, exit,
 * exit_group and rt_sigreturn, then signals and polls an idle
 * notification.  The SIGSYS handler counts what was trapped; the child
 * reports the count over a pipe and exits.
 *
 * Seccomp filters cannot be removed, hence one child per measurement.  The
 * filter binds only the thread that installs it (no TSYNC), so threads
 * created before it run freely.
 *
 * The same holds for an MK_SHARED notification in a region.
 *
 * Two positive controls show that the trap sees what it should: getppid()
 * is trapped once, and a signal with a thread blocked in wait is trapped
 * once, as the futex wake the protocol requires.
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

#if defined(__x86_64__)
#define RB_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define RB_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/*
 * ASan puts a call of __asan_handle_no_return before every call of a
 * function that never returns, and that calls sigaltstack(): a system call
 * of the test's own making.  So the test's code that runs under the filter
 * is not instrumented; the mk library it calls still is.
 */
#define UNDER_FILTER __attribute__((no_sanitize_address))

#define MAX_RECORDED 8

/* What a child sends back. */
struct report {
	int setup_errno;	   /* 0, or the errno of a failed prctl */
	int trapped;		   /* system calls trapped while measuring */
	int nr[MAX_RECORDED];	   /* their numbers, the first MAX_RECORDED */
	int failures;		   /* mk calls that returned the wrong thing */
	char what[96];		   /* the first failure */
};

/*
 * Written by the SIGSYS handler, read by the interrupted code of the same
 * thread: volatile sig_atomic_t is what C11 7.14.1.1 allows there.  This is
 * not cross-thread synchronisation.
 */
static volatile sig_atomic_t trapped;
static volatile sig_atomic_t trapped_nr[MAX_RECORDED];

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	if (trapped < MAX_RECORDED)
		trapped_nr[trapped] = si->si_syscall;
	trapped++;
	/* Returning resumes after the system call, which did not run. */
}

#ifdef RB_AUDIT_ARCH
/* Trap everything but the calls needed to report and leave. */
static int install_trap_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RB_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_write, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigreturn, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
		return errno;
	return 0;
}
#endif

/* In the child, after the filter: note a wrong result without a system
 * call (no printf); the text is formatted by the parent. */
UNDER_FILTER static void expect(struct report *rep, int ok, const char *what)
{
	if (ok)
		return;
	if (rep->failures++ == 0) {
		size_t n = strlen(what);

		if (n >= sizeof(rep->what))
			n = sizeof(rep->what) - 1;
		memcpy(rep->what, what, n);
		rep->what[n] = '\0';
	}
}

/* Freeze the trap counters into the report, before anything else runs. */
UNDER_FILTER static void take_count(struct report *rep)
{
	int t = trapped;

	rep->trapped = t;
	for (int i = 0; i < t && i < MAX_RECORDED; i++)
		rep->nr[i] = trapped_nr[i];
}

UNDER_FILTER static void send_and_exit(int fd, const struct report *rep)
{
	const char *p = (const char *)rep;
	size_t left = sizeof(*rep);

	while (left > 0) {
		ssize_t n = write(fd, p, left);

		if (n <= 0)
			_exit(3);
		p += n;
		left -= (size_t)n;
	}
	/* exit_group directly: no sanitizer interceptor or atexit work. */
	syscall(SYS_exit_group, 0);
	for (;;)
		;
}

/* The measured parts, run by the child under the filter. */
enum scenario {
	IDLE_SIGNAL_AND_POLL, /* the requirement: expect 0 trapped */
	IDLE_SHARED,	      /* the same, MK_SHARED in a region */
	CONTROL_GETPPID,      /* the trap works: expect 1 */
	CONTROL_WAITER,	      /* signal with a waiter: expect 1, a futex */
};

UNDER_FILTER static void idle_signal_and_poll(struct mk_notification *n, struct report *rep)
{
	uint64_t w = 1, acc = 0;

	expect(rep, mk_notification_poll(n, &w) == -EAGAIN && w == 0, "poll of empty word");
	for (uint64_t i = 0; i < 1000; i++) {
		/* distinct badges, all bits used over the run */
		uint64_t badge = (i + 1) * 0x9e3779b97f4a7c15ull | (1ull << (i % 64));

		expect(rep, mk_notification_signal(n, badge) == 0, "signal returned an error");
		acc |= badge;
		if (i % 3 == 2) {
			expect(rep, mk_notification_poll(n, &w) == 0, "poll after signal");
			expect(rep, w == acc, "poll returned other bits than were signalled");
			acc = 0;
			expect(rep, mk_notification_poll(n, &w) == -EAGAIN, "poll did not consume");
		}
	}
	expect(rep, mk_notification_poll(n, &w) == 0 && w == acc, "final poll");
	expect(rep, mk_notification_poll(n, &w) == -EAGAIN && w == 0, "final poll of empty");
}

struct waiter_arg {
	struct mk_notification *n;
	uint64_t word;
};

static void *waiter(void *p)
{
	struct waiter_arg *a = p;

	/* Its wake-up is trapped; exit_group ends it. */
	mk_notification_wait_until(a->n, rb_deadline(RB_HANG_NS), &a->word);
	return NULL;
}

UNDER_FILTER static void child(enum scenario sc, int fd)
{
	struct report rep;
	struct mk_notification local, *n = &local;
	struct mk_region r;
	struct waiter_arg wa;
	struct mk_thread *t;

	memset(&rep, 0, sizeof(rep));
	if (sc == IDLE_SHARED) {
		if (mk_region_create(&r, "nosyscall", 4096) != 0 ||
		    mk_region_at(&r, 0, sizeof(*n), 8, (void **)&n) != 0 ||
		    mk_notification_init(n, MK_SHARED) != 0)
			_exit(4);
	} else if (mk_notification_init(n, 0) != 0) {
		_exit(4);
	}
	if (sc == CONTROL_WAITER) {
		wa = (struct waiter_arg){.n = n};
		if (mk_thread_create(&t, "waiter", waiter, &wa) != 0)
			_exit(5);
		/* private field, read as test_notification.c does */
		while (atomic_load(&n->waiters) == 0)
			rb_sleep_ms(1);
	}
	/* Resolve the PLT entries of write and syscall now, so lazy binding
	 * cannot run under the filter. */
	if (write(fd, "", 0) != 0 || syscall(SYS_getppid) < 0)
		_exit(6);
	/* Should the child hang under the filter (a sanitizer runtime gone
	 * astray on a trapped call), SIGALRM ends it. */
	alarm(60);

#ifdef RB_AUDIT_ARCH
	rep.setup_errno = install_trap_filter();
#else
	rep.setup_errno = ENOSYS;
#endif
	if (rep.setup_errno != 0)
		send_and_exit(fd, &rep);

	switch (sc) {
	case IDLE_SIGNAL_AND_POLL:
	case IDLE_SHARED:
		idle_signal_and_poll(n, &rep);
		break;
	case CONTROL_GETPPID:
		(void)getppid();
		break;
	case CONTROL_WAITER:
		expect(&rep, mk_notification_signal(n, 0x42) == 0, "signal with a waiter");
		break;
	}
	take_count(&rep);
	send_and_exit(fd, &rep);
}

/* Run scenario sc in a filtered child and return its report.  Skips the
 * test when the kernel refuses the filter. */
static struct report run(enum scenario sc)
{
	struct report rep;
	int fds[2], status;
	size_t got = 0;

	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child(sc, fds[1]);
	}
	close(fds[1]);
	while (got < sizeof(rep)) {
		ssize_t n = read(fds[0], (char *)&rep + got, sizeof(rep) - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("filtered child did not exit cleanly (status 0x%x)", status);
	assert_int_equal(got, sizeof(rep));
	if (rep.setup_errno == ENOSYS || rep.setup_errno == EINVAL) {
		print_message("seccomp filters unavailable here (%s): not measured\n",
			      strerror(rep.setup_errno));
		skip();
	}
	if (rep.setup_errno != 0)
		fail_msg("installing the seccomp filter failed: %s", strerror(rep.setup_errno));
	if (rep.failures != 0)
		fail_msg("%d mk call(s) misbehaved under the filter, first: %s", rep.failures,
			 rep.what);
	return rep;
}

static void print_trapped(const struct report *rep)
{
	for (int i = 0; i < rep->trapped && i < MAX_RECORDED; i++)
		print_error("trapped system call number %d\n", rep->nr[i]);
}

static void expect_no_syscall(enum scenario sc)
{
	struct report rep = run(sc);

	if (rep.trapped != 0) {
		print_trapped(&rep);
		fail_msg("signal/poll without a waiter made %d system call(s)", rep.trapped);
	}
}

static void signal_and_poll_make_no_syscall(void **state)
{
	(void)state;
	expect_no_syscall(IDLE_SIGNAL_AND_POLL);
}

static void shared_signal_and_poll_make_no_syscall(void **state)
{
	(void)state;
	expect_no_syscall(IDLE_SHARED);
}

static void control_getppid_is_trapped(void **state)
{
	(void)state;
	struct report rep = run(CONTROL_GETPPID);

	if (rep.trapped != 1)
		print_trapped(&rep);
	assert_int_equal(rep.trapped, 1);
	assert_int_equal(rep.nr[0], __NR_getppid);
}

static void control_signal_with_waiter_is_trapped(void **state)
{
	(void)state;
	struct report rep = run(CONTROL_WAITER);

	if (rep.trapped != 1)
		print_trapped(&rep);
	assert_int_equal(rep.trapped, 1);
	assert_int_equal(rep.nr[0], __NR_futex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(control_getppid_is_trapped),
		cmocka_unit_test(control_signal_with_waiter_is_trapped),
		cmocka_unit_test(signal_and_poll_make_no_syscall),
		cmocka_unit_test(shared_signal_and_poll_make_no_syscall),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
