# shellcheck shell=bash
# End-to-end tests of TOA the nftables way (issue 18): a server with no
# iptables rule, whose ruleset attaches the "toa" conntrack helper with
# "ct helper set", and the same helper attached by "-j CT --helper toa".
# Each t_* function is one test, run in a subshell by run-in-guest.sh.

# nft_ruleset [TYPE]: the server's whole TOA configuration: a helper object
# of TYPE (default "toa") set on the proxy's connections to the ruled ports.
nft_ruleset() {
	cat <<-EOF
		table inet toa_test {
			ct helper toa {
				type "${1:-toa}" protocol tcp
				l3proto inet
			}
			chain pre {
				type filter hook prerouting priority filter; policy accept;
				ip saddr $PROXY tcp dport { $NGINX_RULED, $PEER_RULED, $PEER_DUAL, $LOOKUP } ct helper set "toa"
				ip6 saddr $PROXY6 tcp dport { $NGINX_RULED, $PEER_RULED, $PEER_DUAL } ct helper set "toa"
			}
		}
	EOF
}

# nft_toa [TYPE]: load that ruleset; it goes when the test's subshell ends.
nft_toa() {
	trap 'in_ns server nft delete table inet toa_test 2>/dev/null' EXIT
	nft_ruleset "$@" | in_ns server nft -f - || fail "nft -f refused the ruleset"
}

# No module loaded, no iptables rule: loading the ruleset loads the module
# (nfct-helper-toa), and its first connection already gets its client.
t_nft_helper_autoload() {
	unload_module || return 1
	proxy_sends --syn 200 && nft_toa || return 1
	lsmod | grep -q '^xt_TOA ' || fail "xt_TOA not loaded by the ruleset" || return 1
	mark_counters
	basic_checks || return 1
	expect_eq options_recorded "$(counter options_recorded)" 2 &&
		expect_eq sockets_attached "$(counter sockets_attached)" 2 || return 1
	expect_eq "iptables rules" "$(in_ns server iptables-nft-save | grep -c -- '-j TOA')" 0
}

# The TOA in the ACK only, then in both (kind 254), then a broken one.
t_nft_helper_ack_both_malformed() {
	local got
	nft_toa || return 1
	proxy_sends --ack 200 && basic_checks || return 1
	proxy_sends --syn 254 --ack 254 && basic_checks || return 1
	expect_eq options_conflicting "$(counter options_conflicting)" 0 || return 1
	proxy_sends --syn 'raw:c807{port}{addr4}' || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PEER_RULED") || return 1
	expect_match "malformed" "$got" "^accept=$PROXY:[0-9]+ peer=$PROXY:" || return 1
	expect_eq options_malformed "$(counter options_malformed)" 1 &&
		expect_eq sockets_attached "$(counter sockets_attached)" 4
}

t_nft_helper_syncookies() {
	local spec recv
	recv=$(tcp_ext server SyncookiesRecv)
	nft_toa || return 1
	in_ns server sysctl -qw net.ipv4.tcp_syncookies=2
	for spec in "--syn 200" "--ack 200"; do
		# shellcheck disable=SC2086
		proxy_sends $spec || return 1
		basic_checks || { note "with $spec"; return 1; }
	done
	(($(tcp_ext server SyncookiesRecv) >= recv + 4)) || fail "SYN cookies were not used"
}

# One "inet" object serves both families: an IPv6 client over IPv6, an
# IPv4 client on a dual-stack listener.
t_nft_helper_ipv6_dual_stack() {
	nft_toa && proxy_sends --syn 254v6 && basic_checks6 || return 1
	mapped_client_seen "dual-stack listener" "$PEER_DUAL" "$SERVER:$PEER_DUAL" --syn 200
}

# A host outside the ruleset's source sends its own TOA: no helper is set
# on its connection, so nothing is even read.
t_nft_helper_forged_outside_source() {
	local got p
	nft_toa && proxy_sends --syn 200 --ack 200 --addr 192.0.2.66 --port 6666 || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$SERVER" "$PEER_RULED") || return 1
	expect_eq "direct connection with forged TOA" "$got" \
		"accept=$CLIENT:$p peer=$CLIENT:$p local=$SERVER:$PEER_RULED" || return 1
	expect_eq options_recorded "$(counter options_recorded)" 0
}

# Helper type "toa-254" trusts kind 254 only.
t_nft_helper_one_kind() {
	local got p
	nft_toa toa-254 && proxy_sends --syn 200 || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PEER_RULED") || return 1
	expect_match "kind 200, toa-254" "$got" "^accept=$PROXY:" || return 1
	proxy_sends --syn 254 || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP" "$PEER_RULED") || return 1
	expect_eq "kind 254, toa-254" "$got" "accept=$CLIENT:$p peer=$CLIENT:$p local=$SERVER:$PEER_RULED"
}

