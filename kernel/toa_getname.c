// SPDX-License-Identifier: GPL-2.0
/*
 * accept() and getpeername() report the client of a TOA socket.
 *
 * Every socket on the host calls getname, so nothing hooks it: a listener
 * that accepts its first TOA connection gets a copy of its proto_ops whose
 * getname rewrites the peer of TOA sockets.  accept() asks the listener's
 * ops for the address it returns and hands them to the new socket, which
 * keeps them for getpeername().  Sockets of other listeners keep the
 * kernel's ops and pay nothing.  (espintcp gives its sockets a copy of
 * inet_stream_ops the same way.)  Our copy must not be copied in turn into
 * a table that outlives us: see toa_getname_ulp().
 *
 * Unload gives the listeners their own ops back and waits for the callers
 * inside our getname.  A copy can still be in use after that: accepted
 * sockets keep theirs, and since 6.6 accept() reads the listener's ops
 * once, then sleeps until a connection comes, then calls their getname.
 * So a copy that was ever installed is left behind with the kernel's
 * getname in it: at most two small tables per unload, none if no TOA
 * connection was ever accepted.
 */
#include <linux/delay.h>
#include <linux/hashtable.h>
#include <linux/kmemleak.h>
#include <linux/net.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <net/inet_common.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include "toa.h"

struct toa_ops {
	struct proto_ops ops;		/* the copy sockets point to */
	const struct proto_ops *orig;
	bool installed;
};

/* Copies of inet_stream_ops [0] and inet6_stream_ops [1]. */
static struct toa_ops *toa_ops[2];
/* Callers inside toa_getname(), which can sleep in lock_sock(). */
static DEFINE_PER_CPU(long, toa_getname_active);

/* The listeners whose ops we replaced, to give them back at unload. */
struct toa_listener {
	struct hlist_node node;
	struct sock *sk;
	struct toa_ops *ops;
	struct rcu_head rcu;
};
static DEFINE_HASHTABLE(toa_listeners, 8);
static DEFINE_SPINLOCK(toa_listeners_lock);
static atomic_t toa_listeners_count = ATOMIC_INIT(0);

/* Rewrites the peer address that getname filled in, for a TOA socket. */
static void toa_rewrite(struct sock *sk, struct sockaddr *uaddr)
{
	struct sockaddr_in6 *sin6;
	struct sockaddr_in *sin;
	struct toa_addr client;

	if (!toa_sock_client(sk, &client))
		return;
	switch (uaddr->sa_family) {
	case AF_INET:
		/* sockaddr_in cannot hold an IPv6 client: keep the proxy. */
		if (client.v6) {
			toa_stat_inc(sock_net(sk), TOA_STAT_DECLINED_FAMILY);
			return;
		}
		sin = (struct sockaddr_in *)uaddr;
		sin->sin_port = client.port;
		sin->sin_addr.s_addr = client.addr.v4;
		break;
	case AF_INET6:
		sin6 = (struct sockaddr_in6 *)uaddr;
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
		return;
	}
	toa_stat_inc(sock_net(sk), TOA_STAT_ADDRESSES_REWRITTEN);
}

static __always_inline int toa_getname(struct socket *sock,
				       struct sockaddr *uaddr, int peer,
				       const struct toa_ops *t)
{
	int ret;

	this_cpu_inc(toa_getname_active);
	ret = t->orig->getname(sock, uaddr, peer);
	/* peer: 1 for getpeername(), 2 for accept(); 0 is getsockname(). */
	if (peer && ret > 0)
		toa_rewrite(sock->sk, uaddr);
	this_cpu_dec(toa_getname_active);
	return ret;
}

static int toa_inet_getname(struct socket *sock, struct sockaddr *uaddr,
			    int peer)
{
	return toa_getname(sock, uaddr, peer, toa_ops[0]);
}

