/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rumpuser_daemonize_begin/done (rumpuser(3)): a server program forks
 * before its kernel boots; the parent waits until the child says it is
 * serving (or failed) and exits with that status, so a script that
 * starts the server goes on only once the server can be used.
 *
 * The fork happens before rump_init: a process that forks keeps only
 * the forking thread, so nothing with threads of its own may exist yet.
 * Here that is the domain, with its vCPU host threads and the host
 * threads that serve it: rumpuser_init makes them, after begin.  A
 * domain handed in
 * earlier with rumpbridge_set_domain already has its vCPU threads, which
 * the child would not have: begin refuses it (EBUSY) and forks nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rumpuser_impl.h"

/* Written by begin before the fork, read by done in the child; a
 * program daemonizes from one thread, before rump_init. */
static bool daemonizing;
static int daemon_sock[2] = {-1, -1};

int rumpuser_daemonize_begin(void)
{
	int err, r;
	ssize_t n;

	if (daemonizing)
		return NETBSD_EINPROGRESS;
	if (ru_dom != NULL || ru_hyp != NULL) {
		fprintf(stderr, "rumpbridge: rumpuser: daemonize_begin after the domain exists: "
				"its vCPU threads would not survive the fork\n");
		return NETBSD_EBUSY;
	}
	/* a socket pair rather than a pipe: MSG_NOSIGNAL, no SIGPIPE */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, daemon_sock) != 0)
		return ru_errtrans(errno);
	daemonizing = true;
	switch (fork()) {
	case -1:
		r = errno;
		close(daemon_sock[0]);
		close(daemon_sock[1]);
		daemon_sock[0] = daemon_sock[1] = -1;
		daemonizing = false;
		return ru_errtrans(r);
	case 0:
		close(daemon_sock[0]);
		daemon_sock[0] = -1;
		if (setsid() == -1)
			rumpuser_daemonize_done(ru_errtrans(errno));
		return 0;
	default:
		close(daemon_sock[1]);
		do
			n = recv(daemon_sock[0], &err, sizeof(err), MSG_WAITALL);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			err = ru_errtrans(errno);
		else if (n != (ssize_t)sizeof(err))
			err = NETBSD_ESRCH; /* the child died without a word */
		_exit(err);
	}
}

int rumpuser_daemonize_done(int error)
{
	ssize_t n;
	int fd;

	if (!daemonizing || daemon_sock[1] < 0)
		return NETBSD_ENOENT;
	if (error == 0) {
		/* serving: the child lets go of the caller's terminal */
		if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
			error = ru_errtrans(errno);
		} else {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
	}
	do
		n = send(daemon_sock[1], &error, sizeof(error), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	close(daemon_sock[1]);
	daemon_sock[1] = -1;
	return n == (ssize_t)sizeof(error) ? 0 : NETBSD_EIO;
}
