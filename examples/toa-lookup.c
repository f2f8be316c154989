// SPDX-License-Identifier: GPL-2.0
/*
 * toa-lookup: find the real client of a connection when the socket cannot
 * hold it, e.g. an IPv6 client behind a NAT64 proxy accepted on an AF_INET
 * socket (getpeername() then keeps reporting the proxy).  xt_TOA lists
 * every TOA socket of the namespace in /proc/net/xt_TOA_sockets as
 *
 *     LOCAL PEER CLIENT KIND        e.g.
 *     203.0.113.2:80 203.0.113.1:40511 [2001:db8::7]:51234 254
 *
 * with LOCAL and PEER as getsockname() and the kernel's getpeername() see
 * them.  The file tells who is behind each connection: reading it needs
 * CAP_NET_ADMIN in the namespace (as "toactl lookup" does), so this runs
 * as root, or opens the file before dropping its privileges.
 * toa_real_client() below is the part to copy into an application.
 *
 *   toa-lookup PORT   accept on 0.0.0.0:PORT; to each client send
 *                     "peer=ADDR:PORT client=ADDR:PORT" and close
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* "1.2.3.4:80" or "[2001:db8::1]:80" into *sa; 0 on success. */
static int parse_addr(const char *s, struct sockaddr_storage *sa)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2];
	size_t len;

	if (!colon || (len = colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, len);
	host[len] = 0;
	memset(sa, 0, sizeof(*sa));
	if (host[0] == '[' && host[len - 1] == ']') {
		host[len - 1] = 0;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(atoi(colon + 1));
		return inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) == 1 ? 0 : -1;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons(atoi(colon + 1));
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	       !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
}

/*
 * The client xt_TOA recorded for connected socket @fd, as text in @out.
 * Returns 0, or -1 if the connection has no TOA (or xt_TOA is not loaded).
 */
int toa_real_client(int fd, char *out, size_t outlen)
{
	struct sockaddr_storage local, peer, l, p;
	socklen_t len = sizeof(local);
	char ls[64], ps[64], cs[64];
	int found = -1;
	FILE *f;

	if (getsockname(fd, (struct sockaddr *)&local, &len) < 0)
		return -1;
	len = sizeof(peer);
	if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0)
		return -1;
	f = fopen("/proc/net/xt_TOA_sockets", "r");
	if (!f)
		return -1;
	while (found && fscanf(f, "%63s %63s %63s %*u", ls, ps, cs) == 3)
		if (!parse_addr(ls, &l) && !parse_addr(ps, &p) &&
		    same_addr(&l, &local) && same_addr(&p, &peer)) {
			snprintf(out, outlen, "%s", cs);
			found = 0;
		}
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char line[256], client[64], host[INET6_ADDRSTRLEN];
	struct sockaddr_in peer;
	socklen_t len;
	int lfd, fd, one = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: toa-lookup PORT\n");
		return 2;
	}
	sin.sin_port = htons(atoi(argv[1]));
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 64) < 0) {
		perror("toa-lookup: listen");
		return 1;
	}
	printf("listen=0.0.0.0:%s\n", argv[1]);
	fflush(stdout);
	for (;;) {
		len = sizeof(peer);
		fd = accept(lfd, (struct sockaddr *)&peer, &len);
		if (fd < 0)
			continue;
		if (toa_real_client(fd, client, sizeof(client)))
			snprintf(client, sizeof(client), "none");
		snprintf(line, sizeof(line), "peer=%s:%u client=%s\n",
			 inet_ntop(AF_INET, &peer.sin_addr, host, sizeof(host)),
			 ntohs(peer.sin_port), client);
		fputs(line, stdout);
		fflush(stdout);
		if (write(fd, line, strlen(line)) < 0)
			perror("toa-lookup: write");
		close(fd);
	}
}
