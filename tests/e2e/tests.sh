# shellcheck shell=bash
# End-to-end tests of xt_TOA (issue: the IPv4 core). Each t_* function is
# one test; it returns non-zero on failure. Sourced by run-in-guest.sh.

# A Linux client's SYN through a proxy sending kind 200 in the SYN: nginx
# and an accept()/getpeername() program see the client on ruled ports, the
# proxy on the others, and getsockname() is untouched.
basic_checks() {
	local got p
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP" "$NGINX_RULED") || return 1
	expect_eq "nginx, ruled port" "$got" "$CLIENT:$p $NGINX_RULED" || return 1
	got=$(curl_nginx "$(sport)" "$VIP" "$NGINX_PLAIN") || return 1
	expect_match "nginx, unruled port" "$got" "^$PROXY:[0-9]+ $NGINX_PLAIN\$" || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP" "$PEER_RULED") || return 1
	expect_eq "accept/getpeername/getsockname" "$got" \
		"accept=$CLIENT:$p peer=$CLIENT:$p local=$SERVER:$PEER_RULED" || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PEER_PLAIN") || return 1
	expect_match "unruled peer" "$got" \
		"^accept=$PROXY:[0-9]+ peer=$PROXY:[0-9]+ local=$SERVER:$PEER_PLAIN\$"
}

# basic_checks over IPv6, for an IPv6 client whose proxy sends 254/20.
basic_checks6() {
	local got p
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP6" "$NGINX_RULED") || return 1
	expect_eq "nginx [::]:80" "$got" "$CLIENT6:$p $NGINX_RULED" || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP6" "$PEER_DUAL") || return 1
	expect_eq "AF_INET6 socket" "$got" \
		"accept=[$CLIENT6]:$p peer=[$CLIENT6]:$p local=[$SERVER6]:$PEER_DUAL" || return 1
	got=$(curl_nginx "$(sport)" "$VIP6" "$NGINX_PLAIN") || return 1
	expect_match "nginx, unruled port" "$got" "^$PROXY6:[0-9]+ $NGINX_PLAIN\$"
}

t_module_autoloads_with_rule() {
	lsmod | grep -q '^xt_TOA ' && { unload_module || return 1; }
	server_rule || return 1
	lsmod | grep -q '^xt_TOA ' || fail "xt_TOA not autoloaded by the rule"
}

# The socket probes are registered when the module loads (an nftables
# "ct helper set" starts using it without a call into it) and leave with it.
# None on inet_sock_destruct: sockets leave on the close tracepoint.
t_probes_with_module() {
	local all="ipv6_setsockopt security_sock_graft tcp_set_ulp tcp_v4_syn_recv_sock tcp_v6_syn_recv_sock"
	unload_module || return 1
	expect_eq "probes, module not loaded" "$(probed)" "" || return 1
	modprobe xt_TOA || return 1
	expect_eq "probes, module loaded" "$(probed)" "$all" || return 1
	unload_module || return 1
	expect_eq "probes, module unloaded" "$(probed)" ""
}

t_kind200_syn_nft() {
	IPT=iptables-nft
	server_rule && proxy_sends --syn 200 || return 1
	basic_checks || return 1
	expect_eq options_recorded "$(counter options_recorded)" 2
	expect_eq sockets_attached "$(counter sockets_attached)" 2
}

t_kind200_syn_legacy() {
	IPT=iptables-legacy
	server_rule && proxy_sends --syn 200 || return 1
	basic_checks
}

t_kind254_syn() {
	server_rule && proxy_sends --syn 254 || return 1
	basic_checks
}

t_kind200_ack_only() {
	server_rule && proxy_sends --ack 200 || return 1
	basic_checks
}

t_kind254_syn_and_ack() {
	server_rule && proxy_sends --syn 254 --ack 254 || return 1
	basic_checks || return 1
	expect_eq options_conflicting "$(counter options_conflicting)" 0
}

