/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tracing a PD (rumpbridge-run --trace DIR, docs/tracing.md).
 *
 * The launcher opens DIR/<pd name>.trace and hands the PD its descriptor
 * (boot->trace_fd); the PD cannot name another file.  pd_trace_init, on
 * the main thread before any other thread exists, starts a trace source
 * named after the PD (dom_trace_source_start, DOM_TRACE_FOLLOW: a domain
 * the PD creates, its own as a domain component or one of its program's,
 * is traced as well) and a writer thread, which waits on the PD's control
 * socket.  When the system stops, the launcher first sends every PD
 * COMP_CTL_TRACE_WRITE: the writer stops every recording, writes the file
 * through the descriptor and answers COMP_CTL_TRACE_DONE; then the
 * launcher stops the PDs as ever (SIGTERM).  A request on the socket
 * rather than a signal: the PD's signals stay as they were, and a
 * blocking recv behaves the same under a sanitizer's runtime (which
 * delays signal handlers) and under qemu-user.  A PD that dies before
 * (a crash, a restart by its parent) leaves an empty file; one that could
 * not start recording answers with the error and leaves it empty too.
 *
 * The trace points (pd_runtime.h, PD_TRACE): pd_trace_src is set before
 * any other thread starts and never changes, so untraced each point is
 * one load of a read-only word and a branch predicted not taken.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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
	struct comp_ctl_msg m;
	int fd = pd_boot->trace_fd, r = (int)(intptr_t)arg;
	ssize_t n;

	for (;;) {
		n = recv(pd_boot->ctl_fd, &m, sizeof m, 0);
		if (n == (ssize_t)sizeof m && m.op == COMP_CTL_TRACE_WRITE)
			break;
		if (n == 0 || (n < 0 && errno != EINTR))
			return NULL; /* the launcher is gone */
	}
	if (r == 0) {
		dom_trace_stop_all();
		r = dom_trace_write(fd_sink, &fd);
		if (r != 0)
			fprintf(stderr, "rumpbridge-run: PD '%s': cannot write its trace: %s\n",
				microkit_name, strerror(-r));
	}
	close(fd);
	pd_ctl_send(COMP_CTL_TRACE_DONE, (uint32_t)-r, 0);
	return NULL;
}

void pd_trace_init(void)
{
	pthread_t t;
	int r;

	if (pd_boot->trace_fd < 0)
		return;
	r = dom_trace_source_start(microkit_name, 0, DOM_TRACE_FOLLOW, &pd_trace_src);
	if (r != 0) {
		fprintf(stderr, "rumpbridge-run: PD '%s': runs untraced: %s\n", microkit_name,
			strerror(-r));
		pd_trace_src = 0;
	}
	/* the writer answers the launcher either way (with the error) */
	if (pthread_create(&t, NULL, writer, (void *)(intptr_t)r) != 0) {
		fprintf(stderr, "rumpbridge-run: PD '%s': runs untraced: no writer thread\n",
			microkit_name);
		dom_trace_stop_all();
		pd_trace_src = 0;
		return;
	}
	pthread_detach(t);
}
