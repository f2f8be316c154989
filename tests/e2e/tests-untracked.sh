# shellcheck shell=bash
# End-to-end tests of the conntrack-free path (kernel/toa_untracked.c): a
# TOA rule in the raw table, or in mangle on packets "-j CT --notrack"
# leaves untracked, reads the handshake ACK's TOA (--toa-from ack) and
# hands it to the socket made from that very packet. Each t_* function is
# one test, run in a subshell by run-in-guest.sh.

# No entry in the server's conntrack table for the connection from port $1.
untracked_in_server() {
	local n
	n=$(in_ns server conntrack -L -p tcp --sport "$1" 2>/dev/null | grep -c .)
	expect_eq "server's conntrack entries for port $1" "$n" 0
}

# The server's namespace tracks nothing: no NAT rule (the container tests
# leave Docker's), and a connection to the unruled port leaves no entry. A
# rule of an earlier test that turned conntrack on there may still be going
# away (nftables destroys rules in a work queue after the commit: seconds
# later on the debug kernel).
conntrack_off_in_server() {
	local p ipt
	for ipt in iptables-nft iptables-legacy ip6tables-nft ip6tables-legacy; do
		in_ns server "$ipt" -t nat -F 2>/dev/null
	done
	wait_for 'p=$(sport) && curl_nginx "$p" "$VIP" "$NGINX_PLAIN" >/dev/null &&
		[[ -z $(in_ns server conntrack -L -p tcp --sport "$p" 2>/dev/null) ]]' 50 ||
		fail "conntrack stays on in the server's namespace: $(in_ns server iptables-save; in_ns server nft list ruleset)"
}

# The raw table's rule on a server where nothing turns conntrack on: nginx
# and accept()/getpeername() see the client, IPv4 and IPv6, kinds 200 and
# 254; the unruled ports keep the proxy; counted as on the conntrack path.
t_untracked_raw_no_conntrack() {
	local p got
	RULE_TABLE=raw server_rule --toa-from ack && RULE_TABLE=raw server_rule6 --toa-from ack &&
		proxy_sends --ack 200 && conntrack_off_in_server || return 1
	basic_checks || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP" "$PEER_RULED") || return 1
	expect_eq "accept/getpeername" "$got" "accept=$CLIENT:$p peer=$CLIENT:$p local=$SERVER:$PEER_RULED" ||
		return 1
	untracked_in_server "$p" || return 1
	expect_eq options_recorded "$(counter options_recorded)" 3 || return 1
	expect_eq sockets_attached "$(counter sockets_attached)" 3 || return 1
	proxy_sends --ack 254v6 && basic_checks6 || return 1
	expect_eq "rules in the raw table" "$(in_ns server iptables-nft-save -t raw | grep -c -- '-j TOA --toa-from ack')" 1
}

# "-j CT --notrack" on the service's ports, the TOA rule in mangle: the
# same path. A SYN's TOA cannot reach the socket without conntrack: with
# the default --toa-from any such a rule declines, counted, as before.
t_untracked_notrack_mangle() {
	local p got
	in_ns server iptables-nft -t raw -A PREROUTING -p tcp -m multiport \
		--dports "$NGINX_RULED,$PEER_RULED,$PEER_DUAL" -j CT --notrack || return 1
	server_rule --toa-from ack && proxy_sends --syn 200 --ack 200 || return 1
	basic_checks || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP" "$PEER_RULED") || return 1
	expect_match "NOTRACK, --toa-from ack" "$got" "^accept=$CLIENT:$p " || return 1
	untracked_in_server "$p" || return 1
	in_ns server iptables-nft -t mangle -F && server_rule || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PEER_RULED") || return 1
	expect_match "NOTRACK, --toa-from any" "$got" "^accept=$PROXY:" || return 1
	expect_eq declined_no_conntrack "$(counter declined_no_conntrack)" 1
}

# Behind a proxy that writes the SYN only, the raw table's rule gives no
# client; a client's own TOA in its handshake ACK is not believed either
# when the client connects past the rule's source.
t_untracked_syn_only_and_forged() {
	local got
	RULE_TABLE=raw server_rule --toa-from ack && proxy_sends --syn 200 || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PEER_RULED") || return 1
	expect_match "SYN-only proxy" "$got" "^accept=$PROXY:[0-9]+ peer=$PROXY:" || return 1
	proxy_sends --ack 200 --addr 192.0.2.66 --port 6666 || return 1
	got=$(ask_peer --sport 40008 "$SERVER" "$PEER_RULED") || return 1
	expect_eq "direct connection with forged TOA" "$got" \
		"accept=$CLIENT:40008 peer=$CLIENT:40008 local=$SERVER:$PEER_RULED" || return 1
	grep -q '^ack .*toa=c8081a0ac0000242' "$WORK/sender.log" ||
		fail "the sender did not insert the forged option" || return 1
	expect_eq options_recorded "$(counter options_recorded)" 0 || return 1
	expect_eq sockets_attached "$(counter sockets_attached)" 0
}

