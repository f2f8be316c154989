// SPDX-License-Identifier: GPL-2.0
/*
 * libxt_TOA: iptables/ip6tables userspace plugin for the xt_TOA target.
 *
 *	iptables -t mangle -A PREROUTING -p tcp -s PROXY_RANGE \
 *		-j TOA [--toa-kind KIND[,KIND...]] [--toa-from syn|ack|any]
 *	iptables -t mangle -A POSTROUTING -p tcp -m conntrack --ctstate DNAT \
 *		-j TOA --toa-insert KIND/LEN
 *
 * The target makes the kernel record the TCP option carrying the real
 * client's address ("TOA") for the connections its rule selects, or, with
 * --toa-insert on a relay that NATs them, write it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <xtables.h>
#include <linux/netfilter/xt_TOA.h>

enum {
	O_TOA_KIND = 0,
	O_TOA_INSERT,
	O_TOA_FROM,
};

/* --toa-from: the handshake packets the proxy writes its TOA into. */
static const struct {
	const char *name;
	uint8_t from;
} toa_froms[] = {
	{ "any", XT_TOA_FROM_ANY },
	{ "syn", XT_TOA_FROM_SYN },
	{ "ack", XT_TOA_FROM_ACK },
};

#define TOA_N_FROMS (sizeof(toa_froms) / sizeof(toa_froms[0]))

/* Option kind number <-> XT_TOA_KIND_* bit, in ascending kind order. */
static const struct {
	unsigned int kind;
	uint8_t bit;
} toa_kinds[] = {
	{ 200, XT_TOA_KIND_200 },
	{ 253, XT_TOA_KIND_253 },
	{ 254, XT_TOA_KIND_254 },
};

#define TOA_N_KINDS (sizeof(toa_kinds) / sizeof(toa_kinds[0]))

static const struct xt_option_entry TOA_opts[] = {
	{
		.name	= "toa-kind",
		.id	= O_TOA_KIND,
		.type	= XTTYPE_STRING,
		.excl	= 1 << O_TOA_INSERT,
	},
	{
		.name	= "toa-insert",
		.id	= O_TOA_INSERT,
		.type	= XTTYPE_STRING,
		.excl	= 1 << O_TOA_KIND | 1 << O_TOA_FROM,
	},
	{
		.name	= "toa-from",
		.id	= O_TOA_FROM,
		.type	= XTTYPE_STRING,
		.excl	= 1 << O_TOA_INSERT,
	},
	XTOPT_TABLEEND,
};

static void TOA_help(void)
{
	printf(
"TOA target options:\n"
"  --toa-kind KIND[,KIND...]\n"
"                     TCP option kinds to trust as carrying the real client\n"
"                     address: any of 200, 253, 254 (default: 200,254).\n"
"  --toa-from syn|ack|any\n"
"                     Where the proxy writes it: the client's SYN, the ACK\n"
"                     completing the handshake, or either (default: any;\n"
"                     when both carry one and they differ, neither is\n"
"                     believed). A TOA in any other packet is ignored.\n"
"Records the real client address that an L4 proxy put in a TCP option (TOA)\n"
"of the connections this rule selects. Use in the mangle table, PREROUTING\n"
"chain, with -p tcp. Anyone can put a TOA option in a SYN: the rule must\n"
"only select traffic coming from the proxy, e.g. -s PROXY_RANGE.\n"
"  --toa-insert KIND/LEN\n"
"                     On a relay (DNAT and SNAT), write the client of each\n"
"                     connection (conntrack's original source) into its SYN\n"
"                     and handshake ACK: 200/8, 253/8 or 254/8 in iptables,\n"
"                     253/20 or 254/20 in ip6tables. Use in the mangle table,\n"
"                     FORWARD or POSTROUTING chain, with -p tcp.\n");
}

static void TOA_init(struct xt_entry_target *t)
{
	struct xt_toa_tginfo *info = (void *)t->data;

	info->kinds = XT_TOA_KINDS_DEFAULT;
	info->flags = 0;
	info->len = 0;
	info->from = XT_TOA_FROM_ANY;
}

