/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sysproxy server addresses, in the URL forms NetBSD's clients use:
 * unix://PATH (a relative PATH is taken from the working directory at
 * rump_init_server, so the socket can be removed at the end whatever the
 * program does to its directory) and tcp://ADDR:PORT[/] (IPv4; ADDR "*"
 * or "0" is any address).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_impl.h"

static int parse_unix(const char *a, struct sp_addr *out)
{
	struct sockaddr_un *un = &out->u.un;
	char cwd[PATH_MAX];
	int n;

	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	if (*a == '\0')
		return NETBSD_EINVAL;
	if (*a == '/') {
		n = snprintf(un->sun_path, sizeof(un->sun_path), "%s", a);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return ru_errtrans(errno);
		n = snprintf(un->sun_path, sizeof(un->sun_path), "%s/%s", cwd, a);
	}
	if (n < 0 || (size_t)n >= sizeof(un->sun_path))
		return NETBSD_ENAMETOOLONG;
	out->len = sizeof(*un);
	return 0;
}

static int parse_tcp(const char *a, struct sp_addr *out)
{
	struct sockaddr_in *in = &out->u.in;
	const char *colon = strrchr(a, ':');
	char host[64], *end;
	unsigned long port;
	size_t hl;

	memset(in, 0, sizeof(*in));
	in->sin_family = AF_INET;
	if (colon == NULL)
		return NETBSD_EINVAL; /* no port */
	hl = (size_t)(colon - a);
	if (hl == 0 || hl >= sizeof(host))
		return NETBSD_EINVAL;
	memcpy(host, a, hl);
	host[hl] = '\0';
	if (strcmp(host, "*") == 0 || strcmp(host, "0") == 0)
		in->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return NETBSD_EINVAL;
	if (colon[1] < '0' || colon[1] > '9')
		return NETBSD_EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || port > 65535)
		return NETBSD_ERANGE;
	if (*end != '\0' && strcmp(end, "/") != 0)
		return NETBSD_EINVAL; /* junk after the port */
	in->sin_port = htons((uint16_t)port);
	out->len = sizeof(*in);
	return 0;
}

int sp_url_parse(const char *url, struct sp_addr *out)
{
	if (url == NULL || out == NULL)
		return NETBSD_EINVAL;
	memset(out, 0, sizeof(*out));
	if (strncmp(url, "unix://", 7) == 0)
		return parse_unix(url + 7, out);
	if (strncmp(url, "tcp://", 6) == 0)
		return parse_tcp(url + 6, out);
	if (strncmp(url, "tcp6://", 7) == 0)
		return NETBSD_EOPNOTSUPP; /* as NetBSD's */
	return NETBSD_EINVAL;
}
