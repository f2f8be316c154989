// SPDX-License-Identifier: GPL-2.0
/*
 * toa-peer: a tiny TCP server/client showing which addresses an application
 * sees, so tests can check what xt_TOA makes accept(), getpeername() and
 * getsockname() return.
 *
 *   toa-peer serve [--v4|--dual|--v6only] [--blocking] [--rst] PORT
 *   toa-peer ask  [--sport P] [--timeout S] [--rst] HOST PORT
 *   toa-peer hold [--sport P] [--timeout S] [--rst] HOST PORT
 *
 * --rst: every close of a connection aborts it (SO_LINGER 0: a RST, no
 * FIN, no TIME_WAIT), as nginx's reset_timedout_connection does; serve
 * closes a connection so when its client sends anything.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Stays below the usual 1024 descriptor limit so accept4() cannot hit EMFILE. */
#define MAX_CONNS 512
#define ADDRSTRLEN (INET6_ADDRSTRLEN + 8)	/* "[" addr "]:" port */
#define LINE_MAX_LEN 512

__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("toa-peer: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

__attribute__((noreturn))
static void usage(void)
{
	fputs("usage: toa-peer serve [--v4|--dual|--v6only] [--blocking] [--rst] PORT\n"
	      "       toa-peer ask  [--sport P] [--timeout S] [--rst] HOST PORT\n"
	      "       toa-peer hold [--sport P] [--timeout S] [--rst] HOST PORT\n",
	      stderr);
	exit(2);
}

static unsigned long parse_num(const char *s, unsigned long max, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		die("bad %s: %s", what, s);
	return v;
}

/* IPv6 in brackets, so a v4-mapped peer shows as [::ffff:1.2.3.4]:80. */
static const char *fmt_addr(const struct sockaddr_storage *ss, char *out)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(out, ADDRSTRLEN, "%s:%u", a, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(out, ADDRSTRLEN, "[%s]:%u", a, ntohs(sin6->sin6_port));
	} else {
		snprintf(out, ADDRSTRLEN, "family%u", ss->ss_family);
	}
	return out;
}

static const char *fmt_name(int fd, int peer, char *out)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		     : getsockname(fd, (struct sockaddr *)&ss, &len);

	if (r < 0) {
		snprintf(out, ADDRSTRLEN, "error:%s", strerror(errno));
		return out;
	}
	return fmt_addr(&ss, out);
}

/*
 * Replies are a few dozen bytes, so a send that does not go through at once
 * means a client that stopped reading: the caller drops it rather than block
 * the other connections.
 */
static int send_line(int fd, const char *line)
{
	size_t n = strlen(line);

	printf("%s", line);
	fflush(stdout);
	return send(fd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n ? 0 : -1;
}

/* --rst: closing @fd aborts the connection with a RST. */
static void abort_on_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		die("SO_LINGER: %s", strerror(errno));
}

/* ---- serve ---------------------------------------------------------- */

enum serve_mode { MODE_V4, MODE_DUAL, MODE_V6ONLY };

