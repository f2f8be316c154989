// SPDX-License-Identifier: GPL-2.0
/* Unit tests of toactl's address parsing; prints "N passed, N failed". */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "parse.h"

static int passed, failed;

/* want: the endpoint formatted back, or "error" when it must be refused. */
static void check(const char *in, const char *want)
{
	char got[TOA_ENDPOINT_LEN];
	struct toa_endpoint ep;
	const char *err;

	err = parse_endpoint(in, &ep);
	if (err)
		snprintf(got, sizeof(got), "error");
	else
		format_endpoint(&ep, got);
	if (!strcmp(got, want)) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL: \"%s\": got %s (%s), want %s\n", in, got, err ? err : "ok", want);
}

static void check_tuple(const char *l, const char *p, bool ok)
{
	struct toa_endpoint a, b;
	const char *err = parse_tuple(l, p, &a, &b);

	if ((err == NULL) == ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL: tuple \"%s\" \"%s\": %s\n", l, p, err ? err : "accepted");
}

int main(void)
{
	check("203.0.113.2:80", "203.0.113.2:80");
	check("0.0.0.0:1", "0.0.0.0:1");
	check("1.2.3.4:65535", "1.2.3.4:65535");
	check("[2001:db8::1]:443", "[2001:db8::1]:443");
	check("[2001:DB8:0:0::1]:443", "[2001:db8::1]:443");
	check("[::1]:22", "[::1]:22");
	/* v4-mapped: the kernel sees an IPv4 connection */
	check("[::ffff:203.0.113.2]:80", "203.0.113.2:80");
	check("[::ffff:cb00:7102]:80", "203.0.113.2:80");

	check("1.2.3.4:0", "error");
	check("1.2.3.4:65536", "error");
	check("1.2.3.4:99999999999999999999", "error");
	check("1.2.3.4:", "error");
	check("1.2.3.4", "error");
	check("1.2.3.4:+80", "error");
	check("1.2.3.4:-1", "error");
	check("1.2.3.4: 80", "error");
	check("1.2.3.4:0x50", "error");
	check("1.2.3.4:80 ", "error");
	check("1.2.3.256:80", "error");
	check("1.2.3:80", "error");
	check(" 1.2.3.4:80", "error");
	check("host.example:80", "error");
	check(":80", "error");
	check("", "error");
	check("2001:db8::1:80", "error");
	check("[2001:db8::1]", "error");
	check("[2001:db8::1]80", "error");
	check("[2001:db8::1:80", "error");
	check("[]:80", "error");
	check("[1.2.3.4]:80", "error");
	check("[2001:db8::1%eth0]:80", "error");
	check("[2001:db8:0:0:0:0:0:0:1]:80", "error");
	check("[0000:0000:0000:0000:0000:0000:0000:0000:0000]:80", "error");

	check_tuple("203.0.113.2:80", "203.0.113.1:4000", true);
	check_tuple("[2001:db8::2]:80", "[2001:db8::1]:4000", true);
	check_tuple("[::ffff:203.0.113.2]:80", "203.0.113.1:4000", true);
	check_tuple("203.0.113.2:80", "[2001:db8::1]:4000", false);
	check_tuple("203.0.113.2:80", "bad", false);
	check_tuple("bad", "203.0.113.1:4000", false);

	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
