// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kernel/toa_handshake.c, built in user space from the same
 * file: which TOA a socket gets, packet by packet.
 */
#include <stdio.h>
#include <string.h>
#include <linux/netfilter/xt_TOA.h>
#include "toa_handshake.h"

static int passed, failed;

/* Packet flags of a step */
#define S	1	/* SYN */
#define A	2	/* ACK */
#define SA	(S | A)
#define R	(4 | A)	/* RST, ACK */

/* What a packet carries: no TOA, the real client, a forged one, a broken list. */
#define NONE	0
#define REAL	1
#define FORGED	2
#define BROKEN	3

#define RESTART	TOA_HS_RESTARTED

struct step {
	unsigned char flags, toa;
	unsigned int seq;
	unsigned int want_where;	/* toa_hs_place() */
	enum toa_hs_event want_ev;	/* toa_hs_record() */
};

struct tcase {
	const char *name;
	unsigned char from;
	struct step steps[8];
	unsigned int isn;		/* of the socket made at the end */
	enum toa_hs_take want_take;
	unsigned char want_client;	/* REAL or FORGED with TAKE_CLIENT */
};

#define ANY XT_TOA_FROM_ANY
#define SYN_ XT_TOA_FROM_SYN
#define ACK_ XT_TOA_FROM_ACK
#define EV(x) TOA_HS_EV_##x
#define TAKE(x) TOA_HS_TAKE_##x
#define END { 0 }