t_dual_stack_listener() {
	local got
	server_rule && proxy_sends --syn 200 || return 1
	got=$(ask_peer --sport 40005 "$VIP" "$PEER_DUAL") || return 1
	expect_eq "AF_INET6 listener" "$got" \
		"accept=[::ffff:$CLIENT]:40005 peer=[::ffff:$CLIENT]:40005 local=[::ffff:$SERVER]:$PEER_DUAL"
}

t_kind_not_trusted_by_rule() {
	local got
	server_rule --toa-kind 254 && proxy_sends --syn 200 || return 1
	got=$(ask_peer --sport 40006 "$VIP" "$PEER_RULED") || return 1
	expect_match "kind 200 with --toa-kind 254" "$got" "^accept=$PROXY:" || return 1
	expect_eq options_recorded "$(counter options_recorded)" 0
}

# A host outside the rule's -s range sends its own TOA claiming 192.0.2.66:
# it is not believed, and not even looked at.
t_forged_outside_range_ignored() {
	local got
	server_rule && proxy_sends --syn 200 --ack 200 --addr 192.0.2.66 --port 6666 || return 1
	got=$(ask_peer --sport 40007 "$SERVER" "$PEER_RULED") || return 1
	expect_eq "direct connection with forged TOA" "$got" \
		"accept=$CLIENT:40007 peer=$CLIENT:40007 local=$SERVER:$PEER_RULED" || return 1
	grep -q '^syn .*toa=c8081a0ac0000242' "$WORK/sender.log" ||
		fail "the sender did not insert the forged option" || return 1
	expect_eq options_recorded "$(counter options_recorded)" 0
}

# Each malformed form: the connection still works, the server sees the
# proxy (never a made-up address), the packet is counted.
t_malformed_options_ignored() {
	local spec got n=0 sport=40100
	server_rule || return 1
	for spec in 'raw:c800' 'raw:c801' 'raw:c807{port}{addr4}' \
		'raw:c809{port}{addr4}00' 'raw:c8ff{port}{addr4}' \
		'raw:00c808{port}{addr4}' 'raw:fe08{port}{addr4}c808{port}c0000242'; do
		proxy_sends --syn "$spec" || return 1
		got=$(ask_peer --sport $((sport++)) "$VIP" "$PEER_RULED") || return 1
		expect_match "malformed $spec" "$got" "^accept=$PROXY:[0-9]+ peer=$PROXY:" || return 1
		n=$((n + 1))
	done
	# Each SYN the client retransmits (a VM under load) is counted again.
	got=$(counter options_malformed)
	((got >= n)) || fail "options_malformed: got $got, want at least $n" || return 1
	expect_eq options_recorded "$(counter options_recorded)" 0 || return 1
	expect_eq sockets_without_option "$(counter sockets_without_option)" "$n"
}

t_syncookies() {
	local spec sent
	server_rule || return 1
	in_ns server sysctl -qw net.ipv4.tcp_syncookies=2
	for spec in "--syn 200" "--ack 200"; do
		# shellcheck disable=SC2086
		proxy_sends $spec || return 1
		basic_checks || { note "with $spec"; return 1; }
	done
	sent=$(in_ns server nstat -az TcpExtSyncookiesSent | awk '/SyncookiesSent/ { print $2 }')
	((sent >= 8)) || fail "SYN cookies were not used (SyncookiesSent=$sent)"
}

t_rule_syntax_refused() {
	local ipt
	for ipt in iptables-nft iptables-legacy ip6tables-nft ip6tables-legacy; do
		"$ipt" -j TOA --help | grep -q -- '--toa-kind KIND' ||
			fail "$ipt -j TOA --help shows no TOA help" || return 1
	done
	rules_refused "-t filter -A INPUT -p tcp -j TOA" \
		"-t mangle -A PREROUTING -j TOA" \
		"-t mangle -A INPUT -p tcp -j TOA" \
		"-t mangle -A PREROUTING -p tcp -j TOA --toa-kind 201" || return 1
	# Tables: t_untracked_rules_refused.
	dmesg | grep -q 'TOA target: used from hooks INPUT' ||
		fail "no kernel message about the hook" || return 1
	dmesg | grep -q 'TOA target: only valid for protocol 6' ||
		fail "no kernel message about -p tcp"
}

