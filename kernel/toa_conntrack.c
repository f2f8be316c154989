// SPDX-License-Identifier: GPL-2.0
/*
 * Per-connection storage of the client a proxy reported.
 *
 * Modules cannot add conntrack extensions any more, but a conntrack helper
 * owns 32 bytes of private data in the helper extension (nf_conn_help.data).
 * The TOA target attaches the "toa" helper to a new connection exactly like
 * nftables' "ct helper set" does; conntrack frees the data with the entry
 * and unregistering the helper detaches it from every entry.  One
 * connection has at most one helper: one that already has ftp or sip cannot
 * be given TOA.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_zones.h>
#include "toa.h"

/* Packets of a connection looked at before the socket exists, at most. */
#define TOA_CT_INSPECT_MAX	8

enum { TOA_CT_EMPTY, TOA_CT_WRITING, TOA_CT_RECORDED };

struct toa_ct {
	u32 state;		/* TOA_CT_*: the first valid TOA wins */
	u32 ack_claimed;	/* --toa-insert: toa_ct_claim_ack() answered */
	u8 inspected;		/* original-direction packets parsed */
	u8 consumed;		/* the socket was created: stop parsing */
	struct toa_addr client;	/* valid once state is TOA_CT_RECORDED */
};

static int toa_helper_help(struct sk_buff *skb, unsigned int protoff,
			   struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	return NF_ACCEPT;	/* the data is written by the target */
}

static const struct nf_conntrack_expect_policy toa_expect_policy = {
	.name = "toa",
};

#define TOA_HELPER(fam)					\
	{							\
		.name			= "toa",		\
		.me			= THIS_MODULE,		\
		.tuple.src.l3num	= fam,			\
		.tuple.dst.protonum	= IPPROTO_TCP,		\
		.help			= toa_helper_help,	\
		.expect_policy		= &toa_expect_policy,	\
	}

static struct nf_conntrack_helper toa_helpers[] __read_mostly = {
	TOA_HELPER(NFPROTO_IPV4),
	TOA_HELPER(NFPROTO_IPV6),
};

static bool toa_helper_is_ours(const struct nf_conntrack_helper *helper)
{
	return helper == &toa_helpers[0] || helper == &toa_helpers[1];
}

/*
 * The connection's TOA storage, attached now if @ct is new.  On failure
 * *why says which decline counter applies.
 */
static struct toa_ct *toa_ct_storage(struct nf_conn *ct, enum toa_stat *why)
{
	struct nf_conn_help *help = nfct_help(ct);
	const struct nf_conntrack_helper *helper;

	if (help) {
		helper = rcu_dereference(help->helper);
		if (toa_helper_is_ours(helper))
			return (struct toa_ct *)help->data;
		if (helper || test_bit(IPS_HELPER_BIT, &ct->status)) {
			*why = TOA_STAT_DECLINED_OTHER_HELPER;
			return NULL;
		}
	}
	/* Extensions can only be added before the entry is in the table. */
	if (nf_ct_is_confirmed(ct)) {
		*why = TOA_STAT_DECLINED_CONFIRMED;
		return NULL;
	}
	if (!help) {
		help = nf_ct_helper_ext_add(ct, GFP_ATOMIC);
		if (!help) {
			*why = TOA_STAT_DECLINED_NO_MEMORY;
			return NULL;
		}
	}
	memset(help->data, 0, sizeof(struct toa_ct));
	rcu_assign_pointer(help->helper,
			   &toa_helpers[nf_ct_l3num(ct) == NFPROTO_IPV6]);
	/* Keeps conntrack from re-looking-up (and dropping) the helper. */
	set_bit(IPS_HELPER_BIT, &ct->status);
	return (struct toa_ct *)help->data;
}

static enum toa_parse_result toa_read_options(struct net *net,
					      const struct sk_buff *skb,
					      unsigned int thoff,
					      unsigned int kinds,
					      struct toa_addr *client)
{
	enum toa_parse_result res;
	unsigned int not_toa = 0;
	u8 buf[MAX_TCP_OPTION_SPACE];
	const struct tcphdr *th;
	struct tcphdr _th;
	unsigned int optlen;
	const u8 *opts;

