/* SPDX-License-Identifier: GPL-2.0 */
/* toactl: the parsing of its command-line addresses, unit tested alone. */
#ifndef TOACTL_PARSE_H
#define TOACTL_PARSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct toa_endpoint {
	bool v6;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	uint16_t port;		/* host order, never 0 */
};

/*
 * ADDR:PORT or [ADDR6]:PORT.  A v4-mapped IPv6 address becomes IPv4: the
 * kernel sees such a connection (on a dual-stack socket) as IPv4.
 * Returns NULL, or what is wrong with @s.
 */
const char *parse_endpoint(const char *s, struct toa_endpoint *ep);

/* Both endpoints of a lookup: of one family, or an error message. */
const char *parse_tuple(const char *local, const char *peer,
			struct toa_endpoint *l, struct toa_endpoint *p);

/* The inverse of parse_endpoint into buf (at least TOA_ENDPOINT_LEN). */
#define TOA_ENDPOINT_LEN (INET6_ADDRSTRLEN + 8)
void format_endpoint(const struct toa_endpoint *ep, char *buf);

#endif
