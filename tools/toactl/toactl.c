// SPDX-License-Identifier: GPL-2.0
/*
 * toactl: ask the xt_TOA module of the current network namespace for its
 * counters, the real client of one connection, or all TOA connections;
 * and what holds the module loaded (holders.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/genetlink.h>
#include <linux/netfilter/xt_TOA_genl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "holders.h"
#include "nl.h"
#include "parse.h"

static bool json;

struct toa_entry {
	struct toa_endpoint local, peer, client;
	unsigned int kind;
};

/* As in /proc/net/xt_TOA, so that the two read the same. */
static const char *const stat_names[XT_TOA_STAT_MAX + 1] = {
	[XT_TOA_STAT_OPTIONS_RECORDED]		= "options_recorded",
	[XT_TOA_STAT_OPTIONS_MALFORMED]		= "options_malformed",
	[XT_TOA_STAT_OPTIONS_CONFLICTING]	= "options_conflicting",
	[XT_TOA_STAT_OPTIONS_NOT_TOA]		= "options_not_toa",
	[XT_TOA_STAT_OPTIONS_IGNORED]		= "options_ignored",
	[XT_TOA_STAT_HANDSHAKES_RESTARTED]	= "handshakes_restarted",
	[XT_TOA_STAT_SOCKETS_ATTACHED]		= "sockets_attached",
	[XT_TOA_STAT_SOCKETS_RELEASED]		= "sockets_released",
	[XT_TOA_STAT_SOCKETS_WITHOUT_OPTION]	= "sockets_without_option",
	[XT_TOA_STAT_SOCKETS_OTHER_HANDSHAKE]	= "sockets_other_handshake",
	[XT_TOA_STAT_ADDRESSES_REWRITTEN]	= "addresses_rewritten",
	[XT_TOA_STAT_DECLINED_NO_CONNTRACK]	= "declined_no_conntrack",
	[XT_TOA_STAT_DECLINED_CONFIRMED]	= "declined_conntrack_confirmed",
	[XT_TOA_STAT_DECLINED_OTHER_HELPER]	= "declined_other_helper",
	[XT_TOA_STAT_DECLINED_NO_MEMORY]	= "declined_no_memory",
	[XT_TOA_STAT_DECLINED_USER_DATA_BUSY]	= "declined_user_data_busy",
	[XT_TOA_STAT_DECLINED_FAMILY]		= "declined_family_mismatch",
	[XT_TOA_STAT_HOOKS_MISSED]		= "hooks_missed",
	[XT_TOA_STAT_INSERTED_SYN]		= "inserted_syn",
	[XT_TOA_STAT_INSERTED_ACK]		= "inserted_ack",
	[XT_TOA_STAT_INSERT_FULL]		= "insert_skipped_full",
	[XT_TOA_STAT_INSERT_STRIPPED]		= "insert_stripped",
	[XT_TOA_STAT_INSERT_MALFORMED]		= "insert_skipped_malformed",
	[XT_TOA_STAT_INSERT_GSO]		= "insert_skipped_gso",
	[XT_TOA_STAT_INSERT_MTU]		= "insert_skipped_mtu",
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: toactl [--json] stats\n"
		"       toactl [--json] lookup LOCAL PEER\n"
		"       toactl [--json] list\n"
		"       toactl holders\n"
		"LOCAL and PEER are ADDR:PORT or [IPV6]:PORT, the connection as the\n"
		"server's kernel sees it (its own address, the proxy's).\n");
}

/* Why a request failed, in the terms of the one who ran toactl. */
static int fail(const struct toa_nl *nl, const char *what)
{
	if (errno == EPERM)
		fprintf(stderr, "toactl: %s: permission denied: needs CAP_NET_ADMIN "
			"in the network namespace\n", what);
	else if (nl->msg[0])
		fprintf(stderr, "toactl: %s: %s\n", what, nl->msg);
	else
		fprintf(stderr, "toactl: %s: %s\n", what, strerror(errno));
	return 1;
}

