/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xt_TOA generic netlink interface, shared by the module and toactl.
 *
 * Family XT_TOA_GENL_NAME, version XT_TOA_GENL_VERSION.  Every request
 * acts on the network namespace of the socket that sends it.
 *
 *   XT_TOA_CMD_GET_STATS  do, anyone: XT_TOA_A_STATS, the namespace's
 *                         counters (those of /proc/net/xt_TOA)
 *   XT_TOA_CMD_LOOKUP     do, CAP_NET_ADMIN: one TCP connection, by
 *                         LOCAL_* and PEER_* as the kernel sees them
 *                         (IPv4 for connections on v4-mapped sockets);
 *                         answers a socket entry, or ENOENT if the
 *                         connection does not exist or carries no TOA
 *   XT_TOA_CMD_GET_SOCKETS dump, CAP_NET_ADMIN: one socket entry per TOA
 *                         socket; NLM_F_DUMP_INTR marks a dump that the
 *                         namespace's TOA sockets changed under
 *
 * A socket entry: LOCAL_*, PEER_*, CLIENT_* (IP4 or IP6 tells the
 * client's family, and with it the option format: 8 or 20 bytes) and KIND.
 */
#ifndef _XT_TOA_GENL_H
#define _XT_TOA_GENL_H

#define XT_TOA_GENL_NAME	"xt_TOA"
#define XT_TOA_GENL_VERSION	1

enum {
	XT_TOA_CMD_UNSPEC,
	XT_TOA_CMD_GET_STATS,
	XT_TOA_CMD_LOOKUP,
	XT_TOA_CMD_GET_SOCKETS,
	__XT_TOA_CMD_MAX
};
#define XT_TOA_CMD_MAX (__XT_TOA_CMD_MAX - 1)

enum {
	XT_TOA_A_UNSPEC,
	XT_TOA_A_STATS,		/* nest of XT_TOA_STAT_* (u64) */
	XT_TOA_A_LOCAL_IP4,	/* binary, 4 bytes, network order */
	XT_TOA_A_LOCAL_IP6,	/* binary, 16 bytes */
	XT_TOA_A_LOCAL_PORT,	/* be16 */
	XT_TOA_A_PEER_IP4,
	XT_TOA_A_PEER_IP6,
	XT_TOA_A_PEER_PORT,
	XT_TOA_A_CLIENT_IP4,	/* the client the proxy reported */
	XT_TOA_A_CLIENT_IP6,
	XT_TOA_A_CLIENT_PORT,
	XT_TOA_A_KIND,		/* u8: the option kind it came in */
	XT_TOA_A_PAD,
	__XT_TOA_A_MAX
};
#define XT_TOA_A_MAX (__XT_TOA_A_MAX - 1)

/* In XT_TOA_A_STATS; named as in /proc/net/xt_TOA. */
enum {
	XT_TOA_STAT_UNSPEC,
	XT_TOA_STAT_OPTIONS_RECORDED,
	XT_TOA_STAT_OPTIONS_MALFORMED,
	XT_TOA_STAT_OPTIONS_CONFLICTING,
	XT_TOA_STAT_OPTIONS_NOT_TOA,
	XT_TOA_STAT_SOCKETS_ATTACHED,
	XT_TOA_STAT_SOCKETS_RELEASED,
	XT_TOA_STAT_SOCKETS_WITHOUT_OPTION,
	XT_TOA_STAT_ADDRESSES_REWRITTEN,
	XT_TOA_STAT_DECLINED_NO_CONNTRACK,
	XT_TOA_STAT_DECLINED_CONFIRMED,
	XT_TOA_STAT_DECLINED_OTHER_HELPER,
	XT_TOA_STAT_DECLINED_NO_MEMORY,
	XT_TOA_STAT_DECLINED_USER_DATA_BUSY,
	XT_TOA_STAT_DECLINED_FAMILY,
	XT_TOA_STAT_HOOKS_MISSED,	/* kprobes of all namespaces */
	XT_TOA_STAT_INSERTED_SYN,	/* TOA --toa-insert, on a relay */
	XT_TOA_STAT_INSERTED_ACK,
	XT_TOA_STAT_INSERT_FULL,
	XT_TOA_STAT_INSERT_STRIPPED,	/* a TOA the relay did not write */
	XT_TOA_STAT_INSERT_MALFORMED,
	XT_TOA_STAT_INSERT_GSO,
	XT_TOA_STAT_INSERT_MTU,
	XT_TOA_STAT_PAD,
	/* appended: TOAs tied to their handshake */
	XT_TOA_STAT_OPTIONS_IGNORED,
	XT_TOA_STAT_HANDSHAKES_RESTARTED,
	XT_TOA_STAT_SOCKETS_OTHER_HANDSHAKE,
	__XT_TOA_STAT_MAX
};
#define XT_TOA_STAT_MAX (__XT_TOA_STAT_MAX - 1)

#endif /* _XT_TOA_GENL_H */