t_save_restore_roundtrip() {
	local ipt a b
	for ipt in iptables-nft iptables-legacy; do
		IPT=$ipt server_rule || return 1
		in_ns server "$ipt" -t mangle -A PREROUTING -s 192.0.2.0/24 -p tcp --dport 443 -j TOA --toa-kind 254,253 || return 1
		a=$(in_ns server "$ipt-save" -t mangle | grep -- '-j TOA')
		note "$ipt-save: $a"
		expect_match "$ipt-save default kinds" "$a" "-A PREROUTING -s $PROXY/32 -p tcp -m multiport --dports 80,9000,9006,9002 -j TOA(\$|
)" || return 1
		expect_match "$ipt-save kinds" "$a" "--dport 443 -j TOA --toa-kind 253,254" || return 1
		in_ns server "$ipt-save" -t mangle >"$WORK/saved" || return 1
		in_ns server "$ipt" -t mangle -F
		in_ns server "$ipt-restore" <"$WORK/saved" || fail "$ipt-restore refused its own save" || return 1
		b=$(in_ns server "$ipt-save" -t mangle | grep -- '-j TOA')
		expect_eq "$ipt save/restore/save" "$b" "$a" || return 1
		in_ns server "$ipt" -t mangle -L PREROUTING -n | grep -q 'TOA kinds 253,254' ||
			fail "$ipt -L does not show the kinds" || return 1
		in_ns server "$ipt" -t mangle -F
	done
	for ipt in ip6tables-nft ip6tables-legacy; do
		in_ns server "$ipt" -t mangle -A PREROUTING -s "$PROXY6/128" -p tcp --dport 443 -j TOA --toa-kind 254 || return 1
		a=$(in_ns server "$ipt-save" -t mangle | grep -- '-j TOA')
		expect_eq "$ipt-save" "$a" "-A PREROUTING -s $PROXY6/128 -p tcp -m tcp --dport 443 -j TOA --toa-kind 254" || return 1
		in_ns server "$ipt-save" -t mangle >"$WORK/saved" || return 1
		in_ns server "$ipt" -t mangle -F
		in_ns server "$ipt-restore" <"$WORK/saved" || fail "$ipt-restore refused its own save" || return 1
		b=$(in_ns server "$ipt-save" -t mangle | grep -- '-j TOA')
		expect_eq "$ipt save/restore/save" "$b" "$a" || return 1
		in_ns server "$ipt" -t mangle -F
	done
}

t_counters_per_namespace() {
	local got
	server_rule && proxy_sends --syn 200 || return 1
	got=$(ask_peer --sport 40009 "$VIP" "$PEER_RULED") || return 1
	expect_match "client seen" "$got" "^accept=$CLIENT:40009" || return 1
	dump_counters
	expect_eq options_recorded "$(counter options_recorded)" 1 || return 1
	expect_eq sockets_attached "$(counter sockets_attached)" 1 || return 1
	# accept() and getpeername() each
	expect_eq addresses_rewritten "$(counter addresses_rewritten)" 2 || return 1
	expect_eq "client namespace" "$(counter options_recorded client)" 0 || return 1
	# The connection is closed: its socket must be released, once.
	for ((i = 0; i < 50; i++)); do
		[[ $(counter sockets_released) == 1 ]] && break
		sleep 0.2
	done
	expect_eq sockets_released "$(counter sockets_released)" 1
}