static const struct tcase cases[] = {
	{ "toa in the syn", ANY, {
		{ S, REAL, 1000, TOA_HS_SYN, EV(RECORDED) },
		{ A, NONE, 1001, TOA_HS_ACK },
		END }, 1000, TAKE(CLIENT), REAL },
	{ "toa in the ack", ANY, {
		{ S, NONE, 1000, TOA_HS_SYN },
		{ A, REAL, 1001, TOA_HS_ACK, EV(RECORDED) },
		END }, 1000, TAKE(CLIENT), REAL },
	{ "toa in both, the same", ANY, {
		{ S, REAL, 1000, TOA_HS_SYN, EV(RECORDED) },
		{ A, REAL, 1001, TOA_HS_ACK, EV(NONE) },
		END }, 1000, TAKE(CLIENT), REAL },
	{ "forged syn behind an ack-only proxy: neither", ANY, {
		{ S, FORGED, 1000, TOA_HS_SYN, EV(RECORDED) },
		{ A, REAL, 1001, TOA_HS_ACK, EV(CONFLICTING) },
		END }, 1000, TAKE(NONE) },
	{ "forged ack behind a syn-only proxy: neither", ANY, {
		{ S, REAL, 1000, TOA_HS_SYN, EV(RECORDED) },
		{ A, FORGED, 1001, TOA_HS_ACK, EV(CONFLICTING) },
		END }, 1000, TAKE(NONE) },
	{ "conflict stays through a retransmitted syn", ANY, {
		{ S, FORGED, 1000, TOA_HS_SYN, EV(RECORDED) },
		{ A, REAL, 1001, TOA_HS_ACK, EV(CONFLICTING) },
		{ S, FORGED, 1000, TOA_HS_SYN, EV(CONFLICTING) },
		END }, 1000, TAKE(NONE) },
	{ "--toa-from ack ignores a forged syn", ACK_, {
		{ S, FORGED, 1000, TOA_HS_SYN, EV(IGNORED) },
		{ A, REAL, 1001, TOA_HS_ACK, EV(RECORDED) },
		END }, 1000, TAKE(CLIENT), REAL },
	{ "--toa-from ack, nothing in the ack", ACK_, {
		{ S, FORGED, 1000, TOA_HS_SYN, EV(IGNORED) },
		{ A, NONE, 1001, TOA_HS_ACK },
		END }, 1000, TAKE(NONE) },
	{ "--toa-from syn ignores a forged ack", SYN_, {
		{ S, REAL, 1000, TOA_HS_SYN, EV(RECORDED) },
		{ A, FORGED, 1001, TOA_HS_ACK, EV(IGNORED) },
		END }, 1000, TAKE(CLIENT), REAL },
	{ "data at isn + 1 completes the handshake", ANY, {
		{ S, NONE, 1000, TOA_HS_SYN },
		{ A, REAL, 1001, TOA_HS_ACK, EV(RECORDED) },
		{ A, REAL, 1001, TOA_HS_ACK, EV(NONE) },
		END }, 1000, TAKE(CLIENT), REAL },
	{ "a toa past the handshake is ignored", ANY, {
		{ S, NONE, 1000, TOA_HS_SYN },
		{ A, FORGED, 1101, 0, EV(IGNORED) },
		{ A, NONE, 1001, TOA_HS_ACK },
		END }, 1000, TAKE(NONE) },
	{ "a syn-ack is not the client's syn", ANY, {
		{ SA, FORGED, 1000, 0, EV(IGNORED) },
		END }, 999, TAKE(NONE) },
	{ "rst carries nothing", ANY, {
		{ S, NONE, 1000, TOA_HS_SYN },
		{ R, FORGED, 1001, 0, EV(IGNORED) },
		END }, 1000, TAKE(NONE) },
	{ "no syn seen (rule added mid-handshake): the ack's isn", ANY, {
		{ A, REAL, 5001, TOA_HS_ACK, EV(RECORDED) },
		END }, 5000, TAKE(CLIENT), REAL },
	{ "isn wraps", ANY, {
		{ S, REAL, 0xffffffff, TOA_HS_SYN, EV(RECORDED) },
		{ A, NONE, 0, TOA_HS_ACK },
		END }, 0xffffffff, TAKE(CLIENT), REAL },
	{ "half-open entry reused by a new syn", ANY, {
		{ S, FORGED, 1000, TOA_HS_SYN, EV(RECORDED) },
		{ S, REAL, 7000, TOA_HS_SYN | RESTART, EV(RECORDED) },
		{ A, NONE, 7001, TOA_HS_ACK },
		END }, 7000, TAKE(CLIENT), REAL },
	{ "half-open entry reused by a syn without toa", ANY, {
		{ S, FORGED, 1000, TOA_HS_SYN, EV(RECORDED) },
		{ S, NONE, 7000, TOA_HS_SYN | RESTART },
		{ A, NONE, 7001, TOA_HS_ACK },
		END }, 7000, TAKE(NONE) },
	{ "a new syn clears a conflict", ANY, {
		{ S, FORGED, 1000, TOA_HS_SYN, EV(RECORDED) },
		{ A, REAL, 1001, TOA_HS_ACK, EV(CONFLICTING) },
		{ S, REAL, 3000, TOA_HS_SYN | RESTART, EV(RECORDED) },
		END }, 3000, TAKE(CLIENT), REAL },
	{ "--toa-from survives a restart", ACK_, {
		{ S, NONE, 1000, TOA_HS_SYN },
		{ S, FORGED, 3000, TOA_HS_SYN, EV(IGNORED) },
		{ A, REAL, 3001, TOA_HS_ACK, EV(RECORDED) },
		END }, 3000, TAKE(CLIENT), REAL },
	{ "socket of a handshake the rule did not see", ANY, {
		{ S, FORGED, 1000, TOA_HS_SYN, EV(RECORDED) },
		END }, 4000, TAKE(STALE) },
	{ "the client's toa in both behind an ack-only proxy", ANY, {
		{ S, FORGED, 1000, TOA_HS_SYN, EV(RECORDED) },
		{ A, BROKEN, 1001, TOA_HS_ACK },	/* its TOA and the proxy's */
		END }, 1000, TAKE(NONE) },
	{ "--toa-from ack, a broken ack", ACK_, {
		{ S, FORGED, 1000, TOA_HS_SYN, EV(IGNORED) },
		{ A, BROKEN, 1001, TOA_HS_ACK },
		END }, 1000, TAKE(NONE) },
	{ "--toa-from ack, a broken syn is not read", ACK_, {
		{ S, BROKEN, 1000, TOA_HS_SYN },
		{ A, REAL, 1001, TOA_HS_ACK, EV(RECORDED) },
		END }, 1000, TAKE(CLIENT), REAL },
	{ "a broken packet past the handshake changes nothing", ANY, {
		{ S, REAL, 1000, TOA_HS_SYN, EV(RECORDED) },
		{ A, BROKEN, 1500, 0 },
		{ A, NONE, 1001, TOA_HS_ACK },
		END }, 1000, TAKE(CLIENT), REAL },
	{ "socket without any record", ANY, {
		END }, 4000, TAKE(NONE) },
};

