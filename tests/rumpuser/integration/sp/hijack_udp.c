/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An ordinary Linux program, nothing of rump in it: sends N numbered UDP
 * datagrams to ADDR:PORT, each sent until answered with its number
 * (stop and wait; up to 10 tries of 3 s).  Run under NetBSD's
 * librumphijack (LD_PRELOAD, RUMP_SERVER) its sockets are a rump
 * kernel's, so the datagrams leave through that kernel's interfaces.
 *
 *   hijack_udp ADDR PORT N
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	unsigned char buf[1100];
	uint64_t n, i, ack;
	int s;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "usage: hijack_udp ADDR PORT N\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)atoi(argv[2]));
	n = strtoull(argv[3], NULL, 10);
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
		perror("hijack_udp: socket");
		return 1;
	}
	for (i = 0; i < n; i++) {
		size_t len = 8 + i % 900 + 100;
		int tries;

		memcpy(buf, &i, 8);
		for (size_t k = 8; k < len; k++)
			buf[k] = (unsigned char)(i * 7 + (k - 8));
		for (tries = 0; tries < 10; tries++) {
			struct pollfd p = {.fd = s, .events = POLLIN};

			if (sendto(s, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len) {
				perror("hijack_udp: sendto");
				return 1;
			}
			if (poll(&p, 1, 3000) == 1 && recv(s, &ack, sizeof(ack), 0) == 8 && ack == i)
				break;
		}
		if (tries == 10) {
			fprintf(stderr, "hijack_udp: datagram %llu never answered\n",
				(unsigned long long)i);
			return 1;
		}
	}
	close(s);
	printf("hijack_udp: %llu datagrams sent and answered\n", (unsigned long long)n);
	return 0;
}
