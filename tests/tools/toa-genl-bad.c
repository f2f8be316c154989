// SPDX-License-Identifier: GPL-2.0
/*
 * toa-genl-bad: malformed requests to the xt_TOA genetlink family.  Each
 * must be refused with the errno the policy gives (ERANGE for an address
 * of the wrong size or port 0, EINVAL for other bad attributes), and
 * never crash the kernel: the test runner watches the kernel log.
 * Prints "N passed, N failed".
 * Run as root, in a namespace with the module loaded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netfilter/xt_TOA_genl.h>
#include <stdio.h>
#include <string.h>
#include "../../tools/toactl/nl.h"

static struct toa_nl nl;
static char buf[TOA_NL_REQ_LEN];
static int passed, failed;

static int ignore(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static void expect(const char *name, struct nlmsghdr *nlh, int want)
{
	int got = toa_nl_talk(&nl, nlh, ignore, NULL) < 0 ? errno : 0;

	if (got == want) {
		passed++;
		printf("ok %s: %s%s%s\n", name, strerror(got),
		       nl.msg[0] ? ": " : "", nl.msg);
		return;
	}
	failed++;
	printf("FAIL %s: got %s (%s), want %s\n", name, strerror(got), nl.msg,
	       strerror(want));
}

static struct nlmsghdr *lookup(void)
{
	return toa_nl_request(&nl, buf, XT_TOA_CMD_LOOKUP, 0);
}

/* A well-formed IPv4 lookup with the given attribute left out (0: none). */
static struct nlmsghdr *lookup_v4_without(unsigned short skip)
{
	static const unsigned char local[4] = { 203, 0, 113, 2 }, peer[4] = { 203, 0, 113, 1 };
	struct nlmsghdr *nlh = lookup();

	if (skip != XT_TOA_A_LOCAL_IP4)
		mnl_attr_put(nlh, XT_TOA_A_LOCAL_IP4, 4, local);
	if (skip != XT_TOA_A_PEER_IP4)
		mnl_attr_put(nlh, XT_TOA_A_PEER_IP4, 4, peer);
	if (skip != XT_TOA_A_LOCAL_PORT)
		mnl_attr_put_u16(nlh, XT_TOA_A_LOCAL_PORT, htons(1));
	if (skip != XT_TOA_A_PEER_PORT)
		mnl_attr_put_u16(nlh, XT_TOA_A_PEER_PORT, htons(1));
	return nlh;
}

