// SPDX-License-Identifier: GPL-2.0
/*
 * Per-connection storage of the client a proxy reported.
 *
 * Modules cannot add conntrack extensions any more, but a conntrack helper
 * owns 32 bytes of private data in the helper extension (nf_conn_help.data).
 * The TOA target attaches the "toa" helper to a new connection exactly like
 * nftables' "ct helper set" does; conntrack frees the data with the entry
 * and unregistering the helper stops it on every entry.  One
 * connection has at most one helper: one that already has ftp or sip cannot
 * be given TOA.
 *
 * The helpers are also TOA's nftables (and "-j CT --helper") interface:
 * attached by "ct helper set", their help() reads the options that the
 * target reads for the connections it selects.  Their names carry the
 * target's options: "toa" trusts the default kinds in the SYN and the ACK
 * (--toa-from any), "toa-254" kind 254 only, "toa-ack" and "toa-254-ack"
 * the ACK only, and so on for kinds 200, 253, 254 and syn, ack.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter/xt_TOA.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_zones.h>
#include "toa.h"
#include "toa_compat.h"
#include "toa_handshake.h"

/*
 * Conntrack zones that selected connections were seen in: the SYN cookie
 * path must find their entries without the skb's reference.  A handful at
 * most in practice; never forgotten while the module is loaded.
 */
#define TOA_CT_ZONES_MAX	16
static struct nf_conntrack_zone toa_ct_zones[TOA_CT_ZONES_MAX];
static unsigned int toa_ct_nzones;
static DEFINE_SPINLOCK(toa_ct_zones_lock);

static bool toa_ct_zone_known(const struct nf_conntrack_zone *zone,
			      unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!memcmp(&toa_ct_zones[i], zone, sizeof(*zone)))
			return true;
	return false;
}

static void toa_ct_note_zone(const struct nf_conn *ct)
{
	const struct nf_conntrack_zone *zone = nf_ct_zone(ct);
	unsigned int n;

	if (zone->id == NF_CT_DEFAULT_ZONE_ID ||
	    toa_ct_zone_known(zone, smp_load_acquire(&toa_ct_nzones)))
		return;
	spin_lock_bh(&toa_ct_zones_lock);
	n = toa_ct_nzones;
	if (toa_ct_zone_known(zone, n)) {
		/* noted meanwhile */
	} else if (n < TOA_CT_ZONES_MAX) {
		toa_ct_zones[n] = *zone;
		smp_store_release(&toa_ct_nzones, n + 1);
	} else {
		pr_warn_once("xt_TOA: connections of more than %u conntrack zones: SYN cookie connections in zone %u keep the proxy's address\n",
			     TOA_CT_ZONES_MAX, zone->id);
	}
	spin_unlock_bh(&toa_ct_zones_lock);
}

/*
 * The TOA of the TCP header @th at @thoff, if one of @kinds is there: the
 * one place packets' option bytes are read (by toa_parse.c).
 */
enum toa_parse_result toa_read_options(struct net *net,
				       const struct sk_buff *skb,
				       unsigned int thoff,
				       const struct tcphdr *th,
				       unsigned int kinds,
				       struct toa_addr *client)
{
	enum toa_parse_result res;
	unsigned int not_toa = 0;
	u8 buf[MAX_TCP_OPTION_SPACE];
	unsigned int optlen;
	const u8 *opts;

