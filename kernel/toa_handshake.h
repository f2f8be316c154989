/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which TOA a connection's socket may believe: the rules that tie a TOA to
 * the handshake it came with.  Plain C with no kernel dependencies, so
 * tests/unit builds the same file in user space; the caller serializes
 * calls on one record (toa_conntrack.c holds the conntrack entry's lock).
 */
#ifndef _TOA_HANDSHAKE_H
#define _TOA_HANDSHAKE_H

#include <linux/types.h>
#include "toa_parse.h"

/* Where a packet stands in the handshake: the XT_TOA_FROM_* bits. */
#define TOA_HS_SYN	1	/* the client's SYN (or a retransmit of it) */
#define TOA_HS_ACK	2	/* the packet at ISN + 1 completing the handshake */

/* Packets of a connection looked at before its socket exists, at most. */
#define TOA_HS_INSPECT_MAX	8

/* toa_hs.flags */
#define TOA_HS_ISN_KNOWN	0x01	/* isn holds the client's ISN */
#define TOA_HS_CONFLICT		0x02	/* SYN and ACK disagree, or one is */
					/* broken: believe neither */
#define TOA_HS_TAKEN		0x04	/* a socket was made: look no more */
#define TOA_HS_ACK_CLAIMED	0x08	/* --toa-insert wrote the ACK */
#define TOA_HS_BY_TARGET	0x10	/* the TOA target reads, not the helper */

/* One handshake's record, kept in the conntrack entry (28 bytes). */
struct toa_hs {
	struct toa_addr client;	/* valid when seen != 0 */
	__u32 isn;		/* client's initial sequence number */
	__u8 seen;		/* TOA_HS_SYN | TOA_HS_ACK: packets carrying client */
	__u8 flags;		/* TOA_HS_* */
	__u8 from;		/* XT_TOA_FROM_* of the rule that selected it */
	__u8 inspected;		/* packets placed, up to TOA_HS_INSPECT_MAX */
};

/* What a TCP header says, for toa_hs_place(). */
struct toa_seg {
	__u32 seq;		/* host order */
	__u8 syn, ack, rst;
};

/* toa_hs_place() results besides the position, for counters */
#define TOA_HS_RESTARTED	0x100	/* a new handshake replaced a record */

/* toa_hs_record() outcomes */
enum toa_hs_event {
	TOA_HS_EV_NONE,		/* no TOA, a broken one, the same client again */
	TOA_HS_EV_RECORDED,	/* the first TOA of this handshake */
	TOA_HS_EV_CONFLICTING,	/* another client than recorded: neither */
	TOA_HS_EV_IGNORED,	/* not where the rule takes it from */
};

/* toa_hs_take() outcomes */
enum toa_hs_take {
	TOA_HS_TAKE_CLIENT,	/* *client is the socket's */
	TOA_HS_TAKE_NONE,	/* no believable TOA for this handshake */
	TOA_HS_TAKE_STALE,	/* the record is another handshake's */
};

unsigned int toa_hs_place(struct toa_hs *hs, const struct toa_seg *seg);
enum toa_hs_event toa_hs_record(struct toa_hs *hs, unsigned int where,
				enum toa_parse_result res,
				const struct toa_addr *client);
enum toa_hs_take toa_hs_take(struct toa_hs *hs, __u32 isn,
			     struct toa_addr *client);
int toa_hs_client(const struct toa_hs *hs, struct toa_addr *client);

#endif /* _TOA_HANDSHAKE_H */