	th = skb_header_pointer(skb, thoff, sizeof(_th), &_th);
	if (!th || th->doff * 4 < sizeof(*th))
		return TOA_PARSE_MALFORMED;
	optlen = th->doff * 4 - sizeof(*th);
	if (!optlen)
		return TOA_PARSE_NONE;
	opts = skb_header_pointer(skb, thoff + sizeof(*th), optlen, buf);
	if (!opts)
		return TOA_PARSE_MALFORMED;
	res = toa_parse_options(opts, optlen, kinds, client, &not_toa);
	if (not_toa)
		toa_stat_inc(net, TOA_STAT_OPTIONS_NOT_TOA);
	return res;
}

static void toa_ct_record(struct net *net, struct toa_ct *tc,
			  const struct toa_addr *client)
{
	if (cmpxchg(&tc->state, TOA_CT_EMPTY, TOA_CT_WRITING) == TOA_CT_EMPTY) {
		tc->client = *client;
		smp_store_release(&tc->state, TOA_CT_RECORDED);
		toa_stat_inc(net, TOA_STAT_OPTIONS_RECORDED);
		return;
	}
	/* A later option must not move the connection to another client. */
	if (smp_load_acquire(&tc->state) == TOA_CT_RECORDED &&
	    !toa_addr_equal(&tc->client, client))
		toa_stat_inc(net, TOA_STAT_OPTIONS_CONFLICTING);
}

/* The TOA target's work for one packet of a connection it selects. */
void toa_ct_handle_packet(struct net *net, struct sk_buff *skb,
			  unsigned int thoff, unsigned int kinds)
{
	enum toa_stat why = TOA_STAT_DECLINED_NO_CONNTRACK;
	enum ip_conntrack_info ctinfo;
	struct toa_ct *tc = NULL;
	struct toa_addr client;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	if (ct) {
		/* Only the proxy's side carries the option. */
		if (CTINFO2DIR(ctinfo) != IP_CT_DIR_ORIGINAL)
			return;
		tc = toa_ct_storage(ct, &why);
		if (tc && (READ_ONCE(tc->consumed) ||
			   READ_ONCE(tc->inspected) >= TOA_CT_INSPECT_MAX))
			return;
	}

	switch (toa_read_options(net, skb, thoff, kinds, &client)) {
	case TOA_PARSE_MALFORMED:
		toa_stat_inc(net, TOA_STAT_OPTIONS_MALFORMED);
		break;
	case TOA_PARSE_FOUND:
		if (tc)
			toa_ct_record(net, tc, &client);
		else
			toa_stat_inc(net, why);
		break;
	case TOA_PARSE_NONE:
		break;
	}
	if (tc)
		WRITE_ONCE(tc->inspected, tc->inspected + 1);
}

/*
 * On the SYN cookie path conntrack is already detached from the skb: find
 * the entry by the tuple of the server's answers (its reply tuple, which
 * is what the socket sees after any NAT on this host).
 */
static struct nf_conn *toa_ct_find(struct net *net, const struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct nf_conntrack_tuple_hash *h;
	struct nf_conntrack_tuple t = {};

	if (ip_hdr(skb)->version == 4) {
		t.src.l3num = NFPROTO_IPV4;
		t.src.u3.ip = ip_hdr(skb)->daddr;
		t.dst.u3.ip = ip_hdr(skb)->saddr;
	} else {
		t.src.l3num = NFPROTO_IPV6;
		t.src.u3.in6 = ipv6_hdr(skb)->daddr;
		t.dst.u3.in6 = ipv6_hdr(skb)->saddr;
	}
	t.src.u.tcp.port = th->dest;
	t.dst.u.tcp.port = th->source;
	t.dst.protonum = IPPROTO_TCP;
	t.dst.dir = IP_CT_DIR_REPLY;

	h = nf_conntrack_find_get(net, &nf_ct_zone_dflt, &t);
	return h ? nf_ct_tuplehash_to_ctrack(h) : NULL;
}

