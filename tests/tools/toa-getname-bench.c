// SPDX-License-Identifier: GPL-2.0
/*
 * toa-getname-bench CALLS CONNS: the cost of accept() and getpeername() on
 * sockets without TOA, over loopback. Prints two lines:
 *   getpeername NS    nanoseconds per getpeername() on an accepted socket
 *   accept RATE       connect + accept(addr) + close per second
 * Each is the best of BATCHES batches: under TCG a batch that another
 * vCPU or the host interrupted says nothing about the code measured.
 *
 * toa-getname-bench --icount CALLS CONNS: the same two loops, once each,
 * each between two markers (toa-mark.h) for the icount plugin of
 * tests/bench-icount, which counts the guest instructions in between;
 * prints nothing.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "toa-mark.h"

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

/* @n calls of @step between two markers, for the icount plugin. */
static void marked(void (*step)(void), long n)
{
	long i;

	toa_mark();
	for (i = 0; i < n; i++)
		step();
	toa_mark();
}

int main(int argc, char **argv)
{
	socklen_t len = sizeof(addr);
	long calls, conns;
	int cfd, icount = 0;

	if (argc == 4 && !strcmp(argv[1], "--icount")) {
		icount = 1;
		argc--, argv++;
	}
	if (argc != 3 || (calls = atol(argv[1])) < BATCHES ||
	    (conns = atol(argv[2])) < BATCHES) {
		fprintf(stderr, "usage: toa-getname-bench [--icount] CALLS CONNS\n");
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
	if (icount) {
		marked(one_getpeername, calls);
		close(afd);
		close(cfd);
		marked(one_accept, conns);
		return 0;
	}
	printf("getpeername %.1f\n", best_of(one_getpeername, calls) * 1e9);
	close(afd);
	close(cfd);
	printf("accept %.1f\n", 1 / best_of(one_accept, conns));
	return 0;
}
