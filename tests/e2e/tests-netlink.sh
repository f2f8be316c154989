# shellcheck shell=bash
# End-to-end tests of the generic netlink interface and toactl (issue 6).
# Sourced by run-in-guest.sh; each t_netlink_* function is one test.

TOACTL=/usr/sbin/toactl	# as installed (run-in-guest.sh checks it is there)
HOLD_PORT=9010		# toa-hold's server: thousands of idle TOA sockets
NETLINK_N=${XT_NETLINK_N:-10000}

# A hung toactl fails the test instead of the whole run.
toactl() { in_ns "${NS:-server}" timeout 120 "$TOACTL" "$@"; }

# As nobody, without capabilities, in the server's namespace.
toactl_nobody() {
	in_ns server setpriv --reuid=65534 --regid=65534 --clear-groups timeout 120 "$TOACTL" "$@"
}

# keep_http SPORT HOST PORT: an HTTP/1.1 request to nginx from SPORT, its
# connection kept open until stdin closes (run it as a coproc).
keep_http() {
	in_ns client python3 -c '
import socket, sys
host, sport, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
s.connect((host, port))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(4096)
print("answered", flush=True)
sys.stdin.read()
' "$2" "$1" "$3" 2>&1
}

# server_peer_of FAMILY LOCAL_PORT: the peer (the proxy's address:port) of
# the one established connection of that family to the server's port.
server_peer_of() {
	in_ns server ss -Htn "-$1" state established "( sport = :$2 )" | awk '{ print $4 }'
}

# The real client of each connection, as toactl finds it by the 4-tuple
# the server sees, is what nginx logged for it; both families. A
# connection without TOA, and one in another namespace, are not found.
t_netlink_lookup_matches_nginx() {
	local p line peer got want fam vip local_addr logged addr
	server_rule && server_rule6 || return 1
	for fam in 4 6; do
		if [[ $fam == 4 ]]; then
			proxy_sends --syn 200 || return 1
			vip=$VIP local_addr=$SERVER:$NGINX_RULED want="ipv4 200/8"
		else
			proxy_sends --syn 254v6 || return 1
			vip=$VIP6 local_addr=[$SERVER6]:$NGINX_RULED want="ipv6 254/20"
		fi
		: >"$WORK/nginx/access.log"
		p=$(sport)
		coproc HTTP { keep_http "$p" "$vip" "$NGINX_RULED"; }
		read -r -t 30 line <&"${HTTP[0]}" || fail "IPv$fam: no HTTP answer" || return 1
		wait_for '[[ -s $WORK/nginx/access.log ]]' || fail "nginx logged nothing" || return 1
		line=$(tail -n 1 "$WORK/nginx/access.log")
		peer=$(server_peer_of "$fam" "$NGINX_RULED")
		note "IPv$fam: nginx logged '$line'; the server sees $local_addr $peer"
		# nginx's "$remote_addr:$remote_port", with brackets for IPv6.
		logged=${line% *}
		addr=${logged%:*}
		[[ $addr == *:* ]] && addr="[$addr]"
		expect_match "nginx saw the client" "$addr:${logged##*:}" "^\\[?($CLIENT|$CLIENT6)\\]?:$p\$" || return 1
		expect_match "IPv$fam proxy side" "$peer" "^\\[?($PROXY|$PROXY6)\\]?:[0-9]+\$" || return 1

		got=$(toactl lookup "$local_addr" "$peer") || fail "IPv$fam lookup failed" || return 1
		note "toactl lookup: $got"
		expect_eq "lookup = nginx" "$got" "$addr:${logged##*:} $want" || return 1
		got=$(toactl --json lookup "$local_addr" "$peer" |
			jq -r '"\(.client) \(.client_family) \(.kind)/\(.option_length) \(.local) \(.peer)"')
		expect_eq "--json lookup" "$got" "$addr:${logged##*:} $want $local_addr $peer" || return 1
		if got=$(NS=client toactl lookup "$local_addr" "$peer" 2>&1); then
			fail "the client namespace found the server's connection: $got" || return 1
		fi
		expect_match "other namespace" "$got" "no such connection" || return 1
		exec {HTTP[1]}>&-
		wait "$HTTP_PID" 2>/dev/null
	done

	p=$(sport)
	coproc PLAIN { keep_http "$p" "$VIP" "$NGINX_PLAIN"; }
	read -r -t 30 line <&"${PLAIN[0]}" || fail "no HTTP answer on $NGINX_PLAIN" || return 1
	peer=$(server_peer_of 4 "$NGINX_PLAIN")
	got=$(toactl lookup "$SERVER:$NGINX_PLAIN" "$peer" 2>&1)
	note "without TOA: $got"
	expect_eq "connection without TOA" "$got" "toactl: lookup: the connection carries no TOA" || return 1
	exec {PLAIN[1]}>&-
	wait "$PLAIN_PID" 2>/dev/null
	return 0
}

