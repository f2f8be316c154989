// SPDX-License-Identifier: GPL-2.0
/*
 * Walk the options of one TCP header: extract the TOA a rule trusts, or
 * find every TOA-shaped option for a relay to overwrite.
 *
 * Wire formats (all fields in network order after kind and length):
 *   200/8            port, IPv4
 *   253/8, 254/8     port, IPv4
 *   253/20, 254/20   port, IPv6
 * 253 and 254 are also RFC 6994's experimental kinds (TCP Fast Open uses
 * 254 with other lengths): those lengths are simply not TOA.  Kind 200
 * has no other use, so a 200 of any other length is malformed.
 *
 * A packet whose option list is inconsistent (length < 2, an option
 * running past the header, bytes after end-of-list, two different TOAs)
 * yields no address at all: a proxy never sends that, so trusting any part
 * of it would only help a forger.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif
#include <linux/netfilter/xt_TOA.h>
#include "toa_parse.h"

#define TCPOPT_EOL	0
#define TCPOPT_NOP	1
#define TCPOPT_TIMESTAMP	8
#define TCPOLEN_TIMESTAMP	10

static unsigned int toa_kind_bit(__u8 kind)
{
	switch (kind) {
	case 200:
		return XT_TOA_KIND_200;
	case 253:
		return XT_TOA_KIND_253;
	case 254:
		return XT_TOA_KIND_254;
	}
	return 0;
}

/* 200/8, 253/8, 254/8, 253/20, 254/20: what receivers take for a TOA. */
static int toa_shaped(const __u8 *opt)
{
	return toa_kind_bit(opt[0]) &&
	       (opt[1] == TOA_OPT_V4_LEN ||
		(opt[1] == TOA_OPT_V6_LEN && opt[0] != 200));
}

/*
 * Decode one option of a trusted kind, whose opt[1] bytes are all in the
 * buffer (the caller checked); returns NONE, FOUND or MALFORMED.  The
 * length is checked first: a 2-byte option at the end of the list has no
 * port to read.
 */
static enum toa_parse_result toa_decode(const __u8 *opt, struct toa_addr *out)
{
	__u8 kind = opt[0];

	if (!toa_shaped(opt))
		return kind == 200 ? TOA_PARSE_MALFORMED : TOA_PARSE_NONE;
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	memcpy(&out->port, opt + 2, sizeof(out->port));
	if (opt[1] == TOA_OPT_V4_LEN) {
		memcpy(&out->addr.v4, opt + 4, sizeof(out->addr.v4));
	} else {
		out->v6 = 1;
		memcpy(out->addr.v6, opt + 4, sizeof(out->addr.v6));
	}
	return TOA_PARSE_FOUND;
}

enum toa_walk {
	TOA_WALK_OPTION,	/* opts[*i] starts an option of opts[*i + 1] bytes */
	TOA_WALK_END,
	TOA_WALK_MALFORMED,
};

/* The one loop over untrusted option bytes: skip NOPs to the next option. */
static enum toa_walk toa_walk_next(const __u8 *opts, unsigned int len,
				   unsigned int *i)
{
	unsigned int j;

	while (*i < len && opts[*i] == TCPOPT_NOP)
		(*i)++;
	if (*i == len)
		return TOA_WALK_END;
	if (opts[*i] == TCPOPT_EOL) {
		/* Only zero padding may follow the end of the list. */
		for (j = *i + 1; j < len; j++)
			if (opts[j])
				return TOA_WALK_MALFORMED;
		return TOA_WALK_END;
	}
	if (len - *i < 2 || opts[*i + 1] < 2 || opts[*i + 1] > len - *i)
		return TOA_WALK_MALFORMED;
	return TOA_WALK_OPTION;
}

/*
 * NOP, NOP, timestamps and nothing else: what nearly every packet after
 * the handshake carries (TCP itself takes it without a walk,
 * tcp_parse_aligned_timestamp()).  A rule reads them all on the raw path.
 */
static int toa_only_timestamps(const __u8 *opts, unsigned int len)
{
	return len == 2 + TCPOLEN_TIMESTAMP && opts[0] == TCPOPT_NOP &&
	       opts[1] == TCPOPT_NOP && opts[2] == TCPOPT_TIMESTAMP &&
	       opts[3] == TCPOLEN_TIMESTAMP;
}

enum toa_parse_result toa_parse_options(const __u8 *opts, unsigned int len,
					unsigned int kinds,
					struct toa_addr *out,
					unsigned int *not_toa)
{
	enum toa_parse_result res = TOA_PARSE_NONE;
	struct toa_addr cur;
	enum toa_walk walk;
	unsigned int i = 0;

	if (toa_only_timestamps(opts, len))
		return TOA_PARSE_NONE;
	while ((walk = toa_walk_next(opts, len, &i)) == TOA_WALK_OPTION) {
		if (kinds & toa_kind_bit(opts[i])) {
			switch (toa_decode(opts + i, &cur)) {
			case TOA_PARSE_MALFORMED:
				return TOA_PARSE_MALFORMED;
			case TOA_PARSE_FOUND:
				if (res == TOA_PARSE_NONE) {
					*out = cur;
					res = TOA_PARSE_FOUND;
				} else if (!toa_addr_equal(out, &cur)) {
					return TOA_PARSE_MALFORMED;
				}
				break;
			case TOA_PARSE_NONE:
				(*not_toa)++;
				break;
			}
		}
		i += opts[i + 1];
	}
	return walk == TOA_WALK_MALFORMED ? TOA_PARSE_MALFORMED : res;
}

/*
 * Up to a broken option the list is walked as every receiver walks it;
 * past that point no receiver reads an option (Linux stops, toa_parse
 * drops the whole list), so what lies there needs no stripping.
 */
unsigned int toa_find_options(const __u8 *opts, unsigned int len,
			      __u8 offs[TOA_FIND_MAX])
{
	unsigned int i = 0, n = 0;

	while (n < TOA_FIND_MAX &&
	       toa_walk_next(opts, len, &i) == TOA_WALK_OPTION) {
		if (toa_shaped(opts + i))
			offs[n++] = i;
		i += opts[i + 1];
	}
	return n;
}

/* Same client (the kind it arrived in does not matter). */
int toa_addr_equal(const struct toa_addr *a, const struct toa_addr *b)
{
	if (a->v6 != b->v6 || a->port != b->port)
		return 0;
	if (a->v6)
		return !memcmp(a->addr.v6, b->addr.v6, sizeof(a->addr.v6));
	return a->addr.v4 == b->addr.v4;
}
