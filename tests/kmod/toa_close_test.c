// SPDX-License-Identifier: GPL-2.0
/*
 * A test module, never shipped: it frees a socket inside a kprobe handler.
 * While a kprobe handler runs, the kernel skips every other kprobe hit on
 * that CPU (an operator's perf or BPF kprobe does the same to xt_TOA's), so
 * a module that learnt of a socket's end from a kprobe would keep a pointer
 * to the freed socket.
 *
 * Loaded with port=P then=Q, it holds the first socket with local port P
 * that close() is called on; the close() of a socket with local port Q
 * drops that hold from within the handler, where the socket is then freed.
 */
#include <linux/kprobes.h>
#include <linux/module.h>
#include <net/sock.h>

static ushort port, then;
module_param(port, ushort, 0444);
module_param(then, ushort, 0444);

static struct sock *held;
static DEFINE_SPINLOCK(held_lock);

static int toa_close_test_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = (struct sock *)regs_get_kernel_argument(regs, 0);
	struct sock *put = NULL;
	unsigned long flags;

	spin_lock_irqsave(&held_lock, flags);
	if (!held && port && sk->sk_num == port) {
		sock_hold(sk);
		held = sk;
		port = 0;
	} else if (held && sk->sk_num == then) {
		put = held;
		held = NULL;
	}
	spin_unlock_irqrestore(&held_lock, flags);
	if (put) {
		sock_put(put);
		pr_info("toa_close_test: dropped the socket inside a kprobe handler\n");
	}
	return 0;
}

static struct kprobe toa_close_test_probe = {
	.symbol_name	= "tcp_close",
	.pre_handler	= toa_close_test_pre,
};

static int __init toa_close_test_init(void)
{
	return register_kprobe(&toa_close_test_probe);
}

static void __exit toa_close_test_exit(void)
{
	unregister_kprobe(&toa_close_test_probe);
	if (held)
		sock_put(held);
}

module_init(toa_close_test_init);
module_exit(toa_close_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xt_TOA test: free a socket inside a kprobe handler");