# The SYN cookie path: the socket is made from the ACK in the listener's
# own processing, the same packet the rule noted.
t_untracked_syncookies() {
	local sent
	RULE_TABLE=raw server_rule --toa-from ack && proxy_sends --ack 254 || return 1
	in_ns server sysctl -qw net.ipv4.tcp_syncookies=2
	basic_checks || return 1
	sent=$(in_ns server nstat -az TcpExtSyncookiesSent | awk '/SyncookiesSent/ { print $2 }')
	((sent >= 4)) || fail "SYN cookies were not used (SyncookiesSent=$sent)"
}

# server_gro_lists on|off: the server's veth receives through NAPI and
# GRO, with its polls deferred by 20 ms (as the kernel's GRO selftest
# does): packets that arrive meanwhile reach the stack as lists of 8, as
# from a busy NIC. PREROUTING sees a whole list before TCP its first packet.
# veth takes that path only for packets from a peer without TSO.
server_gro_lists() {
	local timeout=0 defer=0 tso=on
	[[ $1 == on ]] && timeout=20000000 defer=1000 tso=off
	in_ns proxy ethtool -K p1 tso "$tso" >/dev/null &&
		in_ns server ethtool -K s0 gro "$1" >/dev/null &&
		ip netns exec server sh -c "echo $timeout >/sys/class/net/s0/gro_flush_timeout &&
			echo $defer >/sys/class/net/s0/napi_defer_hard_irqs"
}

# Handshake ACKs that reach the stack in one list each give their own
# socket its client: 32 connections at once, all seen with the client.
t_untracked_gro_lists() {
	local port=9011 n=32 napi
	in_ns server "$IPT" -t raw -A PREROUTING -s "$PROXY/32" -p tcp --dport "$port" \
		-j TOA --toa-from ack && proxy_sends --ack 200 || return 1
	server_gro_lists on || fail "cannot defer the polls of the server's veth" || return 1
	churn_serve "$port" "$n" || return 1
	in_ns client "$TOOLS/toa-churn" burst "$VIP" "$port" "$n" || fail "toa-churn burst failed"
	napi=$(in_ns server ethtool -S s0 | awk '$1 == "rx_queue_0_xdp_packets:" { print $2 }')
	server_gro_lists off
	churn_verdict || return 1
	((napi > n)) || fail "the server's veth did not poll through NAPI: $napi packets" || return 1
	expect_eq sockets_attached "$(counter sockets_attached)" "$n"
}

# Unload with a socket of the raw path open: it keeps its client until
# rmmod, then reports the proxy; loaded again, the rule works again.
t_untracked_unload_with_socket() {
	local line
	RULE_TABLE=raw server_rule --toa-from ack && proxy_sends --ack 200 || return 1
	held_peer 40013 || return 1
	in_ns server toactl list | grep -q "$CLIENT:40013" ||
		fail "toactl list does not show the socket: $(in_ns server toactl list)" || return 1
	in_ns server iptables-nft -t raw -F
	rmmod xt_TOA || fail "rmmod xt_TOA failed with a TOA socket open" || return 1
	held_asks "$PROXY:[0-9]+" || return 1
	modprobe xt_TOA && mark_counters && RULE_TABLE=raw server_rule --toa-from ack || return 1
	line=$(ask_peer --sport 40014 "$VIP" "$PEER_RULED") || return 1
	expect_match "after reload" "$line" "^accept=$CLIENT:40014" || return 1
	held_close
}

# Rules that cannot work are refused with a word on why: the raw table
# without --toa-from ack, tables other than mangle and raw, --toa-insert
# in raw.
t_untracked_rules_refused() {
	local ipt
	rules_refused "-t raw -A PREROUTING -p tcp -j TOA" \
		"-t raw -A PREROUTING -p tcp -j TOA --toa-from syn" \
		"-t nat -A PREROUTING -p tcp -j TOA" \
		"-t raw -A OUTPUT -p tcp -j TOA --toa-insert 254/8" || return 1
	dmesg | grep -q 'TOA: in the raw table, without conntrack, only the handshake ACK' ||
		fail "no word on --toa-from ack in raw" || return 1
	dmesg | grep -q 'TOA: reads the option in the mangle table' ||
		fail "no word on the tables" || return 1
	for ipt in iptables-nft iptables-legacy; do
		in_ns server "$ipt" -t raw -A PREROUTING -p tcp --dport 80 -j TOA --toa-from ack ||
			fail "$ipt: the raw table's rule refused" || return 1
		in_ns server "$ipt" -t raw -D PREROUTING -p tcp --dport 80 -j TOA --toa-from ack ||
			fail "$ipt: the raw table's rule not found for -D" || return 1
	done
}
