// SPDX-License-Identifier: GPL-2.0
/* toactl: generic netlink plumbing on libmnl. */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netfilter/xt_TOA_genl.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "nl.h"

/* Sized for dumps: the kernel fills up to this much per read. */
#define TOA_NL_BUF	(64 * 1024)

static int toa_nl_extack_attr(const struct nlattr *attr, void *data)
{
	struct toa_nl *nl = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(nl->msg, sizeof(nl->msg), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int toa_nl_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct toa_nl *nl = data;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!err->error)
		return MNL_CB_STOP;
	/* NETLINK_CAP_ACK: the TLVs follow the header of our request. */
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		mnl_attr_parse(nlh, sizeof(*err), toa_nl_extack_attr, nl);
	errno = -err->error;
	return MNL_CB_ERROR;
}

static int toa_nl_done(const struct nlmsghdr *nlh, void *data)
{
	struct toa_nl *nl = data;
	int err = 0;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		nl->intr = true;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0) {
		if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
			mnl_attr_parse(nlh, sizeof(err), toa_nl_extack_attr, nl);
		errno = -err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

struct toa_nl_call {
	struct toa_nl *nl;
	mnl_cb_t cb;
	void *data;
};

static int toa_nl_data(const struct nlmsghdr *nlh, void *data)
{
	struct toa_nl_call *call = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		call->nl->intr = true;
	return call->cb(nlh, call->data);
}

static int toa_nl_ctl(const struct nlmsghdr *nlh, void *data)
{
	struct toa_nl_call *call = data;

	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		return toa_nl_error(nlh, call->nl);
	case NLMSG_DONE:
		return toa_nl_done(nlh, call->nl);
	default:
		return MNL_CB_OK;
	}
}

int toa_nl_talk(struct toa_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = toa_nl_ctl,
		[NLMSG_DONE] = toa_nl_ctl,
	};
	struct toa_nl_call call = { nl, cb, data };
	static char buf[TOA_NL_BUF];
	unsigned int seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	nl->msg[0] = '\0';
	nl->intr = false;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0)
			return -1;
		ret = mnl_cb_run2(buf, (size_t)n, seq, nl->portid, toa_nl_data,
				  &call, ctl, NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -1 : 0;
}

static struct nlmsghdr *toa_nl_put(struct toa_nl *nl, void *buf, unsigned short type,
				   unsigned char cmd, unsigned char version,
				   unsigned short flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	/* An ACK (or NLMSG_DONE of a dump) tells toa_nl_talk it has all. */
	if ((flags & NLM_F_DUMP) != NLM_F_DUMP)
		flags |= NLM_F_ACK;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

struct nlmsghdr *toa_nl_request(struct toa_nl *nl, void *buf, unsigned char cmd,
				unsigned short flags)
{
	return toa_nl_put(nl, buf, nl->family, cmd, XT_TOA_GENL_VERSION, flags);
}

static int toa_nl_family_attr(const struct nlattr *attr, void *data)
{
	struct toa_nl *nl = data;

	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
		nl->family = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

static int toa_nl_family(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), toa_nl_family_attr, data);
}

int toa_nl_open(struct toa_nl *nl)
{
	char buf[TOA_NL_REQ_LEN];
	struct nlmsghdr *nlh;
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->seq = (unsigned int)time(NULL);
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock)
		return -1;
	/* Errors carry the kernel's reason, not a copy of our request. */
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
		goto err;
	nl->portid = mnl_socket_get_portid(nl->sock);

	nlh = toa_nl_put(nl, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, XT_TOA_GENL_NAME);
	if (toa_nl_talk(nl, nlh, toa_nl_family, nl) < 0)
		goto err;
	if (!nl->family) {
		errno = EPROTO;
		goto err;
	}
	return 0;

err:
	mnl_socket_close(nl->sock);
	nl->sock = NULL;
	return -1;
}

void toa_nl_close(struct toa_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
}
