// SPDX-License-Identifier: GPL-2.0
/*
 * libxt_toa: iptables/ip6tables plugin for the toa match of xt_TOA.
 *
 *	iptables -A INPUT -p tcp --dport 80 -m toa --toa-src 198.51.100.0/24 -j DROP
 *	iptables -A INPUT -p tcp --dport 80 -m toa ! --toa-present -j LOG
 *
 * It tests the real client that the TOA target recorded for the packet's
 * connection.  The client's family is its own: an IPv6 client behind an
 * IPv4 proxy is matched with an IPv6 --toa-src in iptables, so both
 * families of address are accepted by both commands.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xtables.h>
#include <linux/netfilter/xt_TOA.h>

enum {
	O_TOA_SRC = 0,
	O_TOA_SPORT,
	O_TOA_PRESENT,
};

static const struct xt_option_entry toa_mt_opts[] = {
	{ .name = "toa-src", .id = O_TOA_SRC, .type = XTTYPE_STRING,
	  .flags = XTOPT_INVERT },
	{ .name = "toa-sport", .id = O_TOA_SPORT, .type = XTTYPE_PORTRC,
	  .flags = XTOPT_INVERT },
	{ .name = "toa-present", .id = O_TOA_PRESENT, .type = XTTYPE_NONE,
	  .flags = XTOPT_INVERT },
	XTOPT_TABLEEND,
};

static void toa_mt_help(void)
{
	printf(
"toa match options:\n"
"[!] --toa-src ADDR[/LEN]   the real client is [not] in this IPv4 or IPv6\n"
"                           network (a client's family is its own, whatever\n"
"                           the connection's)\n"
"[!] --toa-sport PORT[:PORT]\n"
"                           the real client's port is [not] in this range\n"
"[!] --toa-present          a real client was [not] recorded\n"
"Tests the client that the TOA target recorded for the packet's connection,\n"
"in either direction. Until a client is recorded, --toa-src and --toa-sport\n"
"do not match, with \"!\" or without, and \"! --toa-present\" matches.\n");
}

/* "ADDR", "ADDR/LEN" or, for IPv4, "ADDR/MASK"; numeric only. */
static void toa_mt_parse_src(const char *arg, struct xt_toa_mtinfo *info)
{
	char buf[INET6_ADDRSTRLEN + 1 + INET_ADDRSTRLEN];
	unsigned int bits, len, i;
	struct in_addr mask4;
	char *slash, *end;
	int cidr;

	if (strlen(arg) >= sizeof(buf))
		xtables_error(PARAMETER_PROBLEM, "toa: --toa-src \"%s\": too long", arg);
	strcpy(buf, arg);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';

	memset(&info->src, 0, sizeof(info->src));
	if (inet_pton(AF_INET, buf, &info->src.in) == 1) {
		info->src_family = NFPROTO_IPV4;
		bits = 32;
	} else if (inet_pton(AF_INET6, buf, &info->src.in6) == 1) {
		info->src_family = NFPROTO_IPV6;
		bits = 128;
	} else {
		xtables_error(PARAMETER_PROBLEM,
			      "toa: --toa-src \"%s\": not an IPv4 or IPv6 address "
			      "(host names are not resolved)", arg);
	}

	len = bits;
	if (slash && xtables_strtoui(slash, &end, &len, 0, bits) && *end == '\0') {
		/* a prefix length */
	} else if (slash && bits == 32 && inet_pton(AF_INET, slash, &mask4) == 1 &&
		   (cidr = xtables_ipmask_to_cidr(&mask4)) >= 0) {
		len = cidr;
	} else if (slash) {
		xtables_error(PARAMETER_PROBLEM,
			      "toa: --toa-src \"%s\": \"%s\" is not a prefix length "
			      "(0-%u)%s", arg, slash, bits,
			      bits == 32 ? " or a contiguous netmask" : "");
	}

	/* Host bits go, as with -s. */
	memset(&info->smsk, 0, sizeof(info->smsk));
	for (i = 0; i < bits / 32; i++) {
		unsigned int ones = len > 32 * i ? len - 32 * i : 0;

		info->smsk.ip6[i] = ones >= 32 ? 0xffffffff :
				    htonl(ones ? ~0U << (32 - ones) : 0);
		info->src.ip6[i] &= info->smsk.ip6[i];
	}
}

/* libxtables resolves ports with getaddrinfo(), which wraps 65536 to 0. */
static void toa_mt_check_ports(const char *arg)
{
	const char *p = arg;
	unsigned long port;
	char *end;

	for (;;) {
		port = strtoul(p, &end, 10);
		if (end != p && (*end == ':' || *end == '\0') && port > 65535)
			xtables_error(PARAMETER_PROBLEM,
				      "toa: --toa-sport \"%s\": ports go up to 65535", arg);
		p = strchr(p, ':');
		if (!p)
			return;
		p++;
	}
}