# rmmod with a TOA connection open and getpeername() calls in flight: no
# crash; the open socket then reports what the kernel knows (the proxy);
# after modprobe new connections get TOA again.
t_unload_reload_with_open_connection() {
	local line storm_pid
	server_rule && proxy_sends --syn 200 || return 1

	held_peer 40010 || return 1

	# A second connection asking getpeername() in a loop during rmmod.
	(for ((i = 0; i < 150; i++)); do echo q; sleep 0.01; done) |
		in_ns client "$TOOLS/toa-peer" hold --sport 40011 "$VIP" "$PEER_RULED" >"$WORK/storm.log" 2>&1 &
	storm_pid=$!
	sleep 1

	in_ns server "$IPT" -t mangle -F
	rmmod xt_TOA || fail "rmmod xt_TOA failed with TOA sockets open" || return 1

	held_asks "$PROXY:[0-9]+" || return 1

	wait "$storm_pid" || fail "getpeername loop failed: $(tail -3 "$WORK/storm.log")" || return 1
	grep -q "peer=$CLIENT:40011" "$WORK/storm.log" || fail "storm never saw the client" || return 1
	if grep -v -e "$CLIENT:40011" -e "peer=$PROXY:" "$WORK/storm.log" | grep -q .; then
		fail "unexpected answers: $(grep -v -e "$CLIENT:40011" -e "peer=$PROXY:" "$WORK/storm.log" | head -3)"
		return 1
	fi

	modprobe xt_TOA || return 1
	mark_counters
	server_rule || return 1
	line=$(ask_peer --sport 40012 "$VIP" "$PEER_RULED") || return 1
	expect_match "after reload" "$line" "^accept=$CLIENT:40012" || return 1
	held_close
}

# kTLS copies the ops of the first socket it takes, per family, into a
# table shared by every kTLS socket of the host, which outlives rmmod: a
# TOA socket must have the kernel's ops when a ULP takes it. A TCP_ULP that
# fails leaves the client; after kTLS, getpeername() gives the proxy
# (accept() gave the client). After rmmod, kTLS sockets that never saw TOA
# call getpeername(): no oops. Both tables: the IPv4 one, and the IPv6 one
# through a dual-stack socket.
t_ktls_then_unload() {
	local p out
	server_rule && proxy_sends --syn 200 || return 1
	for port in "$PEER_RULED" "$PEER_DUAL"; do
		p=$(sport)
		hold "$p" "$VIP" "$port" || return 1
		expect_match "held on $port" "$held_line" "^accept=(\[::ffff:)?$CLIENT(\])?:$p " || return 1
		held_asks "(\[::ffff:)?$CLIENT(\])?:$p" U &&
			held_asks "(\[::ffff:)?$PROXY(\])?:[0-9]+" K || return 1
		held_close
	done
	in_ns server "$IPT" -t mangle -F
	unload_module || return 1
	out=$(in_ns server "$TOOLS/toa-ktls" 2>&1) ||
		fail "kTLS after rmmod: $out" || return 1
	expect_eq "kTLS sockets after rmmod" "$(echo $out)" "v4 peer=127.0.0.1 v6 peer=::1" || return 1
	modprobe xt_TOA
}