static int stat_attr(const struct nlattr *attr, void *data)
{
	unsigned int type = mnl_attr_get_type(attr);
	unsigned long long v;
	char name[32];
	bool *first = data;

	if (type == XT_TOA_STAT_PAD || mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return MNL_CB_OK;
	/* A newer module's counter still shows, by number. */
	if (type <= XT_TOA_STAT_MAX && stat_names[type])
		snprintf(name, sizeof(name), "%s", stat_names[type]);
	else
		snprintf(name, sizeof(name), "stat_%u", type);
	v = (unsigned long long)mnl_attr_get_u64(attr);
	if (json)
		printf("%s\"%s\": %llu", *first ? "" : ", ", name, v);
	else
		printf("%s %llu\n", name, v);
	*first = false;
	return MNL_CB_OK;
}

static int stats_msg(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(attr) == XT_TOA_A_STATS &&
		    mnl_attr_validate(attr, MNL_TYPE_NESTED) == 0)
			mnl_attr_parse_nested(attr, stat_attr, data);
	return MNL_CB_OK;
}

static int cmd_stats(struct toa_nl *nl)
{
	char buf[TOA_NL_REQ_LEN];
	struct nlmsghdr *nlh;
	bool first = true;

	nlh = toa_nl_request(nl, buf, XT_TOA_CMD_GET_STATS, 0);
	if (json)
		printf("{");
	if (toa_nl_talk(nl, nlh, stats_msg, &first) < 0)
		return fail(nl, "stats");
	if (json)
		printf("}\n");
	return 0;
}

/* One attribute of a socket entry from the kernel, checked for size. */
static void entry_addr(const struct nlattr *attr, struct toa_endpoint *ep, bool v6)
{
	size_t len = v6 ? sizeof(ep->addr.v6) : sizeof(ep->addr.v4);

	if (mnl_attr_get_payload_len(attr) != len)
		return;
	ep->v6 = v6;
	memcpy(&ep->addr, mnl_attr_get_payload(attr), len);
}

static void entry_port(const struct nlattr *attr, struct toa_endpoint *ep)
{
	if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
		ep->port = ntohs(mnl_attr_get_u16(attr));
}

static int entry_attr(const struct nlattr *attr, void *data)
{
	struct toa_entry *e = data;

	switch (mnl_attr_get_type(attr)) {
	case XT_TOA_A_LOCAL_IP4: entry_addr(attr, &e->local, false); break;
	case XT_TOA_A_LOCAL_IP6: entry_addr(attr, &e->local, true); break;
	case XT_TOA_A_PEER_IP4: entry_addr(attr, &e->peer, false); break;
	case XT_TOA_A_PEER_IP6: entry_addr(attr, &e->peer, true); break;
	case XT_TOA_A_CLIENT_IP4: entry_addr(attr, &e->client, false); break;
	case XT_TOA_A_CLIENT_IP6: entry_addr(attr, &e->client, true); break;
	case XT_TOA_A_LOCAL_PORT: entry_port(attr, &e->local); break;
	case XT_TOA_A_PEER_PORT: entry_port(attr, &e->peer); break;
	case XT_TOA_A_CLIENT_PORT: entry_port(attr, &e->client); break;
	case XT_TOA_A_KIND:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) == 0)
			e->kind = mnl_attr_get_u8(attr);
		break;
	}
	return MNL_CB_OK;
}

static void print_entry(const struct toa_entry *e, bool with_tuple)
{
	char local[TOA_ENDPOINT_LEN], peer[TOA_ENDPOINT_LEN], client[TOA_ENDPOINT_LEN];
	unsigned int optlen = e->client.v6 ? 20 : 8;

	format_endpoint(&e->local, local);
	format_endpoint(&e->peer, peer);
	format_endpoint(&e->client, client);
	if (json)
		printf("{\"local\": \"%s\", \"peer\": \"%s\", \"client\": \"%s\", "
		       "\"client_family\": \"%s\", \"kind\": %u, \"option_length\": %u}",
		       local, peer, client, e->client.v6 ? "ipv6" : "ipv4", e->kind, optlen);
	else if (with_tuple)
		printf("%s %s %s %u/%u\n", local, peer, client, e->kind, optlen);
	else
		printf("%s %s %u/%u\n", client, e->client.v6 ? "ipv6" : "ipv4", e->kind, optlen);
}

static int entry_msg(const struct nlmsghdr *nlh, void *data)
{
	struct toa_entry *e = data;

	memset(e, 0, sizeof(*e));
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), entry_attr, e);
	return MNL_CB_OK;
}

