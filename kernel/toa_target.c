// SPDX-License-Identifier: GPL-2.0
/*
 * The TOA target: "-t mangle -A PREROUTING ... -p tcp -j TOA" selects the
 * connections whose TOA option is believed (recorded in conntrack:
 * toa_conntrack.c), "-t raw -A PREROUTING ... -j TOA --toa-from ack" the
 * same without conntrack (toa_untracked.c); "-t mangle -A FORWARD or
 * POSTROUTING ... -p tcp -j TOA --toa-insert KIND/LEN" on a relay writes the
 * option (toa_insert.c).  Non-terminating, like TCPMSS.
 */
#include <linux/module.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_TOA.h>
#include <net/netfilter/nf_conntrack.h>
#include "toa.h"

static unsigned int toa_tg(struct sk_buff *skb,
			   const struct xt_action_param *par)
{
	const struct xt_toa_tginfo *info = par->targinfo;
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct;

	/* Conntrack defragments before mangle: only the first piece counts. */
	if (par->fragoff)
		return XT_CONTINUE;
	if (info->flags & XT_TOA_INSERT)
		return toa_insert(xt_net(par), skb, par->thoff, info);
	/* No entry: none yet (raw, maybe a zone's template), or untracked. */
	ct = nf_ct_get(skb, &ctinfo);
	if (ct && nf_ct_is_template(ct))
		ct = NULL;
	if (ct || !toa_untracked_handle(xt_net(par), skb, par->thoff, info))
		toa_ct_handle_packet(xt_net(par), skb, par->thoff, info, ct,
				     ctinfo);
	return XT_CONTINUE;
}

#define TOA_INSERT_HOOKS ((1 << NF_INET_FORWARD) | (1 << NF_INET_POST_ROUTING))

/* One kind, with the length that holds an address of the rule's family. */
static bool toa_insert_valid(const struct xt_tgchk_param *par)
{
	const struct xt_toa_tginfo *info = par->targinfo;
	unsigned int len = par->family == NFPROTO_IPV4 ? TOA_OPT_V4_LEN :
							 TOA_OPT_V6_LEN;

	if (hweight8(info->kinds) != 1) {
		pr_info_ratelimited("TOA: --toa-insert writes exactly one option kind\n");
		return false;
	}
	/* Kind 200 has no IPv6 form. */
	if (info->len != len ||
	    (info->kinds == XT_TOA_KIND_200 && len != TOA_OPT_V4_LEN)) {
		pr_info_ratelimited("TOA: --toa-insert: iptables writes 200/8, 253/8 or 254/8, ip6tables 253/20 or 254/20\n");
		return false;
	}
	if (par->hook_mask & ~TOA_INSERT_HOOKS || strcmp(par->table, "mangle")) {
		pr_info_ratelimited("TOA: --toa-insert is only valid in mangle's FORWARD and POSTROUTING\n");
		return false;
	}
	return true;
}

static int toa_tg_check(const struct xt_tgchk_param *par)
{
	struct xt_toa_tginfo *info = par->targinfo;
	int ret;

	/* Whatever user space put there: toa_tg_destroy() trusts it. */
	info->no_conntrack = !strcmp(par->table, "raw");
	if (!info->kinds || info->kinds & ~XT_TOA_KINDS_ALL ||
	    info->flags & ~XT_TOA_INSERT ||
	    info->from & ~(XT_TOA_FROM_SYN | XT_TOA_FROM_ACK) ||
	    (info->flags & XT_TOA_INSERT ? info->from : info->len)) {
		pr_info_ratelimited("TOA: unsupported option kinds or flags (plugin and module versions differ?)\n");
		return -EINVAL;
	}
	if (info->flags & XT_TOA_INSERT) {
		if (!toa_insert_valid(par))
			return -EINVAL;
	} else if (par->hook_mask & ~(1 << NF_INET_PRE_ROUTING)) {
		pr_info_ratelimited("TOA: reading the option is only valid in PREROUTING (--toa-insert: FORWARD, POSTROUTING)\n");
		return -EINVAL;
	} else if (info->no_conntrack) {
		/* Before conntrack, which this rule does not turn on. */
		if (info->from == XT_TOA_FROM_ACK)
			return 0;
		pr_info_ratelimited("TOA: in the raw table, without conntrack, only the handshake ACK's TOA reaches the socket: add --toa-from ack (for a proxy that writes the SYN, use the mangle table)\n");
		return -EINVAL;
	} else if (strcmp(par->table, "mangle")) {
		pr_info_ratelimited("TOA: reads the option in the mangle table (or in raw, without conntrack)\n");
		return -EINVAL;
	} else {
		/* nftables' "ct helper set" skips entries that have one. */
		pr_info_once("TOA: connections a TOA rule selects carry the conntrack helper \"toa\": a helper assigned to them later (nftables \"ct helper set\") does nothing, one assigned earlier (-j CT --helper) keeps TOA away\n");
	}
	ret = nf_ct_netns_get(par->net, par->family);
	if (ret < 0)
		pr_info_ratelimited("TOA: cannot enable connection tracking for family %u\n",
				    par->family);
	return ret;
}

static void toa_tg_destroy(const struct xt_tgdtor_param *par)
{
	const struct xt_toa_tginfo *info = par->targinfo;

	if (!info->no_conntrack)
		nf_ct_netns_put(par->net, par->family);
}

/* The raw table (toa_untracked.c) or mangle: toa_tg_check() says. */
#define TOA_TARGET(fam)					\
	{							\
		.name		= "TOA",			\
		.family		= fam,				\
		.hooks		= 1 << NF_INET_PRE_ROUTING |	\
				  TOA_INSERT_HOOKS,		\
		.proto		= IPPROTO_TCP,			\
		.target		= toa_tg,			\
		.targetsize	= sizeof(struct xt_toa_tginfo),	\
		.usersize	= offsetof(struct xt_toa_tginfo,	\
					   no_conntrack),	\
		.checkentry	= toa_tg_check,			\
		.destroy	= toa_tg_destroy,		\
		.me		= THIS_MODULE,			\
	}

static struct xt_target toa_tg_reg[] __read_mostly = {
	TOA_TARGET(NFPROTO_IPV4),
	TOA_TARGET(NFPROTO_IPV6),
};

int toa_target_init(void)
{
	return xt_register_targets(toa_tg_reg, ARRAY_SIZE(toa_tg_reg));
}

void toa_target_exit(void)
{
	xt_unregister_targets(toa_tg_reg, ARRAY_SIZE(toa_tg_reg));
}