	if (th->doff * 4 < sizeof(*th))
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

static bool toa_is_syn(const struct tcphdr *th)
{
	return th->syn && !th->ack;
}

/* Whether a packet of the connection of @hs can still matter (lockless). */
static bool toa_ct_looking(const struct toa_hs *hs, const struct tcphdr *th)
{
	/* A new SYN may begin a new connection on the entry. */
	return toa_is_syn(th) ||
	       (!(READ_ONCE(hs->flags) & TOA_HS_TAKEN) &&
		READ_ONCE(hs->inspected) < TOA_HS_INSPECT_MAX);
}

/*
 * Place one packet of the client's in the handshake of @hs, whose reader
 * takes TOAs @from where it says; count it.
 */
static void toa_ct_step(struct net *net, struct nf_conn *ct,
			struct toa_hs *hs, unsigned int from,
			const struct tcphdr *th, enum toa_parse_result res,
			const struct toa_addr *client)
{
	const struct toa_seg seg = {
		.seq = ntohl(th->seq), .syn = th->syn, .ack = th->ack,
		.rst = th->rst,
	};
	enum toa_hs_event ev;
	unsigned int where;

	spin_lock_bh(&ct->lock);
	hs->from = from;
	where = toa_hs_place(hs, &seg);
	ev = toa_hs_record(hs, where, res, client);
	spin_unlock_bh(&ct->lock);

	if (where & TOA_HS_RESTARTED)
		toa_stat_inc(net, TOA_STAT_HANDSHAKES_RESTARTED);
	switch (ev) {
	case TOA_HS_EV_NONE:
		break;
	case TOA_HS_EV_RECORDED:
		toa_stat_inc(net, TOA_STAT_OPTIONS_RECORDED);
		break;
	case TOA_HS_EV_CONFLICTING:
		toa_stat_inc(net, TOA_STAT_OPTIONS_CONFLICTING);
		break;
	case TOA_HS_EV_IGNORED:
		toa_stat_inc(net, TOA_STAT_OPTIONS_IGNORED);
		break;
	}
}

/*
 * Read the TOA of @skb, a packet of the client's whose TCP header is at
 * @thoff, into the handshake record @hs of @ct: of @kinds, @from where
 * it says (XT_TOA_FROM_*).
 */
static void toa_ct_inspect(struct net *net, const struct sk_buff *skb,
			   unsigned int thoff, struct nf_conn *ct,
			   struct toa_hs *hs, unsigned int kinds,
			   unsigned int from)
{
	enum toa_parse_result res;
	const struct tcphdr *th;
	struct toa_addr client;
	struct tcphdr _th;

	th = skb_header_pointer(skb, thoff, sizeof(_th), &_th);
	if (!th || !toa_ct_looking(hs, th))
		return;
	if (toa_is_syn(th)) {
		toa_net_note_ct(net);
		toa_ct_note_zone(ct);
	}
	res = toa_read_options(net, skb, thoff, th, kinds, &client);
	if (res == TOA_PARSE_MALFORMED)
		toa_stat_inc(net, TOA_STAT_OPTIONS_MALFORMED);
	toa_ct_step(net, ct, hs, from, th, res, &client);
}

static int toa_helper_help(struct sk_buff *skb, unsigned int protoff,
			   struct nf_conn *ct, enum ip_conntrack_info ctinfo);

/*
 * The kernel refuses two helpers of one tuple (a remnant of assigning
 * helpers by port, gone since 6.0): a port no helper uses, and nothing
 * else reads, tells each name's pair apart.
 */
#define TOA_HELPER(str, fam, id)				\
	{							\
		.name			= str,			\
		.me			= THIS_MODULE,		\
		.tuple.src.l3num	= fam,			\
		.tuple.src.u.tcp.port	= cpu_to_be16(id),	\
		.tuple.dst.protonum	= IPPROTO_TCP,		\
		.help			= toa_helper_help,	\
		TOA_COMPAT_EXPECT_POLICY({ .name = "toa" }),	\
	}
#define TOA_HELPERS(str, id)					\
	TOA_HELPER(str, NFPROTO_IPV4, id), TOA_HELPER(str, NFPROTO_IPV6, id)
#define TOA_HELPERS_FROM(str, id)				\
	TOA_HELPERS(str, id), TOA_HELPERS(str "-syn", id + 1),	\
	TOA_HELPERS(str "-ack", id + 2)

/*
 * Per kind set, per --toa-from, IPv4 and IPv6; the target attaches the
 * first two.  MODULE_ALIAS_NFCT_HELPER() below names each.  Conntrack
 * may register copies: toa_helpers_reg[] are the helpers it uses.
 */
static struct nf_conntrack_helper toa_helpers[] __read_mostly = {
	TOA_HELPERS_FROM("toa", 1),
	TOA_HELPERS_FROM("toa-200", 4),
	TOA_HELPERS_FROM("toa-253", 7),
	TOA_HELPERS_FROM("toa-254", 10),
};
static struct nf_conntrack_helper *toa_helpers_reg[ARRAY_SIZE(toa_helpers)];

#define TOA_HELPER_FROMS	3
static const u8 toa_helper_kinds[] = {
	XT_TOA_KINDS_DEFAULT, XT_TOA_KIND_200, XT_TOA_KIND_253, XT_TOA_KIND_254,
};
static const u8 toa_helper_froms[TOA_HELPER_FROMS] = {
	XT_TOA_FROM_ANY, XT_TOA_FROM_SYN, XT_TOA_FROM_ACK,
};

#define TOA_ALIASES(str)					\
	MODULE_ALIAS_NFCT_HELPER(str);				\
	MODULE_ALIAS_NFCT_HELPER(str "-syn");			\
	MODULE_ALIAS_NFCT_HELPER(str "-ack")
TOA_ALIASES("toa");
TOA_ALIASES("toa-200");
TOA_ALIASES("toa-253");
TOA_ALIASES("toa-254");

/* The index in toa_helpers[] of @helper if it is registered, or -1. */
static int toa_helper_index(const struct nf_conntrack_helper *helper)
{
	unsigned int i;

	if (!helper)
		return -1;
	for (i = 0; i < ARRAY_SIZE(toa_helpers_reg); i++)
		if (toa_helpers_reg[i] == helper)
			return i;
	return -1;
}

static bool toa_helper_is_ours(const struct nf_conntrack_helper *helper)
{
	return toa_helper_index(helper) >= 0;
}

/*
 * help() runs from conntrack's confirmation at LOCAL_IN (and POSTROUTING),
 * for every packet of the entry, before TCP sees it.  The connections the
 * TOA target selects were read by it in PREROUTING, with its rule's kinds.
 */
static int toa_helper_help(struct sk_buff *skb, unsigned int protoff,
			   struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	struct nf_conn_help *help = nfct_help(ct);
	struct toa_hs *hs = (struct toa_hs *)help->data;
	int i;

	if (CTINFO2DIR(ctinfo) != IP_CT_DIR_ORIGINAL ||
	    READ_ONCE(hs->flags) & TOA_HS_BY_TARGET)
		return NF_ACCEPT;
	/* Its name: two helpers per name, TOA_HELPER_FROMS names per kind set. */
	i = toa_helper_index(rcu_dereference(help->helper)) / 2;
	toa_ct_inspect(nf_ct_net(ct), skb, protoff, ct, hs,
		       toa_helper_kinds[i / TOA_HELPER_FROMS],
		       toa_helper_froms[i % TOA_HELPER_FROMS]);
	return NF_ACCEPT;	/* anything else would drop the packet */
}

/*
 * The connection's TOA storage, attached now if @ct is new.  On failure
 * *why says which decline counter applies.
 */
static struct toa_hs *toa_ct_storage(struct nf_conn *ct, enum toa_stat *why)
{
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_helper *helper;