/* The TOA storage of @ct if the TOA target gave it one; under RCU. */
static struct toa_ct *toa_ct_data(const struct nf_conn *ct)
{
	struct nf_conn_help *help = nfct_help(ct);

	if (!help || !toa_helper_is_ours(rcu_dereference(help->helper)))
		return NULL;
	return (struct toa_ct *)help->data;
}

static bool toa_ct_take(struct net *net, struct nf_conn *ct,
			struct toa_addr *client)
{
	struct toa_ct *tc;
	bool found = false;

	rcu_read_lock();
	tc = toa_ct_data(ct);
	if (tc) {
		WRITE_ONCE(tc->consumed, 1);
		found = smp_load_acquire(&tc->state) == TOA_CT_RECORDED;
		if (found)
			*client = tc->client;
		else
			toa_stat_inc(net, TOA_STAT_SOCKETS_WITHOUT_OPTION);
	}
	rcu_read_unlock();
	return found;
}

/*
 * Whether the connection of @skb, completing a handshake, may have a
 * client: false when its entry is known and no TOA rule selected it, so
 * the socket hook leaves every other passive connection at once.  (On the
 * SYN cookie path the entry was detached from @skb: it may.)
 */
bool toa_ct_selected(const struct sk_buff *skb)
{
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);
	bool selected;

	if (!ct)
		return true;
	rcu_read_lock();
	selected = toa_ct_data(ct);
	rcu_read_unlock();
	return selected;
}

/*
 * The client recorded for the connection whose handshake-completing
 * packet is @skb, if a TOA rule selected it and an option was recorded.
 */
bool toa_ct_client_of(struct net *net, const struct sk_buff *skb,
		      struct toa_addr *client)
{
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct, *found;
	bool ok;

	ct = nf_ct_get(skb, &ctinfo);
	if (ct)
		return toa_ct_take(net, ct, client);
	found = toa_ct_find(net, skb);
	if (!found)
		return false;
	ok = toa_ct_take(net, found, client);
	nf_ct_put(found);
	return ok;
}

/*
 * The client recorded so far for the connection of @skb, from any packet
 * of it in either direction (the toa match).  Called from a netfilter hook,
 * under RCU.
 */
bool toa_ct_recorded(const struct sk_buff *skb, struct toa_addr *client)
{
	enum ip_conntrack_info ctinfo;
	const struct toa_ct *tc;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	tc = ct ? toa_ct_data(ct) : NULL;
	if (!tc || smp_load_acquire(&tc->state) != TOA_CT_RECORDED)
		return false;
	*client = tc->client;
	return true;
}

/*
 * --toa-insert: give a new connection its storage at its SYN, while the entry
 * is unconfirmed, so that toa_ct_claim_ack() can find its handshake ACK.
 */
void toa_ct_insert_begin(struct net *net, struct nf_conn *ct)
{
	enum toa_stat why;

	if (!toa_ct_storage(ct, &why))
		toa_stat_inc(net, why);
}

/*
 * --toa-insert: true for one packet per connection, the caller's handshake
 * ACK; retransmits and data after it find the claim taken.  Under RCU.
 */
bool toa_ct_claim_ack(struct nf_conn *ct)
{
	struct toa_ct *tc = toa_ct_data(ct);

	return tc && !xchg(&tc->ack_claimed, 1);
}

int toa_ct_init(void)
{
	NF_CT_HELPER_BUILD_BUG_ON(sizeof(struct toa_ct));
	return nf_conntrack_helpers_register(toa_helpers,
					     ARRAY_SIZE(toa_helpers));
}

void toa_ct_exit(void)
{
	nf_conntrack_helpers_unregister(toa_helpers, ARRAY_SIZE(toa_helpers));
}
