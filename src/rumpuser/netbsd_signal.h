/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NetBSD's signal numbers, the ones the rump kernel passes to
 * rumpuser_kill.  Written from the numbers of NetBSD's <sys/signal.h>;
 * NETBSD_ prefix, so they never clash with the host's <signal.h>.  Only
 * 1, 2, 3, 4, 5, 6, 8, 9, 11, 13, 14 and 15 coincide with Linux's.
 * SIGEMT and SIGINFO have no Linux counterpart; NetBSD's real-time
 * signals (33..63) are not translated.
 */
#ifndef RUMPBRIDGE_NETBSD_SIGNAL_H
#define RUMPBRIDGE_NETBSD_SIGNAL_H

#define NETBSD_SIGHUP 1
#define NETBSD_SIGINT 2
#define NETBSD_SIGQUIT 3
#define NETBSD_SIGILL 4
#define NETBSD_SIGTRAP 5
#define NETBSD_SIGABRT 6
#define NETBSD_SIGEMT 7
#define NETBSD_SIGFPE 8
#define NETBSD_SIGKILL 9
#define NETBSD_SIGBUS 10
#define NETBSD_SIGSEGV 11
#define NETBSD_SIGSYS 12
#define NETBSD_SIGPIPE 13
#define NETBSD_SIGALRM 14
#define NETBSD_SIGTERM 15
#define NETBSD_SIGURG 16
#define NETBSD_SIGSTOP 17
#define NETBSD_SIGTSTP 18
#define NETBSD_SIGCONT 19
#define NETBSD_SIGCHLD 20
#define NETBSD_SIGTTIN 21
#define NETBSD_SIGTTOU 22
#define NETBSD_SIGIO 23
#define NETBSD_SIGXCPU 24
#define NETBSD_SIGXFSZ 25
#define NETBSD_SIGVTALRM 26
#define NETBSD_SIGPROF 27
#define NETBSD_SIGWINCH 28
#define NETBSD_SIGINFO 29
#define NETBSD_SIGUSR1 30
#define NETBSD_SIGUSR2 31
#define NETBSD_SIGPWR 32

#endif
