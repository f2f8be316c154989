// SPDX-License-Identifier: GPL-2.0
/*
 * The toa match: "-m toa [!] --toa-src ADDR[/LEN] [!] --toa-sport P[:P]
 * [!] --toa-present" tests the client that the TOA target recorded for the
 * packet's connection, so that rules can firewall by the real client.
 *
 * It answers for every packet of the connection, in both directions, once
 * the TOA target has recorded an option.  Before that (the SYN of a proxy
 * that sends the option only in the handshake ACK, or a rule that runs
 * before the TOA rule), nothing is recorded: --toa-src and --toa-sport do
 * not match, negated or not, and "! --toa-present" does.
 */
#include <linux/module.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_TOA.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include "toa.h"

/* @result of the test of option @opt, after its "!" if any. */
static bool toa_mt_test(const struct xt_toa_mtinfo *info, u8 opt, bool result)
{
	return result ^ !!(info->invert & opt);
}

static bool toa_mt_src(const struct xt_toa_mtinfo *info,
		       const struct toa_addr *client)
{
	if (info->src_family == NFPROTO_IPV4)
		return !client->v6 &&
		       !((client->addr.v4 ^ info->src.ip) & info->smsk.ip);
	return client->v6 &&
	       !ipv6_masked_addr_cmp((const struct in6_addr *)client->addr.v6,
				     &info->smsk.in6, &info->src.in6);
}

static bool toa_mt(const struct sk_buff *skb, struct xt_action_param *par)
{
	const struct xt_toa_mtinfo *info = par->matchinfo;
	struct toa_addr client;
	bool present = toa_ct_recorded(skb, &client);
	u16 port;

	if (info->flags & XT_TOA_MATCH_PRESENT &&
	    !toa_mt_test(info, XT_TOA_MATCH_PRESENT, present))
		return false;
	if (!(info->flags & (XT_TOA_MATCH_SRC | XT_TOA_MATCH_SPORT)))
		return true;
	/* An address test needs an address, with "!" or without. */
	if (!present)
		return false;
	if (info->flags & XT_TOA_MATCH_SRC &&
	    !toa_mt_test(info, XT_TOA_MATCH_SRC, toa_mt_src(info, &client)))
		return false;
	port = ntohs(client.port);
	return !(info->flags & XT_TOA_MATCH_SPORT) ||
	       toa_mt_test(info, XT_TOA_MATCH_SPORT,
			   port >= info->sport_min && port <= info->sport_max);
}

/* A prefix mask: ones, then zeroes, with no address bit outside it. */
static bool toa_mt_prefix_ok(const __be32 *addr, const __be32 *mask,
			     unsigned int words)
{
	bool zeroes = false;
	unsigned int i;
	u32 m;

	for (i = 0; i < words; i++) {
		m = ntohl(mask[i]);
		if (addr[i] & ~mask[i])
			return false;
		if ((zeroes && m) || (m & (~m >> 1)))
			return false;
		if (m != 0xffffffff)
			zeroes = true;
	}
	return true;
}

static int toa_mt_check(const struct xt_mtchk_param *par)
{
	const struct xt_toa_mtinfo *info = par->matchinfo;
	int ret;

	if (info->flags & ~XT_TOA_MATCH_ALL || info->invert & ~info->flags ||
	    info->reserved) {
		pr_info_ratelimited("toa: unsupported options (plugin and module versions differ?)\n");
		return -EINVAL;
	}
	if (!info->flags) {
		pr_info_ratelimited("toa: give --toa-src, --toa-sport or --toa-present\n");
		return -EINVAL;
	}
	if (info->invert & XT_TOA_MATCH_PRESENT &&
	    info->flags & (XT_TOA_MATCH_SRC | XT_TOA_MATCH_SPORT)) {
		pr_info_ratelimited("toa: \"! --toa-present\" never matches with --toa-src or --toa-sport\n");
		return -EINVAL;
	}
	if (info->flags & XT_TOA_MATCH_SRC &&
	    !((info->src_family == NFPROTO_IPV4 &&
	       toa_mt_prefix_ok(&info->src.ip, &info->smsk.ip, 1)) ||
	      (info->src_family == NFPROTO_IPV6 &&
	       toa_mt_prefix_ok(info->src.ip6, info->smsk.ip6, 4)))) {
		pr_info_ratelimited("toa: --toa-src needs an IPv4 or IPv6 network with a prefix mask\n");
		return -EINVAL;
	}
	if (info->flags & XT_TOA_MATCH_SPORT &&
	    info->sport_min > info->sport_max) {
		pr_info_ratelimited("toa: --toa-sport range is backwards\n");
		return -EINVAL;
	}
	ret = nf_ct_netns_get(par->net, par->family);
	if (ret < 0)
		pr_info_ratelimited("toa: cannot enable connection tracking for family %u\n",
				    par->family);
	return ret;
}

static void toa_mt_destroy(const struct xt_mtdtor_param *par)
{
	nf_ct_netns_put(par->net, par->family);
}

#define TOA_MATCH(fam)						\
	{							\
		.name		= "toa",			\
		.family		= fam,				\
		.proto		= IPPROTO_TCP,			\
		.match		= toa_mt,			\
		.matchsize	= sizeof(struct xt_toa_mtinfo),	\
		.checkentry	= toa_mt_check,			\
		.destroy	= toa_mt_destroy,		\
		.me		= THIS_MODULE,			\
	}

static struct xt_match toa_mt_reg[] __read_mostly = {
	TOA_MATCH(NFPROTO_IPV4),
	TOA_MATCH(NFPROTO_IPV6),
};

int toa_match_init(void)
{
	return xt_register_matches(toa_mt_reg, ARRAY_SIZE(toa_mt_reg));
}

void toa_match_exit(void)
{
	xt_unregister_matches(toa_mt_reg, ARRAY_SIZE(toa_mt_reg));
}
