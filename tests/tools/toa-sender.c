// SPDX-License-Identifier: GPL-2.0
/*
 * toa-sender: emulates an L4 proxy that inserts a TOA into the TCP packets
 * it forwards.  Meant for an NFQUEUE rule in mangle FORWARD of the proxy's
 * namespace, after DNAT and before SNAT, so a queued packet still carries the
 * real client's address and port as its source.
 *
 *   toa-sender --queue N [--syn SPEC] [--ack SPEC] [--addr IP] [--port P]
 *              [--count-file F]
 *
 * One line per modified packet goes to stdout; anything left unchanged for
 * a reason is reported on stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "toa-insert.h"

#define QUEUE_MAXLEN	1024
#define RCVBUF_SIZE	(4 << 20)

static struct toa_config cfg = { .port = -1 };
static const char *count_file;
static volatile sig_atomic_t stop;

/* Packets by result, and overflows of the netlink socket. */
static unsigned long queued, count[TOA_MALFORMED + 1], enobufs;

__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("toa-sender: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

__attribute__((noreturn))
static void usage(void)
{
	fputs("usage: toa-sender --queue N [--syn SPEC] [--ack SPEC] [--addr IP]\n"
	      "                  [--port P] [--count-file F]\n"
	      "SPEC: none | 200 | 254 | 253 | 254v6 | 253v6 | raw:HEX\n"
	      "      HEX may hold {port}, {addr4}, {addr6}, e.g. raw:c808{port}{addr4}\n",
	      stderr);
	exit(2);
}

static const char *counts_line(void)
{
	static char line[256];

	snprintf(line, sizeof(line),
		 "queued=%lu modified=%lu unchanged=%lu nospace=%lu noaddr=%lu malformed=%lu enobufs=%lu\n",
		 queued, count[TOA_MODIFIED], count[TOA_UNCHANGED], count[TOA_NOSPACE],
		 count[TOA_NOADDR], count[TOA_MALFORMED], enobufs);
	return line;
}

/* Written whole and renamed, so a test reading it never sees half a line. */
static void write_counts(void)
{
	char tmp[4096];
	FILE *f;

	if (!count_file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", count_file);
	f = fopen(tmp, "w");
	if (!f || fputs(counts_line(), f) < 0 || fclose(f) || rename(tmp, count_file))
		fprintf(stderr, "toa-sender: %s: %s\n", count_file, strerror(errno));
}

static const char *fmt_ep(const struct toa_info *in, const uint8_t *addr,
			  unsigned int port, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(in->family == 4 ? AF_INET : AF_INET6, addr, a, sizeof(a));
	snprintf(out, size, in->family == 4 ? "%s:%u" : "[%s]:%u", a, port);
	return out;
}

/* Modified packets on stdout; those left unchanged for a reason on stderr. */
static void report(enum toa_result res, const struct toa_info *in, uint32_t id, int oldlen)
{
	static const char *const why[] = {
		[TOA_NOSPACE] = "no room in the TCP options",
		[TOA_NOADDR] = "{addr4} needs an IPv4 client: give --addr",
	};
	char src[INET6_ADDRSTRLEN + 8], dst[INET6_ADDRSTRLEN + 8], hex[2 * TOA_OPT_SPACE + 1];

	if (res == TOA_UNCHANGED)
		return;
	if (res == TOA_MALFORMED) {
		fprintf(stderr, "toa-sender: packet %u (%d bytes) malformed, left unchanged\n",
			id, oldlen);
		return;
	}
	for (size_t i = 0; i < in->optlen; i++)
		sprintf(hex + 2 * i, "%02x", in->opt[i]);
	hex[2 * in->optlen] = '\0';
	fmt_ep(in, in->saddr, in->sport, src, sizeof(src));
	fmt_ep(in, in->daddr, in->dport, dst, sizeof(dst));
	if (res == TOA_MODIFIED) {
		printf("%s %s > %s toa=%s len=%d->%zu\n", in->syn ? "syn" : "ack",
		       src, dst, hex, oldlen, in->len);
		fflush(stdout);
	} else {
		fprintf(stderr, "toa-sender: %s %s > %s toa=%s left unchanged: %s\n",
			in->syn ? "syn" : "ack", src, dst, hex, why[res]);
	}
}

/*
 * Handshakes whose SYN went through and whose ACK has not yet: the --ack TOA
 * goes into the first other packet of the connection only, as a proxy
 * writes it into the handshake ACK however often the SYN was retransmitted.
 * A slot is overwritten by a later SYN that hashes to it; the tests never
 * have that many handshakes open at once.
 */
#define PENDING_SLOTS	4096

struct flow {
	int family;
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
};

static struct flow pending[PENDING_SLOTS];

static struct flow *pending_slot(const struct toa_info *in, struct flow *key)
{
	const uint8_t *b = (const uint8_t *)key;
	uint32_t h = 2166136261u;	/* FNV-1a */

	memset(key, 0, sizeof(*key));
	key->family = in->family;
	memcpy(key->saddr, in->saddr, sizeof(key->saddr));
	memcpy(key->daddr, in->daddr, sizeof(key->daddr));
	key->sport = in->sport;
	key->dport = in->dport;
	for (size_t i = 0; i < sizeof(*key); i++)
		h = (h ^ b[i]) * 16777619u;
	return &pending[h % PENDING_SLOTS];
}

static void pending_note(const struct toa_info *in)
{
	struct flow key, *slot = pending_slot(in, &key);

	*slot = key;
}

/* Whether this packet is the ACK of a handshake whose SYN went through. */
static int pending_take(const struct toa_info *in)
{
	struct flow key, *slot = pending_slot(in, &key);

	if (memcmp(slot, &key, sizeof(key)))
		return 0;
	memset(slot, 0, sizeof(*slot));
	return 1;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *nfmsg,
		     struct nfq_data *nfa, void *data)
{
	/* Room for the largest packet plus what an insertion may add. */
	static uint8_t pkt[0xffff + TOA_OPT_SPACE];
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	unsigned char *payload;
	int len = nfq_get_payload(nfa, &payload);
	enum toa_result res = TOA_MALFORMED;
	struct toa_info info;
	uint32_t id;
	int r;

	(void)nfmsg;
	(void)data;
	if (!ph)
		return 0;
	id = ntohl(ph->packet_id);
	memset(&info, 0, sizeof(info));
	if (len > 0 && len <= 0xffff) {
		memcpy(pkt, payload, len);
		res = toa_rewrite(&cfg, pkt, len, sizeof(pkt), &info);
	}
	if (res != TOA_MALFORMED && info.family) {
		if (info.syn)
			pending_note(&info);
		else if (!pending_take(&info))
			res = TOA_UNCHANGED;	/* queued only to keep its order */
	}
	queued++;
	count[res]++;
	report(res, &info, id, len);
	/*
	 * No NFQA_CT attribute goes with the verdict, so the kernel does not
	 * shift the connection's sequence numbers by the length change: options
	 * take no sequence space.
	 */
	if (res == TOA_MODIFIED)
		r = nfq_set_verdict(qh, id, NF_ACCEPT, info.len, pkt);
	else
		r = nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
	if (r < 0)
		fprintf(stderr, "toa-sender: verdict for packet %u: %s\n", id, strerror(errno));
	write_counts();
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void parse_addr(const char *s)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	cfg.has_addr = 1;
	if (inet_pton(AF_INET, s, cfg.addr + 12) == 1)
		memcpy(cfg.addr, v4mapped, sizeof(v4mapped));
	else if (inet_pton(AF_INET6, s, cfg.addr) != 1)
		die("bad --addr: %s", s);
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "syn", required_argument, NULL, 's' },
		{ "ack", required_argument, NULL, 'a' },
		{ "addr", required_argument, NULL, 'A' },
		{ "port", required_argument, NULL, 'p' },
		{ "count-file", required_argument, NULL, 'c' },
		{ 0 }
	};
	static char buf[0xffff + 4096];	/* a whole packet plus netlink headers */
	struct sigaction sa = { .sa_handler = on_signal };
	struct nfq_q_handle *qh;
	struct nfq_handle *h;
	sigset_t block, orig;
	long queue = -1;
	int fd, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'q': queue = parse_num(optarg, 65535, "--queue"); break;
		case 's':
			if (toa_spec_parse(optarg, &cfg.syn))
				die("bad --syn SPEC: %s", optarg);
			break;
		case 'a':
			if (toa_spec_parse(optarg, &cfg.ack))
				die("bad --ack SPEC: %s", optarg);
			break;
		case 'A': parse_addr(optarg); break;
		case 'p': cfg.port = parse_num(optarg, 65535, "--port"); break;
		case 'c': count_file = optarg; break;
		default: usage();
		}
	}
	if (queue < 0 || optind != argc)
		usage();

	/*
	 * Signals stay blocked except inside ppoll(), so a SIGTERM cannot slip
	 * in between the stop check and the wait.  No SA_RESTART: ppoll returns.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	h = nfq_open();
	if (!h)
		die("nfq_open: %s", strerror(errno));
	qh = nfq_create_queue(h, queue, on_packet, NULL);
	if (!qh)
		die("queue %ld: %s (is another program bound to it?)", queue, strerror(errno));
	/*
	 * Whole packets.  NFQA_CFG_F_GSO stays unset so the kernel completes
	 * checksums and segments GSO packets before queueing them.
	 */
	if (nfq_set_mode(qh, NFQNL_COPY_PACKET, 0xffff) < 0)
		die("nfq_set_mode: %s", strerror(errno));
	if (nfq_set_queue_maxlen(qh, QUEUE_MAXLEN) < 0)
		die("nfq_set_queue_maxlen: %s", strerror(errno));
	nfnl_rcvbufsiz(nfq_nfnlh(h), RCVBUF_SIZE);
	fd = nfq_fd(h);
	/* Tests wait for the count file or this line before connecting. */
	write_counts();
	fprintf(stderr, "toa-sender: bound to queue %ld\n", queue);

	while (!stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (ppoll(&p, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			die("ppoll: %s", strerror(errno));
		}
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			/* The socket overflowed: the kernel dropped packets, go on. */
			if (errno == ENOBUFS) {
				enobufs++;
				fprintf(stderr, "toa-sender: ENOBUFS: the kernel dropped queued packets\n");
				write_counts();
				continue;
			}
			if (errno == EAGAIN || errno == EINTR)
				continue;
			die("recv: %s", strerror(errno));
		}
		nfq_handle_packet(h, buf, n);
	}

	nfq_destroy_queue(qh);
	nfq_close(h);
	write_counts();
	fprintf(stderr, "toa-sender: exiting: %s", counts_line());
	return 0;
}
