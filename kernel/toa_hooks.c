// SPDX-License-Identifier: GPL-2.0
/*
 * The hooks into the socket layer, all kprobes (nothing in the kernel
 * image is patched, and unregistering waits for handlers in flight):
 *
 *  - tcp_v4_syn_recv_sock / tcp_v6_syn_recv_sock return: a passive child
 *    socket was created from the packet completing the handshake (also on
 *    the SYN cookie path): give it the recorded client, and give its
 *    listener the getname of toa_getname.c.
 *  - security_sock_graft, from sock_graft(): accept() found a socket; a
 *    TOA socket's gets our ops if its listener's were not ours yet.
 *  - ipv6_setsockopt return, for IPV6_ADDRFORM only: the socket got the
 *    kernel's IPv4 ops; give it our copy of them.
 *  - inet_sock_destruct: free what we hung on the socket.
 *
 * None runs for each call a socket makes: getname, which sockets call
 * again and again, is not hooked.  Only the first argument(s) and the
 * return value are used, so changes to the later arguments of these
 * functions do not matter.  They are registered when the module loads:
 * an nftables "ct helper set" or a "-j CT --helper" rule starts using the
 * module with no call into it, and its first connection must find them.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kprobes.h>
#include <linux/net.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>
#include "toa.h"

struct toa_syn_recv_call {
	struct sock *listener;
	struct sk_buff *skb;
};

static int toa_syn_recv_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct toa_syn_recv_call *call = (void *)ri->data;
	struct sk_buff *skb = (struct sk_buff *)regs_get_kernel_argument(regs, 1);

	if (!toa_ct_selected(skb))
		return 1;	/* no return probe */
	call->listener = (struct sock *)regs_get_kernel_argument(regs, 0);
	call->skb = skb;
	return 0;
}

/* tcp_v6_syn_recv_sock hands IPv4 (v4-mapped) packets to the v4 one. */
static int toa_syn_recv6_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	struct sk_buff *skb = (struct sk_buff *)regs_get_kernel_argument(regs, 1);

	if (skb->protocol == htons(ETH_P_IP))
		return 1;
	return toa_syn_recv_entry(ri, regs);
}

static int toa_syn_recv_return(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	struct toa_syn_recv_call *call = (void *)ri->data;
	struct sock *child = (struct sock *)regs_return_value(regs);
	struct toa_addr client;

	/* tcp_create_openreq_child() set rcv_nxt to the client's ISN + 1. */
	if (child &&
	    toa_ct_client_of(sock_net(child), call->skb,
			     tcp_sk(child)->rcv_nxt - 1, &client) &&
	    toa_sock_attach(child, &client))
		toa_getname_listener(call->listener);
	return 0;
}

struct toa_addrform_call {
	struct sock *sk;
};

static int toa_addrform_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct toa_addrform_call *call = (void *)ri->data;

	if ((int)regs_get_kernel_argument(regs, 1) != SOL_IPV6 ||
	    (int)regs_get_kernel_argument(regs, 2) != IPV6_ADDRFORM)
		return 1;
	call->sk = (struct sock *)regs_get_kernel_argument(regs, 0);
	return 0;
}

static int toa_addrform_return(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	struct toa_addrform_call *call = (void *)ri->data;

	if (!regs_return_value(regs))
		toa_getname_socket(call->sk, call->sk->sk_socket);
	return 0;
}

static int toa_destruct_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = (struct sock *)regs_get_kernel_argument(regs, 0);

	toa_sock_release(sk);
	toa_getname_forget(sk);
	return 0;
}

/* sock_graft(), under the socket's callback lock: accept() found it. */
static int toa_graft_pre(struct kprobe *p, struct pt_regs *regs)
{
	toa_getname_socket((struct sock *)regs_get_kernel_argument(regs, 0),
			   (struct socket *)regs_get_kernel_argument(regs, 1));
	return 0;
}

/* Registered first and unregistered last: it frees what the others hang. */
static struct kprobe toa_destruct_probe = {
	.symbol_name	= "inet_sock_destruct",
	.pre_handler	= toa_destruct_pre,
};

static struct kprobe toa_graft_probe = {
	.symbol_name	= "security_sock_graft",
	.pre_handler	= toa_graft_pre,
};

#define TOA_KRETPROBE(sym, entry, ret, call)		\
	{						\
		.kp.symbol_name	= sym,			\
		.entry_handler	= entry,		\
		.handler	= ret,			\
		.data_size	= sizeof(struct call),	\
	}

static struct kretprobe toa_kretprobes[] = {
	TOA_KRETPROBE("tcp_v4_syn_recv_sock", toa_syn_recv_entry,
		      toa_syn_recv_return, toa_syn_recv_call),
	TOA_KRETPROBE("tcp_v6_syn_recv_sock", toa_syn_recv6_entry,
		      toa_syn_recv_return, toa_syn_recv_call),
	TOA_KRETPROBE("ipv6_setsockopt", toa_addrform_entry,
		      toa_addrform_return, toa_addrform_call),
};
static struct kretprobe *toa_kretprobe_ptrs[ARRAY_SIZE(toa_kretprobes)];

unsigned long toa_hooks_missed(void)
{
	unsigned long missed = toa_destruct_probe.nmissed +
			       toa_graft_probe.nmissed;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(toa_kretprobes); i++)
		missed += toa_kretprobes[i].nmissed +
			  toa_kretprobes[i].kp.nmissed;
	return missed;
}

int toa_hooks_init(void)
{
	unsigned int i;
	int ret;

	ret = toa_getname_init();
	if (ret)
		return ret;
	ret = register_kprobe(&toa_destruct_probe);
	if (ret)
		goto err_getname;
	ret = register_kprobe(&toa_graft_probe);
	if (ret)
		goto err_destruct;
	for (i = 0; i < ARRAY_SIZE(toa_kretprobes); i++) {
		/* IPV6_ADDRFORM may sleep in lock_sock(): room for sleepers. */
		toa_kretprobes[i].maxactive = max(128U, 16 * num_possible_cpus());
		toa_kretprobe_ptrs[i] = &toa_kretprobes[i];
	}
	ret = register_kretprobes(toa_kretprobe_ptrs,
				  ARRAY_SIZE(toa_kretprobe_ptrs));
	if (!ret)
		return 0;
	unregister_kprobe(&toa_graft_probe);
err_destruct:
	unregister_kprobe(&toa_destruct_probe);
err_getname:
	pr_err("xt_TOA: cannot probe the socket functions: %d\n", ret);
	toa_getname_exit();
	return ret;
}

/*
 * Stop attaching, give the listeners their ops back, hand back every
 * socket, stop freeing.
 */
void toa_hooks_exit(void)
{
	unregister_kretprobes(toa_kretprobe_ptrs,
			      ARRAY_SIZE(toa_kretprobe_ptrs));
	unregister_kprobe(&toa_graft_probe);
	toa_getname_exit();
	toa_sock_release_all();
	unregister_kprobe(&toa_destruct_probe);
}
