# shellcheck shell=bash
# Benchmarks of the server (issue 8); see tests/e2e/run-bench-in-guest.sh.
# The server runs in six configurations, interleaved in each round: no
# module, the module loaded without a rule, the TOA rule on the port,
# "conntrack only": no module and a stateful rule, since a TOA rule turns
# conntrack on in the server's namespace, which costs every new connection
# there with or without xt_TOA; "TOA rule, lo untracked": what an
# operator does against that cost for traffic that needs no tracking, here
# loopback; and "TOA rule, raw table": the rule without conntrack
# (--toa-from ack). The packets are the same in all six: toa-sender, in
# the proxy and independent of xt_TOA, inserts the option into the SYN and
# the handshake ACK.

SERVER_CONFIGS=("no module" "loaded, no rule" "TOA rule" "conntrack only" "TOA rule, lo untracked"
	"TOA rule, raw table")

# round_configs ROUND CONFIG...: the configurations in the order of ROUND,
# rotated each round so that none always runs first (after a module load,
# say).
round_configs() {
	local round=$1 i
	shift
	local configs=("$@")
	for ((i = 0; i < $#; i++)); do
		echo "${configs[(i + round) % $#]}"
	done
}

# server_config CFG: the server in configuration CFG.
server_config() {
	in_ns server "$IPT" -t mangle -F && in_ns server "$IPT" -t raw -F
	case $1 in
	"no module") unload_module ;;
	"loaded, no rule") unload_module && modprobe xt_TOA ;;
	"TOA rule") server_rule ;;
	"conntrack only") unload_module && conntrack_rule ;;
	"TOA rule, lo untracked")
		server_rule && in_ns server "$IPT" -t raw -A PREROUTING -i lo -j CT --notrack &&
			in_ns server "$IPT" -t raw -A OUTPUT -o lo -j CT --notrack ;;
	# No conntrack in the server's namespace (toa_untracked.c).
	"TOA rule, raw table") RULE_TABLE=raw server_rule --toa-from ack ;;
	esac
}

# conntrack_rule: conntrack on in the server's namespace, without xt_TOA.
conntrack_rule() {
	in_ns server "$IPT" -t mangle -A PREROUTING -p tcp -m conntrack --ctstate INVALID -j DROP
}

# New connections per second through nginx: ab from the client through the
# proxy, HTTP/1.0 (Connection: close), 8 at a time.
b_server_conn_rate() {
	local round cfg rate order n=${XT_BENCH_CONNS:-1000}
	proxy_sends --syn 200 --ack 200 || return 1
	for ((round = 1; round <= ROUNDS; round++)); do
		mapfile -t order < <(round_configs "$round" "${SERVER_CONFIGS[@]}")
		for cfg in "${order[@]}"; do
			server_config "$cfg" || return 1
			rate=$(in_ns client ab -q -n "$n" -c 8 "http://$VIP:$NGINX_RULED/" 2>&1 |
				awk '/^Requests per second/ { print $4 }')
			[[ -n $rate ]] || fail "ab gave no rate" || return 1
			rates[$cfg]+="$rate "
		done
	done
	# With the rule, nginx saw the client every time.
	(($(grep -c "^$CLIENT:" "$WORK/nginx/access.log") >= ROUNDS * n)) ||
		fail "nginx saw the client $(grep -c "^$CLIENT:" "$WORK/nginx/access.log") times" || return 1
	bench_report "server: new connections/s (nginx)" "${SERVER_CONFIGS[@]}"
}

# getname_bench SETUP WHAT CONFIG...: toa-getname-bench over loopback in
# the server's namespace, after "SETUP CONFIG" for each configuration of
# each round; reports getpeername() and accept() under WHAT.
getname_bench() {
	local setup=$1 what=$2 round cfg out order
	local -A accepts=()
	shift 2
	for ((round = 1; round <= ROUNDS; round++)); do
		mapfile -t order < <(round_configs "$round" "$@")
		for cfg in "${order[@]}"; do
			"$setup" "$cfg" || return 1
			out=$(in_ns server "$TOOLS/toa-getname-bench" 200000 2000) || return 1
			rates[$cfg]+="$(awk '$1 == "getpeername" { print $2 }' <<<"$out") "
			accepts[$cfg]+="$(awk '$1 == "accept" { print $2 }' <<<"$out") "
		done
	done
	bench_report "$what: getpeername(), ns per call" "$@"
	for cfg; do rates[$cfg]=${accepts[$cfg]}; done
	bench_report "$what: connect+accept(addr)+close per s" "$@"
}

# accept() and getpeername() on sockets without TOA (loopback in the
# server's namespace, which the rule does not select): the probes' cost
# for every other socket on the host.
b_server_sockets_without_toa() {
	getname_bench server_config "no TOA" "${SERVER_CONFIGS[@]}"
}

# Bulk throughput of one long TOA connection: a 128 MiB download from
# nginx through the proxy, in MB/s.
b_server_bulk() {
	local round cfg speed order
	proxy_sends --syn 200 --ack 200 || return 1
	head -c 128M /dev/zero >"$WORK/nginx/bulk"
	for ((round = 1; round <= ROUNDS; round++)); do
		mapfile -t order < <(round_configs "$round" "${SERVER_CONFIGS[@]}")
		for cfg in "${order[@]}"; do
			server_config "$cfg" || return 1
			speed=$(in_ns client curl -s -o /dev/null -w '%{speed_download}' \
				"http://$VIP:$NGINX_RULED/bulk") || fail "download failed" || return 1
			rates[$cfg]+="$(awk -v s="$speed" 'BEGIN { print s / 1e6 }') "
		done
	done
	rm -f "$WORK/nginx/bulk"
	bench_report "server: one connection's download, MB/s" "${SERVER_CONFIGS[@]}"
}
