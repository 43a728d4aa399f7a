/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rumpuser_kill: a signal from the rump kernel to the host.
 *
 * The kernel calls it under its signal model RUMP_SIGMODEL_RAISE (the
 * default; rump_boot_setsigmodel chooses another before rump_init) when a
 * signal is posted to one of its own processes, and passes that process's
 * rump pid and a NetBSD signal number.  rumpuser(3) makes the pid a hint
 * only: rump pids are the kernel's, not the host's (rump pid 1 is the
 * kernel's initproc, not the host's init), so the pid is never given to
 * the host.  The signal is translated to Linux's number and raised in
 * the calling thread (raise(3), i.e. tgkill(getpid(), gettid(), sig)), as
 * NetBSD's own librumpuser does: nothing ever leaves this process.
 * Signals Linux does not have (NetBSD's SIGEMT, SIGINFO, real-time
 * signals) and numbers out of range are ignored.  The calling thread is
 * the one running the kernel code that posted the signal: a vCPU when a
 * green thread posted it, so a handler runs on that green thread's stack.
 *
 * Always 0, as NetBSD's: the kernel does not look at the result.
 */
#include <signal.h>

#include "netbsd_signal.h"
#include "rumpuser_impl.h"

int ru_sigtrans(int netbsd_sig)
{
	switch (netbsd_sig) {
	case NETBSD_SIGHUP: return SIGHUP;
	case NETBSD_SIGINT: return SIGINT;
	case NETBSD_SIGQUIT: return SIGQUIT;
	case NETBSD_SIGILL: return SIGILL;
	case NETBSD_SIGTRAP: return SIGTRAP;
	case NETBSD_SIGABRT: return SIGABRT;
	case NETBSD_SIGFPE: return SIGFPE;
	case NETBSD_SIGKILL: return SIGKILL;
	case NETBSD_SIGBUS: return SIGBUS;
	case NETBSD_SIGSEGV: return SIGSEGV;
	case NETBSD_SIGSYS: return SIGSYS;
	case NETBSD_SIGPIPE: return SIGPIPE;
	case NETBSD_SIGALRM: return SIGALRM;
	case NETBSD_SIGTERM: return SIGTERM;
	case NETBSD_SIGURG: return SIGURG;
	case NETBSD_SIGSTOP: return SIGSTOP;
	case NETBSD_SIGTSTP: return SIGTSTP;
	case NETBSD_SIGCONT: return SIGCONT;
	case NETBSD_SIGCHLD: return SIGCHLD;
	case NETBSD_SIGTTIN: return SIGTTIN;
	case NETBSD_SIGTTOU: return SIGTTOU;
	case NETBSD_SIGIO: return SIGIO;
	case NETBSD_SIGXCPU: return SIGXCPU;
	case NETBSD_SIGXFSZ: return SIGXFSZ;
	case NETBSD_SIGVTALRM: return SIGVTALRM;
	case NETBSD_SIGPROF: return SIGPROF;
	case NETBSD_SIGWINCH: return SIGWINCH;
	case NETBSD_SIGUSR1: return SIGUSR1;
	case NETBSD_SIGUSR2: return SIGUSR2;
	case NETBSD_SIGPWR: return SIGPWR;
	default: return 0; /* 0, SIGEMT, SIGINFO, real-time, out of range */
	}
}

int rumpuser_kill(int64_t pid, int sig)
{
	int host_sig = ru_sigtrans(sig);

	(void)pid; /* a rump pid: names no host process */
	if (host_sig != 0)
		raise(host_sig);
	return 0;
}