static const enum toa_parse_result parsed[] = {
	[NONE] = TOA_PARSE_NONE, [REAL] = TOA_PARSE_FOUND,
	[FORGED] = TOA_PARSE_FOUND, [BROKEN] = TOA_PARSE_MALFORMED,
};

static const struct toa_addr clients[BROKEN + 1] = {
	[REAL]   = { .kind = 200, .port = 0x1f90, .addr.v4 = 0x07643398 },
	[FORGED] = { .kind = 200, .port = 0x0a1a, .addr.v4 = 0x06060606 },
};

static int run_steps(struct toa_hs *hs, const struct tcase *c)
{
	const struct step *st;
	unsigned int i, where;
	enum toa_hs_event ev;

	for (i = 0; i < 8 && c->steps[i].flags; i++) {
		st = &c->steps[i];
		struct toa_seg seg = {
			.seq = st->seq, .syn = st->flags & S,
			.ack = !!(st->flags & A), .rst = !!(st->flags & 4),
		};
		where = toa_hs_place(hs, &seg);
		if (where != st->want_where) {
			printf("#   step %u: place %#x, want %#x\n", i, where, st->want_where);
			return 0;
		}
		ev = toa_hs_record(hs, where, parsed[st->toa], &clients[st->toa]);
		if (ev != st->want_ev) {
			printf("#   step %u: event %d, want %d\n", i, ev, st->want_ev);
			return 0;
		}
	}
	return 1;
}

static void check(const struct tcase *c)
{
	struct toa_hs hs = { .from = c->from };
	struct toa_addr got;
	enum toa_hs_take took;
	int ok = run_steps(&hs, c);

	if (ok) {
		memset(&got, 0xa5, sizeof(got));
		took = toa_hs_take(&hs, c->isn, &got);
		ok = took == c->want_take &&
		     (took != TOA_HS_TAKE_CLIENT ||
		      !memcmp(&got, &clients[c->want_client], sizeof(got)));
		if (!ok)
			printf("#   take %d, want %d\n", took, c->want_take);
	}
	printf("%s - %s\n", ok ? "ok" : "not ok", c->name);
	ok ? passed++ : failed++;
}

/* After the socket: only a SYN with a new ISN is looked at again. */
static void check_after_take(void)
{
	struct toa_hs hs = { 0 };
	struct toa_seg syn = { .seq = 1000, .syn = 1 };
	struct toa_seg ack = { .seq = 1001, .ack = 1 };
	struct toa_seg syn2 = { .seq = 9000, .syn = 1 };
	struct toa_addr got;
	int ok;

	toa_hs_place(&hs, &syn);
	toa_hs_record(&hs, TOA_HS_SYN, TOA_PARSE_FOUND, &clients[REAL]);
	ok = toa_hs_take(&hs, 1000, &got) == TOA_HS_TAKE_CLIENT &&
	     toa_hs_place(&hs, &ack) == 0 &&		/* data, retransmits */
	     toa_hs_place(&hs, &syn) == 0 &&		/* a late copy of the SYN */
	     toa_hs_place(&hs, &syn2) == (TOA_HS_SYN | TOA_HS_RESTARTED) &&
	     !toa_hs_client(&hs, &got) &&		/* the old client is gone */
	     toa_hs_place(&hs, &(struct toa_seg){ .seq = 9001, .ack = 1 }) == TOA_HS_ACK &&
	     toa_hs_take(&hs, 9000, &got) == TOA_HS_TAKE_NONE;
	printf("%s - after the socket, only a new handshake starts afresh\n",
	       ok ? "ok" : "not ok");
	ok ? passed++ : failed++;
}

/* The packets looked at before a socket exists are bounded. */
static void check_inspected_bound(void)
{
	struct toa_hs hs = { 0 };
	struct toa_seg data = { .seq = 5000, .ack = 1 };
	unsigned int i;

	for (i = 0; i < 100; i++)
		toa_hs_place(&hs, &data);
	printf("%s - inspected stops at %u\n",
	       hs.inspected == TOA_HS_INSPECT_MAX ? "ok" : "not ok",
	       TOA_HS_INSPECT_MAX);
	hs.inspected == TOA_HS_INSPECT_MAX ? passed++ : failed++;
}

int main(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(&cases[i]);
	check_after_take();
	check_inspected_bound();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
