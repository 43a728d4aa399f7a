/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel symbols for modules loaded at run time (rumpuser_dl_bootstrap's
 * symload): boots a rump kernel on our librumpuser, copies the module
 * object built beside this test (rbksym_mod.c) into the kernel's file
 * system and loads it with modctl(MODCTL_LOAD).  The kernel links it
 * against its symbol table; without one, the load fails (the module's
 * references to rumpns_printf and rumpns_hz are unresolved).  Then the
 * module is unloaded again.
 *
 *   test_rumpuser_ksyms MODULE.o
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#define NB_SYS_modctl 246

/* librump's system call entry (no header declares it) */
int rump_syscall(int num, void *data, size_t dlen, register_t *retval);
#define NB_MODCTL_LOAD 0
#define NB_MODCTL_UNLOAD 1
#define NB_O_WRONLY 0x1
#define NB_O_CREAT 0x200

struct nb_modctl_load {
	const char *ml_filename;
	int ml_flags;
	const char *ml_props;
	size_t ml_propslen;
};

static int modctl(int cmd, void *arg)
{
	long args[2] = {cmd, (long)arg};
	register_t rv[2] = {0, 0};

	return rump_syscall(NB_SYS_modctl, args, sizeof(args), rv);
}

int main(int argc, char **argv)
{
	struct nb_modctl_load ml = {.ml_filename = "/rbksym.kmod"};
	static char buf[1 << 20];
	ssize_t n;
	int fd, rfd, r;

	if (argc != 2) {
		fprintf(stderr, "usage: test_rumpuser_ksyms MODULE.o\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY)) < 0 || (n = read(fd, buf, sizeof(buf))) <= 0) {
		fprintf(stderr, "FAIL: cannot read %s\n", argv[1]);
		return 1;
	}
	close(fd);
	if ((r = rump_init()) != 0) {
		fprintf(stderr, "FAIL: rump_init: %d\n", r);
		return 1;
	}
	rfd = rump_sys_open("/rbksym.kmod", NB_O_WRONLY | NB_O_CREAT, 0644);
	if (rfd < 0 || rump_sys_write(rfd, buf, (size_t)n) != n || rump_sys_close(rfd) != 0) {
		fprintf(stderr, "FAIL: writing the module into the kernel's file system: %d\n", errno);
		return 1;
	}
	if ((r = modctl(NB_MODCTL_LOAD, &ml)) != 0) {
		fprintf(stderr, "FAIL: modctl(LOAD, %s): error %d: the kernel could not link the "
				"module against its symbol table\n",
			ml.ml_filename, r);
		return 1;
	}
	if ((r = modctl(NB_MODCTL_UNLOAD, (void *)"rbksym")) != 0) {
		fprintf(stderr, "FAIL: modctl(UNLOAD, rbksym): error %d\n", r);
		return 1;
	}
	printf("PASS: module rbksym linked against the kernel's symbols, loaded and unloaded\n");
	return 0;
}