/* Strict decimal parse of one list element [s, s+len). */
static uint8_t TOA_parse_kind(const char *s, size_t len, const char *list)
{
	unsigned int val = 0;
	unsigned int i;
	size_t j;

	if (len == 0)
		xtables_error(PARAMETER_PROBLEM,
			      "TOA: --toa-kind \"%s\": empty kind in list "
			      "(expected KIND[,KIND...] with KIND one of "
			      "200, 253, 254)", list);

	for (j = 0; j < len; j++) {
		if (s[j] < '0' || s[j] > '9')
			xtables_error(PARAMETER_PROBLEM,
				      "TOA: --toa-kind \"%s\": \"%.*s\" is not "
				      "a kind number (expected 200, 253 or 254)",
				      list, (int)len, s);
		if (val <= 255)
			val = val * 10 + (unsigned int)(s[j] - '0');
	}

	for (i = 0; i < TOA_N_KINDS; i++)
		if (toa_kinds[i].kind == val)
			return toa_kinds[i].bit;

	xtables_error(PARAMETER_PROBLEM,
		      "TOA: --toa-kind \"%s\": unsupported option kind \"%.*s\" "
		      "(supported: 200, 253, 254)", list, (int)len, s);
	return 0; /* not reached */
}

/*
 * The formats --toa-insert writes: an IPv4 client in 8 bytes, IPv6 in 20.  The
 * kernel refuses a length that cannot hold the rule's family (the plugin
 * serves both families and is not told which one it parses for).
 */
static const struct {
	const char *name;
	uint8_t bit, len;
} toa_formats[] = {
	{ "200/8",  XT_TOA_KIND_200, 8 },
	{ "253/8",  XT_TOA_KIND_253, 8 },
	{ "254/8",  XT_TOA_KIND_254, 8 },
	{ "253/20", XT_TOA_KIND_253, 20 },
	{ "254/20", XT_TOA_KIND_254, 20 },
};

#define TOA_N_FORMATS (sizeof(toa_formats) / sizeof(toa_formats[0]))

static void TOA_parse_insert(struct xt_toa_tginfo *info, const char *arg)
{
	unsigned int i;

	for (i = 0; i < TOA_N_FORMATS; i++)
		if (strcmp(arg, toa_formats[i].name) == 0)
			break;
	if (i == TOA_N_FORMATS)
		xtables_error(PARAMETER_PROBLEM,
			      "TOA: --toa-insert \"%s\": unsupported format "
			      "(200/8, 253/8, 254/8 for IPv4, 253/20, 254/20 "
			      "for IPv6)", arg);
	info->kinds = toa_formats[i].bit;
	info->len = toa_formats[i].len;
	info->flags = XT_TOA_INSERT;
}

static void TOA_parse_from(struct xt_toa_tginfo *info, const char *arg)
{
	unsigned int i;

	for (i = 0; i < TOA_N_FROMS; i++) {
		if (strcmp(arg, toa_froms[i].name) == 0) {
			info->from = toa_froms[i].from;
			return;
		}
	}
	xtables_error(PARAMETER_PROBLEM,
		      "TOA: --toa-from \"%s\": expected syn, ack or any", arg);
}

/* The name of @from, or NULL for a value the kernel would refuse. */
static const char *TOA_from_name(uint8_t from)
{
	unsigned int i;

	for (i = 0; i < TOA_N_FROMS; i++)
		if (toa_froms[i].from == from)
			return toa_froms[i].name;
	return NULL;
}

static void TOA_parse(struct xt_option_call *cb)
{
	struct xt_toa_tginfo *info = cb->data;
	const char *list, *p, *comma;
	uint8_t kinds = 0;

	xtables_option_parse(cb);

	switch (cb->entry->id) {
	case O_TOA_KIND:
		list = cb->arg;
		if (*list == '\0')
			xtables_error(PARAMETER_PROBLEM,
				      "TOA: --toa-kind needs a list of kinds "
				      "(any of 200, 253, 254)");
		p = list;
		for (;;) {
			comma = strchr(p, ',');
			if (comma == NULL) {
				kinds |= TOA_parse_kind(p, strlen(p), list);
				break;
			}
			kinds |= TOA_parse_kind(p, (size_t)(comma - p), list);
			p = comma + 1;
		}
		/* Duplicates are accepted: the list is a set. */
		info->kinds = kinds;
		break;
	case O_TOA_INSERT:
		TOA_parse_insert(info, cb->arg);
		break;
	case O_TOA_FROM:
		TOA_parse_from(info, cb->arg);
		break;
	}
}

/* The --toa-insert format of @info, or NULL if the kernel would refuse it. */
static const char *TOA_insert_format(const struct xt_toa_tginfo *info)
{
	unsigned int i;

	for (i = 0; i < TOA_N_FORMATS; i++)
		if (toa_formats[i].bit == info->kinds &&
		    toa_formats[i].len == info->len)
			return toa_formats[i].name;
	return NULL;
}

