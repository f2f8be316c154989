// SPDX-License-Identifier: GPL-2.0
/*
 * Many short connections, as fast as one process makes them.
 *
 *   toa-churn serve PORT N CLIENT   accept N connections, compare each
 *                                   getpeername() address with CLIENT, close
 *                                   with a reset; print "ok K other M" and
 *                                   exit 0 if all N were CLIENT
 *   toa-churn connect DST PORT N    N connections to DST:PORT, one after
 *                                   the other, each until the server resets it
 *   toa-churn burst DST PORT N      N connections to DST:PORT at once (all
 *                                   SYNs leave before any handshake ends),
 *                                   each until the server resets it
 *
 * IPv4 only. Closing with a reset leaves no TIME_WAIT on either side, so
 * the ports are free again at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void close_reset(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static int serve(int port, long n, const char *client)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct in_addr want;
	long ok = 0, i;
	int one = 1, lfd;

	if (!inet_aton(client, &want))
		return 2;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 1024))
		die("listen");
	printf("listening\n");
	fflush(stdout);
	for (i = 0; i < n; i++) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			die("accept");
		if (!getpeername(fd, (struct sockaddr *)&peer, &len) &&
		    peer.sin_addr.s_addr == want.s_addr)
			ok++;
		close_reset(fd);
	}
	printf("ok %ld other %ld\n", ok, n - ok);
	return ok == n ? 0 : 1;
}

static int connect_many(const char *dst, int port, long n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	ssize_t r;
	long i;
	char c;

	if (!inet_aton(dst, &to.sin_addr))
		return 2;
	for (i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			die("socket");
		/*
		 * Until the server has accepted and reset it. The reset may come
		 * before connect() returns: the handshake was complete then too.
		 */
		if (connect(fd, (struct sockaddr *)&to, sizeof(to))) {
			if (errno != ECONNRESET) {
				fprintf(stderr, "after %ld connections: ", i);
				die("connect");
			}
		} else {
			r = read(fd, &c, 1);
			if (r > 0 || (r < 0 && errno != ECONNRESET))
				die("read");
		}
		close_reset(fd);
	}
	return 0;
}

static int connect_burst(const char *dst, int port, long n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct pollfd *fds;
	long i;

	if (!inet_aton(dst, &to.sin_addr) || n < 1 || !(fds = calloc(n, sizeof(*fds))))
		return 2;
	for (i = 0; i < n; i++) {
		fds[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		fds[i].events = POLLIN;
		if (fds[i].fd < 0)
			die("socket");
		if (connect(fds[i].fd, (struct sockaddr *)&to, sizeof(to)) && errno != EINPROGRESS)
			die("connect");
	}
	/* The server's reset makes each readable. */
	for (i = 0; i < n; i++) {
		if (poll(&fds[i], 1, 60000) != 1) {
			fprintf(stderr, "connection %ld: no reset from the server\n", i);
			return 1;
		}
		close_reset(fds[i].fd);
	}
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]), atol(argv[3]), argv[4]);
	if (argc == 5 && !strcmp(argv[1], "connect"))
		return connect_many(argv[2], atoi(argv[3]), atol(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "burst"))
		return connect_burst(argv[2], atoi(argv[3]), atol(argv[4]));
	fprintf(stderr, "usage: toa-churn serve PORT N CLIENT | connect|burst DST PORT N\n");
	return 2;
}
