/* SPDX-License-Identifier: GPL-2.0 */
/* xt_TOA internals: how the parts of the module talk to each other. */
#ifndef _XT_TOA_INTERNAL_H
#define _XT_TOA_INTERNAL_H

#include <linux/version.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <net/net_namespace.h>
#include "toa_parse.h"

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "xt_TOA needs Linux 6.1 or later"
#endif

struct nf_conn;
struct sk_buff;
struct sock;
struct socket;

/* toa_stats.c: per network namespace counters, /proc/net/xt_TOA */
enum toa_stat {
	TOA_STAT_OPTIONS_RECORDED,
	TOA_STAT_OPTIONS_MALFORMED,
	TOA_STAT_OPTIONS_CONFLICTING,
	TOA_STAT_OPTIONS_NOT_TOA,
	TOA_STAT_OPTIONS_IGNORED,
	TOA_STAT_HANDSHAKES_RESTARTED,
	TOA_STAT_SOCKETS_ATTACHED,
	TOA_STAT_SOCKETS_RELEASED,
	TOA_STAT_SOCKETS_WITHOUT_OPTION,
	TOA_STAT_SOCKETS_OTHER_HANDSHAKE,
	TOA_STAT_ADDRESSES_REWRITTEN,
	TOA_STAT_DECLINED_NO_CONNTRACK,
	TOA_STAT_DECLINED_CONFIRMED,
	TOA_STAT_DECLINED_OTHER_HELPER,
	TOA_STAT_DECLINED_NO_MEMORY,
	TOA_STAT_DECLINED_USER_DATA_BUSY,
	TOA_STAT_DECLINED_FAMILY,
	TOA_STAT_INSERTED_SYN,
	TOA_STAT_INSERTED_ACK,
	TOA_STAT_INSERT_FULL,
	TOA_STAT_INSERT_STRIPPED,
	TOA_STAT_INSERT_MALFORMED,
	TOA_STAT_INSERT_GSO,
	TOA_STAT_INSERT_MTU,
	TOA_STAT_MAX
};

void toa_stat_inc(const struct net *net, enum toa_stat stat);
int toa_stats_fill(struct sk_buff *skb, const struct net *net);
void toa_net_sockets_changed(const struct net *net);
unsigned int toa_net_sockets_gen(const struct net *net);
void toa_net_note_ct(const struct net *net);
bool toa_net_ct_seen(const struct net *net);
int toa_stats_init(void);
void toa_stats_exit(void);

/* toa_conntrack.c: the recorded client, kept in the conntrack entry */
int toa_ct_init(void);
void toa_ct_exit(void);
struct xt_toa_tginfo;
void toa_ct_handle_packet(struct net *net, struct sk_buff *skb,
			  unsigned int thoff, const struct xt_toa_tginfo *info,
			  struct nf_conn *ct, enum ip_conntrack_info ctinfo);
bool toa_ct_selected(struct net *net, const struct sk_buff *skb);
bool toa_ct_client_of(struct net *net, const struct sk_buff *skb, u32 isn,
		      struct toa_addr *client);
bool toa_ct_recorded(const struct sk_buff *skb, struct toa_addr *client);
struct tcphdr;
enum toa_parse_result toa_read_options(struct net *net,
				       const struct sk_buff *skb,
				       unsigned int thoff,
				       const struct tcphdr *th,
				       unsigned int kinds,
				       struct toa_addr *client);
void toa_ct_insert_begin(struct net *net, struct nf_conn *ct);
bool toa_ct_claim_ack(struct nf_conn *ct);

/* toa_untracked.c: the handshake ACK's TOA without conntrack */
bool toa_untracked_handle(struct net *net, const struct sk_buff *skb,
			  unsigned int thoff, const struct xt_toa_tginfo *info);
bool toa_untracked_take(struct net *net, const struct sk_buff *skb,
			struct toa_addr *client);

/* toa_netns.c: a container's connections, recorded by its host */
struct net *toa_netns_from(struct net *net, const struct sk_buff *skb);

/* toa_insert.c: the TOA target's --toa-insert mode, on a relay */
unsigned int toa_insert(struct net *net, struct sk_buff *skb,
			unsigned int thoff, const struct xt_toa_tginfo *info);

/* toa_sock.c: the client hung on the accepted socket */
int toa_sock_init(void);
void toa_sock_exit(void);
bool toa_sock_attach(struct sock *sk, const struct toa_addr *client);
bool toa_sock_client(const struct sock *sk, struct toa_addr *client);
void toa_sock_release(struct sock *sk);
void toa_sock_release_all(void);
typedef int (*toa_sock_fn)(void *arg, const struct sock *sk,
			   const struct toa_addr *client);
int toa_sock_walk(const struct net *net, unsigned int *bucket,
		  unsigned int *skip, toa_sock_fn fn, void *arg);

/* toa_hooks.c: kprobes on the socket life cycle */
int toa_hooks_init(void);
void toa_hooks_exit(void);
unsigned long toa_hooks_missed(void);

/* toa_getname.c: the getname of TOA listeners and their sockets */
int toa_getname_init(void);
void toa_getname_exit(void);
void toa_getname_listener(struct sock *listener);
void toa_getname_socket(struct sock *sk, struct socket *sock);
void toa_getname_forget(struct sock *sk);
void toa_getname_ulp(struct sock *sk);

/* toa_netlink.c: the generic netlink family (toactl) */
int toa_netlink_init(void);
void toa_netlink_exit(void);

/* toa_target.c: the TOA xtables target */
int toa_target_init(void);
void toa_target_exit(void);

/* toa_match.c: the toa xtables match */
int toa_match_init(void);
void toa_match_exit(void);

#endif /* _XT_TOA_INTERNAL_H */
