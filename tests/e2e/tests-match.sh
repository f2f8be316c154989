# shellcheck shell=bash
# End-to-end tests of the toa match (issue: firewall by the real client).
# Each t_* function is one test; sourced by run-in-guest.sh.

# One proxy, two clients: the filter drops one by its real address and
# lets the other through; the rules' counters show which packets matched.
t_match_firewall_by_real_client() {
	local ipt got p n
	for ipt in iptables-nft iptables-legacy; do
		IPT=$ipt server_rule && proxy_sends --syn 200 || return 1
		in_ns server "$ipt" -A INPUT -p tcp --dport "$NGINX_RULED" -m toa --toa-src "$CLIENT/32" || return 1
		in_ns server "$ipt" -A INPUT -p tcp --dport "$NGINX_RULED" -m toa --toa-src "$CLIENT2/32" -j DROP || return 1
		p=$(sport)
		got=$(curl_nginx "$p" "$VIP" "$NGINX_RULED") || return 1
		expect_eq "$ipt: allowed client" "$got" "$CLIENT:$p $NGINX_RULED" || return 1
		n=$(rule_packets server "$ipt" INPUT "--toa-src $CLIENT/32")
		((n >= 4)) || fail "$ipt: the allowed client's rule counted $n packets, want its whole connection" || return 1
		expect_eq "$ipt: drop rule before the blocked client" "$(rule_packets server "$ipt" INPUT "-j DROP")" 0 || return 1
		curl_from "$CLIENT2" "$(sport)" "$VIP" "$NGINX_RULED" &&
			fail "$ipt: $CLIENT2 got through the proxy" && return 1
		n=$(rule_packets server "$ipt" INPUT "-j DROP")
		((n >= 1)) || fail "$ipt: drop rule counted $n packets" || return 1
		expect_eq "$ipt: nginx never saw $CLIENT2" "$(grep -c "^$CLIENT2:" "$WORK/nginx/access.log")" 0 || return 1
		in_ns server "$ipt" -F INPUT
		in_ns server "$ipt" -t mangle -F
	done
}

# "! --toa-present" catches connections that did not come through the
# proxy, and lets the proxied ones through.
t_match_not_present_catches_direct() {
	local got p n
	server_rule && proxy_sends --syn 200 || return 1
	in_ns server "$IPT" -A INPUT -p tcp --dport "$NGINX_RULED" -m toa ! --toa-present -j DROP || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP" "$NGINX_RULED") || return 1
	expect_eq "through the proxy" "$got" "$CLIENT:$p $NGINX_RULED" || return 1
	expect_eq "drop rule, proxied connection" "$(rule_packets server "$IPT" INPUT "-j DROP")" 0 || return 1
	curl_from "$CLIENT" "$(sport)" "$SERVER" "$NGINX_RULED" &&
		fail "a direct connection got through" && return 1
	n=$(rule_packets server "$IPT" INPUT "-j DROP")
	((n >= 1)) || fail "drop rule counted $n packets of the direct connection"
}

# A proxy that sends the option only in the handshake ACK: its SYN is seen
# before anything is recorded, as the man page says.
t_match_before_recording_ack_only() {
	local got p
	server_rule && proxy_sends --ack 200 || return 1
	in_ns server "$IPT" -A INPUT -p tcp --dport "$PEER_RULED" -m toa ! --toa-present || return 1
	in_ns server "$IPT" -A INPUT -p tcp --dport "$PEER_RULED" -m toa --toa-present || return 1
	in_ns server "$IPT" -A OUTPUT -p tcp --sport "$PEER_RULED" -m toa --toa-src "$CLIENT/32" || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP" "$PEER_RULED") || return 1
	expect_match "client" "$got" "^accept=$CLIENT:$p " || return 1
	expect_eq "not yet present: the SYN" "$(rule_packets server "$IPT" INPUT "-m toa ! --toa-present")" 1 || return 1
	got=$(rule_packets server "$IPT" INPUT "-m toa --toa-present")
	((got >= 2)) || fail "present: $got packets, want the ACK and after" || return 1
	got=$(rule_packets server "$IPT" OUTPUT "--toa-src")
	((got >= 1)) || fail "the server's replies are matched too: $got packets"
}