static int toa_inet6_getname(struct socket *sock, struct sockaddr *uaddr,
			     int peer)
{
	return toa_getname(sock, uaddr, peer, toa_ops[1]);
}

static long toa_getname_callers(void)
{
	long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu(toa_getname_active, cpu);
	return n;
}

/* Points @sock from the kernel's ops to our copy; false if it has others. */
static bool toa_ops_swap(struct socket *sock, struct toa_ops *t)
{
	if (cmpxchg(&sock->ops, t->orig, &t->ops) != t->orig)
		return false;
	WRITE_ONCE(t->installed, true);
	return true;
}

/*
 * A TOA connection was created from @listener (softirq, or the listener's
 * backlog in process context; the listener is held).  The first one gives
 * the listener our ops, before accept() can return the connection.
 */
void toa_getname_listener(struct sock *listener)
{
	struct toa_ops *t = toa_ops[listener->sk_family == AF_INET6];
	struct toa_listener *l;
	bool plain, swapped = false;
	struct socket *sock;

	if (!t)
		return;
	rcu_read_lock();	/* a socket is freed after a grace period */
	sock = READ_ONCE(listener->sk_socket);
	plain = sock && READ_ONCE(sock->ops) == t->orig;
	rcu_read_unlock();
	if (!plain)
		return;		/* ours already, or not a plain TCP socket */

	l = kmalloc(sizeof(*l), GFP_ATOMIC);
	if (!l) {
		toa_stat_inc(sock_net(listener), TOA_STAT_DECLINED_NO_MEMORY);
		return;
	}
	l->sk = listener;
	l->ops = t;
	spin_lock_bh(&toa_listeners_lock);
	/* sock_orphan() clears sk_socket under this lock. */
	read_lock_bh(&listener->sk_callback_lock);
	sock = listener->sk_socket;
	if (sock)
		swapped = toa_ops_swap(sock, t);
	read_unlock_bh(&listener->sk_callback_lock);
	if (swapped) {
		hash_add_rcu(toa_listeners, &l->node, (unsigned long)listener);
		atomic_inc(&toa_listeners_count);
	}
	spin_unlock_bh(&toa_listeners_lock);
	if (!swapped)
		kfree(l);
}

/*
 * If @sk carries TOA, point @sock from the kernel's ops of its family to
 * our copy of them.  Called when accept() grafts @sk onto @sock: @sock has
 * our ops already if accept() began after its listener got them; an
 * accept() that was asleep before has the kernel's (and, since 6.6,
 * returns the proxy's address, from the listener's ops it read;
 * getpeername() is right).  And after IPV6_ADDRFORM gave a TOA socket
 * inet_stream_ops.
 */
void toa_getname_socket(struct sock *sk, struct socket *sock)
{
	struct toa_addr client;
	struct toa_ops *t;

	if (!sock || (sk->sk_family != AF_INET && sk->sk_family != AF_INET6))
		return;
	t = toa_ops[sk->sk_family == AF_INET6];
	if (t && toa_sock_client(sk, &client))
		toa_ops_swap(sock, t);
}

/*
 * A ULP is about to be set on @sk.  kTLS copies the socket's ops into a
 * table of its own, shared by every kTLS socket of the host and kept after
 * we are gone (and espintcp does for IPv6): so a socket with our ops gets
 * the kernel's back first.  kTLS then gives it ops of its own, built from
 * the kernel's: accept() gave the client, getpeername() from then on gives
 * the proxy.  If no ULP takes the socket, toa_getname_socket() gives our
 * ops back.  Listeners are left alone: a ULP does not take a listener.
 */
void toa_getname_ulp(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;	/* its owner holds it */
	struct toa_ops *t;

	if (!sock || sk->sk_state == TCP_LISTEN ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6))
		return;
	t = toa_ops[sk->sk_family == AF_INET6];
	if (t)
		cmpxchg(&sock->ops, &t->ops, t->orig);
}

static struct toa_listener *toa_listener_lookup(const struct sock *sk)
{
	struct toa_listener *l;

