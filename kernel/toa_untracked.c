// SPDX-License-Identifier: GPL-2.0
/*
 * Connections conntrack does not track: a rule in the raw table (before
 * conntrack, which it does not turn on), or in mangle on packets that a
 * "-j CT --notrack" rule left untracked.  Such a rule reads the TOA of
 * the packet that completes the handshake only (--toa-from ack).
 *
 * No per-connection state carries the rule's decision to the socket: that
 * ACK is the very skb tcp_v4/v6_syn_recv_sock() makes the socket from, on
 * the same CPU and in the same softirq as PREROUTING.  The target leaves
 * the ACK's client in a per-CPU note naming the skb, its ports and its
 * sequence numbers (the skb may be dropped and its memory reused); the
 * socket hook takes the note that names the skb it is given.  Whatever
 * comes between (a queue to user space, an ACK backlogged behind a busy
 * listener) leaves the note unclaimed, and the socket keeps the proxy's
 * address.  Anything the note could be taken for has the same ports and
 * sequence numbers: the same handshake.
 *
 * Drivers hand the stack lists of packets (GRO's batches of
 * net.core.gro_normal_batch, 8 by default), and PREROUTING sees a whole
 * list before TCP sees its first packet: the notes wait in a ring with
 * room for two such lists of handshake ACKs.
 *
 * The SYN's TOA cannot travel that way: a SYN-ACK round trip lies between
 * it and the socket, and only conntrack spans it here (a module cannot
 * extend the request socket).  Proxies that write the SYN only need the
 * mangle table's conntrack path, which also holds the SYN against the ACK.
 */
#include <linux/netfilter/xt_TOA.h>
#include <linux/percpu.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/tcp.h>
#include "toa.h"

struct toa_untracked_note {
	const struct sk_buff *skb;
	const struct net *net;
	__be32 seq;
	__be32 ack_seq;
	__be16 source;
	__be16 dest;
	struct toa_addr client;
};

#define TOA_UNTRACKED_NOTES	16

struct toa_untracked_ring {
	unsigned int next;	/* the slot written next */
	unsigned int used;	/* slots ever written, up to all */
	struct toa_untracked_note notes[TOA_UNTRACKED_NOTES];
};

static DEFINE_PER_CPU(struct toa_untracked_ring, toa_untracked_rings);

/*
 * The TOA target on a packet without a conntrack entry (none yet in raw,
 * or untracked); true if it is this file's: the rule reads the ACK only.
 */
bool toa_untracked_handle(struct net *net, const struct sk_buff *skb,
			  unsigned int thoff, const struct xt_toa_tginfo *info)
{
	struct toa_untracked_ring *ring;
	struct toa_untracked_note *note;
	enum toa_parse_result res;
	const struct tcphdr *th;
	struct toa_addr client;
	struct tcphdr _th;

	if (info->from != XT_TOA_FROM_ACK)
		return false;
	th = skb_header_pointer(skb, thoff, sizeof(_th), &_th);
	/* Packets are received with bottom halves off: the note is ours. */
	if (!th || !th->ack || th->syn || th->rst || !in_softirq())
		return true;
	res = toa_read_options(net, skb, thoff, th, info->kinds, &client);
	if (res == TOA_PARSE_MALFORMED)
		toa_stat_inc(net, TOA_STAT_OPTIONS_MALFORMED);
	if (res != TOA_PARSE_FOUND)
		return true;
	ring = this_cpu_ptr(&toa_untracked_rings);
	note = &ring->notes[ring->next];
	ring->next = (ring->next + 1) % TOA_UNTRACKED_NOTES;
	if (ring->used < TOA_UNTRACKED_NOTES)
		ring->used++;
	note->skb = skb;
	note->net = net;
	note->seq = th->seq;
	note->ack_seq = th->ack_seq;
	note->source = th->source;
	note->dest = th->dest;
	note->client = client;
	toa_stat_inc(net, TOA_STAT_OPTIONS_RECORDED);
	return true;
}

/* The note naming @skb, whose TCP header is @th. */
static struct toa_untracked_note *toa_untracked_find(const struct sk_buff *skb,
						     const struct tcphdr *th)
{
	struct toa_untracked_ring *ring = this_cpu_ptr(&toa_untracked_rings);
	struct toa_untracked_note *note;
	unsigned int i;

	/*
	 * Newest first: @skb's note, if any, is usually the last one.  An
	 * unclaimed note may name an skb whose memory @skb now reuses.
	 */
	for (i = 1; i <= ring->used; i++) {
		note = &ring->notes[(ring->next + TOA_UNTRACKED_NOTES - i) %
				    TOA_UNTRACKED_NOTES];
		if (note->skb == skb && note->seq == th->seq &&
		    note->ack_seq == th->ack_seq &&
		    note->source == th->source && note->dest == th->dest)
			return note;
	}
	return NULL;
}

/*
 * The client the target noted for @skb, completing a handshake in
 * syn_recv_sock for a socket of @net; the note is used once.  Run in the
 * socket hook, whose packet was received in softirq unless it waited in
 * a listener's backlog: then other packets' may be writing the notes.
 * A packet noted by a container's host reaches the container on the same
 * CPU, in the same softirq; trust flows as toa_netns.c says.
 */
bool toa_untracked_take(struct net *net, const struct sk_buff *skb,
			struct toa_addr *client)
{
	struct toa_untracked_note *note;
	bool trusted;

	if (!in_softirq())
		return false;
	note = toa_untracked_find(skb, tcp_hdr(skb));
	if (!note)
		return false;
	note->skb = NULL;
	rcu_read_lock();
	trusted = note->net == net || note->net == toa_netns_from(net, skb);
	rcu_read_unlock();
	if (trusted)
		*client = note->client;
	return trusted;
}
