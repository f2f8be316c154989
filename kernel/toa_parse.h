/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TOA option parser: the only code that reads untrusted option bytes.
 * Plain C with no kernel dependencies, so tests/unit builds the same file
 * in user space.
 */
#ifndef _TOA_PARSE_H
#define _TOA_PARSE_H

#include <linux/types.h>

#define TOA_OPT_V4_LEN	8	/* kind, len, port, IPv4 */
#define TOA_OPT_V6_LEN	20	/* kind, len, port, IPv6 */

/* The client a proxy reported, as it was on the wire. */
struct toa_addr {
	__u8 v6;		/* 0: addr.v4, 1: addr.v6 */
	__u8 kind;		/* option kind it came in */
	__be16 port;
	union {
		__be32 v4;
		__u8 v6[16];
	} addr;
};

enum toa_parse_result {
	TOA_PARSE_NONE,		/* no option of a trusted kind */
	TOA_PARSE_FOUND,	/* *out holds the client */
	TOA_PARSE_MALFORMED,	/* broken option list or TOA: trust nothing */
};

/*
 * *not_toa is incremented for each option of a trusted kind 253/254 whose
 * length is no TOA format (an RFC 6994 experiment, or a broken sender).
 */
enum toa_parse_result toa_parse_options(const __u8 *opts, unsigned int len,
					unsigned int kinds,
					struct toa_addr *out,
					unsigned int *not_toa);

/* TOA-shaped options 40 bytes of options can hold (5 of 8 bytes). */
#define TOA_FIND_MAX	5

/*
 * The offsets in opts[0..len) (len <= 40) of the options of kinds 200, 253
 * and 254 that have a TOA's length, trusted or not, up to the first broken
 * option; returns how many.  A relay overwrites them.
 */
unsigned int toa_find_options(const __u8 *opts, unsigned int len,
			      __u8 offs[TOA_FIND_MAX]);

int toa_addr_equal(const struct toa_addr *a, const struct toa_addr *b);

#endif /* _TOA_PARSE_H */