static void toa_mt_parse(struct xt_option_call *cb)
{
	struct xt_toa_mtinfo *info = cb->data;
	uint8_t opt = 0;

	xtables_option_parse(cb);
	switch (cb->entry->id) {
	case O_TOA_SRC:
		toa_mt_parse_src(cb->arg, info);
		opt = XT_TOA_MATCH_SRC;
		break;
	case O_TOA_SPORT:
		toa_mt_check_ports(cb->arg);
		info->sport_min = cb->val.port_range[0];
		info->sport_max = cb->nvals > 1 ? cb->val.port_range[1] :
						  cb->val.port_range[0];
		if (info->sport_min > info->sport_max)
			xtables_error(PARAMETER_PROBLEM,
				      "toa: --toa-sport %u:%u: the range is backwards",
				      info->sport_min, info->sport_max);
		opt = XT_TOA_MATCH_SPORT;
		break;
	case O_TOA_PRESENT:
		opt = XT_TOA_MATCH_PRESENT;
		break;
	}
	info->flags |= opt;
	if (cb->invert)
		info->invert |= opt;
}

static void toa_mt_check(struct xt_fcheck_call *cb)
{
	const struct xt_toa_mtinfo *info = cb->data;

	if (!info->flags)
		xtables_error(PARAMETER_PROBLEM,
			      "toa: give --toa-src, --toa-sport or --toa-present");
	if (info->invert & XT_TOA_MATCH_PRESENT &&
	    info->flags & (XT_TOA_MATCH_SRC | XT_TOA_MATCH_SPORT))
		xtables_error(PARAMETER_PROBLEM,
			      "toa: \"! --toa-present\" cannot be combined with "
			      "--toa-src or --toa-sport, which need a recorded client");
}

static void toa_mt_print_src(const struct xt_toa_mtinfo *info)
{
	char addr[INET6_ADDRSTRLEN];
	int len;

	if (info->src_family == NFPROTO_IPV6) {
		inet_ntop(AF_INET6, &info->src.in6, addr, sizeof(addr));
		len = xtables_ip6mask_to_cidr(&info->smsk.in6);
	} else {
		inet_ntop(AF_INET, &info->src.in, addr, sizeof(addr));
		len = xtables_ipmask_to_cidr(&info->smsk.in);
	}
	printf("%s/%d", addr, len);
}

static void toa_mt_print_sport(const struct xt_toa_mtinfo *info)
{
	printf("%u", info->sport_min);
	if (info->sport_max != info->sport_min)
		printf(":%u", info->sport_max);
}

/* "! " before an option that is negated, in iptables' order. */
static void toa_mt_not(const struct xt_toa_mtinfo *info, uint8_t opt)
{
	if (info->invert & opt)
		printf(" !");
}

/* The options in iptables' order; @prefix is "" for -L, "--toa-" for -S. */
static void toa_mt_dump(const struct xt_toa_mtinfo *info, const char *prefix)
{
	if (info->flags & XT_TOA_MATCH_SRC) {
		toa_mt_not(info, XT_TOA_MATCH_SRC);
		printf(" %ssrc ", prefix);
		toa_mt_print_src(info);
	}
	if (info->flags & XT_TOA_MATCH_SPORT) {
		toa_mt_not(info, XT_TOA_MATCH_SPORT);
		printf(" %ssport ", prefix);
		toa_mt_print_sport(info);
	}
	if (info->flags & XT_TOA_MATCH_PRESENT) {
		toa_mt_not(info, XT_TOA_MATCH_PRESENT);
		printf(" %spresent", prefix);
	}
}

static void toa_mt_print(const void *ip, const struct xt_entry_match *match,
			 int numeric)
{
	(void)ip;
	(void)numeric;
	printf(" toa");
	toa_mt_dump((const void *)match->data, "");
}

static void toa_mt_save(const void *ip, const struct xt_entry_match *match)
{
	(void)ip;
	toa_mt_dump((const void *)match->data, "--toa-");
}

/*
 * No .xlate: nftables has no expression for a client recorded from a TCP
 * option (matching the option's bytes per packet would trust every packet
 * and every sender), so iptables-translate reports the rule untranslatable.
 */
static struct xtables_match toa_mt_reg = {
	.family		= NFPROTO_UNSPEC,
	.name		= "toa",
	.version	= XTABLES_VERSION,
	.revision	= 0,
	.size		= XT_ALIGN(sizeof(struct xt_toa_mtinfo)),
	.userspacesize	= XT_ALIGN(sizeof(struct xt_toa_mtinfo)),
	.help		= toa_mt_help,
	.print		= toa_mt_print,
	.save		= toa_mt_save,
	.x6_parse	= toa_mt_parse,
	.x6_fcheck	= toa_mt_check,
	.x6_options	= toa_mt_opts,
};

static void __attribute__((constructor)) libxt_toa_init(void)
{
	xtables_register_match(&toa_mt_reg);
}
