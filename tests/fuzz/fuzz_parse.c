// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for kernel/toa_parse.c, the only code of the module that
 * reads untrusted bytes; built from the module's own source.
 *
 * Input: one byte choosing the trusted kinds, then up to 40 bytes of TCP
 * options (all a TCP header can carry), copied into a buffer of exactly
 * that size so that AddressSanitizer sees any read past it.
 *
 * Besides memory errors, it aborts when the parser's answer breaks what
 * the module relies on: an address is only ever reported if the options
 * hold, at an option boundary, a TOA of a trusted kind carrying exactly it;
 * the same input always gives the same answer.  The options a relay
 * strips (toa_find_options) are TOA-shaped, at increasing option
 * boundaries, and once they are NOPs nothing yields an address any more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/xt_TOA.h>
#include "toa_parse.h"

#define MAX_OPTS 40

static unsigned int kind_bit(uint8_t kind)
{
	return kind == 200 ? XT_TOA_KIND_200 :
	       kind == 253 ? XT_TOA_KIND_253 :
	       kind == 254 ? XT_TOA_KIND_254 : 0;
}

/* Does an option starting at an option boundary carry exactly @a? */
static int options_carry(const uint8_t *o, size_t len, unsigned int kinds,
			 const struct toa_addr *a)
{
	size_t i = 0, olen;

	while (i < len && o[i] != 0) {
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (len - i < 2 || o[i + 1] < 2 || o[i + 1] > len - i)
			return 0;
		olen = o[i + 1];
		if (o[i] == a->kind && (kinds & kind_bit(o[i])) &&
		    olen == (a->v6 ? 20u : 8u) &&
		    !memcmp(o + i + 2, &a->port, 2) &&
		    !memcmp(o + i + 4, a->v6 ? (const void *)a->addr.v6 :
			    (const void *)&a->addr.v4, a->v6 ? 16 : 4))
			return 1;
		i += olen;
	}
	return 0;
}

/* A relay's stripping leaves no TOA that any trusted kinds would find. */
static void check_strip(uint8_t *opts, size_t len)
{
	uint8_t offs[TOA_FIND_MAX], again[TOA_FIND_MAX];
	unsigned int n, i, olen, not_toa = 0;
	struct toa_addr a;

	n = toa_find_options(opts, len, offs);
	for (i = 0; i < n; i++) {
		if ((i && offs[i] <= offs[i - 1]) || offs[i] + 2u > len)
			abort();
		olen = opts[offs[i] + 1];
		if (offs[i] + olen > len || !kind_bit(opts[offs[i]]) ||
		    (olen != 8 && (olen != 20 || opts[offs[i]] == 200)))
			abort();
		memset(opts + offs[i], 1, olen);
	}
	if (toa_find_options(opts, len, again) ||
	    toa_parse_options(opts, len, XT_TOA_KINDS_ALL, &a, &not_toa) ==
	    TOA_PARSE_FOUND)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toa_addr a, b;
	unsigned int kinds, n1 = 0, n2 = 0;
	enum toa_parse_result r1, r2;
	uint8_t *opts;
	size_t len;

	if (size < 1)
		return 0;
	kinds = data[0] & XT_TOA_KINDS_ALL;
	len = size - 1 > MAX_OPTS ? MAX_OPTS : size - 1;
	opts = malloc(len ? len : 1);
	if (!opts)
		return 0;
	memcpy(opts, data + 1, len);

	r1 = toa_parse_options(opts, len, kinds, &a, &n1);
	r2 = toa_parse_options(opts, len, kinds, &b, &n2);
	if (r1 != r2 || n1 != n2 || n1 > len / 2)
		abort();
	if (r1 == TOA_PARSE_FOUND &&
	    (a.v6 > 1 || !toa_addr_equal(&a, &b) ||
	     !options_carry(opts, len, kinds, &a)))
		abort();
	if (r1 != TOA_PARSE_NONE && r1 != TOA_PARSE_FOUND &&
	    r1 != TOA_PARSE_MALFORMED)
		abort();
	check_strip(opts, len);
	free(opts);
	return 0;
}
