// SPDX-License-Identifier: GPL-2.0
/*
 * toa-flood SRC DST PORT: a SYN flood from SRC, as a proxy under attack
 * forwards it: SYNs from random source ports, each carrying a TOA (kind
 * 200) of a random client in 198.18.0.0/15, none ever completed. Runs
 * until SIGTERM or SIGINT, then prints the number of SYNs sent.
 *
 * The source ports are 1024-32767.  SRC is also the address the proxy
 * SNATs real clients to, keeping their ports (40000 and up in the tests):
 * a flood over every port would leave the proxy's conntrack no free port
 * to SNAT a client to, and its SYNs would be dropped there, before the
 * server under test.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

struct syn {
	struct iphdr ip;
	struct tcphdr tcp;
	uint8_t toa[8];		/* kind 200, length 8, port, address */
} __attribute__((packed));

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct syn p = { 0 };
	unsigned long sent = 0;
	struct in_addr src;
	uint32_t client, sum;
	uint16_t port;
	int fd;

	if (argc != 4 || !inet_aton(argv[1], &src) ||
	    !inet_aton(argv[2], &dst.sin_addr) || !(port = atoi(argv[3]))) {
		fprintf(stderr, "usage: toa-flood SRC DST PORT\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	srandom(getpid());

	p.ip.version = 4;
	p.ip.ihl = 5;
	p.ip.ttl = 64;
	p.ip.protocol = IPPROTO_TCP;
	p.ip.tot_len = htons(sizeof(p));
	p.ip.saddr = src.s_addr;
	p.ip.daddr = dst.sin_addr.s_addr;
	p.tcp.dest = htons(port);
	p.tcp.doff = (sizeof(p.tcp) + sizeof(p.toa)) / 4;
	p.tcp.syn = 1;
	p.tcp.window = htons(64240);
	p.toa[0] = 200;
	p.toa[1] = 8;
	while (!stop) {
		p.tcp.source = htons(1024 + random() % (32768 - 1024));
		p.tcp.seq = random();
		client = htonl(0xc6120000 | (random() & 0x1ffff));	/* 198.18.0.0/15 */
		memcpy(&p.toa[2], &p.tcp.source, 2);
		memcpy(&p.toa[4], &client, 4);
		/* The kernel fills in the IP checksum; TCP's is over a pseudo-header. */
		p.tcp.check = 0;
		sum = csum_add(0, &p.ip.saddr, 8);
		sum += IPPROTO_TCP + sizeof(p.tcp) + sizeof(p.toa);
		sum = csum_add(sum, &p.tcp, sizeof(p.tcp) + sizeof(p.toa));
		p.tcp.check = htons(csum_fold(sum));
		if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&dst,
			   sizeof(dst)) == sizeof(p))
			sent++;
	}
	printf("%lu\n", sent);
	return 0;
}
