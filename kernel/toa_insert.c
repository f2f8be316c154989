// SPDX-License-Identifier: GPL-2.0
/*
 * The TOA target's --toa-insert mode, for a relay that forwards TCP with
 * DNAT and SNAT:
 *
 *   iptables -t mangle -A POSTROUTING -o eth1 -p tcp \
 *	-m conntrack --ctstate DNAT -j TOA --toa-insert 254/8
 *
 * The connection's client, from conntrack's ORIGINAL tuple (right whatever
 * NAT did before or does after this rule), goes into the SYN and into the
 * ACK that completes the handshake, as L4 proxies do, so that a backend
 * reading either sees it.  The option is put first in the option list:
 * the other options and the payload move up by a multiple of 4 bytes,
 * keeping their alignment; sequence numbers and payload are unchanged.
 *
 * A TOA the relay did not write is overwritten with NOPs in every packet
 * the rule sees from the client: the backend trusts the relay, and must
 * never take a client's claim for the relay's.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_TOA.h>
#include <net/checksum.h>
#include <net/dst.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack.h>
#include "toa.h"

static u8 toa_insert_kind(const struct xt_toa_tginfo *info)
{
	switch (info->kinds) {
	case XT_TOA_KIND_200:
		return 200;
	case XT_TOA_KIND_253:
		return 253;
	default:
		return 254;
	}
}

/* The option for the client of @ct: port, then address (8 or 20 bytes). */
static void toa_insert_build(const struct nf_conn *ct,
			     const struct xt_toa_tginfo *info, u8 *opt)
{
	const struct nf_conntrack_tuple *orig =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	opt[0] = toa_insert_kind(info);
	opt[1] = info->len;
	memcpy(opt + 2, &orig->src.u.tcp.port, 2);
	/* checkentry tied the length to the rule's, hence the entry's, family */
	memcpy(opt + 4, &orig->src.u3, info->len - 4);
}

/* Whether the option can go into this header; if not, *why says why. */
static bool toa_insert_fits(const struct tcphdr *th, unsigned int len,
			    enum toa_stat *why)
{
	unsigned int optlen = th->doff * 4 - sizeof(*th);
	unsigned int not_toa = 0;
	struct toa_addr present;

	if (optlen + len > MAX_TCP_OPTION_SPACE) {
		*why = TOA_STAT_INSERT_FULL;
		return false;
	}
	/* No TOA is left (toa_strip() ran): only a broken list remains. */
	if (toa_parse_options((const u8 *)(th + 1), optlen, XT_TOA_KINDS_ALL,
			      &present, &not_toa) != TOA_PARSE_NONE) {
		*why = TOA_STAT_INSERT_MALFORMED;
		return false;
	}
	return true;
}

/*
 * The only code writing options: put @opt (@len bytes, a multiple of 4)
 * first in the TCP header at @thoff, whose packet is writable and linear
 * with @len bytes of tailroom.  Checksums follow xt_TCPMSS: for
 * CHECKSUM_PARTIAL only the pseudo-header sum in th->check changes (the
 * device sums the rest), otherwise the full sum is updated.
 */
static void toa_insert_write(struct sk_buff *skb, unsigned int thoff,
			     const u8 *opt, unsigned int len)
{
	struct tcphdr *th = (struct tcphdr *)(skb_network_header(skb) + thoff);
	unsigned int tcplen = skb->len - thoff;
	__be16 oldword;

	skb_put(skb, len);
	memmove((u8 *)(th + 1) + len, th + 1, tcplen - sizeof(*th));
	memcpy(th + 1, opt, len);

	inet_proto_csum_replace2(&th->check, skb, htons(tcplen),
				 htons(tcplen + len), true);
	inet_proto_csum_replace_by_diff(&th->check, skb,
					csum_partial(opt, len, 0), false,
					false);
	oldword = ((__be16 *)th)[6];
	th->doff += len / 4;
	inet_proto_csum_replace2(&th->check, skb, oldword, ((__be16 *)th)[6],
				 false);
}

/* The IP header's length for @len more bytes of TCP header. */
static void toa_insert_fix_ip(struct sk_buff *skb, unsigned int len)
{
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	__be16 old;

	if (ip_hdr(skb)->version == 4) {
		iph = ip_hdr(skb);
		old = iph->tot_len;
		iph->tot_len = htons(ntohs(old) + len);
		csum_replace2(&iph->check, old, iph->tot_len);
		return;
	}
	ip6h = ipv6_hdr(skb);
	old = ip6h->payload_len;
	ip6h->payload_len = htons(ntohs(old) + len);
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->csum = csum_add(csum_sub(skb->csum, (__force __wsum)old),
				     (__force __wsum)ip6h->payload_len);
}

/* Put the client's option into @skb; returns the counter that applies. */
static enum toa_stat toa_insert_into(struct sk_buff *skb, unsigned int thoff,
				     const u8 *opt, unsigned int len,
				     enum toa_stat done)
{
	const struct tcphdr *th;
	enum toa_stat why;

