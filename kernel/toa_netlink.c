// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "xt_TOA" (include/linux/netfilter/xt_TOA_genl.h),
 * the interface of toactl: counters, lookup of one connection, dump of
 * the TOA sockets.  Every request acts on the sender's network namespace.
 *
 * The counters are as public as /proc/net/xt_TOA.  Lookup and dump tell
 * which real client is behind each connection, which a proxy's customers
 * may not want every local user to learn: they need CAP_NET_ADMIN in the
 * namespace's user namespace.
 */
#include <linux/netfilter/xt_TOA_genl.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include "toa.h"
#include "toa_compat.h"

static struct genl_family toa_genl_family;

/*
 * Checked by the core before the handler runs, strictly: exact lengths, no
 * unknown attribute; a connection has no port 0.
 */
static const struct nla_policy toa_lookup_policy[XT_TOA_A_MAX + 1] = {
	[XT_TOA_A_LOCAL_IP4]	= NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[XT_TOA_A_LOCAL_IP6]	= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[XT_TOA_A_LOCAL_PORT]	= NLA_POLICY_MIN(NLA_BE16, 1),
	[XT_TOA_A_PEER_IP4]	= NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[XT_TOA_A_PEER_IP6]	= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[XT_TOA_A_PEER_PORT]	= NLA_POLICY_MIN(NLA_BE16, 1),
};

/* One socket entry: the connection as the kernel sees it, and its client. */
static int toa_nl_put_socket(struct sk_buff *skb, const struct sock *sk,
			     const struct toa_addr *client)
{
	const struct inet_sock *inet = inet_sk(sk);

	/* v4-mapped connections are IPv4 on the wire, and looked up as such. */
	if (sk->sk_family == AF_INET6 && !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		if (nla_put_in6_addr(skb, XT_TOA_A_LOCAL_IP6, &sk->sk_v6_rcv_saddr) ||
		    nla_put_in6_addr(skb, XT_TOA_A_PEER_IP6, &sk->sk_v6_daddr))
			return -EMSGSIZE;
	} else {
		if (nla_put_in_addr(skb, XT_TOA_A_LOCAL_IP4, inet->inet_rcv_saddr) ||
		    nla_put_in_addr(skb, XT_TOA_A_PEER_IP4, inet->inet_daddr))
			return -EMSGSIZE;
	}
	if (nla_put_be16(skb, XT_TOA_A_LOCAL_PORT, inet->inet_sport) ||
	    nla_put_be16(skb, XT_TOA_A_PEER_PORT, inet->inet_dport))
		return -EMSGSIZE;
	if (client->v6 ?
	    nla_put(skb, XT_TOA_A_CLIENT_IP6, sizeof(client->addr.v6), client->addr.v6) :
	    nla_put_in_addr(skb, XT_TOA_A_CLIENT_IP4, client->addr.v4))
		return -EMSGSIZE;
	if (nla_put_be16(skb, XT_TOA_A_CLIENT_PORT, client->port) ||
	    nla_put_u8(skb, XT_TOA_A_KIND, client->kind))
		return -EMSGSIZE;
	return 0;
}