static int cmd_lookup(struct toa_nl *nl, const struct toa_endpoint *lp,
		      const struct toa_endpoint *pp)
{
	const struct toa_endpoint l = *lp, p = *pp;
	char buf[TOA_NL_REQ_LEN];
	struct nlmsghdr *nlh;
	struct toa_entry e = { 0 };

	nlh = toa_nl_request(nl, buf, XT_TOA_CMD_LOOKUP, 0);
	if (l.v6) {
		mnl_attr_put(nlh, XT_TOA_A_LOCAL_IP6, sizeof(l.addr.v6), &l.addr.v6);
		mnl_attr_put(nlh, XT_TOA_A_PEER_IP6, sizeof(p.addr.v6), &p.addr.v6);
	} else {
		mnl_attr_put(nlh, XT_TOA_A_LOCAL_IP4, sizeof(l.addr.v4), &l.addr.v4);
		mnl_attr_put(nlh, XT_TOA_A_PEER_IP4, sizeof(p.addr.v4), &p.addr.v4);
	}
	mnl_attr_put_u16(nlh, XT_TOA_A_LOCAL_PORT, htons(l.port));
	mnl_attr_put_u16(nlh, XT_TOA_A_PEER_PORT, htons(p.port));
	if (toa_nl_talk(nl, nlh, entry_msg, &e) < 0)
		return fail(nl, "lookup");
	print_entry(&e, false);
	if (json)
		printf("\n");
	return 0;
}

struct entries {
	struct toa_entry *v;
	size_t n, cap;
};

static int list_msg(const struct nlmsghdr *nlh, void *data)
{
	struct entries *all = data;

	if (all->n == all->cap) {
		size_t cap = all->cap ? 2 * all->cap : 1024;
		struct toa_entry *v = realloc(all->v, cap * sizeof(*v));

		if (!v)
			return MNL_CB_ERROR;
		all->v = v;
		all->cap = cap;
	}
	return entry_msg(nlh, &all->v[all->n++]);
}

/*
 * The dump spans many reads; sockets that come and go meanwhile make the
 * kernel flag it.  Ask again then, so that what is shown is one state.
 */
#define LIST_TRIES 5

static int cmd_list(struct toa_nl *nl)
{
	char buf[TOA_NL_REQ_LEN];
	struct entries all = { 0 };
	struct nlmsghdr *nlh;
	int tries = 0;
	size_t i;

	do {
		all.n = 0;
		nlh = toa_nl_request(nl, buf, XT_TOA_CMD_GET_SOCKETS, NLM_F_DUMP);
		if (toa_nl_talk(nl, nlh, list_msg, &all) < 0) {
			free(all.v);
			return fail(nl, "list");
		}
	} while (nl->intr && ++tries < LIST_TRIES);
	if (nl->intr)
		fprintf(stderr, "toactl: list: the TOA sockets kept changing; "
			"this list mixes several moments\n");

	if (json)
		printf("[");
	else
		printf("local peer client option\n");
	for (i = 0; i < all.n; i++) {
		if (json)
			printf(i ? ",\n " : "");
		print_entry(&all.v[i], true);
	}
	if (json)
		printf("]\n");
	free(all.v);
	return nl->intr;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct toa_endpoint local, peer;
	const char *cmd, *err;
	struct toa_nl nl;
	int c, ret;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	cmd = argc ? argv[0] : "";
	if (!((!strcmp(cmd, "stats") && argc == 1) ||
	      (!strcmp(cmd, "lookup") && argc == 3) ||
	      (!strcmp(cmd, "list") && argc == 1) ||
	      (!strcmp(cmd, "holders") && argc == 1 && !json))) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "holders"))
		return cmd_holders();
	if (!strcmp(cmd, "lookup")) {
		err = parse_tuple(argv[1], argv[2], &local, &peer);
		if (err) {
			fprintf(stderr, "toactl: %s\n", err);
			return 2;
		}
	}

	if (toa_nl_open(&nl) < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "toactl: xt_TOA is not loaded "
				"(no generic netlink family \"%s\")\n", XT_TOA_GENL_NAME);
		else
			fprintf(stderr, "toactl: cannot talk to the kernel: %s\n",
				strerror(errno));
		return 1;
	}
	if (!strcmp(cmd, "stats"))
		ret = cmd_stats(&nl);
	else if (!strcmp(cmd, "lookup"))
		ret = cmd_lookup(&nl, &local, &peer);
	else
		ret = cmd_list(&nl);
	toa_nl_close(&nl);
	return ret;
}
