/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rumpbridge-run SYSTEM_FILE --search-path DIR... [options]
 *
 * Reads a Microkit 2.0.1 system description, checks it, and runs the
 * system: each protection domain is a Linux process (docs/components.md).
 * Nothing starts when the file is invalid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comp/launcher.h"
#include "comp/system.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rumpbridge-run SYSTEM_FILE --search-path DIR... [--check] [--timeout SECONDS] [--status] [--verbose] [--trace DIR]\n"
		"  --search-path DIR...  directories where program images are looked for, in order\n"
		"  --check               validate the system file and the images, start nothing\n"
		"  --timeout SECONDS     stop the system after this long (exit status 0 if nothing crashed)\n"
		"  --status              print one line per PD (notifications, PPCs, starts) when the\n"
		"                        system stops; SIGUSR1 prints it at any time\n"
		"  --verbose             say when each protection domain starts\n"
		"  --trace DIR           each PD records a trace (its notifications, PPCs and\n"
		"                        domains) and writes DIR/<pd name>.trace when the system\n"
		"                        stops; tools/rumpbridge-trace merges them (also:\n"
		"                        $RUMPBRIDGE_TRACE_DIR)\n"
		"exit status: 0 clean stop, 1 a PD crashed and the system stopped, 2 bad usage or\n"
		"invalid system file, 3 a PD could not start\n");
}

int main(int argc, char **argv)
{
	const char **search = calloc((size_t)argc, sizeof *search);
	size_t nsearch = 0;
	const char *file = NULL;
	struct launch_opts o = {0};
	bool check = false;
	struct sys_system *s;
	char err[2048];
	int status;

	if (!search)
		return LAUNCH_STARTUP;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--search-path") == 0) {
			while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
				search[nsearch++] = argv[++i];
		} else if (strcmp(argv[i], "--check") == 0) {
			check = true;
		} else if (strcmp(argv[i], "--status") == 0) {
			o.status = true;
		} else if (strcmp(argv[i], "--trace") == 0 && i + 1 < argc) {
			o.trace_dir = argv[++i];
		} else if (strcmp(argv[i], "--verbose") == 0) {
			o.verbose = true;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			char *end;

			o.timeout_s = strtod(argv[++i], &end);
			if (*end || o.timeout_s <= 0) {
				fprintf(stderr, "rumpbridge-run: bad --timeout '%s'\n", argv[i]);
				return LAUNCH_USAGE;
			}
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || file) {
			usage(stderr);
			return LAUNCH_USAGE;
		} else {
			file = argv[i];
		}
	}
	if (!o.trace_dir && getenv(LAUNCH_TRACE_DIR_ENV) && *getenv(LAUNCH_TRACE_DIR_ENV))
		o.trace_dir = getenv(LAUNCH_TRACE_DIR_ENV);
	if (!file) {
		usage(stderr);
		return LAUNCH_USAGE;
	}
	if (sys_load(file, search, nsearch, &s, err, sizeof err) != 0) {
		fprintf(stderr, "rumpbridge-run: %s\n", err);
		free(search);
		return LAUNCH_USAGE;
	}
	free(search);
	if (check) {
		printf("%s: valid, %zu protection domain(s), %zu memory region(s), %zu channel(s)\n",
		       file, s->npds, s->nregions, s->nchannels);
		sys_free(s);
		return 0;
	}
	status = comp_launch(s, &o);
	sys_free(s);
	return status;
}
