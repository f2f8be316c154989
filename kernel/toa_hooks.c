// SPDX-License-Identifier: GPL-2.0
/*
 * The hooks into the socket layer, all kprobes (nothing in the kernel
 * image is patched, and unregistering waits for handlers in flight):
 *
 *  - tcp_v4_syn_recv_sock / tcp_v6_syn_recv_sock return: a passive child
 *    socket was created from the packet completing the handshake (also on
 *    the SYN cookie path): give it the recorded client.
 *  - inet_getname / inet6_getname return: getpeername() and the address
 *    accept() returns (getname with peer == 2) report the client.
 *  - inet_sock_destruct: free what we hung on the socket.
 *
 * Only the first argument(s) and the return value are used, so changes to
 * the later arguments of these functions do not matter.  They are
 * registered with the first rule that reads options (toa_hooks_get()).
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kprobes.h>
#include <linux/net.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include "toa.h"

struct toa_syn_recv_call {
	struct sk_buff *skb;
};

static int toa_syn_recv_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct toa_syn_recv_call *call = (void *)ri->data;
	struct sk_buff *skb = (struct sk_buff *)regs_get_kernel_argument(regs, 1);

	if (!toa_ct_selected(skb))
		return 1;	/* no return probe */
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

	if (child && toa_ct_client_of(sock_net(child), call->skb, &client))
		toa_sock_attach(child, &client);
	return 0;
}

struct toa_getname_call {
	struct socket *sock;
	struct sockaddr *uaddr;
};

static int toa_getname_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct toa_getname_call *call = (void *)ri->data;
	struct socket *sock = (struct socket *)regs_get_kernel_argument(regs, 0);
	int peer = (int)regs_get_kernel_argument(regs, 2);

	/* getsockname() and sockets nobody claimed: nothing on return. */
	if (!peer || !sock->sk || !READ_ONCE(sock->sk->sk_user_data))
		return 1;
	call->sock = sock;
	call->uaddr = (struct sockaddr *)regs_get_kernel_argument(regs, 1);
	return 0;
}

static int toa_getname_return(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct toa_getname_call *call = (void *)ri->data;
	struct sock *sk = call->sock->sk;
	struct sockaddr_in6 *sin6;
	struct sockaddr_in *sin;
	struct toa_addr client;

	if ((int)regs_return_value(regs) <= 0 || !toa_sock_client(sk, &client))
		return 0;

	switch (call->uaddr->sa_family) {
	case AF_INET:
		/* sockaddr_in cannot hold an IPv6 client: keep the proxy. */
		if (client.v6) {
			toa_stat_inc(sock_net(sk), TOA_STAT_DECLINED_FAMILY);
			return 0;
		}
		sin = (struct sockaddr_in *)call->uaddr;
		sin->sin_port = client.port;
		sin->sin_addr.s_addr = client.addr.v4;
		break;
	case AF_INET6:
		sin6 = (struct sockaddr_in6 *)call->uaddr;
		sin6->sin6_port = client.port;
		sin6->sin6_flowinfo = 0;
		sin6->sin6_scope_id = 0;
		if (client.v6)
			memcpy(&sin6->sin6_addr, client.addr.v6,
			       sizeof(sin6->sin6_addr));
		else
			ipv6_addr_set_v4mapped(client.addr.v4, &sin6->sin6_addr);
		break;
	default:
		return 0;
	}
	toa_stat_inc(sock_net(sk), TOA_STAT_ADDRESSES_REWRITTEN);
	return 0;
}

static int toa_destruct_pre(struct kprobe *p, struct pt_regs *regs)
{
	toa_sock_release((struct sock *)regs_get_kernel_argument(regs, 0));
	return 0;
}

static struct kprobe toa_destruct_probe = {
	.symbol_name	= "inet_sock_destruct",
	.pre_handler	= toa_destruct_pre,
};

#define TOA_KRETPROBE(sym, entry, ret, call)		\
	{						\
		.kp.symbol_name	= sym,			\
		.entry_handler	= entry,		\
		.handler	= ret,			\
		.data_size	= sizeof(struct call),	\
	}

/* Socket hooks first, getname last: unregistered in reverse order. */
static struct kretprobe toa_kretprobes[] = {
	TOA_KRETPROBE("tcp_v4_syn_recv_sock", toa_syn_recv_entry,
		      toa_syn_recv_return, toa_syn_recv_call),
	TOA_KRETPROBE("tcp_v6_syn_recv_sock", toa_syn_recv6_entry,
		      toa_syn_recv_return, toa_syn_recv_call),
	TOA_KRETPROBE("inet_getname", toa_getname_entry,
		      toa_getname_return, toa_getname_call),
	TOA_KRETPROBE("inet6_getname", toa_getname_entry,
		      toa_getname_return, toa_getname_call),
};
static struct kretprobe *toa_kretprobe_ptrs[ARRAY_SIZE(toa_kretprobes)];

unsigned long toa_hooks_missed(void)
{
	unsigned long missed = toa_destruct_probe.nmissed;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(toa_kretprobes); i++)
		missed += toa_kretprobes[i].nmissed +
			  toa_kretprobes[i].kp.nmissed;
	return missed;
}

static int toa_hooks_register(void)
{
	unsigned int i;
	int ret;

	ret = register_kprobe(&toa_destruct_probe);
	if (ret) {
		pr_err("xt_TOA: cannot probe %s: %d\n",
		       toa_destruct_probe.symbol_name, ret);
		return ret;
	}
	for (i = 0; i < ARRAY_SIZE(toa_kretprobes); i++) {
		/* getname may sleep in lock_sock(): room for many sleepers. */
		toa_kretprobes[i].maxactive = max(128U, 16 * num_possible_cpus());
		toa_kretprobe_ptrs[i] = &toa_kretprobes[i];
	}
	ret = register_kretprobes(toa_kretprobe_ptrs,
				  ARRAY_SIZE(toa_kretprobe_ptrs));
	if (ret) {
		pr_err("xt_TOA: cannot probe the socket functions: %d\n", ret);
		unregister_kprobe(&toa_destruct_probe);
	}
	return ret;
}

static DEFINE_MUTEX(toa_hooks_mutex);
static bool toa_hooks_registered;

/*
 * Every getpeername() and passive connection on the host goes through the
 * probes once they are registered, so a loaded module without a rule that
 * reads options costs nothing: the first such rule registers them.  They
 * stay until the module is unloaded, as sockets may hold clients by then.
 */
int toa_hooks_get(void)
{
	int ret = 0;

	mutex_lock(&toa_hooks_mutex);
	if (!toa_hooks_registered) {
		ret = toa_hooks_register();
		toa_hooks_registered = !ret;
	}
	mutex_unlock(&toa_hooks_mutex);
	return ret;
}

/* Stop attaching and rewriting, hand back every socket, stop freeing. */
void toa_hooks_exit(void)
{
	if (!toa_hooks_registered)
		return;
	unregister_kretprobes(toa_kretprobe_ptrs,
			      ARRAY_SIZE(toa_kretprobe_ptrs));
	toa_sock_release_all();
	unregister_kprobe(&toa_destruct_probe);
}
