/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target for the system-file parser and checks.
 *
 * Built with clang -fsanitize=fuzzer (scripts/fuzz-system) it is a
 * libFuzzer target; built without (every suite), main() below replays the
 * files and directories given as arguments (the seed corpus, the invalid
 * files, the crashes found so far), so each stays a regression case.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "comp/system.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sys_system *s;
	char err[1024];

	if (sys_parse_memory("fuzz.system", (const char *)data, size, &s, err, sizeof err) == 0) {
		sys_validate(s, err, sizeof err);
		sys_free(s);
	}
	/* Every error is one line starting with the file name. */
	if (err[0] && (strncmp(err, "fuzz.system:", 12) != 0 || strchr(err, '\n')))
		abort();
	return 0;
}

#ifndef RUMPBRIDGE_LIBFUZZER
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (!buf || (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len)) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, (size_t)(len > 0 ? len : 0));
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "fuzz_system: %s: not found\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (replay_file(argv[i]) != 0)
				return 1;
			n++;
			continue;
		}
		d = opendir(argv[i]);
		while (d && (de = readdir(d))) {
			char p[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof p, "%s/%s", argv[i], de->d_name);
			if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
				if (replay_file(p) != 0)
					return 1;
				n++;
			}
		}
		if (d)
			closedir(d);
	}
	printf("fuzz_system: %d input(s) replayed\n", n);
	return n > 0 ? 0 : 1;
}
#endif