	if (help) {
		helper = rcu_dereference(help->helper);
		if (toa_helper_is_ours(helper))
			return (struct toa_hs *)help->data;
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
	*(struct toa_hs *)help->data = (struct toa_hs){};
	helper = toa_helpers_reg[nf_ct_l3num(ct) == NFPROTO_IPV6];
	toa_compat_helper_get(helper);
	rcu_assign_pointer(help->helper, helper);
	/* Keeps conntrack from re-looking-up (and dropping) the helper. */
	set_bit(IPS_HELPER_BIT, &ct->status);
	return (struct toa_hs *)help->data;
}

/*
 * The target reads the options of the connections it selects, also when
 * "-j CT --helper" attached the helper first: its rule says how.
 */
static void toa_ct_claim(struct nf_conn *ct, struct toa_hs *hs)
{
	if (READ_ONCE(hs->flags) & TOA_HS_BY_TARGET)
		return;
	spin_lock_bh(&ct->lock);
	hs->flags |= TOA_HS_BY_TARGET;
	spin_unlock_bh(&ct->lock);
}

/*
 * The TOA target's work for one packet of a connection it selects, @ct
 * (NULL if conntrack has none).  A connection that cannot be given
 * storage is counted once, at its SYN.
 */
void toa_ct_handle_packet(struct net *net, struct sk_buff *skb,
			  unsigned int thoff, const struct xt_toa_tginfo *info,
			  struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	enum toa_stat why = TOA_STAT_DECLINED_NO_CONNTRACK;
	struct toa_hs *hs = NULL;
	const struct tcphdr *th;
	struct tcphdr _th;

	if (ct) {
		/* Only the proxy's side carries the option. */
		if (CTINFO2DIR(ctinfo) != IP_CT_DIR_ORIGINAL)
			return;
		hs = toa_ct_storage(ct, &why);
	}
	if (!hs) {
		th = skb_header_pointer(skb, thoff, sizeof(_th), &_th);
		if (th && toa_is_syn(th))
			toa_stat_inc(net, why);
		return;
	}
	toa_ct_claim(ct, hs);
	toa_ct_inspect(net, skb, thoff, ct, hs, info->kinds, info->from);
}

/* The TOA storage of @ct if the TOA target gave it one; under RCU. */
static struct toa_hs *toa_ct_data(const struct nf_conn *ct)
{
	struct nf_conn_help *help = nfct_help(ct);

