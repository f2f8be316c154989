// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace state: the counters, shown in /proc/net/xt_TOA as
 * "name value" lines and over netlink, and the generation of the
 * namespace's TOA sockets.  Counters are per-CPU so that the packet path
 * never shares a cache line between CPUs.  A leaf: it calls nothing else
 * of the module.
 */
#include <linux/netfilter/xt_TOA_genl.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/netlink.h>
#include <net/netns/generic.h>
#include "toa.h"

struct toa_stats {
	u64 v[TOA_STAT_MAX];
};

struct toa_net {
	struct toa_stats __percpu *stats;
	atomic_t sockets_gen;
	bool ct_seen;		/* a selected connection's SYN was tracked */
};

static unsigned int toa_net_id __read_mostly;

static const struct {
	const char *name;
	u16 attr;
} toa_stat_info[TOA_STAT_MAX] = {
#define TOA_STAT(stat, str) [TOA_STAT_##stat] = { str, XT_TOA_STAT_##stat }
	TOA_STAT(OPTIONS_RECORDED,		"options_recorded"),
	TOA_STAT(OPTIONS_MALFORMED,		"options_malformed"),
	TOA_STAT(OPTIONS_CONFLICTING,		"options_conflicting"),
	TOA_STAT(OPTIONS_NOT_TOA,		"options_not_toa"),
	TOA_STAT(OPTIONS_IGNORED,		"options_ignored"),
	TOA_STAT(HANDSHAKES_RESTARTED,		"handshakes_restarted"),
	TOA_STAT(SOCKETS_ATTACHED,		"sockets_attached"),
	TOA_STAT(SOCKETS_RELEASED,		"sockets_released"),
	TOA_STAT(SOCKETS_WITHOUT_OPTION,	"sockets_without_option"),
	TOA_STAT(SOCKETS_OTHER_HANDSHAKE,	"sockets_other_handshake"),
	TOA_STAT(ADDRESSES_REWRITTEN,		"addresses_rewritten"),
	TOA_STAT(DECLINED_NO_CONNTRACK,		"declined_no_conntrack"),
	TOA_STAT(DECLINED_CONFIRMED,		"declined_conntrack_confirmed"),
	TOA_STAT(DECLINED_OTHER_HELPER,		"declined_other_helper"),
	TOA_STAT(DECLINED_NO_MEMORY,		"declined_no_memory"),
	TOA_STAT(DECLINED_USER_DATA_BUSY,	"declined_user_data_busy"),
	TOA_STAT(DECLINED_FAMILY,		"declined_family_mismatch"),
	TOA_STAT(INSERTED_SYN,			"inserted_syn"),
	TOA_STAT(INSERTED_ACK,			"inserted_ack"),
	TOA_STAT(INSERT_FULL,			"insert_skipped_full"),
	TOA_STAT(INSERT_STRIPPED,		"insert_stripped"),
	TOA_STAT(INSERT_MALFORMED,		"insert_skipped_malformed"),
	TOA_STAT(INSERT_GSO,			"insert_skipped_gso"),
	TOA_STAT(INSERT_MTU,			"insert_skipped_mtu"),
#undef TOA_STAT
};

void toa_stat_inc(const struct net *net, enum toa_stat stat)
{
	struct toa_net *tn = net_generic(net, toa_net_id);

	this_cpu_inc(tn->stats->v[stat]);
}

static u64 toa_stat_sum(const struct toa_net *tn, enum toa_stat stat)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(tn->stats, cpu)->v[stat];
	return sum;
}

static int toa_stats_show(struct seq_file *m, void *v)
{
	struct toa_net *tn = net_generic(seq_file_single_net(m), toa_net_id);
	unsigned int i;

	for (i = 0; i < TOA_STAT_MAX; i++)
		seq_printf(m, "%s %llu\n", toa_stat_info[i].name,
			   toa_stat_sum(tn, i));
	return 0;
}

/* Inside XT_TOA_A_STATS: the same values as /proc/net/xt_TOA. */
int toa_stats_fill(struct sk_buff *skb, const struct net *net)
{
	struct toa_net *tn = net_generic(net, toa_net_id);
	unsigned int i;

	for (i = 0; i < TOA_STAT_MAX; i++)
		if (nla_put_u64_64bit(skb, toa_stat_info[i].attr,
				      toa_stat_sum(tn, i), XT_TOA_STAT_PAD))
			return -EMSGSIZE;
	return 0;
}

/*
 * Bumped whenever a TOA socket of the namespace comes or goes, so that a
 * socket dump spread over several reads can tell it was not consistent.
 */
void toa_net_sockets_changed(const struct net *net)
{
	struct toa_net *tn = net_generic(net, toa_net_id);

	atomic_inc(&tn->sockets_gen);
}

/*
 * Conntrack entries of @net may hold a client from now on: until then the
 * socket hook need not look for the entry of a packet that has none.
 */
void toa_net_note_ct(const struct net *net)
{
	struct toa_net *tn = net_generic(net, toa_net_id);

	if (!READ_ONCE(tn->ct_seen))
		WRITE_ONCE(tn->ct_seen, true);
}

bool toa_net_ct_seen(const struct net *net)
{
	struct toa_net *tn = net_generic(net, toa_net_id);

	return READ_ONCE(tn->ct_seen);
}

unsigned int toa_net_sockets_gen(const struct net *net)
{
	struct toa_net *tn = net_generic(net, toa_net_id);

	return atomic_read(&tn->sockets_gen);
}

static int __net_init toa_net_init(struct net *net)
{
	struct toa_net *tn = net_generic(net, toa_net_id);

	tn->stats = alloc_percpu(struct toa_stats);
	if (!tn->stats)
		return -ENOMEM;
	if (!proc_create_net_single("xt_TOA", 0444, net->proc_net,
				    toa_stats_show, NULL)) {
		free_percpu(tn->stats);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit toa_net_exit(struct net *net)
{
	struct toa_net *tn = net_generic(net, toa_net_id);

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
