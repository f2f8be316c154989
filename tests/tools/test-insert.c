// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of toa_rewrite() on packets captured from Linux over loopback
 * (their TCP checksums completed, as loopback leaves them partial).
 * Checksums are checked with a separate implementation over an explicit
 * pseudo-header, and every byte outside the inserted option is compared.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toa-insert.h"

/* 127.0.0.1:59122 > 127.0.0.1:5555 SYN, options mss,sackOK,TS,nop,wscale. */
static const uint8_t syn4[] = {
	0x45, 0x00, 0x00, 0x3c, 0x41, 0x8e, 0x40, 0x00, 0x40, 0x06, 0xfb, 0x2b, 0x7f, 0x00, 0x00, 0x01,
	0x7f, 0x00, 0x00, 0x01, 0xe6, 0xf2, 0x15, 0xb3, 0xea, 0xac, 0x76, 0x5d, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x02, 0xff, 0xd7, 0xb2, 0x67, 0x00, 0x00, 0x02, 0x04, 0xff, 0xd7, 0x04, 0x02, 0x08, 0x0a,
	0x74, 0x69, 0xcb, 0x7d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};

/* Same connection, PSH|ACK with nop,nop,TS and 2 bytes of data "x\n". */
static const uint8_t ack4[] = {
	0x45, 0x00, 0x00, 0x36, 0x41, 0x91, 0x40, 0x00, 0x40, 0x06, 0xfb, 0x2e, 0x7f, 0x00, 0x00, 0x01,
	0x7f, 0x00, 0x00, 0x01, 0xe6, 0xf2, 0x15, 0xb3, 0xea, 0xac, 0x76, 0x5e, 0x8f, 0xac, 0xdb, 0x65,
	0x80, 0x18, 0x00, 0x40, 0x24, 0xdd, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x74, 0x69, 0xcb, 0x7d,
	0x59, 0xd2, 0x79, 0x0c, 0x78, 0x0a,
};

/* [::1]:49430 > [::1]:5556 SYN. */
static const uint8_t syn6[] = {
	0x60, 0x07, 0x97, 0xb3, 0x00, 0x28, 0x06, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc1, 0x16, 0x15, 0xb4, 0x9d, 0x7c, 0x14, 0x12,
	0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xff, 0xc4, 0xb2, 0x2c, 0x00, 0x00, 0x02, 0x04, 0xff, 0xc4,
	0x04, 0x02, 0x08, 0x0a, 0x9d, 0xcf, 0x75, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};

/* Same connection, PSH|ACK with "x\n". */
static const uint8_t ack6[] = {
	0x60, 0x07, 0x97, 0xb3, 0x00, 0x22, 0x06, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc1, 0x16, 0x15, 0xb4, 0x9d, 0x7c, 0x14, 0x13,
	0xc4, 0x69, 0xbc, 0x94, 0x80, 0x18, 0x00, 0x40, 0xea, 0xb8, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a,
	0x9d, 0xcf, 0x75, 0xd1, 0x45, 0x67, 0xb1, 0x4d, 0x78, 0x0a,
};

static int failures, checks;