# NAT64: an AF_INET socket keeps the proxy's address, toactl answers the
# IPv6 client by the tuple that socket shows.
t_netlink_nat64_lookup() {
	local peer got
	server_rule && proxy_sends --syn 254v6 --addr 2001:db8:1::99 --port 4243 || return 1
	hold "$(sport)" "$VIP" "$PEER_RULED" || return 1
	expect_match "AF_INET socket" "$held_line" "^accept=$PROXY:[0-9]+ " || return 1
	peer=${held_line#accept=}
	peer=${peer%% *}
	got=$(toactl lookup "$SERVER:$PEER_RULED" "$peer") || return 1
	expect_eq "NAT64 client" "$got" "[2001:db8:1::99]:4243 ipv6 254/20" || return 1
	got=$(toactl --json lookup "$SERVER:$PEER_RULED" "$peer" | jq -r '"\(.client) \(.client_family)"')
	expect_eq "NAT64 client, json" "$got" "[2001:db8:1::99]:4243 ipv6" || return 1
	held_close
}

# toactl stats reads what /proc/net/xt_TOA shows, per namespace, for
# anyone, and hooks_missed (all namespaces: not in the per-namespace file).
t_netlink_counters_match_proc() {
	local a b
	server_rule && proxy_sends --syn 200 || return 1
	curl_nginx "$(sport)" "$VIP" "$NGINX_RULED" >/dev/null || return 1
	ask_peer --sport "$(sport)" "$VIP" "$PEER_RULED" >/dev/null || return 1
	# The closed connections' sockets go away asynchronously.
	wait_for '[[ $(counter sockets_released) == 2 ]]' || fail "sockets not released" || return 1
	a=$(in_ns server cat /proc/net/xt_TOA)
	b=$(toactl stats) || return 1
	expect_match "hooks_missed, last" "$(tail -n 1 <<<"$b")" "^hooks_missed [0-9]+\$" || return 1
	expect_eq "toactl stats = /proc/net/xt_TOA" "$(head -n -1 <<<"$b")" "$a" || return 1
	expect_match "counters moved" "$b" "options_recorded [1-9]" || return 1
	b=$(toactl --json stats | jq -r 'to_entries[] | "\(.key) \(.value)"' | grep -v '^hooks_missed ')
	expect_eq "--json stats" "$b" "$a" || return 1
	a=$(in_ns client cat /proc/net/xt_TOA)
	b=$(NS=client toactl stats | head -n -1) || return 1
	expect_eq "client namespace" "$b" "$a" || return 1
	b=$(toactl_nobody stats) || fail "nobody cannot read the counters" || return 1
	expect_eq "stats as nobody" "$(head -n -1 <<<"$b")" "$(in_ns server cat /proc/net/xt_TOA)"
}

# Lookup and list tell who is behind each connection: CAP_NET_ADMIN only.
# Without the module, toactl says so.
t_netlink_permissions_and_not_loaded() {
	local out rc
	if out=$(toactl_nobody lookup "$SERVER:80" "$PROXY:1234" 2>&1); then
		fail "nobody could look up: $out" || return 1
	fi
	note "lookup as nobody: $out"
	expect_match "lookup as nobody" "$out" "permission denied: needs CAP_NET_ADMIN" || return 1
	if out=$(toactl_nobody list 2>&1); then
		fail "nobody could list: $out" || return 1
	fi
	expect_match "list as nobody" "$out" "permission denied: needs CAP_NET_ADMIN" || return 1
	# The proc file lists the same: mode 0400, and CAP_NET_ADMIN for root.
	if out=$(in_ns server setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/net/xt_TOA_sockets 2>&1); then
		fail "nobody could read /proc/net/xt_TOA_sockets: $out" || return 1
	fi
	expect_match "proc file as nobody" "$out" "Permission denied" || return 1
	if out=$(in_ns server setpriv --inh-caps=-net_admin --bounding-set=-net_admin cat /proc/net/xt_TOA_sockets 2>&1); then
		fail "root without CAP_NET_ADMIN could read /proc/net/xt_TOA_sockets: $out" || return 1
	fi
	expect_match "proc file without CAP_NET_ADMIN" "$out" "Operation not permitted" || return 1

	rmmod xt_TOA || fail "cannot unload xt_TOA" || return 1
	out=$(toactl stats 2>&1)
	rc=$?
	modprobe xt_TOA && mark_counters
	note "without the module: $out (exit $rc)"
	expect_eq "exit status without the module" "$rc" 1 || return 1
	expect_eq "without the module" "$out" 'toactl: xt_TOA is not loaded (no generic netlink family "xt_TOA")'
}

# Malformed requests are refused with the right error, never a crash
# (run-in-guest.sh fails the test on any kernel complaint).
t_netlink_malformed_requests() {
	local out
	modprobe xt_TOA || return 1
	out=$(in_ns server timeout 120 "$TOOLS/toa-genl-bad") || { echo "$out"; fail "toa-genl-bad"; return 1; }
	echo "$out" | sed 's/^/# /'
	expect_match "toa-genl-bad" "$(tail -n 1 <<<"$out")" "^[0-9]+ passed, 0 failed\$"
}

# dump_many_checks: what t_netlink_dump_many checks once the connections
# are up.
dump_many_checks() {
	local t0 t1 n
	t0=$(date +%s%N)
	toactl list >"$WORK/list.txt" 2>"$WORK/list.err" || fail "toactl list: $(cat "$WORK/list.err")" || return 1
	t1=$(date +%s%N)
	note "toactl list of $NETLINK_N sockets: $(((t1 - t0) / 1000000)) ms"
	[[ -s $WORK/list.err ]] && fail "toactl list warned: $(cat "$WORK/list.err")" && return 1
	expect_eq "list entries" "$(($(wc -l <"$WORK/list.txt") - 1))" "$NETLINK_N" || return 1
	expect_eq "distinct connections" "$(tail -n +2 "$WORK/list.txt" | cut -d' ' -f1,2 | sort -u | wc -l)" "$NETLINK_N" || return 1
	# The same set as the proc file (IPv4 only here: identical formats).
	tail -n +2 "$WORK/list.txt" | sed 's|/8$||' | sort >"$WORK/list.sorted"
	in_ns server sort /proc/net/xt_TOA_sockets >"$WORK/proc.sorted"
	cmp -s "$WORK/list.sorted" "$WORK/proc.sorted" ||
		fail "list and /proc/net/xt_TOA_sockets differ: $(diff "$WORK/list.sorted" "$WORK/proc.sorted" | head -4)" || return 1
	# Each client is one of the connections the client holds, each once.
	in_ns client ss -Htn state established "( dport = :$HOLD_PORT )" | awk '{ print $3 }' | sort >"$WORK/client.sorted"
	awk '{ print $3 }' "$WORK/list.sorted" | sort >"$WORK/clients.sorted"
	cmp -s "$WORK/client.sorted" "$WORK/clients.sorted" ||
		fail "clients differ from the client's sockets: $(diff "$WORK/client.sorted" "$WORK/clients.sorted" | head -4)" || return 1
	t0=$(date +%s%N)
	n=$(toactl --json list | jq length)
	t1=$(date +%s%N)
	note "toactl --json list: $(((t1 - t0) / 1000000)) ms (with jq)"
	expect_eq "--json list" "$n" "$NETLINK_N"
}

# NETLINK_N connections held open through the proxy: the dump lists each
# TOA socket once, the same set as /proc/net/xt_TOA_sockets, and each
# client is the address and port the client really used; no "changed"
# warning. The sockets are all gone at the end, for the tests that follow.
t_netlink_dump_many() {
	local line t0 n i srv_pid rc=1
	sysctl -qw net.netfilter.nf_conntrack_max=$((4 * NETLINK_N + 65536))
	in_ns server "$IPT" -t mangle -A PREROUTING -s "$PROXY/32" -p tcp --dport "$HOLD_PORT" -j TOA || return 1
	# The relay's in-kernel insertion, not toa-sender: each packet through
	# NFQUEUE would take a trip to user space, twice per connection.
	relay_insert iptables-nft POSTROUTING 200/8 || return 1
	# Not through in_ns: $! must be toa-hold itself (ip execs it), to end it.
	ip netns exec server "$TOOLS/toa-hold" serve "$HOLD_PORT" >"$WORK/hold-serve.log" 2>&1 &
	srv_pid=$!
	wait_for 'grep -q "^listen=" "$WORK/hold-serve.log"' || fail "toa-hold serve did not start" || return 1

	t0=$SECONDS
	# Progress goes to the host's tests/out, to watch a long run.
	coproc MANY { in_ns client "$TOOLS/toa-hold" connect "$VIP" "$HOLD_PORT" "$NETLINK_N" 2>"$TOP/tests/out/netlink-hold.log"; }
	if read -r -t 900 line <&"${MANY[0]}" &&
		expect_eq "toa-hold connect" "$line" "connected=$NETLINK_N failed=0"; then
		for ((i = 0; i < 120; i++)); do
			n=$(in_ns server cat /proc/net/xt_TOA_sockets | wc -l)
			((n >= NETLINK_N)) && break
			sleep 1
		done
		note "$NETLINK_N connections through the proxy in $((SECONDS - t0)) s; $n TOA sockets on the server"
		expect_eq "TOA sockets on the server" "$n" "$NETLINK_N" && dump_many_checks
		rc=$?
	fi

	kill "$srv_pid"
	exec {MANY[1]}>&-
	wait "$MANY_PID" 2>/dev/null
	t0=$SECONDS
	for ((i = 0; i < 120; i++)); do
		n=$(in_ns server cat /proc/net/xt_TOA_sockets | wc -l)
		((n == 0)) && break
		sleep 1
	done
	note "all closed in $((SECONDS - t0)) s"
	expect_eq "TOA sockets left" "$n" 0 && return "$rc"
}
