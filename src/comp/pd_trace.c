/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tracing a PD (rumpbridge-run --trace DIR, docs/tracing.md).
 *
 * The launcher opens DIR/<pd name>.trace and hands the PD its descriptor
 * (boot->trace_fd); the PD cannot name another file.  pd_trace_init, on
 * the main thread before any other thread exists, starts a trace source
 * named after the PD (dom_trace_source_start, DOM_TRACE_FOLLOW: a domain
 * the PD creates, its own as a domain component or one of its program's,
 * is traced as well), blocks SIGTERM (every thread started later inherits
 * the mask) and starts a writer thread that waits for it (sigwaitinfo).
 * The launcher stops a system by SIGTERM to every PD: the writer takes
 * it, stops every recording, writes the file through the descriptor, then
 * dies of SIGTERM as an untraced PD would.  (Not a signal handler: a
 * sanitizer's runtime delays a handler until the thread it interrupted
 * calls into libc, and a PD's threads may all sit in futex waits, which
 * are plain system calls.)  A PD that dies otherwise
 * (a crash, SIGKILL by its parent or after the launcher's grace period)
 * leaves an empty file.
 *
 * The trace points (pd_runtime.h, PD_TRACE): pd_trace_src is set before
 * any other thread starts and never changes, so untraced each point is
 * one load of a read-only word and a branch predicted not taken.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rumpbridge/trace.h>

#include "pd_runtime.h"

uint64_t pd_trace_src;
static _Atomic uint64_t ppc_count;

static uint64_t key(uint32_t pd, unsigned ch)
{
	return (uint64_t)pd << 32 | ch;
}

/* The PD and channel id at the other end of our channel ch. */
static uint64_t peer_key(unsigned ch)
{
	return key(pd_boot->objs_pd[pd_boot->ch[ch].objs], pd_boot->ch[ch].peer_id);
}

void pd_trace_notify(unsigned ch)
{
	dom_trace_record(pd_trace_src, DOM_TR_COMP_NOTIFY, ch, peer_key(ch), 0, NULL);
}

void pd_trace_notified(unsigned ch, unsigned how)
{
	dom_trace_record(pd_trace_src, DOM_TR_COMP_NOTIFIED, ch, key(pd_boot->pd, ch), how, NULL);
}

void pd_trace_notified_end(unsigned ch)
{
	dom_trace_record(pd_trace_src, DOM_TR_COMP_NOTIFIED_END, ch, 0, 0, NULL);
}

uint64_t pd_trace_ppcall(unsigned ch, struct comp_pd_objs *callee)
{
	uint64_t token = (uint64_t)(pd_boot->pd + 1) << 40 |
			 (atomic_fetch_add_explicit(&ppc_count, 1, memory_order_relaxed) + 1);
	/* relaxed: a count; the token reaches the callee with the call */

	callee->trace_token[pd_boot->ch[ch].peer_id] = token;
	dom_trace_record(pd_trace_src, DOM_TR_COMP_PPCALL, ch, peer_key(ch), token, NULL);
	return token;
}

void pd_trace_reply(unsigned ch, uint64_t token, int r)
{
	dom_trace_record(pd_trace_src, DOM_TR_COMP_REPLY, ch, (uint64_t)(int64_t)r, token, NULL);
}

uint64_t pd_trace_protected(unsigned ch)
{
	uint64_t token = pd_self->trace_token[ch];

	dom_trace_record(pd_trace_src, DOM_TR_COMP_PROTECTED, ch, key(pd_boot->pd, ch), token, NULL);
	return token;
}

void pd_trace_protected_end(unsigned ch, uint64_t token)
{
	dom_trace_record(pd_trace_src, DOM_TR_COMP_PROTECTED_END, ch, 0, token, NULL);
}

static int fd_sink(void *arg, const void *buf, size_t len)
{
	int fd = *(int *)arg;
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *writer(void *arg)
{
	sigset_t term;
	int fd = pd_boot->trace_fd, r;

	(void)arg;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	while (sigwaitinfo(&term, NULL) < 0)
		; /* EINTR: another signal's handler ran */
	dom_trace_stop_all();
	r = dom_trace_write(fd_sink, &fd);
	if (r != 0)
		fprintf(stderr, "rumpbridge-run: PD '%s': cannot write its trace: %s\n",
			microkit_name, strerror(-r));
	close(fd);
	/* die of SIGTERM, as an untraced PD does */
	signal(SIGTERM, SIG_DFL);
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);
	raise(SIGTERM);
	_exit(0);
}

void pd_trace_init(void)
{
	sigset_t term;
	pthread_t t;
	int r;

	if (pd_boot->trace_fd < 0)
		return;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	r = dom_trace_source_start(microkit_name, 0, DOM_TRACE_FOLLOW, &pd_trace_src);
	if (r == 0)
		r = -pthread_sigmask(SIG_BLOCK, &term, NULL);
	if (r == 0 && (r = -pthread_create(&t, NULL, writer, NULL)) == 0)
		pthread_detach(t);
	if (r != 0) {
		fprintf(stderr, "rumpbridge-run: PD '%s': runs untraced: %s\n", microkit_name,
			strerror(-r));
		pthread_sigmask(SIG_UNBLOCK, &term, NULL);
		dom_trace_stop_all();
		pd_trace_src = 0;
	}
}