__attribute__((format(printf, 2, 3)))
static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		return;
	failures++;
	fputs("FAIL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* RFC 1071 sum of a byte string, as 64-bit accumulation of 16-bit words. */
static uint16_t ones_sum(const uint8_t *p, size_t n)
{
	unsigned long long s = 0;

	for (size_t i = 0; i < n; i++)
		s += (i & 1) ? p[i] : (unsigned int)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static size_t ip_hlen(const uint8_t *p)
{
	return p[0] >> 4 == 4 ? (size_t)(p[0] & 15) * 4 : 40;
}

/* Verifies the IPv4 header and TCP checksums of a whole packet. */
static int csums_ok(const uint8_t *p, size_t len)
{
	static uint8_t buf[40 + 0x10000];
	size_t hl = ip_hlen(p), tl = len - hl, ph;

	if (p[0] >> 4 == 4) {
		if (ones_sum(p, hl) != 0xffff)
			return 0;
		/* saddr, daddr, zero, protocol, TCP length */
		memcpy(buf, p + 12, 8);
		buf[8] = 0;
		buf[9] = 6;
		buf[10] = tl >> 8;
		buf[11] = tl;
		ph = 12;
	} else {
		/* saddr, daddr, 32-bit TCP length, 3 zeros, next header */
		memcpy(buf, p + 8, 32);
		memset(buf + 32, 0, 8);
		buf[34] = tl >> 8;
		buf[35] = tl;
		buf[39] = 6;
		ph = 40;
	}
	memcpy(buf + ph, p + hl, tl);
	return ones_sum(buf, ph + tl) == 0xffff;
}

static size_t from_hex(const char *s, uint8_t *out)
{
	size_t n = 0;

	for (; s[0] && s[1]; s += 2)
		sscanf(s, "%2hhx", &out[n++]);
	return n;
}

static struct toa_config config(const char *syn, const char *ack)
{
	struct toa_config c = { .port = -1 };

	if (toa_spec_parse(syn, &c.syn) || toa_spec_parse(ack, &c.ack)) {
		fprintf(stderr, "bad spec in test: %s / %s\n", syn, ack);
		exit(2);
	}
	return c;
}

/*
 * Applies cfg to a copy of orig and checks that exactly want_hex was
 * inserted after the old options, zero-padded, with everything else kept.
 */
static void expect_insert(const char *name, const struct toa_config *cfg,
			  const uint8_t *orig, size_t len, const char *want_hex)
{
	static uint8_t pkt[0x10000 + TOA_OPT_SPACE];
	uint8_t want[TOA_OPT_SPACE];
	size_t wn = from_hex(want_hex, want), add = (wn + 3) & ~(size_t)3;
	size_t hl = ip_hlen(orig), th = (orig[hl + 12] >> 4) * 4;
	struct toa_info info;
	enum toa_result r;
	const uint8_t *t;

	memcpy(pkt, orig, len);
	r = toa_rewrite(cfg, pkt, len, sizeof(pkt), &info);
	check(r == TOA_MODIFIED, "%s: result %d", name, r);
	if (r != TOA_MODIFIED)
		return;
	check(info.len == len + add, "%s: length %zu, want %zu", name, info.len, len + add);
	check(info.optlen == wn && !memcmp(info.opt, want, wn), "%s: info.opt", name);
	if (orig[0] >> 4 == 4) {
		check((size_t)(pkt[2] << 8 | pkt[3]) == len + add, "%s: IPv4 total length", name);
		/* The rest of the IPv4 header but length and checksum. */
		check(!memcmp(pkt, orig, 2) && !memcmp(pkt + 4, orig + 4, 6) &&
		      !memcmp(pkt + 12, orig + 12, hl - 12), "%s: IPv4 header changed", name);
	} else {
		check((size_t)(pkt[4] << 8 | pkt[5]) == len + add - 40, "%s: IPv6 payload length", name);
		check(!memcmp(pkt, orig, 4) && !memcmp(pkt + 6, orig + 6, 34),
		      "%s: IPv6 header changed", name);
	}
	t = pkt + hl;
	check((size_t)(t[12] >> 4) * 4 == th + add, "%s: data offset %u", name, t[12] >> 4);
	check((t[12] & 15) == (orig[hl + 12] & 15) && !memcmp(t, orig + hl, 12) &&
	      !memcmp(t + 13, orig + hl + 13, 3) && !memcmp(t + 18, orig + hl + 18, th - 18),
	      "%s: TCP header or old options changed", name);
	check(!memcmp(t + th, want, wn), "%s: inserted bytes", name);
	for (size_t i = wn; i < add; i++)
		check(t[th + i] == 0, "%s: padding byte %zu not EOL", name, i);
	check(!memcmp(t + th + add, orig + hl + th, len - hl - th), "%s: payload changed", name);
	check(csums_ok(pkt, info.len), "%s: bad checksum", name);
}

static void expect_result(const char *name, const struct toa_config *cfg,
			  const uint8_t *orig, size_t len, enum toa_result want)
{
	static uint8_t pkt[0x10000 + TOA_OPT_SPACE];
	struct toa_info info;
	enum toa_result r;

	memcpy(pkt, orig, len);
	r = toa_rewrite(cfg, pkt, len, sizeof(pkt), &info);
	check(r == want, "%s: result %d, want %d", name, r, want);
	check(!memcmp(pkt, orig, len) && info.len == len, "%s: packet changed", name);
}

struct fixture {
	const char *name;
	const uint8_t *pkt;
	size_t len;
	int syn;
};

static const struct fixture fixtures[] = {
	{ "syn4", syn4, sizeof(syn4), 1 },
	{ "ack4", ack4, sizeof(ack4), 0 },
	{ "syn6", syn6, sizeof(syn6), 1 },
	{ "ack6", ack6, sizeof(ack6), 0 },
};

/* Expected bytes for the fixtures' client: 127.0.0.1:59122 and [::1]:49430. */
static const struct {
	const char *spec, *v4, *v6;	/* v6 NULL: needs an IPv4 client */
} cases[] = {
	{ "200", "c808e6f27f000001", NULL },
	{ "254", "fe08e6f27f000001", NULL },
	{ "253", "fd08e6f27f000001", NULL },
	{ "254v6", "fe14e6f200000000000000000000ffff7f000001",
		   "fe14c11600000000000000000000000000000001" },
	{ "253v6", "fd14e6f200000000000000000000ffff7f000001",
		   "fd14c11600000000000000000000000000000001" },
	{ "raw:c808{port}{addr4}", "c808e6f27f000001", NULL },
	{ "raw:c800", "c800", "c800" },
	{ "raw:c807{port}{addr4}", "c807e6f27f000001", NULL },
	{ "raw:00c808{port}{addr4}", "00c808e6f27f000001", NULL },
	{ "raw:FE{port}", "fee6f2", "fec116" },
};

static void test_specs(void)
{
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		const struct fixture *fx = &fixtures[f];

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct toa_config c = fx->syn ? config(cases[i].spec, "none")
						      : config("none", cases[i].spec);
			const char *want = fx->pkt[0] >> 4 == 4 ? cases[i].v4 : cases[i].v6;
			char name[128];

			snprintf(name, sizeof(name), "%s %s", fx->name, cases[i].spec);
			if (want)
				expect_insert(name, &c, fx->pkt, fx->len, want);
			else
				expect_result(name, &c, fx->pkt, fx->len, TOA_NOADDR);
		}
	}
}