	if (!help || !toa_helper_is_ours(rcu_dereference(help->helper)))
		return NULL;
	return (struct toa_hs *)help->data;
}

/*
 * What the socket made from the handshake whose client ISN is @isn gets
 * from @ct; false if @ct has no TOA storage.  Counts the outcome.  Runs
 * in a kprobe handler, whose interrupts may be off.
 */
static bool toa_ct_take(struct net *net, struct nf_conn *ct, u32 isn,
			struct toa_addr *client, bool *found)
{
	enum toa_hs_take took;
	unsigned long flags;
	struct toa_hs *hs;

	rcu_read_lock();
	hs = toa_ct_data(ct);
	if (hs) {
		spin_lock_irqsave(&ct->lock, flags);
		took = toa_hs_take(hs, isn, client);
		spin_unlock_irqrestore(&ct->lock, flags);
	}
	rcu_read_unlock();
	if (!hs)
		return false;
	*found = took == TOA_HS_TAKE_CLIENT;
	if (took == TOA_HS_TAKE_NONE)
		toa_stat_inc(net, TOA_STAT_SOCKETS_WITHOUT_OPTION);
	else if (took == TOA_HS_TAKE_STALE)
		toa_stat_inc(net, TOA_STAT_SOCKETS_OTHER_HANDSHAKE);
	return true;
}

/*
 * Find the entry of @skb's connection in @ct_net by the tuple of the
 * server's answers (its reply tuple, which is what the socket sees after
 * any NAT on the way), in the default zone and in each zone selected
 * connections were seen in; take its client for the socket of @net.
 * Zones may hold the same tuple: only one of them can be this handshake's.
 * Used when conntrack is detached from @skb (the SYN cookie path, or the
 * packet crossed into another namespace) or has no TOA storage.
 */
static bool toa_ct_find_take(struct net *ct_net, struct net *net,
			     const struct sk_buff *skb, u32 isn,
			     struct toa_addr *client)
{
	const struct nf_conntrack_zone *zone = &nf_ct_zone_dflt;
	unsigned int i = 0, n = smp_load_acquire(&toa_ct_nzones);
	const struct tcphdr *th = tcp_hdr(skb);
	struct nf_conntrack_tuple_hash *h;
	struct nf_conntrack_tuple t = {};
	bool found = false, taken;
	struct nf_conn *ct;

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