# A TOA socket freed inside another kprobe's handler, where the kernel
# skips every kprobe hit (an operator's perf or BPF kprobe does the same
# to ours): the test module tests/kmod/toa_close_test.c holds the server's
# socket past its close() and drops it from its own kprobe. The socket
# left the module's table when it closed, so the proc file, the netlink
# dump and rmmod find nothing of it, and the counters add up.
t_socket_freed_inside_foreign_kprobe() {
	local ko p
	ko=$TOP/tests/.cache/kmod-$(uname -r)/toa_close_test.ko
	[[ -f $ko ]] || fail "no test module $ko (tests/host-prepare.sh builds it)" || return 1
	server_rule && proxy_sends --syn 200 || return 1
	mark_counters
	p=$(sport)
	held_peer "$p" || return 1
	insmod "$ko" port="$PEER_RULED" then="$PEER_PLAIN" || return 1
	held_close
	wait_for "[[ -z \$(in_ns server ss -Htan '( sport = :$PEER_RULED and dport = :$p )') ]]" ||
		fail "the server's socket did not close: $(in_ns server ss -tan "dport = :$p")" || return 1
	ask_peer "$VIP" "$PEER_PLAIN" >/dev/null || return 1
	wait_for "dmesg | grep -q 'toa_close_test: dropped the socket'" ||
		fail "the test module did not drop the socket in its handler" || return 1
	rmmod toa_close_test || return 1
	expect_eq "TOA sockets listed" "$(in_ns server cat /proc/net/xt_TOA_sockets)" "" &&
		expect_eq "toactl list" "$(in_ns server toactl list | tail -n +2)" "" &&
		expect_eq sockets_attached "$(counter sockets_attached)" 1 &&
		expect_eq sockets_released "$(counter sockets_released)" 1 || return 1
	in_ns server "$IPT" -t mangle -F
	unload_module && modprobe xt_TOA
}

# Namespaces torn down while the module unloads: a client namespace
# whose relay rule inserts TOA, a server namespace with TOA sockets open;
# their processes end, both namespaces are deleted and rmmod runs while
# the kernel dismantles them (closing sockets, freeing the rules). Three
# rounds: nothing dangles, nothing warns.
t_unload_while_namespaces_die() {
	local i line
	for ((i = 0; i < 3; i++)); do
		ip netns add tear-c && ip netns add tear-s &&
			ip link add tc0 netns tear-c type veth peer name ts0 netns tear-s &&
			in_ns tear-c ip addr add 10.99.0.1/24 dev tc0 && in_ns tear-c ip link set tc0 up &&
			in_ns tear-s ip addr add 10.99.0.2/24 dev ts0 && in_ns tear-s ip link set ts0 up &&
			in_ns tear-c iptables-nft -t mangle -A POSTROUTING -o tc0 -p tcp --dport 9100 \
				-j TOA --toa-insert 200/8 &&
			in_ns tear-s iptables-nft -t mangle -A PREROUTING -i ts0 -p tcp --dport 9100 -j TOA ||
			return 1
		ip netns exec tear-s "$TOOLS/toa-hold" serve 9100 >"$WORK/tear-serve.log" 2>&1 &
		wait_for 'grep -q "^listen=" "$WORK/tear-serve.log"' || fail "toa-hold serve did not start" || return 1
		coproc TEAR { in_ns tear-c "$TOOLS/toa-hold" connect 10.99.0.2 9100 50 2>/dev/null; }
		read -r -t 120 line <&"${TEAR[0]}"
		expect_eq "round $i: connections" "$line" "connected=50 failed=0" &&
			expect_eq "round $i: TOA sockets" "$(in_ns tear-s cat /proc/net/xt_TOA_sockets | wc -l)" 50 ||
			return 1
		pkill -f "toa-hold serve 9100"
		exec {TEAR[1]}>&-
		wait "$TEAR_PID" 2>/dev/null
		ip netns del tear-c && ip netns del tear-s || return 1
		# The dying namespaces' rules hold the module until they are freed.
		wait_for 'rmmod xt_TOA 2>/dev/null' || wait_for 'rmmod xt_TOA 2>/dev/null' ||
			fail "round $i: rmmod xt_TOA: $(rmmod xt_TOA 2>&1)" || return 1
		modprobe xt_TOA || return 1
	done
	mark_counters
}

BLOCKING_PORT=9020

blocking_rule() {
	in_ns server "$IPT" -t mangle -A PREROUTING -s "$PROXY/32" -p tcp \
		--dport "$BLOCKING_PORT" -j TOA
}