static void test_selection(void)
{
	struct toa_config syn_only = config("200", "none"), ack_only = config("none", "200");
	uint8_t synack[sizeof(syn4)];

	expect_result("ack4 with --syn only", &syn_only, ack4, sizeof(ack4), TOA_UNCHANGED);
	expect_result("syn4 with --ack only", &ack_only, syn4, sizeof(syn4), TOA_UNCHANGED);
	/* A SYN|ACK is no client SYN: it gets the --ack spec. */
	memcpy(synack, syn4, sizeof(syn4));
	synack[20 + 13] |= 0x10;
	expect_result("synack with --syn only", &syn_only, synack, sizeof(synack), TOA_UNCHANGED);
	expect_insert("synack with --ack only", &ack_only, synack, sizeof(synack), "c808e6f27f000001");
}

static void test_overrides(void)
{
	struct toa_config c = config("200", "254v6");

	c.port = 4242;
	c.has_addr = 1;
	from_hex("00000000000000000000ffff0a010203", c.addr);	/* 10.1.2.3 */
	expect_insert("syn6 --addr 10.1.2.3 --port 4242", &c, syn6, sizeof(syn6),
		      "c80810920a010203");
	expect_insert("ack4 --addr 10.1.2.3 --port 4242", &c, ack4, sizeof(ack4),
		      "fe14109200000000000000000000ffff0a010203");
	c = config("254v6", "200");
	c.has_addr = 1;
	from_hex("20010db8000000000000000000000001", c.addr);	/* 2001:db8::1 */
	expect_insert("syn4 --addr 2001:db8::1", &c, syn4, sizeof(syn4),
		      "fe14e6f220010db8000000000000000000000001");
	expect_result("ack4 200 --addr 2001:db8::1", &c, ack4, sizeof(ack4), TOA_NOADDR);
}

