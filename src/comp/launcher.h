/* SPDX-License-Identifier: BSD-2-Clause */
/* The launcher: run a validated system (rumpbridge-run). Internal. */
#ifndef RUMPBRIDGE_COMP_LAUNCHER_H
#define RUMPBRIDGE_COMP_LAUNCHER_H

#include <stdbool.h>

#include "system.h"

struct launch_opts {
	bool verbose;	   /* say on stderr when each PD starts */
	double timeout_s;  /* > 0: stop the system after this many seconds */
	bool status;	   /* print the status table when the system stops */
	const char *trace_dir; /* non-NULL: each PD writes trace_dir/<name>.trace at the stop */
};

/* Exit statuses of rumpbridge-run. */
enum {
	LAUNCH_CLEAN = 0,    /* stopped by SIGINT, SIGTERM or --timeout, nothing crashed unhandled */
	LAUNCH_CRASHED = 1,  /* a PD without a parent crashed and its policy stopped the system */
	LAUNCH_USAGE = 2,    /* bad command line or invalid system file: nothing started */
	LAUNCH_STARTUP = 3,  /* a PD could not start (map refused, symbol missing, exec failed) */
};

/* $RUMPBRIDGE_PD_WRAPPER, when set, is a command (words split at spaces)
 * each PD runs under: the launcher execs "WRAPPER... IMAGE_PATH" instead of
 * the image.  For debugging (strace -f, valgrind) and for running aarch64
 * PDs under qemu-user without binfmt_misc. */

/* SIGUSR1 makes the launcher print the status table (stderr): one line
 * per PD with its state, notifications in and out, PPCs served and made,
 * and how many times it was started, then one line per ring it
 * registered (comp_ring_register) with its queues' depths. */

/* --trace DIR (or $RUMPBRIDGE_TRACE_DIR): the launcher creates DIR if
 * needed and opens DIR/<pd name>.trace (truncated) for each PD each time
 * it starts it, and hands the PD the descriptor; the PD records its
 * channel notifications and PPCs, and its domains if any.  When the
 * system stops, the launcher asks each running PD to write its file (on
 * its control socket) and waits up to 10 s for the answers, then stops
 * the PDs as ever (docs/tracing.md). */
#define LAUNCH_TRACE_DIR_ENV "RUMPBRIDGE_TRACE_DIR"

/* The status view's lines for the rings the PD registered (launcher_rings.c). */
struct comp_pd_objs;
struct mk_region;
void launcher_print_rings(const struct comp_pd_objs *o, const struct sys_system *s,
			  const struct sys_pd *sp, const struct mk_region *regions);

/* Start every PD of s (validated, images resolved) and supervise them
 * until the system stops.  Returns one of the statuses above. */
int comp_launch(struct sys_system *s, const struct launch_opts *o);

#endif
