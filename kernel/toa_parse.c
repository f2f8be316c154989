// SPDX-License-Identifier: GPL-2.0
/*
 * Walk the options of one TCP header and extract the TOA a rule trusts.
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

/*
 * Decode one option of a trusted kind, whose opt[1] bytes are all in the
 * buffer (the caller checked); returns NONE, FOUND or MALFORMED.  The
 * length is checked first: a 2-byte option at the end of the list has no
 * port to read.
 */
static enum toa_parse_result toa_decode(const __u8 *opt, struct toa_addr *out)
{
	__u8 kind = opt[0], len = opt[1];

	if (len != TOA_OPT_V4_LEN && (len != TOA_OPT_V6_LEN || kind == 200))
		return kind == 200 ? TOA_PARSE_MALFORMED : TOA_PARSE_NONE;
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	memcpy(&out->port, opt + 2, sizeof(out->port));
	if (len == TOA_OPT_V4_LEN) {
		memcpy(&out->addr.v4, opt + 4, sizeof(out->addr.v4));
	} else {
		out->v6 = 1;
		memcpy(out->addr.v6, opt + 4, sizeof(out->addr.v6));
	}
	return TOA_PARSE_FOUND;
}

enum toa_parse_result toa_parse_options(const __u8 *opts, unsigned int len,
					unsigned int kinds,
					struct toa_addr *out,
					unsigned int *not_toa)
{
	enum toa_parse_result res = TOA_PARSE_NONE;
	struct toa_addr cur;
	unsigned int i = 0;

	while (i < len) {
		__u8 kind = opts[i], olen;

		if (kind == TCPOPT_EOL) {
			/* Only zero padding may follow the end of the list. */
			for (i++; i < len; i++)
				if (opts[i])
					return TOA_PARSE_MALFORMED;
			break;
		}
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return TOA_PARSE_MALFORMED;
		olen = opts[i + 1];
		if (olen < 2 || olen > len - i)
			return TOA_PARSE_MALFORMED;

		if (kinds & toa_kind_bit(kind)) {
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
		i += olen;
	}
	return res;
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