	for (;;) {
		h = nf_conntrack_find_get(ct_net, zone, &t);
		if (h) {
			ct = nf_ct_tuplehash_to_ctrack(h);
			taken = NF_CT_DIRECTION(h) == IP_CT_DIR_REPLY &&
				toa_ct_take(net, ct, isn, client, &found);
			nf_ct_put(ct);
			if (taken && found)
				return true;
		}
		if (i == n)
			return false;
		zone = &toa_ct_zones[i++];
	}
}

/*
 * The entry of @skb's connection may be in @net's table although @skb has
 * none: on the SYN cookie path TCP detached it.  Not if no selected
 * connection was ever tracked there (conntrack off, the raw table's rule).
 */
static bool toa_ct_detached(struct net *net, const struct nf_conn *ct,
			    enum ip_conntrack_info ctinfo)
{
	return !ct && ctinfo != IP_CT_UNTRACKED && toa_net_ct_seen(net);
}

/*
 * The namespace that handed @skb over (a container's host: toa_netns.c),
 * if TOA entries may be there; under RCU.
 */
static struct net *toa_ct_from(struct net *net, const struct sk_buff *skb)
{
	struct net *from = toa_netns_from(net, skb);

	return from && toa_net_ct_seen(from) ? from : NULL;
}

/*
 * Whether the connection of @skb, completing a handshake, may have a
 * client: false when its entry is known, no TOA rule selected it, and it
 * was not handed over by another namespace, so the socket hook leaves
 * every other passive connection at once; likewise when conntrack does
 * not track it.
 */
bool toa_ct_selected(struct net *net, const struct sk_buff *skb)
{
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);
	bool selected;

	if (toa_ct_detached(net, ct, ctinfo))
		return true;
	rcu_read_lock();
	selected = (ct && toa_ct_data(ct)) || toa_ct_from(net, skb);
	rcu_read_unlock();
	return selected;
}

/*
 * The client recorded for the handshake whose client ISN is @isn and
 * whose completing packet is @skb, if a TOA rule selected the connection
 * and a believable option was recorded for that very handshake: in this
 * namespace's entry, or else in the entry of the namespace that handed
 * the packet over (a container's host: toa_netns.c).
 */
bool toa_ct_client_of(struct net *net, const struct sk_buff *skb, u32 isn,
		      struct toa_addr *client)
{
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct;
	struct net *from;
	bool found = false;

	ct = nf_ct_get(skb, &ctinfo);
	if (ct && toa_ct_take(net, ct, isn, client, &found))
		return found;	/* selected by this namespace's rule */
	if (toa_ct_detached(net, ct, ctinfo) &&
	    toa_ct_find_take(net, net, skb, isn, client))
		return true;
	rcu_read_lock();
	from = toa_ct_from(net, skb);
	found = from && toa_ct_find_take(from, net, skb, isn, client);
	rcu_read_unlock();
	return found;
}

/*
 * The client recorded so far for the connection of @skb, from any packet
 * of it in either direction (the toa match).  Called from a netfilter hook,
 * under RCU.
 */
bool toa_ct_recorded(const struct sk_buff *skb, struct toa_addr *client)
{
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct;
	struct toa_hs *hs;
	bool found;

	ct = nf_ct_get(skb, &ctinfo);
	hs = ct ? toa_ct_data(ct) : NULL;
	if (!hs)
		return false;
	spin_lock_bh(&ct->lock);
	found = toa_hs_client(hs, client);
	spin_unlock_bh(&ct->lock);
	return found;
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
	struct toa_hs *hs = toa_ct_data(ct);
	bool claimed = false;

	if (!hs)
		return false;
	spin_lock_bh(&ct->lock);
	if (!(hs->flags & TOA_HS_ACK_CLAIMED)) {
		hs->flags |= TOA_HS_ACK_CLAIMED;
		claimed = true;
	}
	spin_unlock_bh(&ct->lock);
	return claimed;
}

int toa_ct_init(void)
{
	NF_CT_HELPER_BUILD_BUG_ON(sizeof(struct toa_hs));
	return toa_compat_helpers_register(toa_helpers, toa_helpers_reg,
					   ARRAY_SIZE(toa_helpers));
}

void toa_ct_exit(void)
{
	toa_compat_helpers_unregister(toa_helpers, toa_helpers_reg,
				      ARRAY_SIZE(toa_helpers));
}
