// SPDX-License-Identifier: GPL-2.0
/*
 * xt_TOA: give applications behind an L4 proxy the real client address
 * that the proxy carries in a TCP option, for the connections an xtables
 * rule selects.
 *
 *   toa_target.c     the TOA target (rule syntax lives in userspace/)
 *   toa_match.c      the toa match: firewall by the recorded client
 *   toa_insert.c     the target's --toa-insert mode: the only writer of options
 *   toa_parse.c      the option parser, the only reader of option bytes
 *   toa_handshake.c  which TOA a socket may believe: its own handshake's
 *   toa_conntrack.c  per-connection storage (conntrack helper data), and
 *                    the "toa" helpers of nftables' "ct helper set"
 *   toa_hooks.c      hooks: socket creation, accept, IPV6_ADDRFORM, ULPs, close
 *   toa_getname.c    the getname that TOA listeners give accept()ed sockets
 *   toa_sock.c       per-socket storage (sk_user_data), and its list in
 *                    /proc/net/xt_TOA_sockets
 *   toa_stats.c      per-namespace counters in /proc/net/xt_TOA
 *   toa_netlink.c    generic netlink family: counters, lookup, dump (toactl)
 */
#include <linux/module.h>
#include "toa.h"

static int __init toa_init(void)
{
	int ret;

	ret = toa_stats_init();
	if (ret)
		return ret;
	ret = toa_sock_init();
	if (ret)
		goto err_stats;
	ret = toa_ct_init();
	if (ret)
		goto err_sock;
	ret = toa_hooks_init();
	if (ret)
		goto err_ct;
	ret = toa_target_init();
	if (ret)
		goto err_hooks;
	ret = toa_match_init();
	if (ret)
		goto err_target;
	ret = toa_netlink_init();
	if (ret)
		goto err_match;
	return 0;

err_match:
	toa_match_exit();
err_target:
	toa_target_exit();
err_hooks:
	toa_hooks_exit();
err_ct:
	toa_ct_exit();
err_sock:
	toa_sock_exit();
err_stats:
	toa_stats_exit();
	return ret;
}

/* Rules hold a module reference, so no rule uses the target any more. */
static void __exit toa_exit(void)
{
	toa_netlink_exit();
	toa_match_exit();
	toa_target_exit();
	toa_ct_exit();
	toa_hooks_exit();
	toa_sock_exit();
	toa_stats_exit();
}

module_init(toa_init);
module_exit(toa_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Xtables: real client address from the TCP option of an L4 proxy (TOA)");
MODULE_ALIAS("ipt_TOA");
MODULE_ALIAS("ip6t_TOA");
MODULE_ALIAS("ipt_toa");
MODULE_ALIAS("ip6t_toa");