static int listen_socket(enum serve_mode mode, unsigned port, int blocking)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int one = 1, fd;

	if (mode == MODE_V4) {
		struct sockaddr_in *sin = (void *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (void *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
		    (blocking ? 0 : SOCK_NONBLOCK), 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (mode != MODE_V4) {
		int v6only = mode == MODE_V6ONLY;

		/* Set explicitly: the default follows net.ipv6.bindv6only. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
			die("IPV6_V6ONLY: %s", strerror(errno));
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die("bind port %u: %s", port, strerror(errno));
	if (listen(fd, 128) < 0)
		die("listen: %s", strerror(errno));
	return fd;
}

static int serve_accept(int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char line[LINE_MAX_LEN], a[ADDRSTRLEN], p[ADDRSTRLEN], l[ADDRSTRLEN];
	int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		/* Aborted handshakes and the like must not stop the server. */
		if (errno != EAGAIN && errno != EINTR)
			fprintf(stderr, "toa-peer: accept4: %s\n", strerror(errno));
		return -1;
	}
	snprintf(line, sizeof(line), "accept=%s peer=%s local=%s\n",
		 fmt_addr(&ss, a), fmt_name(fd, 1, p), fmt_name(fd, 0, l));
	if (send_line(fd, line) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One "peer=" reply per newline received; returns -1 when fd should close. */
static int serve_read(int fd)
{
	char buf[4096], line[LINE_MAX_LEN], p[ADDRSTRLEN];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	for (ssize_t i = 0; i < n; i++) {
		int inet = AF_INET;

		/* "A": turn the AF_INET6 socket into AF_INET (IPV6_ADDRFORM). */
		if (buf[i] == 'A' &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_ADDRFORM, &inet, sizeof(inet)) < 0)
			fprintf(stderr, "toa-peer: IPV6_ADDRFORM: %s\n", strerror(errno));
		/* "K": kTLS takes the socket (TCP_ULP "tls", no keys: plain). */
		if (buf[i] == 'K' &&
		    setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) < 0)
			fprintf(stderr, "toa-peer: TCP_ULP tls: %s\n", strerror(errno));
		/* "U": a TCP_ULP that fails (no such ULP). */
		if (buf[i] == 'U' &&
		    setsockopt(fd, IPPROTO_TCP, TCP_ULP, "none", sizeof("none")) == 0)
			fprintf(stderr, "toa-peer: TCP_ULP none succeeded\n");
		if (buf[i] != '\n')
			continue;
		snprintf(line, sizeof(line), "peer=%s\n", fmt_name(fd, 1, p));
		if (send_line(fd, line) < 0)
			return -1;
	}
	return 0;
}

static int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "v4", no_argument, NULL, '4' },
		{ "dual", no_argument, NULL, 'd' },
		{ "v6only", no_argument, NULL, '6' },
		{ "blocking", no_argument, NULL, 'b' },
		{ "rst", no_argument, NULL, 'r' },
		{ 0 }
	};
	struct pollfd pfd[MAX_CONNS + 1];
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char a[ADDRSTRLEN];
	enum serve_mode mode = MODE_V4;
	int nconn = 0, blocking = 0, rst = 0, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case '4': mode = MODE_V4; break;
		case 'd': mode = MODE_DUAL; break;
		case '6': mode = MODE_V6ONLY; break;
		case 'b': blocking = 1; break;
		case 'r': rst = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();

	pfd[0].fd = listen_socket(mode, parse_num(argv[optind], 65535, "port"),
				  blocking);
	pfd[0].events = POLLIN;
	/* Tells a test the socket is ready, and the port when PORT was 0. */
	getsockname(pfd[0].fd, (struct sockaddr *)&ss, &sslen);
	printf("listen=%s\n", fmt_addr(&ss, a));
	fflush(stdout);

	/*
	 * --blocking: sleep in accept() between connections, as threaded
	 * servers do, and answer each connection with its first line only.
	 */
	while (blocking) {
		int fd = serve_accept(pfd[0].fd);

		if (fd < 0)
			continue;
		if (rst)
			abort_on_close(fd);
		close(fd);
	}
	for (;;) {
		/* At the limit, leave new connections queued in the backlog. */
		pfd[0].events = nconn < MAX_CONNS ? POLLIN : 0;
		if (poll(pfd, nconn + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		for (int i = 1; i <= nconn; i++) {
			if (!pfd[i].revents)
				continue;
			if (rst || serve_read(pfd[i].fd) < 0) {
				close(pfd[i].fd);
				pfd[i--] = pfd[nconn--];
			}
		}
		if (pfd[0].revents & POLLIN) {
			int fd = serve_accept(pfd[0].fd);

			if (fd >= 0) {
				if (rst)
					abort_on_close(fd);
				nconn++;
				pfd[nconn].fd = fd;
				pfd[nconn].events = POLLIN;
				pfd[nconn].revents = 0;
			}
		}
	}
}

/* ---- ask / hold ----------------------------------------------------- */

static struct timespec deadline_in(unsigned secs)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += secs;
	return t;
}

/* Waits for events on fd until the deadline; dies on timeout. */
static void wait_fd(int fd, short events, struct timespec deadline, const char *what)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		struct timespec now;
		long ms;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (deadline.tv_sec - now.tv_sec) * 1000 +
		     (deadline.tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0)
			die("timeout waiting for %s", what);
		r = poll(&p, 1, ms);
		if (r > 0)
			return;
		if (r < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
	}
}

