/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A rump kernel server on rumpbridge's librumpuser: boots a kernel with
 * networking, a tmpfs at /t and sysproxy, serves remote clients at URL
 * (rump_init_server) until a client reboots the kernel.
 *
 *   sp_server URL [-d] [-t SECONDS] [-n BUS ADDR] [-c DEVICE]
 *
 * -d daemonizes (rump_daemonize_begin before rump_init, _done(0) once
 * serving): the command returns when the server can be used.  -t bounds
 * the server's life (default 240 s): it then ends itself (SIGALRM), so a
 * failed test leaves nothing behind.  Without -d it prints "serving" on
 * stdout once it serves.  -n gives the kernel a shmif interface on the
 * bus file BUS with the IPv4 address ADDR/24 (a second server on the
 * same bus is its peer).  -c makes the node /dev/DEVICE of the kernel's
 * character device DEVICE (a component linked in that attaches its devsw
 * without a node, as drvctl's does).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/netconfig.h>
#include <rump/rump_syscalls.h>

/* NetBSD's struct tmpfs_args (version 1) */
struct nb_tmpfs_args {
	int ta_version;
	uint64_t ta_nodes_max;
	int64_t ta_size_max;
	uint32_t ta_root_uid, ta_root_gid, ta_root_mode;
};

/* The kernel's own lookup of a character device's major (NODEVMAJOR, -1,
 * when none is attached under that name); called with a rump CPU. */
int rumpns_devsw_name2chr(const char *name, char *devname, size_t devnamelen);

/* /dev/NAME for the attached character device NAME, minor 0: 0 or an
 * errno (ENXIO: no such device). */
static int make_node(const char *name)
{
	char path[64];
	int maj;

	rump_schedule();
	maj = rumpns_devsw_name2chr(name, NULL, 0);
	rump_unschedule();
	if (maj < 0)
		return ENXIO;
	snprintf(path, sizeof(path), "/dev/%s", name);
	/* NetBSD's makedev(maj, 0) */
	if (rump_sys_mknod(path, S_IFCHR | 0666, (dev_t)(((unsigned)maj << 8) & 0x000fff00u)) != 0)
		return errno;
	return 0;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "sp_server: %s: error %d\n", what, err);
	exit(1);
}

int main(int argc, char **argv)
{
	struct nb_tmpfs_args ta = {.ta_version = 1, .ta_root_mode = 0777};
	unsigned life = 240;
	const char *bus = NULL, *addr = NULL, *node = NULL;
	int daemon = 0, r, ifnum;
	char ifname[16];

	if (argc < 2) {
		fprintf(stderr, "usage: sp_server URL [-d] [-t SECONDS] [-n BUS ADDR] [-c DEVICE]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-d") == 0)
			daemon = 1;
		else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			life = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "-n") == 0 && i + 2 < argc)
			bus = argv[++i], addr = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			node = argv[++i];
	}
	if (daemon && (r = rump_daemonize_begin()) != 0)
		die("rump_daemonize_begin", r);
	alarm(life); /* after the fork: the server's own bound */
	if ((r = rump_init()) != 0)
		die("rump_init", r);
	if (rump_sys_mkdir("/t", 0777) != 0)
		die("mkdir /t", errno);
	if (rump_sys_mount("tmpfs", "/t", 0, &ta, sizeof(ta)) != 0)
		die("mount tmpfs", errno);
	if (node != NULL && (r = make_node(node)) != 0)
		die("device node", r);
	if (bus != NULL) {
		if ((r = rump_pub_shmif_create(bus, &ifnum)) != 0)
			die("shmif_create", r);
		snprintf(ifname, sizeof(ifname), "shmif%d", ifnum);
		if ((r = rump_pub_netconfig_ipv4_ifaddr(ifname, addr, "255.255.255.0")) != 0 ||
		    (r = rump_pub_netconfig_ifup(ifname)) != 0)
			die("shmif address", r);
	}
	if ((r = rump_init_server(argv[1])) != 0) {
		if (daemon)
			rump_daemonize_done(r);
		die("rump_init_server", r);
	}
	if (daemon)
		rump_daemonize_done(0);
	else
		printf("serving\n");
	fflush(stdout);
	for (;;)
		pause(); /* a client's reboot ends the process (exit 0) */
}
