/* SPDX-License-Identifier: GPL-2.0 */
/* toactl: a request/answer exchange with the xt_TOA genetlink family. */
#ifndef TOACTL_NL_H
#define TOACTL_NL_H

#include <libmnl/libmnl.h>
#include <stdbool.h>

struct toa_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	unsigned short family;	/* genetlink id of "xt_TOA" */
	bool intr;		/* the last dump was flagged NLM_F_DUMP_INTR */
	char msg[256];		/* the kernel's extended ack of the last error */
};

/*
 * Opens the socket and finds the family: -1 with errno ENOENT when the
 * module is not loaded, other errno values for other failures.
 */
int toa_nl_open(struct toa_nl *nl);
void toa_nl_close(struct toa_nl *nl);

/* Room for any request (the buf of toa_nl_request). */
#define TOA_NL_REQ_LEN 4096

/*
 * A request of the family, to fill with attributes before toa_nl_talk;
 * NLM_F_ACK is added to any but a dump.
 */
struct nlmsghdr *toa_nl_request(struct toa_nl *nl, void *buf, unsigned char cmd,
				unsigned short flags);

/*
 * Sends @nlh and calls @cb for each answer until the kernel is done.
 * Returns 0, or -1 with errno set (and nl->msg when the kernel said why).
 */
int toa_nl_talk(struct toa_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

#endif
