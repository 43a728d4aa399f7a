/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Prints what this PD process holds: the shared memory it maps (object
 * regions "pd:NAME" and memory regions "mr:NAME", from /proc/self/maps)
 * and how many descriptors it has open besides 0, 1 and 2.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microkit.h>

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void init(void)
{
	char line[512], out[1024], *names[64];
	size_t n = 0, off;
	FILE *f = fopen("/proc/self/maps", "r");
	DIR *d;
	struct dirent *de;
	int fds = 0;

	while (f && fgets(line, sizeof line, f) && n < 64) {
		char *m = strstr(line, "/memfd:");
		char *e;
		int dup = 0;

		if (!m)
			continue;
		m += strlen("/memfd:");
		e = strstr(m, " (deleted)");
		if (e)
			*e = 0;
		m[strcspn(m, "\n")] = 0;
		for (size_t i = 0; i < n; i++)
			dup |= strcmp(names[i], m) == 0;
		if (!dup)
			names[n++] = strdup(m);
	}
	if (f)
		fclose(f);
	qsort(names, n, sizeof names[0], cmp);
	off = (size_t)snprintf(out, sizeof out, "%s: maps", microkit_name);
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, sizeof out - off, " %s", names[i]);
	d = opendir("/proc/self/fd");
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) > 2 && atoi(de->d_name) != dirfd(d))
			fds++;
	if (d)
		closedir(d);
	off += (size_t)snprintf(out + off, sizeof out - off, "; %d descriptors", fds);
	/* Privileges: no capability at all, no_new_privs set. */
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "CapEff:", 7) == 0 || strncmp(line, "CapPrm:", 7) == 0 ||
		    strncmp(line, "CapBnd:", 7) == 0 || strncmp(line, "CapAmb:", 7) == 0 ||
		    strncmp(line, "NoNewPrivs:", 11) == 0) {
			char *v = line + strcspn(line, ":") + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			line[strcspn(line, ":")] = 0;
			off += (size_t)snprintf(out + off, sizeof out - off, "; %s %s", line, v);
		}
	if (f)
		fclose(f);
	snprintf(out + off, sizeof out - off, "\n");
	microkit_dbg_puts(out);
}

void notified(microkit_channel ch)
{
	(void)ch;
}
