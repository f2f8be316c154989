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

static struct sockaddr_in addr = { .sin_family = AF_INET };
static int lfd, afd;

static void one_getpeername(void)
{
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);

	if (getpeername(afd, (struct sockaddr *)&peer, &plen))
		die("getpeername");
}

static void one_accept(void)
{
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int cfd, fd;

	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&addr, sizeof(addr)))
		die("connect");
	fd = accept(lfd, (struct sockaddr *)&peer, &plen);
	if (fd < 0)
		die("accept");
	close(fd);
	close(cfd);
}

/* Seconds per call of @step: the best of BATCHES batches of @n / BATCHES. */
static double best_of(void (*step)(void), long n)
{
	double t, best = 0;
	long i;
	int b;

	for (b = 0; b < BATCHES; b++) {
		t = now();
		for (i = 0; i < n / BATCHES; i++)
			step();
		t = now() - t;
		best = b ? (t < best ? t : best) : t;
	}
	return best / (n / BATCHES);
}

int main(int argc, char **argv)
{
	socklen_t len = sizeof(addr);
	long calls, conns;
	int cfd;

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
	printf("getpeername %.1f\n", best_of(one_getpeername, calls) * 1e9);
	close(afd);
	close(cfd);
	printf("accept %.1f\n", 1 / best_of(one_accept, conns));
	return 0;
}
