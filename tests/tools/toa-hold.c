// SPDX-License-Identifier: GPL-2.0
/*
 * toa-hold: many idle TCP connections, held open cheaply, so that tests
 * can have thousands of TOA sockets at once.
 *
 *   toa-hold serve PORT          accept on 0.0.0.0:PORT and keep everything
 *   toa-hold connect HOST PORT N open N connections (a few in flight at a
 *                                time), print "connected=N failed=M", keep
 *                                them until stdin closes; progress on stderr
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * Handshakes in flight: the proxy's TOA sender is a user-space queue; a
 * burst larger than it keeps up with costs retransmissions (1 s each).
 */
#define IN_FLIGHT 64

static void __attribute__((noreturn)) die(const char *what)
{
	perror(what);
	exit(1);
}

static unsigned long number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v == 0 || v > max) {
		fprintf(stderr, "toa-hold: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static void room_for(unsigned long n)
{
	struct rlimit rl = { n + 64, n + 64 };

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit");
}

static void __attribute__((noreturn)) serve(unsigned short port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd, one = 1;

	room_for(1 << 17);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 4096) < 0)
		die("listen");
	printf("listen=%u\n", port);
	fflush(stdout);
	for (;;)
		if (accept(fd, NULL, NULL) < 0 && errno != EINTR && errno != ECONNABORTED)
			die("accept");
}

static int start(const struct sockaddr_in *to, int ep)
{
	struct epoll_event ev = { .events = EPOLLOUT };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		die("socket");
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0 && errno != EINPROGRESS)
		die("connect");
	ev.data.fd = fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl");
	return fd;
}

static int hold(const char *host, unsigned short port, unsigned long n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	unsigned long started = 0, connected = 0, failed = 0;
	time_t t0 = time(NULL);
	struct epoll_event evs[IN_FLIGHT];
	int ep, i, k, err;
	socklen_t len;
	char c;

	if (inet_pton(AF_INET, host, &to.sin_addr) != 1) {
		fprintf(stderr, "toa-hold: bad IPv4 address %s\n", host);
		return 2;
	}
	room_for(n);
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	for (; started < n && started < IN_FLIGHT; started++)
		start(&to, ep);
	while (connected + failed < n) {
		k = epoll_wait(ep, evs, IN_FLIGHT, 30000);
		if (k <= 0) {
			fprintf(stderr, "toa-hold: stalled at %lu connected\n", connected);
			return 1;
		}
		for (i = 0; i < k; i++) {
			len = sizeof(err);
			getsockopt(evs[i].data.fd, SOL_SOCKET, SO_ERROR, &err, &len);
			epoll_ctl(ep, EPOLL_CTL_DEL, evs[i].data.fd, NULL);
			if (err) {
				failed++;
				close(evs[i].data.fd);
			} else if (++connected % 1000 == 0) {
				fprintf(stderr, "toa-hold: %lu connected, %lu failed, %ld s\n",
					connected, failed, (long)(time(NULL) - t0));
			}
			if (started < n) {
				start(&to, ep);
				started++;
			}
		}
	}
	printf("connected=%lu failed=%lu\n", connected, failed);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return failed != 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		serve((unsigned short)number(argv[2], 65535));
	if (argc == 5 && !strcmp(argv[1], "connect"))
		return hold(argv[2], (unsigned short)number(argv[3], 65535),
			    number(argv[4], 1 << 20));
	fprintf(stderr, "usage: toa-hold serve PORT\n"
		"       toa-hold connect HOST PORT N\n");
	return 2;
}
