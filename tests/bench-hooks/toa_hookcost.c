// SPDX-License-Identifier: GPL-2.0
/*
 * toa_hookcost: for "make bench" only (tests/e2e/bench-hooks.sh), never
 * installed. An empty hook on inet_getname(), by the mechanism named in
 * mode=, so that the benchmark can price each way of hooking getname for
 * every socket on the host, apart from anything xt_TOA does:
 *
 *   ftrace        an ftrace_ops callback (arguments only, no pt_regs)
 *   ftrace-regs   the same with all registers saved (what kprobes ride on,
 *                 and what redirecting the function would need)
 *   kprobe        a kprobe with an empty pre-handler
 *   kretprobe     a kretprobe whose entry handler declines, as xt_TOA's
 *                 does for sockets without TOA
 */
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/string.h>

static char *mode = "kprobe";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "ftrace, ftrace-regs, kprobe or kretprobe");

static char target[] = "inet_getname";

static void notrace empty_ftrace(unsigned long ip, unsigned long parent_ip,
				 struct ftrace_ops *op, struct ftrace_regs *fregs)
{
}

static struct ftrace_ops hook_ftrace = {
	.func	= empty_ftrace,
	.flags	= FTRACE_OPS_FL_RECURSION,
};

static int empty_pre(struct kprobe *p, struct pt_regs *regs)
{
	return 0;
}

static struct kprobe hook_kprobe = {
	.symbol_name	= target,
	.pre_handler	= empty_pre,
};

static int declining_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 1;
}

static int empty_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

static struct kretprobe hook_kretprobe = {
	.kp.symbol_name	= target,
	.entry_handler	= declining_entry,
	.handler	= empty_return,
};

static int __init hookcost_init(void)
{
	int ret;

	if (!strcmp(mode, "kprobe"))
		return register_kprobe(&hook_kprobe);
	if (!strcmp(mode, "kretprobe"))
		return register_kretprobe(&hook_kretprobe);
	if (!strcmp(mode, "ftrace-regs"))
		hook_ftrace.flags |= FTRACE_OPS_FL_SAVE_REGS;
	else if (strcmp(mode, "ftrace"))
		return -EINVAL;
	ret = ftrace_set_filter(&hook_ftrace, target, strlen(target), 1);
	if (!ret)
		ret = register_ftrace_function(&hook_ftrace);
	if (ret)
		ftrace_free_filter(&hook_ftrace);
	return ret;
}

static void __exit hookcost_exit(void)
{
	if (!strcmp(mode, "kprobe")) {
		unregister_kprobe(&hook_kprobe);
	} else if (!strcmp(mode, "kretprobe")) {
		unregister_kretprobe(&hook_kretprobe);
	} else {
		unregister_ftrace_function(&hook_ftrace);
		ftrace_free_filter(&hook_ftrace);
	}
}

module_init(hookcost_init);
module_exit(hookcost_exit);
MODULE_DESCRIPTION("xt_TOA benchmark: the cost of an empty hook on inet_getname");
MODULE_LICENSE("GPL");