/* The namespace's counters, and the kprobe hits skipped (all namespaces). */
static int toa_nl_put_stats(struct sk_buff *skb, const struct net *net)
{
	struct nlattr *nest = nla_nest_start(skb, XT_TOA_A_STATS);

	if (!nest || toa_stats_fill(skb, net) ||
	    nla_put_u64_64bit(skb, XT_TOA_STAT_HOOKS_MISSED,
			      toa_hooks_missed(), XT_TOA_STAT_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int toa_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &toa_genl_family, 0,
				XT_TOA_CMD_GET_STATS);
	if (!hdr || toa_nl_put_stats(msg, genl_info_net(info))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* The established socket of the request's 4-tuple, with a reference. */
static struct sock *toa_nl_find(struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct net *net = genl_info_net(info);
	__be16 lport, pport;
	bool v4, v6;

	v4 = tb[XT_TOA_A_LOCAL_IP4] || tb[XT_TOA_A_PEER_IP4];
	v6 = tb[XT_TOA_A_LOCAL_IP6] || tb[XT_TOA_A_PEER_IP6];
	if (v4 == v6) {
		GENL_SET_ERR_MSG(info, "need the local and peer addresses, both IPv4 or both IPv6");
		return ERR_PTR(-EINVAL);
	}
	if (GENL_REQ_ATTR_CHECK(info, v4 ? XT_TOA_A_LOCAL_IP4 : XT_TOA_A_LOCAL_IP6) ||
	    GENL_REQ_ATTR_CHECK(info, v4 ? XT_TOA_A_PEER_IP4 : XT_TOA_A_PEER_IP6) ||
	    GENL_REQ_ATTR_CHECK(info, XT_TOA_A_LOCAL_PORT) ||
	    GENL_REQ_ATTR_CHECK(info, XT_TOA_A_PEER_PORT)) {
		/* The core reports which one in NLMSGERR_ATTR_MISS_TYPE. */
		GENL_SET_ERR_MSG(info, "missing address or port");
		return ERR_PTR(-EINVAL);
	}
	lport = nla_get_be16(tb[XT_TOA_A_LOCAL_PORT]);
	pport = nla_get_be16(tb[XT_TOA_A_PEER_PORT]);

	/* As for a packet from the peer: its source is the peer. */
	if (v4)
		return toa_compat_inet_lookup_established(net,
				nla_get_in_addr(tb[XT_TOA_A_PEER_IP4]), pport,
				nla_get_in_addr(tb[XT_TOA_A_LOCAL_IP4]), ntohs(lport),
				0, 0);
	return toa_compat_inet6_lookup_established(net,
			nla_data(tb[XT_TOA_A_PEER_IP6]), pport,
			nla_data(tb[XT_TOA_A_LOCAL_IP6]), ntohs(lport), 0, 0);
}

static int toa_nl_lookup(struct sk_buff *skb, struct genl_info *info)
{
	struct toa_addr client;
	struct sk_buff *msg;
	struct sock *sk;
	bool found;
	void *hdr;
	int err;

	rcu_read_lock();
	sk = toa_nl_find(info);
	rcu_read_unlock();
	if (IS_ERR(sk))
		return PTR_ERR(sk);
	if (!sk) {
		GENL_SET_ERR_MSG(info, "no such connection");
		return -ENOENT;
	}
	/* Time-wait and request sockets carry nothing of ours. */
	found = sk_fullsock(sk) && toa_sock_client(sk, &client);
	if (!found) {
		GENL_SET_ERR_MSG(info, "the connection carries no TOA");
		err = -ENOENT;
		goto put;
	}

	err = -ENOMEM;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		goto put;
	hdr = genlmsg_put_reply(msg, info, &toa_genl_family, 0, XT_TOA_CMD_LOOKUP);
	err = -EMSGSIZE;
	if (!hdr || toa_nl_put_socket(msg, sk, &client)) {
		nlmsg_free(msg);
		goto put;
	}
	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, info);
put:
	sock_gen_put(sk);
	return err;
}

struct toa_nl_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
};

static int toa_nl_dump_socket(void *arg, const struct sock *sk,
			      const struct toa_addr *client)
{
	struct toa_nl_dump *d = arg;
	void *hdr;

	hdr = genlmsg_put(d->skb, NETLINK_CB(d->cb->skb).portid,
			  d->cb->nlh->nlmsg_seq, &toa_genl_family, NLM_F_MULTI,
			  XT_TOA_CMD_GET_SOCKETS);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(d->cb, hdr);
	if (toa_nl_put_socket(d->skb, sk, client)) {
		genlmsg_cancel(d->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(d->skb, hdr);
	return 0;
}

/* cb->args[0], [1]: the walk's cursor (bucket, sockets done in it). */
static int toa_nl_get_sockets(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct net *net = sock_net(skb->sk);
	unsigned int bucket = cb->args[0], skip = cb->args[1];
	struct toa_nl_dump d = { .skb = skb, .cb = cb };
	int err;

	/* Odd, so never 0, which would mean "no generation yet". */
	cb->seq = toa_net_sockets_gen(net) << 1 | 1;
	err = toa_sock_walk(net, &bucket, &skip, toa_nl_dump_socket, &d);
	cb->args[0] = bucket;
	cb->args[1] = skip;
	/* A socket that fits in no empty buffer would stall the dump. */
	if (err && !skb->len)
		return err;
	return skb->len;
}

static const struct genl_ops toa_genl_ops[] = {
	{
		.cmd	= XT_TOA_CMD_GET_STATS,
		.doit	= toa_nl_get_stats,
	},
	{
		.cmd	= XT_TOA_CMD_LOOKUP,
		.doit	= toa_nl_lookup,
		.policy	= toa_lookup_policy,
		.maxattr = XT_TOA_A_MAX,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= XT_TOA_CMD_GET_SOCKETS,
		.dumpit	= toa_nl_get_sockets,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family toa_genl_family __ro_after_init = {
	.name		= XT_TOA_GENL_NAME,
	.version	= XT_TOA_GENL_VERSION,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.ops		= toa_genl_ops,
	.n_ops		= ARRAY_SIZE(toa_genl_ops),
	/* .resv_start_op 0: every command gets the strict checks of new
	 * families: no attribute without a policy, reserved header bits 0.
	 */
};

int __init toa_netlink_init(void)
{
	return genl_register_family(&toa_genl_family);
}

void toa_netlink_exit(void)
{
	genl_unregister_family(&toa_genl_family);
}
