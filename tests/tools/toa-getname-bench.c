// SPDX-License-Identifier: GPL-2.0
/*
 * toa-getname-bench CALLS CONNS: the cost of accept() and getpeername() on
 * sockets without TOA, over loopback. Prints two lines:
 *   getpeername NS    nanoseconds per getpeername() on an accepted socket
 *   accept RATE       connect + accept(addr) + close per second
 * Each is the best of BATCHES batches: under TCG a batch that another
 * vCPU or the host interrupted says nothing about the code measured.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define BATCHES 10

static void die(const char *what)
{
	perror(what);
	exit(1);
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	long calls, conns, i;
	int lfd, cfd, afd, b;
	double t, best = 0;

	if (argc != 3 || (calls = atol(argv[1])) < BATCHES ||
	    (conns = atol(argv[2])) < BATCHES) {
		fprintf(stderr, "usage: toa-getname-bench CALLS CONNS\n");
		return 2;
	}
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lfd, 128) || getsockname(lfd, (struct sockaddr *)&addr, &len))
		die("listen");

	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&addr, sizeof(addr)))
		die("connect");
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		die("accept");
	for (b = 0; b < BATCHES; b++) {
		t = now();
		for (i = 0; i < calls / BATCHES; i++) {
			struct sockaddr_in peer;
			socklen_t plen = sizeof(peer);

			if (getpeername(afd, (struct sockaddr *)&peer, &plen))
				die("getpeername");
		}
		t = now() - t;
		best = b ? (t < best ? t : best) : t;
	}
	printf("getpeername %.1f\n", best * 1e9 / (calls / BATCHES));
	close(afd);
	close(cfd);

	for (b = 0; b < BATCHES; b++) {
		t = now();
		for (i = 0; i < conns / BATCHES; i++) {
			struct sockaddr_in peer;
			socklen_t plen = sizeof(peer);

			cfd = socket(AF_INET, SOCK_STREAM, 0);
			if (cfd < 0 || connect(cfd, (struct sockaddr *)&addr, sizeof(addr)))
				die("connect");
			afd = accept(lfd, (struct sockaddr *)&peer, &plen);
			if (afd < 0)
				die("accept");
			close(afd);
			close(cfd);
		}
		t = now() - t;
		best = b ? (t < best ? t : best) : t;
	}
	printf("accept %.1f\n", (conns / BATCHES) / best);
	return 0;
}