	hash_for_each_possible_rcu(toa_listeners, l, node, (unsigned long)sk,
				   lockdep_is_held(&toa_listeners_lock))
		if (l->sk == sk)
			return l;
	return NULL;
}

/* Under toa_listeners_lock: the listener gets the kernel's ops back. */
static void toa_listener_drop(struct toa_listener *l)
{
	struct socket *sock;

	read_lock_bh(&l->sk->sk_callback_lock);
	sock = l->sk->sk_socket;
	if (sock)
		cmpxchg(&sock->ops, &l->ops->ops, l->ops->orig);
	read_unlock_bh(&l->sk->sk_callback_lock);
	hash_del_rcu(&l->node);
	atomic_dec(&toa_listeners_count);
	kfree_rcu(l, rcu);
}

/*
 * Every TCP socket that closes comes here: only a listener of ours takes
 * the lock.  The table never holds a closed socket, so its pointers are
 * always to live ones.
 */
void toa_getname_forget(struct sock *sk)
{
	struct toa_listener *l;
	bool found;

	if (!atomic_read(&toa_listeners_count))
		return;
	rcu_read_lock();
	found = toa_listener_lookup(sk);
	rcu_read_unlock();
	if (!found)
		return;
	spin_lock_bh(&toa_listeners_lock);
	l = toa_listener_lookup(sk);
	if (l)
		toa_listener_drop(l);
	spin_unlock_bh(&toa_listeners_lock);
}

static struct toa_ops *toa_ops_copy(const struct proto_ops *orig,
				    int (*getname)(struct socket *,
						   struct sockaddr *, int))
{
	struct toa_ops *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (t) {
		t->ops = *orig;
		t->ops.getname = getname;
		t->orig = orig;
	}
	return t;
}

int toa_getname_init(void)
{
	struct socket *sock;

	toa_ops[0] = toa_ops_copy(&inet_stream_ops, toa_inet_getname);
	if (!toa_ops[0])
		return -ENOMEM;
	/* inet6_stream_ops is not exported; a socket of our own shows it. */
	if (sock_create_kern(&init_net, PF_INET6, SOCK_STREAM, IPPROTO_TCP,
			     &sock))
		return 0;	/* no IPv6 (ipv6.disable=1) */
	toa_ops[1] = toa_ops_copy(sock->ops, toa_inet6_getname);
	sock_release(sock);
	if (toa_ops[1])
		return 0;
	kfree(toa_ops[0]);
	toa_ops[0] = NULL;
	return -ENOMEM;
}

/*
 * Module unload, after the hooks that install our ops are gone and before
 * the socket table is emptied.
 */
void toa_getname_exit(void)
{
	struct toa_listener *l;
	struct hlist_node *tmp;
	unsigned int i;
	int bkt;

	spin_lock_bh(&toa_listeners_lock);
	hash_for_each_safe(toa_listeners, bkt, tmp, l, node)
		toa_listener_drop(l);
	spin_unlock_bh(&toa_listeners_lock);

	for (i = 0; i < ARRAY_SIZE(toa_ops); i++)
		if (toa_ops[i])
			WRITE_ONCE(toa_ops[i]->ops.getname,
				   toa_ops[i]->orig->getname);
	/*
	 * A task that read our getname is now inside it (counted) or was
	 * preempted on its way in: RCU Tasks waits for the latter.  Then wait
	 * for the count, and once more for the instructions after it.
	 */
	synchronize_rcu_tasks();
	while (toa_getname_callers())
		msleep(10);
	synchronize_rcu_tasks();

	for (i = 0; i < ARRAY_SIZE(toa_ops); i++) {
		if (toa_ops[i] && READ_ONCE(toa_ops[i]->installed))
			kmemleak_not_leak(toa_ops[i]);	/* see the top */
		else
			kfree(toa_ops[i]);
		toa_ops[i] = NULL;
	}
}
