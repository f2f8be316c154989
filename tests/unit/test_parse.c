// SPDX-License-Identifier: GPL-2.0
/* Unit tests of kernel/toa_parse.c, built in user space from the same file. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <linux/netfilter/xt_TOA.h>
#include "toa_parse.h"

static int passed, failed;

#define DEF XT_TOA_KINDS_DEFAULT
#define ALL XT_TOA_KINDS_ALL

/* port 0x1f90 (8080), IPv4 198.51.100.7 */
#define V4 0x1f, 0x90, 198, 51, 100, 7
/* port 8080, IPv6 2001:db8::7 */
#define V6 0x1f, 0x90, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7
/* What a Linux client puts in its SYN: MSS, SACK_PERM, TS, NOP, WS */
#define LINUX_SYN 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7

struct tcase {
	const char *name;
	unsigned int kinds;
	unsigned int len;
	unsigned char opts[40];
	enum toa_parse_result want;
	unsigned char want_v6, want_kind;
	unsigned int want_not_toa;
};

static const struct tcase cases[] = {
	{ "no options", DEF, 0, {}, TOA_PARSE_NONE },
	{ "linux syn only", DEF, 20, { LINUX_SYN }, TOA_PARSE_NONE },
	{ "200/8 after linux syn", DEF, 28, { LINUX_SYN, 200, 8, V4 }, TOA_PARSE_FOUND, 0, 200 },
	{ "254/8 first", DEF, 28, { 254, 8, V4, LINUX_SYN }, TOA_PARSE_FOUND, 0, 254 },
	{ "253/8 not trusted by default", DEF, 8, { 253, 8, V4 }, TOA_PARSE_NONE },
	{ "253/8 trusted when asked", ALL, 8, { 253, 8, V4 }, TOA_PARSE_FOUND, 0, 253 },
	{ "200/8 not trusted with kinds 254", XT_TOA_KIND_254, 8, { 200, 8, V4 }, TOA_PARSE_NONE },
	{ "254/20 ipv6", DEF, 20, { 254, 20, V6 }, TOA_PARSE_FOUND, 1, 254 },
	{ "253/20 ipv6", ALL, 20, { 253, 20, V6 }, TOA_PARSE_FOUND, 1, 253 },
	{ "200/20 malformed", DEF, 20, { 200, 20, V6 }, TOA_PARSE_MALFORMED },
	{ "254/6 fast open exp is not toa", DEF, 8, { 254, 6, 0xf9, 0x89, 1, 2, 1, 1 }, TOA_PARSE_NONE, .want_not_toa = 1 },
	{ "254/12 fast open cookie is not toa", DEF, 12, { 254, 12, 0xf9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8 }, TOA_PARSE_NONE, .want_not_toa = 1 },
	{ "254/21 not toa", DEF, 24, { 254, 21, V6, 0, 0, 0, 0, 0 }, TOA_PARSE_NONE, .want_not_toa = 1 },
	{ "254/20 truncated", DEF, 16, { 254, 20, 0x1f, 0x90, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0 }, TOA_PARSE_MALFORMED },
	{ "253/12 untrusted kind is not counted", DEF, 12, { 253, 12, 0xf9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8 }, TOA_PARSE_NONE },
	{ "254/19 not toa", DEF, 20, { 254, 19, 0x1f, 0x90, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0 }, TOA_PARSE_NONE, .want_not_toa = 1 },
	{ "length 0", DEF, 8, { 200, 0, V4 }, TOA_PARSE_MALFORMED },
	{ "length 1", DEF, 8, { 200, 1, V4 }, TOA_PARSE_MALFORMED },
	{ "length 7", DEF, 8, { 200, 7, V4 }, TOA_PARSE_MALFORMED },
	{ "length 9", DEF, 12, { 200, 9, V4, 0, 0, 0, 0 }, TOA_PARSE_MALFORMED },
	{ "length 0 on another kind", DEF, 12, { 5, 0, 0, 0, 200, 8, V4 }, TOA_PARSE_MALFORMED },
	{ "overruns the header", DEF, 8, { 1, 1, 1, 1, 200, 8, 0x1f, 0x90 }, TOA_PARSE_MALFORMED },
	{ "kind without length at end", DEF, 9, { 200, 8, V4, 200 }, TOA_PARSE_MALFORMED },
	{ "after end of list", DEF, 12, { 0, 200, 8, V4, 0, 0, 0 }, TOA_PARSE_MALFORMED },
	{ "zero padding after end of list", DEF, 12, { 200, 8, V4, 0, 0, 0, 0 }, TOA_PARSE_FOUND, 0, 200 },
	{ "same toa twice", DEF, 16, { 200, 8, V4, 254, 8, V4 }, TOA_PARSE_FOUND, 0, 200 },
	{ "two different toas", DEF, 16, { 200, 8, V4, 200, 8, 0x1f, 0x90, 203, 0, 113, 9 }, TOA_PARSE_MALFORMED },
	{ "untrusted kind ignored before trusted", XT_TOA_KIND_254, 16, { 200, 8, 9, 9, 9, 9, 9, 9, 254, 8, V4 }, TOA_PARSE_FOUND, 0, 254 },
	{ "nop padding", DEF, 12, { 1, 1, 1, 1, 200, 8, V4 }, TOA_PARSE_FOUND, 0, 200 },
	{ "40 bytes full", DEF, 40, { LINUX_SYN, 254, 20, V6 }, TOA_PARSE_FOUND, 1, 254 },
	{ "aligned timestamps only", ALL, 12, { 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8 }, TOA_PARSE_NONE },
	{ "aligned timestamps, then toa", DEF, 20, { 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 200, 8, V4 }, TOA_PARSE_FOUND, 0, 200 },
	{ "timestamps of length 12 are broken", DEF, 12, { 1, 1, 8, 12, 1, 2, 3, 4, 5, 6, 7, 8 }, TOA_PARSE_MALFORMED },
};

