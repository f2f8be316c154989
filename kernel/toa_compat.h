/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel interfaces that differ between the kernels xt_TOA builds
 * for (6.1 on): each under the name the rest of the module calls.
 */
#ifndef _XT_TOA_COMPAT_H
#define _XT_TOA_COMPAT_H

#include <linux/version.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/netfilter/nf_conntrack_helper.h>

/* 6.18: the established-socket lookups find the hash table from @net. */
static inline struct sock *
toa_compat_inet_lookup_established(struct net *net, __be32 saddr, __be16 sport,
				   __be32 daddr, u16 hnum, int dif, int sdif)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
	return __inet_lookup_established(net, saddr, sport, daddr, hnum,
					 dif, sdif);
#else
	return __inet_lookup_established(net, net->ipv4.tcp_death_row.hashinfo,
					 saddr, sport, daddr, hnum, dif, sdif);
#endif
}

static inline struct sock *
toa_compat_inet6_lookup_established(struct net *net,
				    const struct in6_addr *saddr, __be16 sport,
				    const struct in6_addr *daddr, u16 hnum,
				    int dif, int sdif)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
	return __inet6_lookup_established(net, saddr, sport, daddr, hnum,
					  dif, sdif);
#else
	return __inet6_lookup_established(net, net->ipv4.tcp_death_row.hashinfo,
					  saddr, sport, daddr, hnum, dif, sdif);
#endif
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 2, 0)
/* 7.2: a helper holds its expectation policies instead of pointing to them. */
#define TOA_COMPAT_EXPECT_POLICY(pol)	.expect_policy = { pol }

/* 7.2: conntrack registers copies, handed back in @reg[] (NULL once gone). */
static inline int
toa_compat_helpers_register(struct nf_conntrack_helper *helpers,
			    struct nf_conntrack_helper **reg, unsigned int n)
{
	return nf_conntrack_helpers_register(helpers, n, reg);
}

static inline void
toa_compat_helpers_unregister(struct nf_conntrack_helper *helpers,
			      struct nf_conntrack_helper **reg, unsigned int n)
{
	nf_conntrack_helpers_unregister(reg, n);
}

/* 7.2: an entry holds a reference to its helper, put when it is freed. */
static inline void toa_compat_helper_get(struct nf_conntrack_helper *helper)
{
	refcount_inc(&helper->ct_refcnt);
}
#else
#define TOA_COMPAT_EXPECT_POLICY(pol)	\
	.expect_policy = &(const struct nf_conntrack_expect_policy)pol

/* Registered in place: @reg[] is filled first, for help() to find them. */
static inline int
toa_compat_helpers_register(struct nf_conntrack_helper *helpers,
			    struct nf_conntrack_helper **reg, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		reg[i] = &helpers[i];
	return nf_conntrack_helpers_register(helpers, n);
}

static inline void
toa_compat_helpers_unregister(struct nf_conntrack_helper *helpers,
			      struct nf_conntrack_helper **reg, unsigned int n)
{
	nf_conntrack_helpers_unregister(helpers, n);
}

static inline void toa_compat_helper_get(struct nf_conntrack_helper *helper)
{
}
#endif

#endif /* _XT_TOA_COMPAT_H */
