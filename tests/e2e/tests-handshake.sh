# shellcheck shell=bash
# End-to-end tests of issue 19: a TOA is believed only from the packet
# where the proxy writes it, and only for the handshake it came with. Each
# t_* function is one test, run in a subshell by run-in-guest.sh.

# The proxy's next client, on the same addresses and ports as the last.
NEXT=192.0.2.7 NEXT_PORT=7777

# A client puts its own TOA claiming 192.0.2.66 into its SYN; the proxy
# passes the SYN's options on and writes the real client into the
# handshake ACK only, as LVS FULLNAT and DPVS do. By default the two
# disagree and neither is believed; with --toa-from ack the proxy's is.
t_forged_syn_behind_ack_only_proxy() {
	local kind p got
	trap 'in_ns client iptables-nft -t mangle -F' EXIT
	for kind in 200 254; do
		# proxy_sends stops every toa-sender: the client's goes second.
		in_ns client iptables-nft -t mangle -F
		proxy_sends --ack "$kind" &&
			client_sends iptables-nft --syn "$kind" --addr "$FORGED" --port "$FORGED_PORT" || return 1
		in_ns server "$IPT" -t mangle -F
		server_rule || return 1
		mark_counters
		got=$(curl_nginx "$(sport)" "$VIP" "$NGINX_RULED") || return 1
		expect_match "kind $kind, default" "$got" "^$PROXY:[0-9]+ $NGINX_RULED\$" || return 1
		expect_eq options_conflicting "$(counter options_conflicting)" 1 &&
			expect_eq sockets_without_option "$(counter sockets_without_option)" 1 &&
			expect_eq sockets_attached "$(counter sockets_attached)" 0 || return 1

		in_ns server "$IPT" -t mangle -F
		server_rule --toa-from ack || return 1
		mark_counters
		p=$(sport)
		got=$(curl_nginx "$p" "$VIP" "$NGINX_RULED") || return 1
		expect_eq "kind $kind, --toa-from ack" "$got" "$CLIENT:$p $NGINX_RULED" || return 1
		expect_eq options_ignored "$(counter options_ignored)" 1 &&
			expect_eq options_conflicting "$(counter options_conflicting)" 0 &&
			expect_eq sockets_attached "$(counter sockets_attached)" 1 || return 1
	done
	grep -q "^syn .*toa=fe081a0ac0000242" "$WORK/client-sender.log" ||
		fail "the client did not forge its SYN: $(head -3 "$WORK/client-sender.log")"
}

# The client forges its SYN and its ACK behind the same proxy: the ACK
# then carries its TOA and the proxy's, which no receiver can tell apart.
# Nothing is believed, with or without --toa-from ack.
t_forged_both_behind_ack_only_proxy() {
	local from got
	trap 'in_ns client iptables-nft -t mangle -F' EXIT
	proxy_sends --ack 200 &&
		client_sends iptables-nft --handshake --syn 200 --ack 200 \
			--addr "$FORGED" --port "$FORGED_PORT" || return 1
	for from in any ack; do
		in_ns server "$IPT" -t mangle -F
		server_rule --toa-from "$from" || return 1
		mark_counters
		got=$(curl_nginx "$(sport)" "$VIP" "$NGINX_RULED") || return 1
		expect_match "--toa-from $from" "$got" "^$PROXY:[0-9]+ $NGINX_RULED\$" || return 1
		expect_eq options_malformed "$(counter options_malformed)" 1 &&
			expect_eq sockets_without_option "$(counter sockets_without_option)" 1 ||
			return 1
	done
	grep -q "^ack .*toa=c8081a0ac0000242" "$WORK/client-sender.log" ||
		fail "the client did not forge its ACK: $(head -3 "$WORK/client-sender.log")"
}

