// SPDX-License-Identifier: GPL-2.0
/*
 * icount.so: a QEMU TCG plugin that counts the guest instructions executed
 * between two markers, for benchmarks that wall-clock time under TCG cannot
 * resolve (see tests/e2e/bench-icount.sh).
 *
 *   qemu-system-x86_64 -smp 1 -plugin icount.so,out=FILE ...
 *
 * The marker is `xchg %bx,%bx` (66 87 db), a no-op nothing else executes.
 * Each marker the guest executes opens or closes a window; each close
 * appends the window's instruction count to FILE as a decimal line. With
 * one vCPU the count covers the whole system (kernel, interrupts, every
 * process), which is what a connection costs.
 *
 * With profile=PROFILE as well, each close also rewrites PROFILE with the
 * window's kernel instructions by translation block: "ADDRESS COUNT"
 * lines, which tests/e2e/icount-profile.py turns into functions with the
 * guest's /proc/kallsyms. User-space blocks are left out: every process
 * maps its own code at the same addresses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qemu-plugin-min.h"

#define KERNEL_START	0xffff800000000000ull	/* x86-64's upper half */

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

static const unsigned char marker[] = { 0x66, 0x87, 0xdb };

/*
 * Guest instructions executed since boot. Not atomic: exact with one vCPU
 * only, hence -smp 1. Each block adds its length inline when it starts
 * (cheap, no helper call), so a window is off by the few instructions of
 * the blocks holding the markers: a constant, measured by an empty window.
 */
static uint64_t insns;
static uint64_t opened_at;
static int window_open;
static const char *out_path;
static const char *profile_path;

/* Each translation of a kernel block, with its executions in the window. */
struct block {
	uint64_t vaddr;
	uint64_t insns;
};

static struct block **blocks;
static size_t n_blocks, max_blocks;

static void profile_write(void)
{
	FILE *f = fopen(profile_path, "w");
	size_t i;

	if (!f) {
		perror(profile_path);
		return;
	}
	for (i = 0; i < n_blocks; i++)
		if (blocks[i]->insns)
			fprintf(f, "%llx %llu\n", (unsigned long long)blocks[i]->vaddr,
				(unsigned long long)blocks[i]->insns);
	fclose(f);
}

/* A block of the kernel's is counted in a counter of its own too. */
static void profile_translate(struct qemu_plugin_tb *tb, size_t n)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	struct block *b;

	if (vaddr < KERNEL_START)
		return;
	if (n_blocks == max_blocks) {
		max_blocks = max_blocks ? 2 * max_blocks : 65536;
		blocks = realloc(blocks, max_blocks * sizeof(*blocks));
	}
	b = calloc(1, sizeof(*b));
	if (!blocks || !b) {
		fprintf(stderr, "icount: out of memory\n");
		exit(1);
	}
	b->vaddr = vaddr;
	blocks[n_blocks++] = b;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->insns, n);
}

/* Runs when the guest executes a marker. */
static void on_marker(unsigned int vcpu, void *udata)
{
	FILE *f;

	(void)vcpu, (void)udata;
	window_open = !window_open;
	if (window_open) {
		opened_at = insns;
		for (size_t i = 0; i < n_blocks; i++)
			blocks[i]->insns = 0;
		return;
	}
	if (profile_path)
		profile_write();
	/* Open and close each time: the guest reads FILE right after. */
	f = fopen(out_path, "a");
	if (!f) {
		perror(out_path);
		return;
	}
	fprintf(f, "%llu\n", (unsigned long long)(insns - opened_at));
	fclose(f);
}

/* At translation: count the block inline, call back only on markers. */
static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insns, n);
	if (profile_path)
		profile_translate(tb, n);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (qemu_plugin_insn_size(insn) == sizeof(marker) &&
		    !memcmp(qemu_plugin_insn_data(insn), marker, sizeof(marker)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker,
							       QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	/* QEMU 7.2 passes "-plugin icount.so,out=FILE" as argv[0] "out=FILE". */
	if (argc < 1 || argc > 2 || strncmp(argv[0], "out=", 4) ||
	    (argc == 2 && strncmp(argv[1], "profile=", 8))) {
		fprintf(stderr, "icount: usage: -plugin icount.so,out=FILE[,profile=PROFILE]\n");
		return 1;
	}
	if (argc == 2)
		profile_path = argv[1] + 8;
	if (info->system_emulation && info->system.max_vcpus > 1)
		fprintf(stderr, "icount: more than one vCPU: counts are inexact\n");
	out_path = argv[0] + 4;
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	return 0;
}
