// SPDX-License-Identifier: GPL-2.0
/*
 * The client hung on an accepted socket.
 *
 * sk_user_data is shared with sockmap, kTLS, espintcp, sunrpc, NVMe-TCP...
 * so it is used with care:
 *  - we only claim it when it is empty, and mark the value NOCOPY;
 *  - we never read through someone else's pointer: a socket is ours only
 *    if sk_user_data equals the entry that our own table holds for it;
 *  - the table is also how the entry is found again when the socket is
 *    destroyed (even if another user overwrote the field meanwhile), or
 *    when the module is unloaded with TOA sockets still open.
 * Entries are freed exactly once, by whoever unlinks them from the table.
 */
#include <linux/hash.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include "toa.h"

#define TOA_SOCK_HASH_BITS	14
#define TOA_SOCK_LOCK_BITS	8

struct toa_sock {
	struct hlist_node node;
	const struct sock *sk;
	struct toa_addr client;
	struct rcu_head rcu;
};

static struct hlist_head *toa_sock_hash __read_mostly;
static spinlock_t toa_sock_locks[1 << TOA_SOCK_LOCK_BITS];
static atomic_t toa_sock_count = ATOMIC_INIT(0);

static u32 toa_sock_bucket(const struct sock *sk)
{
	return hash_ptr(sk, TOA_SOCK_HASH_BITS);
}

static spinlock_t *toa_sock_lock(u32 bucket)
{
	return &toa_sock_locks[bucket & ((1 << TOA_SOCK_LOCK_BITS) - 1)];
}

/* What sk_user_data holds when the socket is ours. */
static void *toa_sock_user_data(const struct toa_sock *t)
{
	return (void *)((uintptr_t)t | SK_USER_DATA_NOCOPY);
}

/* Under rcu_read_lock() or the bucket's lock. */
static struct toa_sock *toa_sock_lookup(const struct sock *sk, u32 bucket)
{
	struct toa_sock *t;

	hlist_for_each_entry_rcu(t, &toa_sock_hash[bucket], node,
				 lockdep_is_held(toa_sock_lock(bucket)))
		if (t->sk == sk)
			return t;
	return NULL;
}

static void toa_sock_unlink(struct toa_sock *t)
{
	const struct net *net = sock_net(t->sk);

	hlist_del_rcu(&t->node);
	atomic_dec(&toa_sock_count);
	/* A kernel socket may outlive its namespace's state. */
	if (check_net(net))
		toa_net_sockets_changed(net);
}

/*
 * Called for a new passive socket, before anyone else can see it.  True if
 * the socket now carries the client.
 */
bool toa_sock_attach(struct sock *sk, const struct toa_addr *client)
{
	u32 bucket = toa_sock_bucket(sk);
	struct net *net = sock_net(sk);
	unsigned long flags;
	struct toa_sock *t;
	bool claimed;

	t = kmalloc(sizeof(*t), GFP_ATOMIC);
	if (!t) {
		toa_stat_inc(net, TOA_STAT_DECLINED_NO_MEMORY);
		return false;
	}
	t->sk = sk;
	t->client = *client;

	spin_lock_irqsave(toa_sock_lock(bucket), flags);
	hlist_add_head_rcu(&t->node, &toa_sock_hash[bucket]);
	atomic_inc(&toa_sock_count);
	toa_net_sockets_changed(net);
	spin_unlock_irqrestore(toa_sock_lock(bucket), flags);

	write_lock_bh(&sk->sk_callback_lock);
	claimed = !rcu_access_pointer(__sk_user_data(sk));
	if (claimed)
		rcu_assign_pointer(__sk_user_data(sk), toa_sock_user_data(t));
	write_unlock_bh(&sk->sk_callback_lock);

	if (claimed) {
		toa_stat_inc(net, TOA_STAT_SOCKETS_ATTACHED);
		return true;
	}
	toa_stat_inc(net, TOA_STAT_DECLINED_USER_DATA_BUSY);
	spin_lock_irqsave(toa_sock_lock(bucket), flags);
	toa_sock_unlink(t);
	spin_unlock_irqrestore(toa_sock_lock(bucket), flags);
	kfree_rcu(t, rcu);
	return false;
}

/* Copy out the client of @sk if the socket carries TOA. */
bool toa_sock_client(const struct sock *sk, struct toa_addr *client)
{
	u32 bucket = toa_sock_bucket(sk);
	struct toa_sock *t;
	bool ours;

	if (!rcu_access_pointer(__sk_user_data(sk)))
		return false;	/* most sockets: no look-up */
	rcu_read_lock();
	t = toa_sock_lookup(sk, bucket);
	ours = t && rcu_access_pointer(__sk_user_data(sk)) ==
		    toa_sock_user_data(t);
	if (ours)
		*client = t->client;
	rcu_read_unlock();
	return ours;
}

/* The socket is being destroyed: nothing else references it any more. */
void toa_sock_release(struct sock *sk)
{
	u32 bucket = toa_sock_bucket(sk);
	unsigned long flags;
	struct toa_sock *t;

	if (!atomic_read(&toa_sock_count))
		return;
	spin_lock_irqsave(toa_sock_lock(bucket), flags);
	t = toa_sock_lookup(sk, bucket);
	if (t)
		toa_sock_unlink(t);
	spin_unlock_irqrestore(toa_sock_lock(bucket), flags);
	if (!t)
		return;
	if (rcu_access_pointer(__sk_user_data(sk)) == toa_sock_user_data(t))
		RCU_INIT_POINTER(__sk_user_data(sk), NULL);
	/* A kernel socket may outlive its namespace's counters. */
	if (check_net(sock_net(sk)))
		toa_stat_inc(sock_net(sk), TOA_STAT_SOCKETS_RELEASED);
	kfree_rcu(t, rcu);
}