static void TOA_print_kinds(uint8_t kinds)
{
	const char *sep = "";
	unsigned int i;

	for (i = 0; i < TOA_N_KINDS; i++) {
		if (kinds & toa_kinds[i].bit) {
			printf("%s%u", sep, toa_kinds[i].kind);
			sep = ",";
		}
	}
}

static void TOA_print(const void *ip, const struct xt_entry_target *target,
		      int numeric)
{
	const struct xt_toa_tginfo *info = (const void *)target->data;
	uint8_t unknown = (uint8_t)(info->kinds & ~XT_TOA_KINDS_ALL);

	(void)ip;
	(void)numeric;

	if (info->flags & XT_TOA_INSERT) {
		printf(" TOA insert %s",
		       TOA_insert_format(info) ?: "unknown-format");
		return;
	}
	printf(" TOA kinds ");
	if ((info->kinds & XT_TOA_KINDS_ALL) == 0)
		printf("none");
	else
		TOA_print_kinds(info->kinds);
	if (unknown)
		printf(" unknown-kind-bits 0x%02x", unknown);
	if (info->from != XT_TOA_FROM_ANY)
		printf(" from %s", TOA_from_name(info->from) ?: "unknown");
}

static void TOA_save(const void *ip, const struct xt_entry_target *target)
{
	const struct xt_toa_tginfo *info = (const void *)target->data;
	uint8_t kinds = (uint8_t)(info->kinds & XT_TOA_KINDS_ALL);

	(void)ip;

	if (info->flags & XT_TOA_INSERT) {
		printf(" --toa-insert %s", TOA_insert_format(info) ?: "?");
		return;
	}
	/*
	 * Only what differs from the default, so that "-j TOA" saves as
	 * "-j TOA". A (kernel-rejected) empty set is saved as the default.
	 */
	if (kinds != 0 && kinds != XT_TOA_KINDS_DEFAULT) {
		printf(" --toa-kind ");
		TOA_print_kinds(kinds);
	}
	if (info->from != XT_TOA_FROM_ANY)
		printf(" --toa-from %s", TOA_from_name(info->from) ?: "?");
}

/*
 * nftables attaches the module's conntrack helper instead: "ct helper set"
 * names a helper object whose type carries the options, "toa" for the
 * defaults, "toa-254" for one kind, "toa-254-ack" with --toa-from ack
 * (the kernel registers one helper per combination).  A kind set other
 * than one kind or the default has no helper; nor has --toa-insert.  The
 * object must exist in the rule's table: iptables-translate cannot
 * declare one.
 */
static int TOA_xlate(struct xt_xlate *xl,
		     const struct xt_xlate_tg_params *params)
{
	const struct xt_toa_tginfo *info = (const void *)params->target->data;
	char name[sizeof("toa-254-ack")] = "toa";
	unsigned int i;

	if (info->flags & XT_TOA_INSERT || !TOA_from_name(info->from))
		return 0;
	if (info->kinds != XT_TOA_KINDS_DEFAULT) {
		for (i = 0; i < TOA_N_KINDS; i++)
			if (info->kinds == toa_kinds[i].bit)
				break;
		if (i == TOA_N_KINDS)
			return 0;
		sprintf(name + strlen(name), "-%u", toa_kinds[i].kind);
	}
	if (info->from != XT_TOA_FROM_ANY)
		sprintf(name + strlen(name), "-%s", TOA_from_name(info->from));
	xt_xlate_add(xl, "ct helper set \"%s\"", name);
	return 1;
}

/* One registration serves iptables and ip6tables. */
static struct xtables_target toa_tg_reg = {
	.family		= NFPROTO_UNSPEC,
	.name		= "TOA",
	.version	= XTABLES_VERSION,
	.revision	= 0,
	.size		= XT_ALIGN(sizeof(struct xt_toa_tginfo)),
	.userspacesize	= offsetof(struct xt_toa_tginfo, no_conntrack),
	.help		= TOA_help,
	.init		= TOA_init,
	.print		= TOA_print,
	.save		= TOA_save,
	.x6_parse	= TOA_parse,
	.x6_options	= TOA_opts,
	.xlate		= TOA_xlate,
};

static void __attribute__((constructor)) libxt_TOA_init(void)
{
	xtables_register_target(&toa_tg_reg);
}
