// SPDX-License-Identifier: GPL-2.0
/*
 * The hooks into the socket layer.  Nothing in the kernel image is
 * patched, and unregistering waits for handlers in flight.
 *
 * Whatever frees memory or takes back a pointer we handed out is on a
 * path that is never skipped; kprobes are skipped when another kprobe
 * handler runs on the CPU (any perf or BPF kprobe of the operator's), so
 * they only ever add a client, which a skipped hit merely leaves out:
 *
 *  - tracepoint inet_sock_set_state, to TCP_CLOSE: the socket is done
 *    (it is freed only after this, and if it is connected again it is a
 *    new connection): take back what we hung on it, and give a TOA
 *    listener the kernel's ops back.
 *  - tcp_v4_syn_recv_sock / tcp_v6_syn_recv_sock return: a passive child
 *    socket was created from the packet completing the handshake (also on
 *    the SYN cookie path): give it the client recorded in conntrack, or
 *    noted on that very packet (toa_untracked.c), and give its listener
 *    the getname of toa_getname.c.
 *  - security_sock_graft, from sock_graft(): accept() found a socket; a
 *    TOA socket's gets our ops if its listener's were not ours yet.
 *  - ipv6_setsockopt return, for IPV6_ADDRFORM only: the socket got the
 *    kernel's IPv4 ops; give it our copy of them.
 *  - tcp_set_ulp, a kprobe and a return probe: see toa_getname_ulp().
 *    Its caller holds the socket lock in a system call, where no other
 *    kprobe handler can be running, so it is never skipped.
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
#include <linux/tracepoint.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>
#include "toa.h"

struct toa_syn_recv_call {
	struct sock *listener;
	struct sk_buff *skb;
	bool untracked;			/* client: noted by toa_untracked.c */
	struct toa_addr client;
};

static int toa_syn_recv_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct toa_syn_recv_call *call = (void *)ri->data;
	struct sock *listener = (struct sock *)regs_get_kernel_argument(regs, 0);
	struct sk_buff *skb = (struct sk_buff *)regs_get_kernel_argument(regs, 1);

	call->untracked = toa_untracked_take(sock_net(listener), skb,
					     &call->client);
	if (!call->untracked && !toa_ct_selected(sock_net(listener), skb))
		return 1;	/* no return probe */
	call->listener = listener;
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

	/* tcp_create_openreq_child() set rcv_nxt to the client's ISN + 1. */
	if (child &&
	    (call->untracked ||
	     toa_ct_client_of(sock_net(child), call->skb,
			      tcp_sk(child)->rcv_nxt - 1, &call->client)) &&
	    toa_sock_attach(child, &call->client))
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

/* The tracepoint's prototype, the same from 6.1 to 7.x. */
static void toa_state_change(void *data, const struct sock *sk,
			     const int oldstate, const int newstate)
{
	if (newstate != TCP_CLOSE || sk->sk_protocol != IPPROTO_TCP)
		return;
	toa_sock_release((struct sock *)sk);
	toa_getname_forget((struct sock *)sk);
}

static struct tracepoint *toa_state_tp;

/* The tracepoint is not exported: look it up by name. */
static void toa_find_state_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "inet_sock_set_state"))
		toa_state_tp = tp;
}

/* sock_graft(), under the socket's callback lock: accept() found it. */
static int toa_graft_pre(struct kprobe *p, struct pt_regs *regs)
{
	toa_getname_socket((struct sock *)regs_get_kernel_argument(regs, 0),
			   (struct socket *)regs_get_kernel_argument(regs, 1));
	return 0;
}

static int toa_ulp_pre(struct kprobe *p, struct pt_regs *regs)
{
	toa_getname_ulp((struct sock *)regs_get_kernel_argument(regs, 0));
	return 0;
}

static struct kprobe toa_kprobes[] = {
	{ .symbol_name = "security_sock_graft", .pre_handler = toa_graft_pre },
	{ .symbol_name = "tcp_set_ulp", .pre_handler = toa_ulp_pre },
};
static struct kprobe *toa_kprobe_ptrs[ARRAY_SIZE(toa_kprobes)];

struct toa_ulp_call {
	struct sock *sk;
};

static int toa_ulp_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct toa_ulp_call *call = (void *)ri->data;

	call->sk = (struct sock *)regs_get_kernel_argument(regs, 0);
	return 0;
}

/* No ULP took the socket: a TOA socket gets our ops back. */
static int toa_ulp_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct toa_ulp_call *call = (void *)ri->data;

	if (regs_return_value(regs))
		toa_getname_socket(call->sk, call->sk->sk_socket);
	return 0;
}

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
	TOA_KRETPROBE("tcp_set_ulp", toa_ulp_entry, toa_ulp_return,
		      toa_ulp_call),
};
static struct kretprobe *toa_kretprobe_ptrs[ARRAY_SIZE(toa_kretprobes)];

unsigned long toa_hooks_missed(void)
{
	unsigned long missed = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(toa_kprobes); i++)
		missed += toa_kprobes[i].nmissed;
	for (i = 0; i < ARRAY_SIZE(toa_kretprobes); i++)
		missed += toa_kretprobes[i].nmissed +
			  toa_kretprobes[i].kp.nmissed;
	return missed;
}

int toa_hooks_init(void)
{
	unsigned int i;
	int ret;

	for_each_kernel_tracepoint(toa_find_state_tp, NULL);
	if (!toa_state_tp) {
		pr_err("xt_TOA: the kernel has no inet_sock_set_state tracepoint (CONFIG_TRACEPOINTS)\n");
		return -ENOENT;
	}
	ret = toa_getname_init();
	if (ret)
		return ret;
	/* First: it takes back what the others hand out. */
	ret = tracepoint_probe_register(toa_state_tp, toa_state_change, NULL);
	if (ret)
		goto err_getname;
	for (i = 0; i < ARRAY_SIZE(toa_kprobes); i++)
		toa_kprobe_ptrs[i] = &toa_kprobes[i];
	ret = register_kprobes(toa_kprobe_ptrs, ARRAY_SIZE(toa_kprobe_ptrs));
	if (ret)
		goto err_tracepoint;
	for (i = 0; i < ARRAY_SIZE(toa_kretprobes); i++) {
		/* IPV6_ADDRFORM may sleep in lock_sock(): room for sleepers. */
		toa_kretprobes[i].maxactive = max(128U, 16 * num_possible_cpus());
		toa_kretprobe_ptrs[i] = &toa_kretprobes[i];
	}
	ret = register_kretprobes(toa_kretprobe_ptrs,
				  ARRAY_SIZE(toa_kretprobe_ptrs));
	if (!ret)
		return 0;
	unregister_kprobes(toa_kprobe_ptrs, ARRAY_SIZE(toa_kprobe_ptrs));
err_tracepoint:
	tracepoint_probe_unregister(toa_state_tp, toa_state_change, NULL);
	tracepoint_synchronize_unregister();
err_getname:
	pr_err("xt_TOA: cannot hook the socket functions: %d\n", ret);
	toa_getname_exit();
	return ret;
}

/*
 * Stop attaching, give the listeners their ops back, hand back every
 * socket, stop taking back.
 */
void toa_hooks_exit(void)
{
	unregister_kretprobes(toa_kretprobe_ptrs,
			      ARRAY_SIZE(toa_kretprobe_ptrs));
	unregister_kprobes(toa_kprobe_ptrs, ARRAY_SIZE(toa_kprobe_ptrs));
	toa_getname_exit();
	toa_sock_release_all();
	tracepoint_probe_unregister(toa_state_tp, toa_state_change, NULL);
	tracepoint_synchronize_unregister();
}