# The SYN and the handshake ACK claim different clients (a client forging
# its ACK behind a proxy that writes the SYN looks the same to the
# server): neither is believed; --toa-from names the packet believed.
t_syn_and_ack_disagree() {
	local p got
	proxy_sends --syn 200 --ack 'raw:c8081a0ac0000242' || return 1
	server_rule || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PEER_RULED") || return 1
	expect_match "default" "$got" "^accept=$PROXY:[0-9]+ peer=$PROXY:" || return 1
	expect_eq options_conflicting "$(counter options_conflicting)" 1 &&
		expect_eq sockets_without_option "$(counter sockets_without_option)" 1 || return 1

	in_ns server "$IPT" -t mangle -F
	server_rule --toa-from syn || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP" "$PEER_RULED") || return 1
	expect_eq "--toa-from syn" "$got" "accept=$CLIENT:$p peer=$CLIENT:$p local=$SERVER:$PEER_RULED" ||
		return 1

	in_ns server "$IPT" -t mangle -F
	server_rule --toa-from ack || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PEER_RULED") || return 1
	expect_eq "--toa-from ack" "$got" "accept=192.0.2.66:6666 peer=192.0.2.66:6666 local=$SERVER:$PEER_RULED" ||
		return 1
	expect_eq options_ignored "$(counter options_ignored)" 2 &&
		expect_eq options_conflicting "$(counter options_conflicting)" 1 &&
		expect_eq sockets_attached "$(counter sockets_attached)" 2
}

# server_ct_state P: the state of the server's conntrack entry for the
# proxy's port P.
server_ct_state() {
	in_ns server conntrack -L -p tcp --orig-port-src "$1" 2>/dev/null | awk '{ print $4; exit }'
}

# A server that aborts a connection (SO_LINGER 0: a RST, as nginx's
# reset_timedout_connection) when its client sends anything, on a port of
# its own with the TOA rule; stopped when the test's subshell ends, and
# the client's filter rules with it. Not asleep in accept(): on 6.6+ that
# would report the proxy to accept() for the listener's first TOA
# connection (README).
ABORT_PORT=9030
abort_server() {
	trap 'pkill -f "toa-peer serve --v4 --rst"; in_ns client iptables-nft -F OUTPUT' EXIT
	in_ns server "$IPT" -t mangle -A PREROUTING -s "$PROXY/32" -p tcp --dport "$ABORT_PORT" -j TOA || return 1
	in_ns server "$TOOLS/toa-peer" serve --v4 --rst "$ABORT_PORT" >"$WORK/abort.log" 2>&1 &
	wait_for 'grep -q "^listen=" "$WORK/abort.log"' || fail "the aborting server did not start"
}

# hold_aborted P [--rst]: a connection from client port P to it, seen with
# the client, then aborted by the server (the client sends a line and
# waits); with --rst the client aborts too once the server did.
hold_aborted() {
	local p=$1
	coproc HELD { in_ns client "$TOOLS/toa-peer" hold --sport "$p" ${2:+"$2"} "$VIP" "$ABORT_PORT" 2>/dev/null; }
	read -r -t 30 held_line <&"${HELD[0]}" || fail "held connection did not answer" || return 1
	expect_eq "first connection" "$held_line" "accept=$CLIENT:$p peer=$CLIENT:$p local=$SERVER:$ABORT_PORT" ||
		return 1
	echo q >&"${HELD[1]}"
	wait_for '! in_ns server ss -Htn "dport = :$p" | grep -q .' ||
		fail "the server did not abort its connection"
	pkill -f "toa-peer hold --sport $p "
	[[ -z ${HELD_PID:-} ]] || wait "$HELD_PID" 2>/dev/null
	return 0
}

# next_client_on P N: the proxy's next client, 192.0.2.7:7777 by its TOA,
# comes over the same addresses and ports as the connection from client
# port P before (the proxy forgot it and SNATs to the same port): the
# server's application must see that client, never the one before; N
# sockets got a client in all.
next_client_on() {
	local got
	in_ns proxy conntrack -D -p tcp --orig-port-src "$1" >/dev/null 2>&1
	proxy_sends --syn 200 --addr "$NEXT" --port "$NEXT_PORT" || return 1
	got=$(ask_peer --sport "$1" "$VIP" "$ABORT_PORT") || return 1
	expect_eq "next connection on the entry" "$got" \
		"accept=$NEXT:$NEXT_PORT peer=$NEXT:$NEXT_PORT local=$SERVER:$ABORT_PORT" || return 1
	expect_eq handshakes_restarted "$(counter handshakes_restarted)" 1 &&
		expect_eq sockets_attached "$(counter sockets_attached)" "$2"
}