# blocking_ask WHAT REGEX: one connection to toa-peer serve --blocking; what
# its server saw, against REGEX with @ standing for the client's CLIENT:SPORT.
blocking_ask() {
	local p line
	p=$(sport)
	line=$(ask_peer --sport "$p" "$VIP" "$BLOCKING_PORT") || return 1
	expect_match "$1" "$line" "${2//@/$CLIENT:$p}"
}

# A server thread asleep in accept(): accept() reads the listener's ops
# before it sleeps and uses them when a connection wakes it. The first TOA
# connection, which gives the listener xt_TOA's ops, reports the client to
# getpeername() (and to accept() before 6.6); the next ones to both. The
# thread holds xt_TOA's ops across rmmod without harm, and a reload works.
t_unload_with_blocked_accept() {
	server_rule && proxy_sends --syn 200 && blocking_rule || return 1
	in_ns server "$TOOLS/toa-peer" serve --v4 --blocking "$BLOCKING_PORT" >"$WORK/blocking.log" 2>&1 &
	wait_for 'grep -q "^listen=" "$WORK/blocking.log"' ||
		fail "toa-peer serve --blocking did not start" || return 1
	sleep 1		# the server is asleep in accept()
	blocking_ask "first connection" "^accept=[^ ]+ peer=@ " &&
		blocking_ask "loaded" "^accept=@ peer=@ " || return 1
	sleep 1		# asleep in accept() again, with xt_TOA's ops

	in_ns server "$IPT" -t mangle -F
	unload_module || return 1
	blocking_ask "after rmmod" "^accept=$PROXY:" || return 1
	sleep 1

	modprobe xt_TOA && blocking_rule || return 1
	mark_counters
	blocking_ask "first connection after reload" "^accept=[^ ]+ peer=@ " &&
		blocking_ask "after reload" "^accept=@ peer=@ " || return 1
	pkill -f "toa-peer serve --v4 --blocking"
	return 0
}

# Connections the module cannot store a client for keep the proxy's
# address, and the reason is counted: once per connection, at its SYN,
# although the SYN and the ACK both carry a TOA. The first TOA rule says,
# once, that a helper assigned later does nothing on what it selects.
t_declined_notrack_and_other_helper() {
	local got
	unload_module && modprobe xt_TOA || return 1
	mark_counters
	server_rule && proxy_sends --syn 200 --ack 200 || return 1
	in_ns server iptables-nft -t raw -A PREROUTING -p tcp --dport "$PEER_RULED" -j CT --notrack || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PEER_RULED") || return 1
	expect_match "NOTRACK" "$got" "^accept=$PROXY:" || return 1
	expect_eq declined_no_conntrack "$(counter declined_no_conntrack)" 1 || return 1
	in_ns server iptables-nft -t raw -F
	in_ns server iptables-nft -t raw -A PREROUTING -p tcp --dport "$PEER_RULED" -j CT --helper ftp || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PEER_RULED") || return 1
	in_ns server iptables-nft -t raw -F
	expect_match "ftp helper" "$got" "^accept=$PROXY:" || return 1
	expect_eq declined_other_helper "$(counter declined_other_helper)" 1 || return 1
	expect_eq sockets_attached "$(counter sockets_attached)" 0 || return 1
	dmesg | grep -q 'TOA: connections a TOA rule selects carry the conntrack helper "toa"' ||
		fail "no word on other conntrack helpers when the rule was added"
}

# IPv6 end to end: the DPVS-style 254/20 option over IPv6 transport.
t_ipv6_client_ipv6_transport() {
	server_rule6 && proxy_sends --syn 254v6 || return 1
	basic_checks6
}

# An IPv4 client carried over IPv6 (a NAT46 proxy): ::ffff:client.
t_ipv4_client_over_ipv6_transport() {
	local got
	server_rule6 && proxy_sends --syn 254 --addr 192.0.2.77 --port 4242 || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP6" "$PEER_DUAL") || return 1
	expect_eq "AF_INET6 socket" "$got" \
		"accept=[::ffff:192.0.2.77]:4242 peer=[::ffff:192.0.2.77]:4242 local=[$SERVER6]:$PEER_DUAL"
}

