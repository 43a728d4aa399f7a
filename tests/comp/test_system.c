/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The system description: the SDK's example files load; a file with every
 * element parses to the expected structure; each invalid file in
 * systems/bad/ fails with exactly the error its "expect:" comment gives.
 *
 * Runs in tests/comp/systems (argv[1]); the SDK folder is argv[2] (the
 * SDK's examples are skipped with a message when it is absent).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rb_test.h"

#include "comp/system.h"

static const char *sdk_dir;
static const char *images[] = {"images"};

static void sdk_examples_load(void **state)
{
	static const struct {
		const char *file;
		size_t npds, nchannels;
	} ex[] = {
		{"example/hello/hello.system", 1, 0},
		{"example/passive_server/passive_server.system", 2, 1},
		{"example/hierarchy/hierachy.system", 3, 0},
	};
	(void)state;
	char path[4096], err[2048];

	if (!sdk_dir || access(sdk_dir, R_OK) != 0) {
		printf("[  SKIP    ] no Microkit SDK at '%s' (set MICROKIT_SDK)\n",
		       sdk_dir ? sdk_dir : "");
		skip();
	}
	for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
		struct sys_system *s;

		snprintf(path, sizeof path, "%s/%s", sdk_dir, ex[i].file);
		if (sys_parse_file(path, &s, err, sizeof err) != 0)
			fail_msg("%s", err);
		if (sys_validate(s, err, sizeof err) != 0)
			fail_msg("%s", err);
		assert_int_equal(s->npds, ex[i].npds);
		assert_int_equal(s->nchannels, ex[i].nchannels);
		sys_free(s);
	}
	/* The SDK's other examples (other boards) are valid too. */
	for (const char *f = "example/timer/timer.system\0example/ethernet/ethernet.system\0"; *f;
	     f += strlen(f) + 1) {
		struct sys_system *s;

		snprintf(path, sizeof path, "%s/%s", sdk_dir, f);
		if (access(path, R_OK) != 0)
			continue;
		if (sys_parse_file(path, &s, err, sizeof err) != 0 || sys_validate(s, err, sizeof err) != 0)
			fail_msg("%s", err);
		sys_free(s);
	}
}

static void hierarchy_structure(void **state)
{
	char path[4096], err[2048];
	struct sys_system *s;

	(void)state;
	if (!sdk_dir || access(sdk_dir, R_OK) != 0)
		skip();
	snprintf(path, sizeof path, "%s/example/hierarchy/hierachy.system", sdk_dir);
	assert_int_equal(sys_parse_file(path, &s, err, sizeof err), 0);
	assert_int_equal(sys_validate(s, err, sizeof err), 0);
	/* flattened, parent first */
	assert_string_equal(s->pds[0].name, "restarter");
	assert_int_equal(s->pds[0].parent, -1);
	assert_string_equal(s->pds[1].name, "crasher");
	assert_int_equal(s->pds[1].parent, 0);
	assert_int_equal(s->pds[1].id, 1);
	assert_int_equal(s->pds[1].priority, 253);
	assert_string_equal(s->pds[2].name, "hello");
	assert_int_equal(s->pds[2].id, 2);
	sys_free(s);
}

