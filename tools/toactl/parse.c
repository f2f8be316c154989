// SPDX-License-Identifier: GPL-2.0
/* toactl: command-line addresses, the only parser of user input. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "parse.h"

static const char *parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s)
		return "missing port";
	/* Plain decimal: strtoul would take signs, spaces and "0x". */
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return "port is not a decimal number";
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return "port out of range (1-65535)";
	}
	if (!v)
		return "port out of range (1-65535)";
	*port = (uint16_t)v;
	return NULL;
}

const char *parse_endpoint(const char *s, struct toa_endpoint *ep)
{
	char host[INET6_ADDRSTRLEN];
	bool bracketed = *s == '[';
	const char *port, *end;
	size_t len;

	memset(ep, 0, sizeof(*ep));
	if (bracketed) {
		end = strchr(++s, ']');
		if (!end)
			return "missing ']' after the IPv6 address";
		if (end[1] != ':')
			return "expected [IPV6]:PORT";
		port = end + 2;
	} else {
		end = strrchr(s, ':');
		if (!end)
			return "expected ADDR:PORT or [IPV6]:PORT";
		if (memchr(s, ':', (size_t)(end - s)))
			return "an IPv6 address goes in brackets: [IPV6]:PORT";
		port = end + 1;
	}
	len = (size_t)(end - s);
	if (!len || len >= sizeof(host))
		return "bad address";
	memcpy(host, s, len);
	host[len] = '\0';

	if (bracketed) {
		if (inet_pton(AF_INET6, host, &ep->addr.v6) != 1)
			return "bad IPv6 address";
		ep->v6 = true;
		if (IN6_IS_ADDR_V4MAPPED(&ep->addr.v6)) {
			struct in_addr v4;

			memcpy(&v4, &ep->addr.v6.s6_addr[12], sizeof(v4));
			ep->addr.v4 = v4;
			ep->v6 = false;
		}
	} else if (inet_pton(AF_INET, host, &ep->addr.v4) != 1) {
		return "bad IPv4 address";
	}
	return parse_port(port, &ep->port);
}

const char *parse_tuple(const char *local, const char *peer,
			struct toa_endpoint *l, struct toa_endpoint *p)
{
	static char msg[64 + TOA_ENDPOINT_LEN];
	const char *err;

	err = parse_endpoint(local, l);
	if (!err) {
		err = parse_endpoint(peer, p);
		local = peer;
	}
	if (err) {
		snprintf(msg, sizeof(msg), "%.*s: %s", TOA_ENDPOINT_LEN, local, err);
		return msg;
	}
	if (l->v6 != p->v6)
		return "the local and peer addresses must be of one family";
	return NULL;
}

void format_endpoint(const struct toa_endpoint *ep, char *buf)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop(ep->v6 ? AF_INET6 : AF_INET, &ep->addr, host, sizeof(host));
	snprintf(buf, TOA_ENDPOINT_LEN, ep->v6 ? "[%s]:%u" : "%s:%u", host, ep->port);
}