# An IPv6 client over IPv4 (a NAT64 proxy): an AF_INET socket cannot hold
# it and keeps the proxy (counted); a dual-stack socket gets the client.
t_ipv6_client_over_ipv4_transport() {
	local got
	server_rule && proxy_sends --syn 254v6 --addr 2001:db8:1::99 --port 4243 || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PEER_RULED") || return 1
	expect_match "AF_INET socket" "$got" "^accept=$PROXY:[0-9]+ peer=$PROXY:[0-9]+ " || return 1
	expect_eq declined_family_mismatch "$(counter declined_family_mismatch)" 2 || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PEER_DUAL") || return 1
	expect_eq "AF_INET6 socket" "$got" \
		"accept=[2001:db8:1::99]:4243 peer=[2001:db8:1::99]:4243 local=[::ffff:$SERVER]:$PEER_DUAL"
}

# Kind 253 (Alibaba IPv6, UCloud), when the rule trusts it.
t_kind253_both_families() {
	local got p
	server_rule --toa-kind 253 && server_rule6 --toa-kind 253 || return 1
	proxy_sends --syn 253 || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP" "$PEER_RULED") || return 1
	expect_eq "253/8" "$got" "accept=$CLIENT:$p peer=$CLIENT:$p local=$SERVER:$PEER_RULED" || return 1
	proxy_sends --syn 253v6 || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP6" "$PEER_DUAL") || return 1
	expect_eq "253/20" "$got" "accept=[$CLIENT6]:$p peer=[$CLIENT6]:$p local=[$SERVER6]:$PEER_DUAL"
}

# Kind 254 of a length that is no TOA (19, 21: RFC 6994 experiments or
# broken senders) is ignored and counted; a truncated one is malformed.
t_ipv6_bad_lengths_ignored() {
	local spec got
	server_rule6 || return 1
	# (21 bytes do not fit next to a SYN's 20 bytes of options: the ACK.)
	for spec in '--syn raw:fe13{port}000000000000000000000000000000' \
		'--ack raw:fe15{port}0000000000000000000000000000000000' \
		'--syn raw:fe14{port}0000000000000000'; do
		# shellcheck disable=SC2086
		proxy_sends $spec || return 1
		got=$(ask_peer --sport "$(sport)" "$VIP6" "$PEER_DUAL") || return 1
		expect_match "$spec" "$got" "^accept=\\[$PROXY6\\]:" || return 1
	done
	expect_eq options_not_toa "$(counter options_not_toa)" 2 || return 1
	expect_eq options_malformed "$(counter options_malformed)" 1 || return 1
	expect_eq options_recorded "$(counter options_recorded)" 0
}

# IPV6_ADDRFORM turns a dual-stack socket into AF_INET: it must still read
# its stored client right (an IPv4 one in sockaddr_in).
t_ipv6_addrform() {
	local p
	server_rule && proxy_sends --syn 200 || return 1
	p=$(sport)
	hold "$p" "$VIP" "$PEER_DUAL" || return 1
	expect_match "before" "$held_line" "^accept=\\[::ffff:$CLIENT\\]:$p " || return 1
	held_asks "$CLIENT:$p" A || return 1
	held_close
}

# NAT64: the AF_INET socket keeps the proxy, and the application reads the
# IPv6 client from /proc/net/xt_TOA_sockets (examples/toa-lookup.c).
t_nat64_client_lookup() {
	local got
	server_rule && proxy_sends --syn 254v6 --addr 2001:db8:1::99 --port 4243 || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$LOOKUP") || return 1
	expect_match "toa-lookup" "$got" "^peer=$PROXY:[0-9]+ client=\\[2001:db8:1::99\\]:4243\$"
}
