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
