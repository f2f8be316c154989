// SPDX-License-Identifier: GPL-2.0
/*
 * Delivery across network namespaces: a container's connections.
 *
 * The proxy's connection reaches a container through its host: the host's
 * TOA rule records the client in the host's conntrack entry, DNAT sends
 * the packets over a veth pair into the container's namespace, and
 * crossing it drops the skb's conntrack reference.  The container's
 * socket then finds its client in the host's entry, whose reply tuple is
 * the socket's own 4-tuple (toa_conntrack.c).
 *
 * Which namespace to search is not guessed from addresses (two hosts may
 * both use 172.17.0.0/16): it is the namespace of the device that handed
 * the packet over, the other end of the container's veth (netkit too:
 * both answer ndo_get_peer_dev).  So a namespace can only ever read
 * entries of the one its packets really come from, and there only the
 * entry of this very handshake (its tuple, and the client ISN recorded
 * with the option).
 *
 * Trust flows from a host to its containers, never back: the machine's
 * own namespace believes only its own rules, and another namespace
 * believes the one that handed it the packet only if that one's
 * administrators already rule it (its user namespace owns ours, or an
 * ancestor of it does).  A namespace that tracks the connection with TOA
 * storage of its own decides by its own rules (toa_conntrack.c).
 */
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>
#include "toa.h"

/* @ns is @owner or one of its descendants (in_userns(), not exported). */
static bool toa_userns_within(const struct user_namespace *owner,
			      const struct user_namespace *ns)
{
	while (ns->level > owner->level)
		ns = ns->parent;
	return ns == owner;
}

/*
 * The namespace whose end of a device pair handed @skb to @net, if @net
 * may believe it (above); NULL if not, or if @skb came from no such pair.
 * The device is found by the index the packet was received on (TCP
 * clears skb->dev before a listener sees it, on the SYN cookie path).
 * Under RCU (the peer is read as veth's own ndo does), which keeps the
 * result valid; a namespace being dismantled is not searched.
 */
struct net *toa_netns_from(struct net *net, const struct sk_buff *skb)
{
	struct net_device *dev, *peer;
	struct net *from;

	dev = dev_get_by_index_rcu(net, skb->skb_iif);
	if (!dev || !dev->netdev_ops->ndo_get_peer_dev)
		return NULL;
	peer = dev->netdev_ops->ndo_get_peer_dev(dev);
	if (!peer)
		return NULL;
	from = dev_net(peer);
	if (net_eq(from, net) || net_eq(net, &init_net) || !check_net(from) ||
	    !toa_userns_within(from->user_ns, net->user_ns))
		return NULL;
	return from;
}