int main(void)
{
	static const unsigned char big[2048];
	struct nlmsghdr *nlh;
	struct nlattr *attr;

	if (toa_nl_open(&nl) < 0) {
		perror("toa-genl-bad: xt_TOA family");
		return 1;
	}

	expect("well-formed lookup, no such connection", lookup_v4_without(0), ENOENT);
	expect("lookup without attributes", lookup(), EINVAL);
	expect("lookup without LOCAL_IP4", lookup_v4_without(XT_TOA_A_LOCAL_IP4), EINVAL);
	expect("lookup without PEER_IP4", lookup_v4_without(XT_TOA_A_PEER_IP4), EINVAL);
	expect("lookup without LOCAL_PORT", lookup_v4_without(XT_TOA_A_LOCAL_PORT), EINVAL);
	expect("lookup without PEER_PORT", lookup_v4_without(XT_TOA_A_PEER_PORT), EINVAL);

	nlh = lookup_v4_without(0);
	mnl_attr_put(nlh, XT_TOA_A_PEER_IP6, 16, big);
	expect("lookup with IPv4 and IPv6", nlh, EINVAL);

	nlh = lookup_v4_without(XT_TOA_A_PEER_IP4);
	mnl_attr_put(nlh, XT_TOA_A_PEER_IP6, 16, big);
	expect("lookup, IPv4 local and IPv6 peer", nlh, EINVAL);

	nlh = lookup_v4_without(XT_TOA_A_LOCAL_IP4);
	mnl_attr_put(nlh, XT_TOA_A_LOCAL_IP4, 5, big);
	expect("LOCAL_IP4 of 5 bytes", nlh, ERANGE);

	nlh = lookup_v4_without(XT_TOA_A_LOCAL_IP4);
	mnl_attr_put(nlh, XT_TOA_A_LOCAL_IP4, 3, big);
	expect("LOCAL_IP4 of 3 bytes", nlh, ERANGE);

	nlh = lookup_v4_without(XT_TOA_A_LOCAL_IP4);
	mnl_attr_put(nlh, XT_TOA_A_LOCAL_IP4, 0, big);
	expect("LOCAL_IP4 empty", nlh, ERANGE);

	nlh = lookup_v4_without(XT_TOA_A_PEER_IP4);
	mnl_attr_put(nlh, XT_TOA_A_PEER_IP4, sizeof(big), big);
	expect("PEER_IP4 of 2048 bytes", nlh, ERANGE);

	nlh = lookup();
	mnl_attr_put(nlh, XT_TOA_A_LOCAL_IP6, 15, big);
	mnl_attr_put(nlh, XT_TOA_A_PEER_IP6, 16, big);
	mnl_attr_put_u16(nlh, XT_TOA_A_LOCAL_PORT, htons(1));
	mnl_attr_put_u16(nlh, XT_TOA_A_PEER_PORT, htons(1));
	expect("LOCAL_IP6 of 15 bytes", nlh, ERANGE);

	nlh = lookup_v4_without(XT_TOA_A_LOCAL_PORT);
	mnl_attr_put_u32(nlh, XT_TOA_A_LOCAL_PORT, 1);
	expect("LOCAL_PORT of 4 bytes", nlh, EINVAL);

	nlh = lookup_v4_without(XT_TOA_A_LOCAL_PORT);
	mnl_attr_put_u8(nlh, XT_TOA_A_LOCAL_PORT, 1);
	expect("LOCAL_PORT of 1 byte", nlh, EINVAL);

	nlh = lookup_v4_without(XT_TOA_A_PEER_PORT);
	mnl_attr_put_u16(nlh, XT_TOA_A_PEER_PORT, 0);
	expect("PEER_PORT 0", nlh, ERANGE);

	nlh = lookup_v4_without(0);
	mnl_attr_put_u8(nlh, XT_TOA_A_KIND, 200);
	expect("lookup with an answer-only attribute", nlh, EINVAL);

	nlh = lookup_v4_without(0);
	mnl_attr_put_u32(nlh, XT_TOA_A_MAX + 7, 0);
	expect("lookup with an unknown attribute", nlh, EINVAL);

	nlh = lookup_v4_without(0);
	attr = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);
	mnl_attr_put_u32(nlh, XT_TOA_A_PEER_PORT, 0);
	attr->nla_len = 200;	/* runs past the message */
	expect("attribute longer than the message", nlh, EINVAL);

	nlh = toa_nl_request(&nl, buf, XT_TOA_CMD_GET_STATS, 0);
	mnl_attr_put_u16(nlh, XT_TOA_A_LOCAL_PORT, htons(1));
	expect("stats with an attribute", nlh, EINVAL);

	nlh = toa_nl_request(&nl, buf, XT_TOA_CMD_GET_SOCKETS, NLM_F_DUMP);
	mnl_attr_put_u16(nlh, XT_TOA_A_LOCAL_PORT, htons(1));
	expect("dump with an attribute", nlh, EINVAL);

	nlh = toa_nl_request(&nl, buf, XT_TOA_CMD_GET_SOCKETS, 0);
	expect("dump command without NLM_F_DUMP", nlh, EOPNOTSUPP);

	nlh = toa_nl_request(&nl, buf, XT_TOA_CMD_MAX + 1, 0);
	expect("unknown command", nlh, EOPNOTSUPP);

	nlh = toa_nl_request(&nl, buf, XT_TOA_CMD_GET_STATS, 0);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->reserved = 1;
	expect("reserved header field set", nlh, EINVAL);

	nlh = toa_nl_request(&nl, buf, XT_TOA_CMD_GET_STATS, 0);
	nlh->nlmsg_len = sizeof(*nlh) + 2;	/* half a genetlink header */
	expect("truncated genetlink header", nlh, EINVAL);

	nlh = toa_nl_request(&nl, buf, XT_TOA_CMD_GET_STATS, 0);
	expect("stats, well-formed", nlh, 0);

	printf("%d passed, %d failed\n", passed, failed);
	toa_nl_close(&nl);
	return failed != 0;
}