# iptables' own way to attach a helper, in the raw table (a template):
# one rule per family; then a TOA rule on the same connections.
t_ct_target_helper() {
	local got p
	in_ns server iptables-nft -t raw -A PREROUTING -s "$PROXY" -p tcp \
		-m multiport --dports "$NGINX_RULED,$PEER_RULED,$PEER_DUAL,$LOOKUP" -j CT --helper toa &&
		in_ns server ip6tables-nft -t raw -A PREROUTING -s "$PROXY6" -p tcp \
			-m multiport --dports "$NGINX_RULED,$PEER_RULED,$PEER_DUAL" -j CT --helper toa || return 1
	proxy_sends --syn 200 && basic_checks || return 1
	proxy_sends --ack 200 && basic_checks || return 1
	proxy_sends --syn 254v6 || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP6" "$NGINX_RULED") || return 1
	expect_eq "nginx [::]:80" "$got" "$CLIENT6:$p $NGINX_RULED" || return 1
	expect_eq sockets_attached "$(counter sockets_attached)" 5 || return 1

	# A TOA rule on the same connections reads them with its own options;
	# the helper leaves them alone (nothing is read twice).
	server_rule --toa-from syn && proxy_sends --syn 200 --ack 'raw:c8081a0ac0000242' || return 1
	mark_counters
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP" "$PEER_RULED") || return 1
	expect_eq "TOA rule over the CT helper" "$got" "accept=$CLIENT:$p peer=$CLIENT:$p local=$SERVER:$PEER_RULED" ||
		return 1
	expect_eq options_ignored "$(counter options_ignored)" 1 &&
		expect_eq options_recorded "$(counter options_recorded)" 1 &&
		expect_eq options_conflicting "$(counter options_conflicting)" 0
}

# The helper object holds the module: rmmod is refused while it exists
# (with TOA sockets open), and is as safe as ever once it is gone.
# rmmod only says "in use"; toactl holders says what, in which namespace,
# and how to delete it: running its commands is enough to unload.
t_nft_helper_unload_refused() {
	local out ns line pid
	nft_toa && proxy_sends --syn 200 || return 1
	held_peer "$(sport)" || return 1
	# More holders: a TOA rule (iptables-nft) and a toa match
	# (iptables-legacy) in other namespaces, a CT rule in one only a
	# process holds.
	in_ns client iptables-nft -t mangle -A PREROUTING -p tcp --dport 81 -j TOA &&
		in_ns proxy iptables-legacy -A INPUT -p tcp -m toa --toa-present -j ACCEPT || return 1
	unshare --net sh -c 'ip6tables-nft -t raw -A PREROUTING -p tcp -j CT --helper toa-254 &&
		exec sleep 600' &
	pid=$!
	wait_for "nsenter --net=/proc/$pid/ns/net ip6tables-nft-save 2>/dev/null | grep -q helper" || return 1
	rmmod xt_TOA 2>/dev/null && fail "rmmod succeeded with a ct helper object of type toa" && return 1
	lsmod | grep -q '^xt_TOA ' || fail "xt_TOA is gone" || return 1
	held_asks "$CLIENT:[0-9]+" || return 1
	out=$(/usr/sbin/toactl holders) || fail "toactl holders failed: $out" || return 1
	note "$out"
	expect_match "server" "$out" "netns server:"$'\n'"  nft delete table inet toa_test " &&
		expect_match "client" "$out" "netns client:"$'\n'"  iptables-nft -t mangle -D PREROUTING -p tcp -m tcp --dport 81 -j TOA" &&
		expect_match "proxy" "$out" "netns proxy:"$'\n'"  iptables-legacy -t filter -D INPUT -p tcp -m toa --toa-present -j ACCEPT" &&
		expect_match "unnamed" "$out" "pid $pid \\(sleep\\):"$'\n'"  ip6tables-nft -t raw -D PREROUTING -p tcp -j CT --helper toa-254" || return 1
	while IFS= read -r line; do
		case $line in
		"netns "*:) ns=(in_ns "${line#netns }") ns[1]=${ns[1]%:} ;;
		"the namespace of pid "*) ns=(nsenter --net="/proc/$pid/ns/net") ;;
		"  "*) "${ns[@]}" bash -c "$line" || fail "in ${ns[*]}: $line" || return 1 ;;
		esac
	done <<<"$out"
	kill "$pid"
	unload_module || return 1
	held_asks "$PROXY:[0-9]+" || return 1
	held_close
}

# iptables-restore-translate turns a TOA rule into "ct helper set" of the
# helper carrying its options; with the base chain and the helper object
# it names declared first (as the README says), nft loads it, and the
# server behaves as the iptables rule would: --toa-from ack believes the
# ACK's TOA, never the SYN's.
t_nft_translated_rules() {
	local p got
	# iptables-nft's own tables are rebuilt by the next test's reset.
	trap 'in_ns server nft delete table ip mangle 2>/dev/null' EXIT
	printf '*mangle\n-A PREROUTING -s %s/32 -p tcp -m multiport --dports %s -j TOA --toa-from ack\nCOMMIT\n' \
		"$PROXY" "$NGINX_RULED,$PEER_RULED" >"$WORK/rules.v4"
	{
		echo 'add table ip mangle'
		echo 'add chain ip mangle PREROUTING { type filter hook prerouting priority mangle; }'
		echo 'add ct helper ip mangle toa-ack { type "toa-ack" protocol tcp; }'
		iptables-restore-translate -f "$WORK/rules.v4"
	} >"$WORK/rules.nft" || return 1
	grep -q 'ct helper set "toa-ack"' "$WORK/rules.nft" ||
		fail "not translated: $(cat "$WORK/rules.nft")" || return 1
	in_ns server nft -f "$WORK/rules.nft" || fail "nft -f: $(cat "$WORK/rules.nft")" || return 1
	proxy_sends --ack 200 && basic_checks || return 1
	proxy_sends --syn 200 || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP" "$PEER_RULED") || return 1
	expect_match "TOA in the SYN, --toa-from ack" "$got" "^accept=$PROXY:" || return 1
	expect_eq options_ignored "$(counter options_ignored)" 1
}