static void every_element(void **state)
{
	char err[2048];
	struct sys_system *s;
	const struct sys_pd *srv, *cli, *ch;

	(void)state;
	if (sys_load("good/linux-settings.system", images, 1, &s, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(s->npds, 3);
	assert_int_equal(s->nregions, 3);
	assert_int_equal(s->nchannels, 2);
	assert_string_equal(s->regions[0].name, "shared");
	assert_int_equal(s->regions[0].size, 0x2000); /* '_' separators */
	assert_int_equal(s->regions[1].page_size, 0x200000);
	assert_true(s->regions[2].has_phys);
	assert_int_equal(s->regions[2].phys_addr, 0x9000000);

	srv = &s->pds[sys_find_pd(s, "server")];
	assert_int_equal(srv->priority, 200);
	assert_true(srv->passive);
	assert_int_equal(srv->stack_size, 0x4000);
	assert_int_equal(srv->budget, 1000); /* default */
	assert_int_equal(srv->period, 1000); /* = budget */
	assert_int_equal(srv->vcpus, 4);
	assert_true(srv->domain);
	assert_false(srv->plain_threads);
	assert_int_equal(srv->on_crash, SYS_ON_CRASH_RESTART);
	assert_false(srv->netns_own);
	assert_int_equal(srv->cpu, 1);
	assert_int_equal(srv->nmaps, 2);
	assert_int_equal(srv->maps[0].vaddr, 0x30000000);
	assert_int_equal(srv->maps[0].perms, SYS_PERM_R);
	assert_string_equal(srv->maps[0].setvar_vaddr, "shared_base");
	assert_string_equal(srv->maps[0].setvar_size, "shared_len");
	assert_true(srv->maps[0].cached);
	assert_false(srv->maps[1].cached);
	assert_int_equal(srv->maps[1].region, 1);
	assert_non_null(strstr(srv->image_path, "images/a.elf"));

	cli = &s->pds[sys_find_pd(s, "client")];
	assert_int_equal(cli->budget, 500);
	assert_int_equal(cli->vcpus, 1);
	assert_false(cli->domain);
	assert_int_equal(cli->on_crash, SYS_ON_CRASH_IGNORE);
	assert_true(cli->netns_own);
	assert_int_equal(cli->cpu, -1);
	assert_int_equal(cli->maps[0].perms, SYS_PERM_R | SYS_PERM_W);
	assert_int_equal(cli->nirqs, 1);
	assert_int_equal(cli->irqs[0].irq, 33);
	assert_int_equal(cli->irqs[0].id, 5);
	assert_true(cli->irqs[0].edge);
	assert_int_equal(cli->nsetvars, 1);
	assert_string_equal(cli->setvars[0].region, "dev");

	ch = &s->pds[sys_find_pd(s, "child")];
	assert_int_equal(ch->parent, sys_find_pd(s, "client"));
	assert_int_equal(ch->id, 3);
	assert_int_equal(ch->on_crash, SYS_ON_CRASH_STOP);

	assert_int_equal(s->channels[0].end[0].pd, sys_find_pd(s, "client"));
	assert_true(s->channels[0].end[0].pp);
	assert_false(s->channels[0].end[0].notify);
	assert_true(s->channels[0].end[1].notify); /* default */
	assert_false(s->channels[0].end[1].pp);
	assert_int_equal(s->channels[1].end[0].id, 61);
	sys_free(s);
}

/* The file the Microkit tool is shown to accept (comp_microkit_tool_accepts)
 * is valid here too. */
static void tool_check_file(void **state)
{
	char err[2048];
	struct sys_system *s;

	(void)state;
	if (sys_load("good/tool-check.system", images, 1, &s, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(s->pds[0].vcpus, 2);
	assert_int_equal(s->pds[0].on_crash, SYS_ON_CRASH_RESTART);
	assert_int_equal(s->pds[1].on_crash, SYS_ON_CRASH_IGNORE);
	assert_int_equal(s->pds[2].parent, 1);
	sys_free(s);
}

/* The text after "expect: " in the file's comment, up to " -->". */
static int read_expect(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[2048];

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char *p = strstr(line, "<!-- expect: "), *e;

		if (!p)
			continue;
		p += strlen("<!-- expect: ");
		e = strstr(p, " -->");
		if (!e)
			break;
		*e = 0;
		snprintf(out, len, "%s", p);
		fclose(f);
		return 0;
	}
	fclose(f);
	return -1;
}

static void invalid_files(void **state)
{
	DIR *d = opendir("bad");
	struct dirent *de;
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[512], want[2048], full[2600], err[2048];
		struct sys_system *s = (void *)1;
		size_t l = strlen(de->d_name);

		if (l < 8 || strcmp(de->d_name + l - 7, ".system") != 0)
			continue;
		snprintf(path, sizeof path, "bad/%s", de->d_name);
		if (read_expect(path, want, sizeof want) != 0)
			fail_msg("%s: no expect comment", path);
		snprintf(full, sizeof full, "%s:%s", path, want);
		if (sys_load(path, images, 1, &s, err, sizeof err) == 0)
			fail_msg("%s: accepted, expected: %s", path, full);
		assert_null(s);
		if (strcmp(err, full) != 0)
			fail_msg("%s:\n  got:      %s\n  expected: %s", path, err, full);
		n++;
	}
	closedir(d);
	assert_true(n >= 40);
}

/* Input that is not a system file at all never crashes the parser. */
static void garbage(void **state)
{
	static const char *inputs[] = {
		"",
		"\x00\x01\x02",
		"<",
		"<system",
		"<?xml version=\"1.0\"?><!DOCTYPE system [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;\">]><system>&b;</system>",
		"<system><protection_domain name=\"a\"><program_image path=\"/etc/passwd\"/></protection_domain><!-- -->",
		"<system xmlns=\"urn:x\"><protection_domain name=\"a\"/></system>",
		"<?xml version=\"1.0\"?><!DOCTYPE x SYSTEM \"http://example.invalid/x.dtd\"><system><bogus/></system>",
	};
	char err[2048];

	(void)state;
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		struct sys_system *s;
		size_t len = i == 1 ? 3 : strlen(inputs[i]);

		assert_int_equal(sys_parse_memory("mem", inputs[i], len, &s, err, sizeof err), -1);
		assert_null(s);
		assert_true(strncmp(err, "mem:", 4) == 0);
	}
}

static void missing_file(void **state)
{
	char err[2048];
	struct sys_system *s;

	(void)state;
	assert_int_equal(sys_load("no/such.system", images, 1, &s, err, sizeof err), -1);
	assert_string_equal(err, "no/such.system: cannot open: No such file or directory");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sdk_examples_load), cmocka_unit_test(hierarchy_structure),
		cmocka_unit_test(every_element),     cmocka_unit_test(tool_check_file),
		cmocka_unit_test(invalid_files),
		cmocka_unit_test(garbage),	     cmocka_unit_test(missing_file),
	};

	if (argc < 2 || chdir(argv[1]) != 0) {
		fprintf(stderr, "usage: test_system SYSTEMS_DIR [SDK_DIR]\n");
		return 2;
	}
	sdk_dir = argc > 2 && argv[2][0] ? argv[2] : NULL;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