	/* Each segment would carry it, and their MSS would have to shrink. */
	if (skb_is_gso(skb))
		return TOA_STAT_INSERT_GSO;
	/* A packet with data could outgrow the path: never fragment it. */
	if (skb_dst(skb) && skb->len + len > dst_mtu(skb_dst(skb)))
		return TOA_STAT_INSERT_MTU;
	/* Linear and writable: options are read and written in place. */
	if (skb_ensure_writable(skb, skb->len))
		return TOA_STAT_DECLINED_NO_MEMORY;
	th = (const struct tcphdr *)(skb_network_header(skb) + thoff);
	if (th->doff * 4 < sizeof(*th) || th->doff * 4 > skb->len - thoff)
		return TOA_STAT_INSERT_MALFORMED;
	if (!toa_insert_fits(th, len, &why))
		return why;
	if (skb_tailroom(skb) < len &&
	    pskb_expand_head(skb, 0, len - skb_tailroom(skb), GFP_ATOMIC))
		return TOA_STAT_DECLINED_NO_MEMORY;
	toa_insert_write(skb, thoff, opt, len);
	toa_insert_fix_ip(skb, len);
	return done;
}

/*
 * NOPs over the @len bytes at @off in @th, one byte at a time into the
 * checksum, as xt_TCPOPTSTRIP does: for CHECKSUM_PARTIAL the device sums
 * the header, otherwise th->check follows (and skb->csum of
 * CHECKSUM_COMPLETE stays right: the bytes and th->check cancel out).
 */
static void toa_strip_write(struct sk_buff *skb, struct tcphdr *th,
			    unsigned int off, unsigned int len)
{
	u8 *p = (u8 *)th;
	u16 o, n;

	for (; len; len--, off++) {
		o = p[off];
		n = TCPOPT_NOP;
		if (!(off & 1)) {
			o <<= 8;
			n <<= 8;
		}
		inet_proto_csum_replace2(&th->check, skb, htons(o), htons(n),
					 false);
		p[off] = TCPOPT_NOP;
	}
}

/*
 * Overwrite every TOA-shaped option of @skb, trusted kind or not, that the
 * receiver could walk to (toa_find_options).  A broken list keeps what
 * follows the break: no receiver reads options past it, and the xt_TOA
 * receiver discards the whole list.  Returns false if it could not.
 */
static bool toa_strip(struct net *net, struct sk_buff *skb,
		      unsigned int thoff, unsigned int hdrlen)
{
	u8 buf[MAX_TCP_OPTION_SPACE], offs[TOA_FIND_MAX];
	const u8 *opts;
	struct tcphdr *th;
	unsigned int n, i, optlen = hdrlen - sizeof(*th);

	opts = skb_header_pointer(skb, thoff + sizeof(*th), optlen, buf);
	if (!opts)
		return true;
	n = toa_find_options(opts, optlen, offs);
	if (!n)
		return true;
	if (skb_ensure_writable(skb, thoff + hdrlen)) {
		toa_stat_inc(net, TOA_STAT_DECLINED_NO_MEMORY);
		return false;
	}
	th = (struct tcphdr *)(skb_network_header(skb) + thoff);
	for (i = 0; i < n; i++)
		toa_strip_write(skb, th, sizeof(*th) + offs[i],
				((u8 *)(th + 1))[offs[i] + 1]);
	toa_stat_inc(net, TOA_STAT_INSERT_STRIPPED);
	return true;
}

/*
 * Whether the packet is the SYN or the handshake ACK (the client's first
 * ACK after the server's SYN-ACK); *done is the counter for success.
 */
static bool toa_insert_point(struct net *net, struct nf_conn *ct,
			     const struct tcphdr *th, enum toa_stat *done)
{
	if (th->syn && !th->ack) {
		toa_ct_insert_begin(net, ct);
		*done = TOA_STAT_INSERTED_SYN;
		return true;
	}
	*done = TOA_STAT_INSERTED_ACK;
	return th->ack && !th->syn && !th->rst &&
	       test_bit(IPS_SEEN_REPLY_BIT, &ct->status) &&
	       toa_ct_claim_ack(ct);
}

/*
 * The --toa-insert target's work for one packet (not a fragment); NF_DROP
 * only when a client's TOA could not be removed.
 */
unsigned int toa_insert(struct net *net, struct sk_buff *skb,
			unsigned int thoff, const struct xt_toa_tginfo *info)
{
	u8 opt[TOA_OPT_V6_LEN];
	enum ip_conntrack_info ctinfo;
	const struct tcphdr *th;
	struct tcphdr _th;
	enum toa_stat done;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	/* The client's packets only: the server's answers carry nothing. */
	if (ct && CTINFO2DIR(ctinfo) != IP_CT_DIR_ORIGINAL)
		return XT_CONTINUE;
	th = skb_header_pointer(skb, thoff, sizeof(_th), &_th);
	if (!th)
		return XT_CONTINUE;
	/* Only a header with options can carry one; then it may have moved. */
	if (th->doff > sizeof(*th) / 4) {
		if (!toa_strip(net, skb, thoff, th->doff * 4))
			return NF_DROP;
		th = skb_header_pointer(skb, thoff, sizeof(_th), &_th);
	}
	if (!ct) {
		toa_stat_inc(net, TOA_STAT_DECLINED_NO_CONNTRACK);
		return XT_CONTINUE;
	}
	if (!toa_insert_point(net, ct, th, &done))
		return XT_CONTINUE;
	toa_insert_build(ct, info, opt);
	toa_stat_inc(net, toa_insert_into(skb, thoff, opt, info->len, done));
	return XT_CONTINUE;
}
