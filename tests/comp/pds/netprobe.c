/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a PD may do to the network, with and without <?rumpbridge
 * netns="own"?> (systems/run/netns.system): its capabilities, a network
 * namespace of its own (unshare), a TAP device, the interfaces it sees,
 * and whether its namespace is the launcher's.  The PD of higher priority
 * (without the setting, so in the launcher's namespace) writes its
 * namespace's inode to the shared page before the other's init runs.
 * Each attempt prints "refused (ERRNO)" or "ALLOWED".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <microkit.h>

uintptr_t shared;

static void say(const char *what, const char *result)
{
	char line[200];

	snprintf(line, sizeof line, "%s: %s: %s\n", microkit_name, what, result);
	microkit_dbg_puts(line);
}

static void attempt(const char *what, int r, int e)
{
	char res[64];

	if (r == 0)
		snprintf(res, sizeof res, "ALLOWED");
	else
		snprintf(res, sizeof res, "refused (%s)", e == EPERM ? "EPERM" : strerror(e));
	say(what, res);
}

static void capabilities(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];
	uint64_t eff, perm, inh;
	char res[96];

	if (syscall(SYS_capget, &hdr, d) != 0) {
		attempt("capget", -1, errno);
		return;
	}
	eff = d[0].effective | (uint64_t)d[1].effective << 32;
	perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	if (!eff && !perm)
		snprintf(res, sizeof res, "none");
	else if (eff == perm && eff == 1ull << CAP_NET_ADMIN && (inh & ~eff) == 0)
		snprintf(res, sizeof res, "CAP_NET_ADMIN only");
	else
		snprintf(res, sizeof res, "effective %#llx permitted %#llx", (unsigned long long)eff,
			 (unsigned long long)perm);
	say("capabilities", res);
}

static void tap(void)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), r, e;

	if (fd < 0) {
		attempt("create a TAP device", -1, errno);
		return;
	}
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, "rbprobe0", IFNAMSIZ - 1);
	r = ioctl(fd, TUNSETIFF, &ifr);
	e = errno;
	attempt("create a TAP device", r, e);
	close(fd); /* not persistent: the device goes with the descriptor */
}

static void interfaces(void)
{
	struct if_nameindex *ifs = if_nameindex();
	char res[160] = "";

	if (ifs == NULL) {
		attempt("list interfaces", -1, errno);
		return;
	}
	for (struct if_nameindex *i = ifs; i->if_index; i++)
		snprintf(res + strlen(res), sizeof res - strlen(res), "%s%s", res[0] ? " " : "",
			 i->if_name);
	if_freenameindex(ifs);
	say("interfaces", res);
}

void init(void)
{
	volatile uint64_t *launcher_ns = (volatile uint64_t *)shared;
	struct stat st;
	int own = strcmp(microkit_name, "owner") == 0, r;

	if (stat("/proc/self/ns/net", &st) != 0) {
		attempt("stat its network namespace", -1, errno);
		return;
	}
	if (!own)
		*launcher_ns = st.st_ino; /* inherited from the launcher */
	else
		say("network namespace", st.st_ino == *launcher_ns ? "the launcher's" : "its own");
	capabilities();
	r = unshare(CLONE_NEWNET);
	attempt("unshare a network namespace", r, errno);
	tap();
	if (own)
		interfaces();
}

void notified(microkit_channel ch)
{
	(void)ch;
}
