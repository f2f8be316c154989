/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xt_TOA: structures shared by the kernel module and the iptables plugins.
 *
 * A TOA ("TCP option address") is a TCP option that an L4 proxy adds to a
 * connection it has source-NATed, carrying the real client's port and
 * address.  The TOA target records it for the connections its rule selects,
 * or, with --toa-insert on a relay that NATs them, writes it; the toa match tests
 * what was recorded.
 */
#ifndef _XT_TOA_H
#define _XT_TOA_H

#include <linux/types.h>
#include <linux/netfilter.h>

/* Option kinds the target may trust (xt_toa_tginfo.kinds). */
enum {
	XT_TOA_KIND_200 = 1 << 0,	/* 200/8: port, IPv4 (Tencent, LVS FULLNAT) */
	XT_TOA_KIND_253 = 1 << 1,	/* 253/8 IPv4, 253/20 IPv6 */
	XT_TOA_KIND_254 = 1 << 2,	/* 254/8 IPv4, 254/20 IPv6 (Alibaba, DPVS, Huawei) */
};

#define XT_TOA_KINDS_ALL	(XT_TOA_KIND_200 | XT_TOA_KIND_253 | XT_TOA_KIND_254)
#define XT_TOA_KINDS_DEFAULT	(XT_TOA_KIND_200 | XT_TOA_KIND_254)

/* xt_toa_tginfo.flags */
enum {
	XT_TOA_INSERT = 1 << 0,	/* --toa-insert: write the client's TOA, not read it */
};

/*
 * xt_toa_tginfo.from: the handshake packets the proxy writes its TOA into
 * (--toa-from).  The bits are those of the packets that carried a record.
 */
enum {
	XT_TOA_FROM_ANY = 0,		/* SYN, handshake ACK, or both agreeing */
	XT_TOA_FROM_SYN = 1 << 0,	/* the client's SYN only */
	XT_TOA_FROM_ACK = 1 << 1,	/* the packet completing the handshake only */
};

struct xt_toa_tginfo {
	__u8 kinds;		/* XT_TOA_KIND_* trusted by this rule, never 0; */
				/* with XT_TOA_INSERT the one kind written */
	__u8 flags;		/* XT_TOA_INSERT or 0 */
	__u8 len;		/* XT_TOA_INSERT: option length, 8 (IPv4) or */
				/* 20 (IPv6); else 0 */
	__u8 from;		/* XT_TOA_FROM_*; 0 with XT_TOA_INSERT */
	/* Kernel only, set by the module: the rule is in the raw table, */
	/* which reads without conntrack and does not turn it on. */
	__u8 no_conntrack;
};

/* Options of the toa match (xt_toa_mtinfo.flags and .invert). */
enum {
	XT_TOA_MATCH_SRC	= 1 << 0,	/* --toa-src ADDR[/LEN] */
	XT_TOA_MATCH_SPORT	= 1 << 1,	/* --toa-sport PORT[:PORT] */
	XT_TOA_MATCH_PRESENT	= 1 << 2,	/* --toa-present */
};

#define XT_TOA_MATCH_ALL \
	(XT_TOA_MATCH_SRC | XT_TOA_MATCH_SPORT | XT_TOA_MATCH_PRESENT)

struct xt_toa_mtinfo {
	union nf_inet_addr src;	/* client network, host bits zero */
	union nf_inet_addr smsk;	/* its prefix as a mask */
	__u16 sport_min;	/* client port range, host order */
	__u16 sport_max;
	__u8 src_family;	/* NFPROTO_IPV4/IPV6: the client's family, */
				/* whatever the connection's own family */
	__u8 flags;		/* XT_TOA_MATCH_* given */
	__u8 invert;		/* XT_TOA_MATCH_* negated with "!" */
	__u8 reserved;		/* must be 0 */
};

#endif /* _XT_TOA_H */