static void test_space(void)
{
	static uint8_t pkt[0x10000 + TOA_OPT_SPACE];
	struct toa_config v6 = config("254v6", "none"), v4 = config("200", "none");
	struct toa_config big = config("raw:fe15{port}{addr6}01", "none");
	struct toa_info info;
	/* 20 bytes of options + 20 fill the 40 exactly. */
	size_t len = sizeof(syn6);

	memcpy(pkt, syn6, len);
	check(toa_rewrite(&v6, pkt, len, sizeof(pkt), &info) == TOA_MODIFIED && info.len == len + 20 &&
	      pkt[40 + 12] >> 4 == 15, "syn6 254v6: options not full at 40 bytes");
	expect_result("full options + 254v6", &v6, pkt, info.len, TOA_NOSPACE);
	/* 20 + 21 bytes pads to 44. */
	expect_result("syn4 + 21 bytes", &big, syn4, sizeof(syn4), TOA_NOSPACE);
	/* The buffer must have room for the growth. */
	memcpy(pkt, syn4, sizeof(syn4));
	check(toa_rewrite(&v4, pkt, sizeof(syn4), sizeof(syn4) + 7, &info) == TOA_NOSPACE &&
	      !memcmp(pkt, syn4, sizeof(syn4)), "short buffer not refused");
}

static void test_bad_packets(void)
{
	struct toa_config c = config("200", "200");
	uint8_t p[sizeof(ack4)];

	expect_result("truncated", &c, ack4, sizeof(ack4) - 1, TOA_MALFORMED);
	expect_result("truncated v6", &c, ack6, sizeof(ack6) - 1, TOA_MALFORMED);
	expect_result("empty", &c, ack4, 0, TOA_MALFORMED);
	memcpy(p, ack4, sizeof(p));
	p[6] |= 0x20;	/* more fragments */
	expect_result("fragment", &c, p, sizeof(p), TOA_MALFORMED);
	memcpy(p, ack4, sizeof(p));
	p[9] = 17;
	expect_result("udp", &c, p, sizeof(p), TOA_UNCHANGED);
	memcpy(p, ack4, sizeof(p));
	p[20 + 12] = 0xf0 | (p[20 + 12] & 15);	/* data offset past the end */
	expect_result("bad data offset", &c, p, sizeof(p), TOA_MALFORMED);
}

static void test_parse(void)
{
	static const char *const bad[] = {
		"", "raw:", "raw:c", "raw:c8g8", "raw:{bogus}", "raw:{port", "201", "254V6", "raw:c8 08",
		/* 41 bytes */
		"raw:{addr6}{addr6}{addr4}{port}00c8c8",
	};
	struct toa_spec s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check(toa_spec_parse(bad[i], &s) == -1, "spec \"%s\" accepted", bad[i]);
	check(toa_spec_parse("none", &s) == 0 && s.n == 0, "none");
	check(toa_spec_parse("raw:{addr6}{addr6}{addr4}{port}00c8", &s) == 0 && s.n == 6,
	      "40-byte raw spec refused");
}

int main(void)
{
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++)
		check(csums_ok(fixtures[f].pkt, fixtures[f].len), "fixture %s checksum", fixtures[f].name);
	test_parse();
	test_specs();
	test_selection();
	test_overrides();
	test_space();
	test_bad_packets();
	printf("test-insert: %d passed, %d failed\n", checks - failures, failures);
	return failures != 0;
}