/*
 * Module unload: give every open TOA socket back its plain address.  The
 * getname and socket hooks are gone; the destroy hook is still registered
 * and serialises with us on the bucket lock, so a socket found here stays
 * allocated while we touch it.
 */
void toa_sock_release_all(void)
{
	struct hlist_node *tmp;
	unsigned long flags;
	struct toa_sock *t;
	struct sock *sk;
	u32 bucket;

	for (bucket = 0; bucket < (1 << TOA_SOCK_HASH_BITS); bucket++) {
		spin_lock_irqsave(toa_sock_lock(bucket), flags);
		hlist_for_each_entry_safe(t, tmp, &toa_sock_hash[bucket], node) {
			sk = (struct sock *)t->sk;
			toa_sock_unlink(t);
			write_lock(&sk->sk_callback_lock);
			if (rcu_access_pointer(__sk_user_data(sk)) ==
			    toa_sock_user_data(t))
				rcu_assign_pointer(__sk_user_data(sk), NULL);
			write_unlock(&sk->sk_callback_lock);
			toa_stat_inc(sock_net(sk), TOA_STAT_SOCKETS_RELEASED);
			kfree_rcu(t, rcu);
		}
		spin_unlock_irqrestore(toa_sock_lock(bucket), flags);
		cond_resched();
	}
}

static void toa_seq_addr(struct seq_file *m, bool v6, const void *addr,
			 __be16 port)
{
	if (v6)
		seq_printf(m, "[%pI6c]:%u", addr, ntohs(port));
	else
		seq_printf(m, "%pI4:%u", addr, ntohs(port));
}

/*
 * Call @fn for each TOA socket of @net, from the cursor on: *bucket, and
 * *skip sockets of @net already seen in that bucket.  The bucket lock
 * keeps each socket allocated while @fn reads it.  When @fn fails the walk
 * stops, the cursor on the socket it failed on, so that a netlink dump
 * resumes there with a fresh buffer.
 */
int toa_sock_walk(const struct net *net, unsigned int *bucket,
		  unsigned int *skip, toa_sock_fn fn, void *arg)
{
	unsigned long flags;
	struct toa_sock *t;
	unsigned int n;
	int err = 0;

	for (; *bucket < (1 << TOA_SOCK_HASH_BITS); (*bucket)++, *skip = 0) {
		n = 0;
		spin_lock_irqsave(toa_sock_lock(*bucket), flags);
		hlist_for_each_entry(t, &toa_sock_hash[*bucket], node) {
			if (!net_eq(sock_net(t->sk), net) || n++ < *skip)
				continue;
			err = fn(arg, t->sk, &t->client);
			if (err)
				break;
			(*skip)++;
		}
		spin_unlock_irqrestore(toa_sock_lock(*bucket), flags);
		if (err)
			return err;
	}
	return 0;
}

static int toa_sock_seq_entry(void *arg, const struct sock *sk,
			      const struct toa_addr *client)
{
	const struct inet_sock *inet = inet_sk(sk);
	struct seq_file *m = arg;

	if (sk->sk_family == AF_INET6) {
		toa_seq_addr(m, true, &sk->sk_v6_rcv_saddr, inet->inet_sport);
		seq_putc(m, ' ');
		toa_seq_addr(m, true, &sk->sk_v6_daddr, inet->inet_dport);
	} else {
		toa_seq_addr(m, false, &inet->inet_rcv_saddr, inet->inet_sport);
		seq_putc(m, ' ');
		toa_seq_addr(m, false, &inet->inet_daddr, inet->inet_dport);
	}
	seq_putc(m, ' ');
	toa_seq_addr(m, client->v6, &client->addr, client->port);
	seq_printf(m, " %u\n", client->kind);
	return 0;
}

/*
 * /proc/net/xt_TOA_sockets: "LOCAL PEER CLIENT KIND" for each TOA socket
 * of the namespace, addresses as the kernel sees them and the client the
 * proxy reported.  An application finds its connection here when its
 * socket family cannot hold the client (an IPv6 client on an AF_INET
 * socket, behind NAT64).  Readable by all, like /proc/net/tcp, which shows
 * the same connections.
 */
static int toa_sock_seq_show(struct seq_file *m, void *v)
{
	unsigned int bucket = 0, skip = 0;

	return toa_sock_walk(seq_file_single_net(m), &bucket, &skip,
			     toa_sock_seq_entry, m);
}

int toa_sock_proc_init(struct net *net)
{
	return proc_create_net_single("xt_TOA_sockets", 0444, net->proc_net,
				      toa_sock_seq_show, NULL) ? 0 : -ENOMEM;
}

void toa_sock_proc_exit(struct net *net)
{
	remove_proc_entry("xt_TOA_sockets", net->proc_net);
}

int toa_sock_init(void)
{
	unsigned int i;

	toa_sock_hash = kvcalloc(1 << TOA_SOCK_HASH_BITS,
				 sizeof(*toa_sock_hash), GFP_KERNEL);
	if (!toa_sock_hash)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(toa_sock_locks); i++)
		spin_lock_init(&toa_sock_locks[i]);
	return 0;
}

void toa_sock_exit(void)
{
	WARN_ON(atomic_read(&toa_sock_count));
	/* No reader is left (all hooks are gone); wait for kfree_rcu. */
	rcu_barrier();
	kvfree(toa_sock_hash);
}
