// SPDX-License-Identifier: GPL-2.0
/*
 * The client hung on an accepted socket.
 *
 * sk_user_data is shared with sockmap, kTLS, espintcp, sunrpc, NVMe-TCP...
 * so it is used with care:
 *  - we only claim it when it is empty, and mark the value NOCOPY;
 *  - we never read through someone else's pointer: a socket is ours only
 *    if sk_user_data equals the entry that our own table holds for it;
 *  - the table is also how the entry is found again when the socket
 *    closes (even if another user overwrote the field meanwhile), or when
 *    the module is unloaded with TOA sockets still open.
 * A socket leaves the table when it closes, on a tracepoint that is never
 * skipped, and it is freed only after that: so every socket in the table
 * is alive.  Entries are freed exactly once, by whoever unlinks them.
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

/* The socket closes: it is no longer the connection that had the client. */
void toa_sock_release(struct sock *sk)
{
	u32 bucket = toa_sock_bucket(sk);
	unsigned long flags;
	struct toa_sock *t;

	if (!atomic_read(&toa_sock_count))
		return;
	rcu_read_lock();	/* only a TOA socket takes the lock */
	t = toa_sock_lookup(sk, bucket);
	rcu_read_unlock();
	if (!t)
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
 * getname and socket hooks are gone; the close hook is still registered
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
			if (check_net(sock_net(sk)))
				toa_stat_inc(sock_net(sk),
					     TOA_STAT_SOCKETS_RELEASED);
			kfree_rcu(t, rcu);
		}
		spin_unlock_irqrestore(toa_sock_lock(bucket), flags);
		cond_resched();
	}
}

static void toa_seq_addr(struct seq_file *m, const struct toa_addr *a)
{
	if (a->v6)
		seq_printf(m, "[%pI6c]:%u", a->addr.v6, ntohs(a->port));
	else
		seq_printf(m, "%pI4:%u", &a->addr.v4, ntohs(a->port));
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
		if (hlist_empty(&toa_sock_hash[*bucket]))
			continue;	/* most: no lock */
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

/*
 * /proc/net/xt_TOA_sockets: "LOCAL PEER CLIENT KIND" for each TOA socket
 * of the namespace, addresses as the kernel sees them and the client the
 * proxy reported.  An application finds its connection here when its
 * socket family cannot hold the client (an IPv6 client on an AF_INET
 * socket, behind NAT64).  As private as toactl's netlink dump: mode 0400,
 * and the opener needs CAP_NET_ADMIN in the namespace.  Each socket is one
 * record, copied out under its bucket's lock; a read resumes at the
 * walk's cursor, so a large table is walked once, however many reads.
 */
struct toa_sock_iter {
	struct seq_net_private p;	/* first: proc_create_net() */
	unsigned int bucket, skip;	/* the walk's cursor */
	loff_t pos;			/* the record at the cursor */
	struct toa_addr local, peer, client;	/* the record */
};

/* @sk's local or peer address, in the form the client is kept in. */
static void toa_sock_addr(struct toa_addr *a, const struct sock *sk, bool peer)
{
	const struct inet_sock *inet = inet_sk(sk);

	a->v6 = sk->sk_family == AF_INET6;
	if (a->v6)
		memcpy(a->addr.v6, peer ? &sk->sk_v6_daddr : &sk->sk_v6_rcv_saddr,
		       sizeof(a->addr.v6));
	else
		a->addr.v4 = peer ? inet->inet_daddr : inet->inet_rcv_saddr;
	a->port = peer ? inet->inet_dport : inet->inet_sport;
}

static int toa_sock_seq_copy(void *arg, const struct sock *sk,
			     const struct toa_addr *client)
{
	struct toa_sock_iter *it = arg;

	toa_sock_addr(&it->local, sk, false);
	toa_sock_addr(&it->peer, sk, true);
	it->client = *client;
	return 1;	/* one at a time: stop on it */
}

/* The record at the cursor, or NULL at the end. */
static void *toa_sock_seq_fetch(struct seq_file *m)
{
	struct toa_sock_iter *it = m->private;

	return toa_sock_walk(seq_file_net(m), &it->bucket, &it->skip,
			     toa_sock_seq_copy, it) ? it : NULL;
}

static void *toa_sock_seq_start(struct seq_file *m, loff_t *pos)
{
	struct toa_sock_iter *it = m->private;

	if (!file_ns_capable(m->file, seq_file_net(m)->user_ns, CAP_NET_ADMIN))
		return ERR_PTR(-EPERM);
	if (*pos != it->pos || !*pos) {	/* a seek: walk again */
		it->bucket = 0;
		it->skip = 0;
		for (it->pos = 0; it->pos < *pos; it->pos++) {
			if (!toa_sock_seq_fetch(m))
				return NULL;
			it->skip++;
		}
	}
	return toa_sock_seq_fetch(m);
}

static void *toa_sock_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct toa_sock_iter *it = m->private;

	it->skip++;
	it->pos = ++*pos;
	return toa_sock_seq_fetch(m);
}

static void toa_sock_seq_stop(struct seq_file *m, void *v)
{
}

static int toa_sock_seq_show(struct seq_file *m, void *v)
{
	struct toa_sock_iter *it = v;

	toa_seq_addr(m, &it->local);
	seq_putc(m, ' ');
	toa_seq_addr(m, &it->peer);
	seq_putc(m, ' ');
	toa_seq_addr(m, &it->client);
	seq_printf(m, " %u\n", it->client.kind);
	return 0;
}

static const struct seq_operations toa_sock_seq_ops = {
	.start	= toa_sock_seq_start,
	.next	= toa_sock_seq_next,
	.stop	= toa_sock_seq_stop,
	.show	= toa_sock_seq_show,
};

static int __net_init toa_sock_net_init(struct net *net)
{
	return proc_create_net("xt_TOA_sockets", 0400, net->proc_net,
			       &toa_sock_seq_ops,
			       sizeof(struct toa_sock_iter)) ? 0 : -ENOMEM;
}

static void __net_exit toa_sock_net_exit(struct net *net)
{
	remove_proc_entry("xt_TOA_sockets", net->proc_net);
}

static struct pernet_operations toa_sock_net_ops = {
	.init	= toa_sock_net_init,
	.exit	= toa_sock_net_exit,
};

int toa_sock_init(void)
{
	unsigned int i;
	int ret;

	toa_sock_hash = kvcalloc(1 << TOA_SOCK_HASH_BITS,
				 sizeof(*toa_sock_hash), GFP_KERNEL);
	if (!toa_sock_hash)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(toa_sock_locks); i++)
		spin_lock_init(&toa_sock_locks[i]);
	ret = register_pernet_subsys(&toa_sock_net_ops);
	if (ret)
		kvfree(toa_sock_hash);
	return ret;
}

void toa_sock_exit(void)
{
	unregister_pernet_subsys(&toa_sock_net_ops);
	WARN_ON(atomic_read(&toa_sock_count));
	/* No reader is left (all hooks are gone); wait for kfree_rcu. */
	rcu_barrier();
	kvfree(toa_sock_hash);
}