# --toa-sport, and clients of either family whatever the transport's.
t_match_sport_and_families() {
	local got p
	server_rule && proxy_sends --syn 200 || return 1
	in_ns server "$IPT" -A INPUT -p tcp --dport "$PEER_RULED" -m toa --toa-sport 42000:42099 -j DROP || return 1
	in_ns client "$TOOLS/toa-peer" ask --timeout 2 --sport 42050 "$VIP" "$PEER_RULED" >/dev/null 2>&1 &&
		fail "client port 42050 got through --toa-sport 42000:42099" && return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP" "$PEER_RULED") || return 1
	expect_match "other client port" "$got" "^accept=$CLIENT:$p " || return 1
	in_ns server "$IPT" -F INPUT

	# An IPv6 client behind an IPv4 transport (NAT64), in iptables.
	in_ns server "$IPT" -A INPUT -p tcp --dport "$PEER_DUAL" -m toa --toa-src 2001:db8:1::/64 -j DROP || return 1
	proxy_sends --syn 254v6 --addr 2001:db8:7::99 --port 4244 || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PEER_DUAL") || return 1
	expect_match "NAT64 client outside" "$got" "^accept=\\[2001:db8:7::99\\]:4244 " || return 1
	proxy_sends --syn 254v6 --addr 2001:db8:1::99 --port 4245 || return 1
	in_ns client "$TOOLS/toa-peer" ask --timeout 2 --sport "$(sport)" "$VIP" "$PEER_DUAL" >/dev/null 2>&1 &&
		fail "NAT64 client 2001:db8:1::99 got through iptables --toa-src 2001:db8:1::/64" && return 1

	# IPv6 transport: ip6tables with an IPv6 and an IPv4 client network.
	local ip6t=${IPT/iptables/ip6tables}
	server_rule6 || return 1
	in_ns server "$ip6t" -A INPUT -p tcp --dport "$NGINX_RULED" -m toa ! --toa-src "$CLIENT6/128" -j DROP || return 1
	in_ns server "$ip6t" -A INPUT -p tcp --dport "$PEER_DUAL" -m toa --toa-src 192.0.2.0/24 -j DROP || return 1
	proxy_sends --syn 254v6 || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP6" "$NGINX_RULED") || return 1
	expect_eq "IPv6 client allowed" "$got" "$CLIENT6:$p $NGINX_RULED" || return 1
	proxy_sends --syn 254 --addr 192.0.2.77 --port 4246 || return 1
	in_ns client "$TOOLS/toa-peer" ask --timeout 2 --sport "$(sport)" "$VIP6" "$PEER_DUAL" >/dev/null 2>&1 &&
		fail "IPv4 client 192.0.2.77 got through ip6tables --toa-src 192.0.2.0/24" && return 1
	in_ns server "$ip6t" -F INPUT
}

# run_rule_file NS IPT FILE: an iptables-style rule test file (see
# userspace/libxt_TOA.t) in namespace NS. Each FAIL rule must be refused
# on its own; the OK rules are loaded in one restore (whose error names
# the line of a refused one), must save as expected, and the saved set
# must restore and save again identically.
run_rule_file() {
	local ns=$1 ipt=$2 file=$3 table=filter chains=() line rule want result chain bad=0
	local w=$WORK/rules-$2
	local -A load=() expect=()
	while IFS= read -r line; do
		case $line in
		'' | '#'*) continue ;;
		:*) IFS=, read -r -a chains <<<"${line#:}"; continue ;;
		'*'*) table=${line#\*}; continue ;;
		esac
		IFS=';' read -r rule want result <<<"$line"
		[[ $want == = ]] && want=$rule
		for chain in "${chains[@]}"; do
			# shellcheck disable=SC2086
			if [[ $result == OK ]]; then
				load[$table]+="-A $chain $rule"$'\n'
				expect[$table]+="-A $chain $want"$'\n'
			elif in_ns "$ns" "$ipt" -t "$table" -A "$chain" $rule 2>/dev/null; then
				echo "# $ipt -t $table -A $chain $rule: accepted"
				in_ns "$ns" "$ipt" -t "$table" -F "$chain"
				bad=1
			fi
		done
	done <"$file"
	for table in "${!load[@]}"; do
		printf '*%s\n%sCOMMIT\n' "$table" "${load[$table]}"
	done >"$w.in"
	if ! in_ns "$ns" "$ipt-restore" <"$w.in" 2>"$w.err"; then
		echo "# $ipt-restore refused an OK rule: $(head -n 3 "$w.err")"
		return 1
	fi
	for table in "${!load[@]}"; do
		in_ns "$ns" "$ipt-save" -t "$table" | grep '^-A ' | sort >"$w.got"
		if ! printf '%s' "${expect[$table]}" | sort | diff -u - "$w.got" >"$w.diff"; then
			echo "# $ipt -t $table: saved forms differ (-want +got):"
			sed 's/^/#   /' "$w.diff"
			bad=1
		fi
	done
	in_ns "$ns" "$ipt-save" | grep -v '^#' >"$w.a"
	rules_flush "$ns" "$ipt"
	in_ns "$ns" "$ipt-restore" <"$w.a" || { echo "# $ipt-restore refused its own save"; bad=1; }
	in_ns "$ns" "$ipt-save" | grep -v '^#' >"$w.b"
	if ! diff -u "$w.a" "$w.b" >"$w.diff"; then
		echo "# $ipt: save -> restore -> save differs:"
		sed 's/^/#   /' "$w.diff"
		bad=1
	fi
	rules_flush "$ns" "$ipt"
	((bad == 0))
}