static int client_connect(const char *host, const char *port, int sport,
			  struct timespec deadline)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		/* Test namespaces have no resolver; names would only hang. */
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	}, *ai;
	int fd, r, err;
	socklen_t len = sizeof(err);

	r = getaddrinfo(host, port, &hints, &ai);
	if (r)
		die("%s %s: %s", host, port, gai_strerror(r));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (sport >= 0) {
		struct sockaddr_storage ss = { .ss_family = ai->ai_family };
		int one = 1;

		/* Port at the same offset in sockaddr_in and sockaddr_in6. */
		((struct sockaddr_in *)&ss)->sin_port = htons(sport);
		/* Lets a test reuse a source port whose last connection is closing. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, ai->ai_addrlen) < 0)
			die("bind source port %d: %s", sport, strerror(errno));
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		die("connect %s %s: %s", host, port, strerror(errno));
	freeaddrinfo(ai);
	wait_fd(fd, POLLOUT, deadline, "connect");
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
		die("connect %s %s: %s", host, port, strerror(err));
	/* Non-blocking only for the connect timeout; reads poll anyway. */
	fcntl(fd, F_SETFL, 0);
	return fd;
}

struct linebuf {
	char buf[LINE_MAX_LEN];
	size_t len;
};

/* Reads one '\n'-terminated line from the server into out (NUL-terminated). */
static void read_line(int fd, struct linebuf *lb, char *out, unsigned timeout)
{
	struct timespec deadline = deadline_in(timeout);

	for (;;) {
		char *nl = memchr(lb->buf, '\n', lb->len);
		ssize_t n;

		if (nl) {
			size_t l = nl - lb->buf + 1;

			memcpy(out, lb->buf, l);
			out[l] = '\0';
			memmove(lb->buf, nl + 1, lb->len - l);
			lb->len -= l;
			return;
		}
		if (lb->len == sizeof(lb->buf) - 1)
			die("line from server too long");
		wait_fd(fd, POLLIN, deadline, "a line from the server");
		n = recv(fd, lb->buf + lb->len, sizeof(lb->buf) - 1 - lb->len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			die("recv: %s", strerror(errno));
		if (n == 0)
			die("connection closed by the server");
		lb->len += n;
	}
}

static int cmd_client(int argc, char **argv, int hold)
{
	static const struct option opts[] = {
		{ "sport", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "rst", no_argument, NULL, 'r' },
		{ 0 }
	};
	static struct linebuf lb;
	char line[LINE_MAX_LEN], *in = NULL;
	size_t insz = 0;
	unsigned timeout = 10;
	int sport = -1, rst = 0, fd, c;
	ssize_t n;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': sport = parse_num(optarg, 65535, "source port"); break;
		case 't': timeout = parse_num(optarg, 86400, "timeout"); break;
		case 'r': rst = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 2)
		usage();

	fd = client_connect(argv[optind], argv[optind + 1], sport, deadline_in(timeout));
	/* Also when it dies waiting, the socket goes at once. */
	if (rst)
		abort_on_close(fd);
	read_line(fd, &lb, line, timeout);
	fputs(line, stdout);
	fflush(stdout);	/* A coproc reader waits for each line. */
	if (!hold)
		return 0;

	while ((n = getline(&in, &insz, stdin)) > 0) {
		if (in[n - 1] != '\n')
			in[n++] = '\n';	/* getline leaves room for the NUL */
		if (send(fd, in, n, MSG_NOSIGNAL) != n)
			die("send: %s", strerror(errno));
		read_line(fd, &lb, line, timeout);
		fputs(line, stdout);
		fflush(stdout);
	}
	free(in);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	/* Subcommand options start after the subcommand word. */
	if (!strcmp(argv[1], "serve"))
		return cmd_serve(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ask"))
		return cmd_client(argc - 1, argv + 1, 0);
	if (!strcmp(argv[1], "hold"))
		return cmd_client(argc - 1, argv + 1, 1);
	usage();
}
