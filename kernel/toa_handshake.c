// SPDX-License-Identifier: GPL-2.0
/*
 * A TOA belongs to the handshake it came with.
 *
 * Proxies write the TOA into the client's SYN, into the packet that
 * completes the handshake (the ACK, or data, at the client's ISN + 1), or
 * into both.  Anything else the client sends passes the proxy unchanged,
 * options included, so a TOA is taken only from those two packets, and
 * only from those of them the rule names (--toa-from).  When both carry
 * one and they differ, one was forged by the client and nothing says
 * which: neither is believed.
 *
 * A conntrack entry can outlive its connection (an aborted connection
 * lingers in CLOSE, one whose end conntrack missed stays ESTABLISHED, a
 * half-open one in SYN_RECV) and carry the next connection on the same
 * addresses and ports.  The record therefore keeps the client's initial
 * sequence number: a SYN with another one starts a new record, and a
 * socket gets a client only if its own ISN is the record's.
 */
#include "toa_handshake.h"

/* A new handshake on the entry: the same reader and rule, nothing else. */
static void toa_hs_restart(struct toa_hs *hs, __u32 isn)
{
	*hs = (struct toa_hs){
		.isn = isn,
		.flags = TOA_HS_ISN_KNOWN | (hs->flags & TOA_HS_BY_TARGET),
		.from = hs->from,
	};
}

/*
 * Where @seg, a packet from the client, stands in the handshake of @hs:
 * TOA_HS_SYN, TOA_HS_ACK or 0, with TOA_HS_RESTARTED if it began a new
 * handshake over an earlier one's record.
 */
unsigned int toa_hs_place(struct toa_hs *hs, const struct toa_seg *seg)
{
	unsigned int restarted = 0;

	if (hs->inspected < TOA_HS_INSPECT_MAX)
		hs->inspected++;
	if (seg->rst)
		return 0;
	if (seg->syn && !seg->ack) {
		if (!(hs->flags & TOA_HS_ISN_KNOWN)) {
			hs->isn = seg->seq;
			hs->flags |= TOA_HS_ISN_KNOWN;
		} else if (seg->seq != hs->isn) {
			if (hs->seen || hs->flags & (TOA_HS_TAKEN | TOA_HS_CONFLICT))
				restarted = TOA_HS_RESTARTED;
			toa_hs_restart(hs, seg->seq);
		} else if (hs->flags & TOA_HS_TAKEN) {
			return 0;	/* a late copy of a used SYN */
		}
		return TOA_HS_SYN | restarted;
	}
	if (seg->syn || !seg->ack || hs->flags & TOA_HS_TAKEN)
		return 0;
	if (!(hs->flags & TOA_HS_ISN_KNOWN)) {
		/* The rule saw no SYN: this may be the handshake's ACK. */
		hs->isn = seg->seq - 1;
		hs->flags |= TOA_HS_ISN_KNOWN;
	}
	return seg->seq == hs->isn + 1 ? TOA_HS_ACK : 0;
}

/*
 * The options of a packet that toa_hs_place() put at @where parsed as
 * @res, with @client if one was found.  A broken option list where the
 * proxy writes spoils the handshake: it may hide a TOA the proxy wrote
 * next to the client's (two TOAs in one packet are broken).
 */
enum toa_hs_event toa_hs_record(struct toa_hs *hs, unsigned int where,
				enum toa_parse_result res,
				const struct toa_addr *client)
{
	where &= TOA_HS_SYN | TOA_HS_ACK;
	if (res == TOA_PARSE_NONE)
		return TOA_HS_EV_NONE;
	if (!where || (hs->from && !(hs->from & where)))
		return res == TOA_PARSE_FOUND ? TOA_HS_EV_IGNORED :
						TOA_HS_EV_NONE;
	if (res == TOA_PARSE_MALFORMED) {
		hs->flags |= TOA_HS_CONFLICT;
		return TOA_HS_EV_NONE;
	}
	if (hs->flags & TOA_HS_CONFLICT)
		return TOA_HS_EV_CONFLICTING;
	if (!hs->seen) {
		hs->client = *client;
		hs->seen = where;
		return TOA_HS_EV_RECORDED;
	}
	if (toa_addr_equal(&hs->client, client)) {
		hs->seen |= where;
		return TOA_HS_EV_NONE;
	}
	hs->flags |= TOA_HS_CONFLICT;
	return TOA_HS_EV_CONFLICTING;
}

/* The client recorded for this handshake so far, if any is believable. */
int toa_hs_client(const struct toa_hs *hs, struct toa_addr *client)
{
	if (!hs->seen || hs->flags & TOA_HS_CONFLICT)
		return 0;
	*client = hs->client;
	return 1;
}

/*
 * A socket was made from the handshake whose client ISN is @isn: what it
 * gets.  Nothing is looked at on the connection after this.
 */
enum toa_hs_take toa_hs_take(struct toa_hs *hs, __u32 isn,
			     struct toa_addr *client)
{
	hs->flags |= TOA_HS_TAKEN;
	if (!(hs->flags & TOA_HS_ISN_KNOWN) || hs->isn != isn)
		return hs->seen ? TOA_HS_TAKE_STALE : TOA_HS_TAKE_NONE;
	return toa_hs_client(hs, client) ? TOA_HS_TAKE_CLIENT :
					   TOA_HS_TAKE_NONE;
}