static void check(const struct tcase *c)
{
	struct toa_addr got;
	enum toa_parse_result res;
	unsigned int not_toa = 0;
	int ok;

	memset(&got, 0xa5, sizeof(got));
	res = toa_parse_options(c->opts, c->len, c->kinds, &got, &not_toa);
	ok = res == c->want && not_toa == c->want_not_toa;
	if (ok && res == TOA_PARSE_FOUND) {
		ok = got.v6 == c->want_v6 && got.kind == c->want_kind &&
		     ntohs(got.port) == 8080;
		if (got.v6)
			ok = ok && got.addr.v6[0] == 0x20 && got.addr.v6[15] == 7;
		else
			ok = ok && got.addr.v4 == htonl(0xc6336407);
	}
	printf("%s - %s\n", ok ? "ok" : "not ok", c->name);
	if (!ok)
		printf("#   got result %d\n", res);
	ok ? passed++ : failed++;
}

struct fcase {
	const char *name;
	unsigned int len;
	unsigned char opts[40];
	unsigned int want_n;
	unsigned char want[TOA_FIND_MAX];
};

/* toa_find_options: what a relay strips. */
static const struct fcase finds[] = {
	{ "find: no options", 0, {}, 0 },
	{ "find: linux syn only", 20, { LINUX_SYN }, 0 },
	{ "find: 200/8 after linux syn", 28, { LINUX_SYN, 200, 8, V4 }, 1, { 20 } },
	{ "find: every format", 40, { 200, 8, V4, 253, 8, V4, 254, 8, V4, 1, 1, 1, 1, 254, 8, V4, 1, 1, 1, 1 }, 4, { 0, 8, 16, 28 } },
	{ "find: ipv6 formats", 40, { 253, 20, V6, 254, 20, V6 }, 2, { 0, 20 } },
	{ "find: five, the most 40 bytes hold", 40, { 200, 8, V4, 200, 8, V4, 253, 8, V4, 254, 8, V4, 200, 8, V4 }, 5, { 0, 8, 16, 24, 32 } },
	{ "find: odd offset", 12, { 1, 1, 1, 254, 8, V4, 1 }, 1, { 3 } },
	{ "find: fast open 254/6 and 254/12 stay", 28, { 254, 6, 0xf9, 0x89, 1, 2, 254, 12, 0xf9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 200, 8, V4, 1, 1 }, 1, { 18 } },
	{ "find: 200/20 is no toa shape", 20, { 200, 20, V6 }, 0 },
	{ "find: 253/12 stays", 12, { 253, 12, 0xf9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8 }, 0 },
	{ "find: toa bytes inside another option", 12, { 5, 10, 200, 8, V4, 0, 0 }, 0 },
	{ "find: up to a broken option", 20, { 200, 8, V4, 5, 1, 254, 8, V4, 1, 1, 1, 1 }, 1, { 0 } },
	{ "find: up to an overrun", 16, { 254, 8, V4, 254, 20, V4 }, 1, { 0 } },
	{ "find: not after end of list", 16, { 0, 0, 0, 0, 200, 8, V4, 0, 0, 0, 0 }, 0 },
	{ "find: before end of list", 12, { 200, 8, V4, 0, 0, 0, 0 }, 1, { 0 } },
};

static void check_find(const struct fcase *c)
{
	unsigned char offs[TOA_FIND_MAX];
	unsigned int n, i;
	int ok;

	memset(offs, 0xa5, sizeof(offs));
	n = toa_find_options(c->opts, c->len, offs);
	ok = n == c->want_n && !memcmp(offs, c->want, n);
	for (i = n; i < TOA_FIND_MAX; i++)
		ok = ok && offs[i] == 0xa5;
	printf("%s - %s\n", ok ? "ok" : "not ok", c->name);
	if (!ok)
		printf("#   got %u offsets\n", n);
	ok ? passed++ : failed++;
}

/* Every prefix and every single-byte corruption must parse without fault. */
static void check_no_overread(void)
{
	const unsigned char base[40] = { LINUX_SYN, 254, 20, V6 };
	unsigned char buf[40], offs[TOA_FIND_MAX];
	struct toa_addr got;
	unsigned int len, pos, v, n = 0, not_toa = 0;

	for (len = 0; len <= 40; len++)
		for (pos = 0; pos < len; pos++)
			for (v = 0; v < 256; v += 51) {
				memcpy(buf, base, sizeof(buf));
				buf[pos] = v;
				toa_parse_options(buf, len, ALL, &got, &not_toa);
				toa_find_options(buf, len, offs);
				n++;
			}
	printf("ok - %u truncated and corrupted option lists parsed\n", n);
	passed++;
}

int main(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(&cases[i]);
	for (i = 0; i < sizeof(finds) / sizeof(finds[0]); i++)
		check_find(&finds[i]);
	check_no_overread();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
