/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TOA insertion on raw IPv4/IPv6 packets, kept apart from the NFQUEUE loop
 * of toa-sender so that test-insert can check it on byte buffers.
 */
#ifndef TOA_INSERT_H
#define TOA_INSERT_H

#include <stddef.h>
#include <stdint.h>

#define TOA_OPT_SPACE	40	/* TCP option space: data offset 15 words - 5 */

/* What to insert, as a template: literal bytes and client placeholders. */
enum toa_item_type { TOA_BYTE, TOA_PORT, TOA_ADDR4, TOA_ADDR6 };

struct toa_spec {
	unsigned int n;		/* number of items; 0 inserts nothing */
	struct {
		uint8_t type;	/* enum toa_item_type */
		uint8_t byte;	/* for TOA_BYTE */
	} item[TOA_OPT_SPACE];
};

struct toa_config {
	struct toa_spec syn;	/* for SYN without ACK */
	struct toa_spec ack;	/* for every other TCP packet */
	int port;		/* client port to insert; -1: the packet's */
	int has_addr;		/* else: the packet's source address */
	uint8_t addr[16];	/* IPv6, an IPv4 client as ::ffff:a.b.c.d */
};

enum toa_result {
	TOA_MODIFIED,
	TOA_UNCHANGED,	/* not TCP, or the chosen spec is none */
	TOA_NOSPACE,	/* options would exceed 40 bytes (or 64 KiB) */
	TOA_NOADDR,	/* {addr4} wanted but the client is plain IPv6 */
	TOA_MALFORMED,	/* truncated or fragmented packet */
};

/* What a rewrite did, for the caller's log line. */
struct toa_info {
	size_t len;			/* packet length after the call */
	int syn;			/* the SYN spec applied */
	int family;			/* 4 or 6 */
	uint8_t saddr[16], daddr[16];	/* IPv4 in the first 4 bytes */
	uint16_t sport, dport;
	uint8_t opt[TOA_OPT_SPACE];	/* bytes inserted, before padding */
	size_t optlen;
};

/*
 * Parses "none", "200", "254", "253", "254v6", "253v6" or "raw:HEX" where HEX
 * may contain {port}, {addr4} and {addr6}.  Returns 0, or -1 if invalid.
 */
int toa_spec_parse(const char *s, struct toa_spec *spec);

/*
 * Inserts the TOA chosen by cfg into the IP packet pkt[0..len) in place,
 * after the existing TCP options, zero-padded to a 4-byte boundary, and fixes
 * the lengths and checksums.  cap is the size of the buffer, which needs
 * TOA_OPT_SPACE bytes past len.  info is filled as far as the packet parsed.
 */
enum toa_result toa_rewrite(const struct toa_config *cfg, uint8_t *pkt,
			    size_t len, size_t cap, struct toa_info *info);

#endif