# rules_flush NS IPT
rules_flush() {
	local table
	for table in filter mangle raw nat; do
		in_ns "$1" "$2" -t $table -F
	done
}

# rule_files NS IPT...: every rule file for each IPT in turn, in NS, with
# its help text; iptables also runs libipt_*.t, ip6tables libip6t_*.t.
rule_files() {
	local ns=$1 ipt f rc=0
	shift
	for ipt; do
		"$ipt" -m toa -h | grep -q '^\[!\] --toa-src ADDR' ||
			fail "$ipt -m toa -h: no help" || rc=1
		for f in userspace/libxt_TOA.t userspace/libxt_toa.t \
			"userspace/lib${ipt%%tables-*}t_TOA.t"; do
			run_rule_file "$ns" "$ipt" "$f" || { fail "$ipt: $f"; rc=1; }
		done
	done
	return $rc
}

# Every option, inversion and refused combination of both plugins, for
# iptables and ip6tables, nft and legacy; the match alone loads the module.
# The nft and the legacy tools run side by side (a few hundred commands),
# each pair in a namespace of its own.
t_match_rule_files() {
	local rc=0 fw
	lsmod | grep -q '^xt_TOA ' && { rmmod xt_TOA || return 1; }
	for fw in nft legacy; do
		ip netns del "rules-$fw" 2>/dev/null
		ip netns add "rules-$fw" || return 1
	done
	in_ns rules-nft iptables-nft -A INPUT -p tcp -m toa --toa-present || return 1
	lsmod | grep -q '^xt_TOA ' || fail "the toa match did not load xt_TOA" || rc=1
	in_ns rules-nft iptables-nft -L INPUT -n | grep -q 'toa present' ||
		fail "iptables -L does not show the match" || rc=1
	in_ns rules-nft iptables-nft -F INPUT
	rule_files rules-nft iptables-nft ip6tables-nft >"$WORK/rules-nft.log" 2>&1 &
	local nft_pid=$!
	rule_files rules-legacy iptables-legacy ip6tables-legacy 2>&1 || rc=1
	wait "$nft_pid" || rc=1
	cat "$WORK/rules-nft.log"
	ip netns del rules-nft
	ip netns del rules-legacy
	return $rc
}

# nftables cannot express a client recorded from a TCP option, nor a kind
# set no helper trusts, nor writing a TOA: iptables-translate must say so
# rather than offer another meaning.
t_match_translate_untranslatable() {
	local ipt got rule
	for ipt in iptables-translate ip6tables-translate; do
		for rule in "-A INPUT -p tcp --dport 80 -m toa --toa-src 198.51.100.0/24 -j DROP" \
			"-t mangle -A PREROUTING -p tcp --dport 80 -j TOA --toa-kind 200,253" \
			"-t mangle -A POSTROUTING -p tcp -j TOA --toa-insert 253/8"; do
			# shellcheck disable=SC2086
			got=$($ipt $rule 2>&1)
			expect_match "$ipt $rule" "$got" "^nft # " || return 1
		done
	done
}
