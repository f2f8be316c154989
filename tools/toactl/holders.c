// SPDX-License-Identifier: GPL-2.0
/*
 * toactl holders: what keeps xt_TOA loaded.  rmmod only says "in use": the
 * kernel counts references, not who holds them.  They are rules and
 * objects in some network namespace: iptables rules with -j TOA, -m toa or
 * -j CT --helper toa..., and nftables "ct helper" objects of a toa type.
 * Each namespace this process can reach (its own, those named in
 * /run/netns, those of running processes) is entered by a child process,
 * which reads them with the tools' own listing commands and prints the
 * command that deletes each.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "holders.h"

struct netns {
	dev_t dev;
	ino_t ino;
	char path[64];
	char label[96];
};

static struct netns *all_ns;
static size_t n_ns;

static void add_ns(const char *path, const char *label)
{
	struct netns *v;
	struct stat st;
	size_t i;

	if (stat(path, &st) < 0)
		return;
	for (i = 0; i < n_ns; i++)
		if (all_ns[i].dev == st.st_dev && all_ns[i].ino == st.st_ino)
			return;
	v = realloc(all_ns, (n_ns + 1) * sizeof(*v));
	if (!v)
		return;
	all_ns = v;
	v += n_ns++;
	v->dev = st.st_dev;
	v->ino = st.st_ino;
	snprintf(v->path, sizeof(v->path), "%s", path);
	snprintf(v->label, sizeof(v->label), "%s", label);
}

/* Entering another namespace takes root. */
static void find_other_ns(void)
{
	char path[64], label[96], comm[32];
	struct dirent *d;
	DIR *dir;
	FILE *f;

	dir = opendir("/run/netns");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.' || strlen(d->d_name) > 40)
			continue;
		snprintf(path, sizeof(path), "/run/netns/%.40s", d->d_name);
		snprintf(label, sizeof(label), "netns %.40s", d->d_name);
		add_ns(path, label);
	}
	if (dir)
		closedir(dir);
	dir = opendir("/proc");
	while (dir && (d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/comm", d->d_name);
		comm[0] = 0;
		f = fopen(path, "r");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = 0;
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%.20s/ns/net", d->d_name);
		snprintf(label, sizeof(label), "the namespace of pid %.20s (%.31s)", d->d_name, comm);
		add_ns(path, label);
	}
	if (dir)
		closedir(dir);
}

/* "word" in LINE as a whole word, or (PREFIX) followed by '-' too. */
static bool has_word(const char *line, const char *word, bool prefix)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(line, word); p; p = strstr(p + 1, word)) {
		char c = p[n];

		if (c == 0 || c == ' ' || c == '\n' || (prefix && c == '-'))
			return true;
	}
	return false;
}

/* An iptables-save rule that holds the module. */
static bool toa_rule(const char *line)
{
	return !strncmp(line, "-A ", 3) &&
	       (has_word(line, " -j TOA", false) || has_word(line, " -m toa", false) ||
		has_word(line, " --helper toa", true));
}

/* Each rule of TOOL's save output that holds the module, as its deletion. */
static int iptables_holders(FILE *out, const char *tool)
{
	char cmd[64], table[32] = "", line[4096];
	int found = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s-save 2>/dev/null", tool);
	f = popen(cmd, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '*')
			snprintf(table, sizeof(table), "%.31s", line + 1);
		else if (toa_rule(line)) {
			fprintf(out, "  %s -t %s -D%s\n", tool, table, line + 2);
			found++;
		}
	}
	pclose(f);
	return found;
}

/*
 * nft's listing: "table FAMILY NAME {", then "ct helper NAME {" and its
 * "type "toa..." line.  An object cannot go while a rule sets it: its
 * table (if it is the operator's own) goes at once.
 */
static int nft_holders(FILE *out)
{
	char line[4096], family[16] = "", table[64] = "", helper[64] = "";
	int found = 0;
	const char *s;
	FILE *f;

	f = popen("nft list ruleset 2>/dev/null", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		if (sscanf(s, "table %15s %63s {", family, table) == 2)
			continue;
		if (sscanf(s, "ct helper %63s {", helper) == 1)
			continue;
		if (strncmp(s, "type \"toa", 9))
			continue;
		found++;
		if (!strcmp(table, "firewalld"))
			fprintf(out, "  firewalld's helper \"%s\": remove the service or helper that "
			       "names nf_conntrack_toa from its zones, then firewall-cmd --reload\n",
			       helper);
		else
			fprintf(out, "  nft delete table %s %s    # ct helper %s; or delete the rules "
			       "that set it, then: nft delete ct helper %s %s %s\n",
			       family, table, helper, family, table, helper);
	}
	pclose(f);
	return found;
}

static const char *const iptables_tools[] = {
	"iptables-nft", "ip6tables-nft", "iptables-legacy", "ip6tables-legacy",
};

/* In a child: enter NS; print what holds the module there, if anything. */
static int ns_holders(const struct netns *ns, bool self)
{
	int fd, found = 0;
	size_t i, len;
	char *buf;
	FILE *out;

	if (!self) {
		fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			fprintf(stderr, "toactl: holders: cannot enter %s: %s\n",
				ns->label, strerror(errno));
			return 2;
		}
		close(fd);
	}
	out = open_memstream(&buf, &len);
	if (!out)
		return 2;
	for (i = 0; i < sizeof(iptables_tools) / sizeof(iptables_tools[0]); i++)
		found += iptables_holders(out, iptables_tools[i]);
	found += nft_holders(out);
	fclose(out);
	if (found)
		printf("%s:\n%s", ns->label, buf);
	fflush(stdout);	/* the child leaves by _exit() */
	free(buf);
	return found ? 1 : 0;
}

int cmd_holders(void)
{
	int refs = -1, status, found = 0, failed = 0;
	pid_t pid;
	size_t i;
	FILE *f;

	f = fopen("/sys/module/xt_TOA/refcnt", "r");
	if (f) {
		if (fscanf(f, "%d", &refs) != 1)
			refs = -1;
		fclose(f);
	}
	if (refs < 0) {
		printf("xt_TOA is not loaded\n");
		return 0;
	}
	printf("xt_TOA: %d reference%s; what holds it, and the command that deletes it:\n",
	       refs, refs == 1 ? "" : "s");
	add_ns("/proc/self/ns/net", "this namespace");
	if (!geteuid())
		find_other_ns();
	for (i = 0; i < n_ns; i++) {
		fflush(stdout);
		pid = fork();
		if (pid == 0)
			_exit(ns_holders(&all_ns[i], i == 0));
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) > 1)
			failed++;
		else
			found += WEXITSTATUS(status);
	}
	free(all_ns);
	if (refs > 0 && !found)
		printf("  nothing in the %zu network namespace%s seen%s\n", n_ns,
		       n_ns == 1 ? "" : "s", geteuid() ? " (run as root to see all)" : "");
	return failed ? 1 : 0;
}
