// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace counters, shown in /proc/net/xt_TOA as
 * "name value" lines, and the namespace's /proc/net files.  Per-CPU so that the packet path never shares a
 * cache line between CPUs.
 */
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/netns/generic.h>
#include "toa.h"

struct toa_stats {
	u64 v[TOA_STAT_MAX];
};

struct toa_net {
	struct toa_stats __percpu *stats;
};

static unsigned int toa_net_id __read_mostly;

static const char *const toa_stat_names[TOA_STAT_MAX] = {
	[TOA_STAT_OPTIONS_RECORDED]		= "options_recorded",
	[TOA_STAT_OPTIONS_MALFORMED]		= "options_malformed",
	[TOA_STAT_OPTIONS_CONFLICTING]		= "options_conflicting",
	[TOA_STAT_OPTIONS_NOT_TOA]		= "options_not_toa",
	[TOA_STAT_SOCKETS_ATTACHED]		= "sockets_attached",
	[TOA_STAT_SOCKETS_RELEASED]		= "sockets_released",
	[TOA_STAT_SOCKETS_WITHOUT_OPTION]	= "sockets_without_option",
	[TOA_STAT_ADDRESSES_REWRITTEN]		= "addresses_rewritten",
	[TOA_STAT_DECLINED_NO_CONNTRACK]	= "declined_no_conntrack",
	[TOA_STAT_DECLINED_CONFIRMED]		= "declined_conntrack_confirmed",
	[TOA_STAT_DECLINED_OTHER_HELPER]	= "declined_other_helper",
	[TOA_STAT_DECLINED_NO_MEMORY]		= "declined_no_memory",
	[TOA_STAT_DECLINED_USER_DATA_BUSY]	= "declined_user_data_busy",
	[TOA_STAT_DECLINED_FAMILY]		= "declined_family_mismatch",
};

void toa_stat_inc(const struct net *net, enum toa_stat stat)
{
	struct toa_net *tn = net_generic(net, toa_net_id);

	this_cpu_inc(tn->stats->v[stat]);
}

static int toa_stats_show(struct seq_file *m, void *v)
{
	struct toa_net *tn = net_generic(seq_file_single_net(m), toa_net_id);
	unsigned int i;
	int cpu;

	for (i = 0; i < TOA_STAT_MAX; i++) {
		u64 sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu_ptr(tn->stats, cpu)->v[i];
		seq_printf(m, "%s %llu\n", toa_stat_names[i], sum);
	}
	/* kprobe instances are shared by all namespaces. */
	seq_printf(m, "hooks_missed %lu\n", toa_hooks_missed());
	return 0;
}

static int __net_init toa_net_init(struct net *net)
{
	struct toa_net *tn = net_generic(net, toa_net_id);

	tn->stats = alloc_percpu(struct toa_stats);
	if (!tn->stats)
		return -ENOMEM;
	if (!proc_create_net_single("xt_TOA", 0444, net->proc_net,
				    toa_stats_show, NULL))
		goto err_stats;
	if (toa_sock_proc_init(net))
		goto err_proc;
	return 0;

err_proc:
	remove_proc_entry("xt_TOA", net->proc_net);
err_stats:
	free_percpu(tn->stats);
	return -ENOMEM;
}

static void __net_exit toa_net_exit(struct net *net)
{
	struct toa_net *tn = net_generic(net, toa_net_id);

	toa_sock_proc_exit(net);
	remove_proc_entry("xt_TOA", net->proc_net);
	free_percpu(tn->stats);
}

static struct pernet_operations toa_net_ops = {
	.init	= toa_net_init,
	.exit	= toa_net_exit,
	.id	= &toa_net_id,
	.size	= sizeof(struct toa_net),
};

int toa_stats_init(void)
{
	return register_pernet_subsys(&toa_net_ops);
}

void toa_stats_exit(void)
{
	unregister_pernet_subsys(&toa_net_ops);
}
