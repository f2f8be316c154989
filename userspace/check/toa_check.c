// SPDX-License-Identifier: GPL-2.0
/*
 * Offline check of libxt_TOA.so: parses target options the way
 * iptables/ip6tables do (libxtables x6 option machinery) and prints what
 * .print and .save output plus the resulting xt_toa_tginfo, without
 * talking to the kernel (the revision query is answered by a stub).
 *
 *	XTABLES_LIBDIR=... toa_check 4|6 [TARGET-OPTION...]
 *
 * Exits 2 (like iptables) if the plugin rejects the options.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xtables.h>
#include <linux/netfilter/xt_TOA.h>

static void check_exit_error(enum xtables_exittype status, const char *msg, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

static void check_exit_error(enum xtables_exittype status, const char *msg, ...)
{
	va_list args;

	va_start(args, msg);
	fputs("error: ", stdout);
	vprintf(msg, args);
	va_end(args);
	putchar('\n');
	exit(status == PARAMETER_PROBLEM ? 2 : 1);
}

/* Never ask the kernel: pretend every revision is supported. */
static int check_compat_rev(const char *name, uint8_t rev, int opt)
{
	(void)name; (void)rev; (void)opt;
	return 1;
}

static struct option check_orig_opts[] = {
	{ .name = NULL },
};

static struct xtables_globals check_globals = {
	.option_offset	= 0,
	.program_name	= "toa_check",
	.program_version = "0",
	.orig_opts	= check_orig_opts,
	.exit_err	= check_exit_error,
	.compat_rev	= check_compat_rev,
};

int main(int argc, char **argv)
{
	const struct xt_toa_tginfo *info;
	struct xtables_target *t;
	struct option *opts;
	bool invert = false;
	size_t size;
	int c;

	if (argc < 2 || (strcmp(argv[1], "4") && strcmp(argv[1], "6"))) {
		fprintf(stderr, "usage: %s 4|6 [TARGET-OPTION...]\n", argv[0]);
		return 1;
	}
	if (xtables_init_all(&check_globals, argv[1][0] == '4' ?
			     NFPROTO_IPV4 : NFPROTO_IPV6) < 0) {
		fprintf(stderr, "xtables_init_all failed\n");
		return 1;
	}

	t = xtables_find_target("TOA", XTF_LOAD_MUST_SUCCEED);
	if (strcmp(t->name, "TOA") || t->family != NFPROTO_UNSPEC)
		check_exit_error(OTHER_PROBLEM, "wrong target loaded");
	printf("loaded: %s rev %u family %u size %zu userspacesize %zu\n",
	       t->name, t->revision, t->family, t->size, t->userspacesize);

	size = XT_ALIGN(sizeof(struct xt_entry_target)) + t->size;
	t->t = xtables_calloc(1, size);
	t->t->u.target_size = (uint16_t)size;
	strcpy(t->t->u.user.name, t->name);
	t->t->u.user.revision = t->revision;
	if (t->init != NULL)
		t->init(t->t);

	opts = xtables_options_xfrm(check_globals.orig_opts, NULL,
				    t->x6_options, &t->option_offset);
	if (opts == NULL)
		check_exit_error(OTHER_PROBLEM, "xtables_options_xfrm failed");

	/* argv[1] is the family: getopt starts at argv[optind = 2]. */
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "-", opts, NULL)) != -1) {
		if (c == 1 && strcmp(optarg, "!") == 0) {
			invert = true;
			continue;
		}
		if (c == 1 || c == '?' || c == ':')
			check_exit_error(PARAMETER_PROBLEM,
					 "bad argument \"%s\"", argv[optind - 1]);
		xtables_option_tpcall((unsigned int)c, argv, invert, t, NULL);
		invert = false;
	}
	xtables_option_tfcall(t);

	info = (const void *)t->t->data;
	printf("tginfo: kinds=0x%02x flags=0x%02x len=%u from=0x%02x\n",
	       info->kinds, info->flags, info->len, info->from);
	fputs("print:", stdout);
	t->print(NULL, t->t, 0);
	putchar('\n');
	fputs("save:", stdout);
	t->save(NULL, t->t);
	putchar('\n');
	return 0;
}
