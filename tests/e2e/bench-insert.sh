# shellcheck shell=bash
# Benchmarks of the relay (issue 5); see tests/e2e/run-bench-in-guest.sh.

# New connections per second forwarded by the proxy namespace as a plain
# relay (DNAT, SNAT), without and with "-j TOA --toa-insert 254/8": ab from
# the client, HTTP/1.0 (a connection per request), 8 at a time, to nginx
# behind the relay with the server's TOA rule.
b_insert_relay() {
	local round mode rate n=${XT_BENCH_CONNS:-1000}
	server_rule || return 1
	trap relay_restore EXIT	# relay_insert sets it too, from the first "with" on
	for ((round = 1; round <= ROUNDS; round++)); do
		for mode in without with; do
			in_ns proxy iptables-nft -t mangle -F
			[[ $mode == with ]] && { relay_insert iptables-nft POSTROUTING 254/8 || return 1; }
			rate=$(in_ns client ab -q -n "$n" -c 8 "http://$VIP:$NGINX_RULED/" 2>&1 |
				awk '/^Requests per second/ { print $4 }')
			[[ -n $rate ]] || fail "ab gave no rate" || return 1
			rates[$mode --toa-insert]+="$rate "
		done
	done
	(($(counter inserted_syn proxy) >= ROUNDS * n)) ||
		fail "inserted_syn $(counter inserted_syn proxy), want $((ROUNDS * n))" || return 1
	bench_report "relay: forwarded connections/s" "without --toa-insert" "with --toa-insert"
}

# The relay with an nftables flowtable (issue 21): instructions per
# connection and per MiB downloaded through it, and the packets that still
# pass its forward hook, without and with --toa-insert, without and with a
# flowtable. --toa-insert keeps each relayed connection's handshake state
# in a conntrack helper's area, and nft's "flow add" takes no connection
# that has a helper: the figures say what the rule costs there.
RELAY_CONFIGS=("relay" "relay, flowtable" "relay, --toa-insert" "relay, flowtable, --toa-insert")

# relay_config CFG: the proxy as a plain relay in configuration CFG; its
# forward hook counts the packets it sees (offloaded ones skip it).
relay_config() {
	local flow=""
	in_ns proxy nft delete table inet xt_bench 2>/dev/null
	in_ns proxy iptables-nft -t mangle -F || return 1
	if [[ $1 == *--toa-insert ]]; then
		relay_insert iptables-nft POSTROUTING 254/8 || return 1
	fi
	trap 'in_ns proxy nft delete table inet xt_bench 2>/dev/null; relay_restore' EXIT
	[[ $1 == *flowtable* ]] && flow="flow add @ft"
	in_ns proxy nft -f - <<-EOF
		table inet xt_bench {
			flowtable ft { hook ingress priority 0; devices = { p0, p1 }; }
			chain forward {
				type filter hook forward priority 0; policy accept;
				meta l4proto tcp counter $flow
			}
		}
	EOF
}

# relay_forwarded: packets through the relay's forward hook so far.
relay_forwarded() {
	in_ns proxy nft list chain inet xt_bench forward | grep -o 'packets [0-9]*' | cut -d' ' -f2
}

b_icount_relay_flowtable() {
	local round cfg order count mib=${XT_ICOUNT_BULK_MIB:-64} n=${XT_BENCH_CONNS:-1000}
	local -A bulk=() hooked=()
	# No rule on the server: what differs is the relay's work alone.
	head -c "${mib}M" /dev/zero >"$WORK/nginx/bulk"
	icount_calibrate && relay_config relay || return 1
	# A warm-up: the first connections through a new relay count 10 times more.
	in_ns client ab -q -n "$n" -c 8 "http://$VIP:$NGINX_RULED/" >/dev/null || return 1
	for ((round = 1; round <= ROUNDS; round++)); do
		mapfile -t order < <(round_configs "$round" "${RELAY_CONFIGS[@]}")
		for cfg in "${order[@]}"; do
			relay_config "$cfg" && count=$(icount_conns "$n") || return 1
			rates[$cfg]+="$count "
			# Anew: the forward hook's counter starts at 0 for the download.
			relay_config "$cfg" && count=$(icount_bulk "$mib") || return 1
			bulk[$cfg]+="$count "
			hooked[$cfg]+="$(awk -v p="$(relay_forwarded)" -v m="$mib" 'BEGIN { print p / m }') "
		done
	done
	rm -f "$WORK/nginx/bulk"
	(($(counter inserted_syn proxy) >= 2 * ROUNDS * (n + 1))) ||
		fail "inserted_syn $(counter inserted_syn proxy), want $((2 * ROUNDS * (n + 1)))" ||
		return 1
	BENCH_RATIO=rate bench_report "relay: instructions per connection" "${RELAY_CONFIGS[@]}"
	for cfg in "${RELAY_CONFIGS[@]}"; do rates[$cfg]=${bulk[$cfg]}; done
	BENCH_RATIO=rate bench_report "relay: instructions per MiB downloaded" "${RELAY_CONFIGS[@]}"
	for cfg in "${RELAY_CONFIGS[@]}"; do rates[$cfg]=${hooked[$cfg]}; done
	bench_report "relay: packets in its forward hook per MiB" "${RELAY_CONFIGS[@]}"
}