# The server aborts a TOA connection; conntrack keeps the entry 10 s in
# CLOSE and takes the proxy's next connection on the same ports into it.
t_entry_reused_after_server_rst() {
	local p
	p=$(sport)
	abort_server && proxy_sends --syn 200 || return 1
	hold_aborted "$p" || return 1
	expect_eq "server's entry after the RST" "$(server_ct_state "$p")" CLOSE || return 1
	next_client_on "$p" 2
}

# A TOA connection dies without the server's conntrack seeing its end (both
# sides' RSTs are lost): the entry stays ESTABLISHED and takes the proxy's
# next connection on the same ports.
t_entry_reused_after_silent_death() {
	local p
	p=$(sport)
	abort_server && proxy_sends --syn 200 || return 1
	in_ns server iptables-nft -t raw -A OUTPUT -p tcp --tcp-flags RST RST -j DROP &&
		in_ns server iptables-nft -t raw -A PREROUTING -p tcp --tcp-flags RST RST -j DROP || return 1
	hold_aborted "$p" --rst || return 1
	in_ns server iptables-nft -t raw -F
	expect_eq "server's entry" "$(server_ct_state "$p")" ESTABLISHED || return 1
	next_client_on "$p" 2
}

# SYN cookies: a handshake whose ACK never came leaves the entry in
# SYN_RECV with its TOA; the proxy's next connection on the same ports
# (another ISN) completes through a cookie.
t_entry_reused_half_open_syncookies() {
	local p recv
	p=$(sport)
	recv=$(tcp_ext server SyncookiesRecv)
	in_ns server sysctl -qw net.ipv4.tcp_syncookies=2
	abort_server && proxy_sends --syn 200 || return 1
	in_ns client iptables-nft -A OUTPUT -p tcp --sport "$p" ! --syn -j DROP || return 1
	# Gives up waiting for the line and aborts: its RST is dropped too.
	ask_peer --sport "$p" --rst --timeout 5 "$VIP" "$ABORT_PORT" >/dev/null 2>&1 &&
		fail "the handshake completed with its ACK dropped" && return 1
	in_ns client iptables-nft -F OUTPUT
	expect_eq "server's entry" "$(server_ct_state "$p")" SYN_RECV || return 1
	next_client_on "$p" 1 || return 1
	(($(tcp_ext server SyncookiesRecv) > recv)) || fail "no connection completed through a SYN cookie"
}

# The SYN cookie path finds the connection in the conntrack zone the raw
# table put it in, for a TOA in the SYN and one in the ACK.
t_syncookies_in_conntrack_zone() {
	local spec p got recv
	recv=$(tcp_ext server SyncookiesRecv)
	in_ns server sysctl -qw net.ipv4.tcp_syncookies=2
	in_ns server iptables-nft -t raw -A PREROUTING -p tcp --dport "$PEER_RULED" -j CT --zone 7 &&
		in_ns server iptables-nft -t raw -A OUTPUT -p tcp --sport "$PEER_RULED" -j CT --zone 7 &&
		server_rule || return 1
	for spec in "--syn 200" "--ack 200"; do
		# shellcheck disable=SC2086
		proxy_sends $spec || return 1
		p=$(sport)
		got=$(ask_peer --sport "$p" "$VIP" "$PEER_RULED") || return 1
		expect_eq "zone 7, $spec" "$got" "accept=$CLIENT:$p peer=$CLIENT:$p local=$SERVER:$PEER_RULED" ||
			return 1
		in_ns server conntrack -L -w 7 -p tcp --orig-port-src "$p" 2>/dev/null | grep -q . ||
			fail "the connection is not in zone 7" || return 1
	done
	(($(tcp_ext server SyncookiesRecv) >= recv + 2)) || fail "SYN cookies were not used"
}
