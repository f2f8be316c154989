# shellcheck shell=bash
# Churn and abuse under live TOA connections (issue 8): a SYN flood, the
# server's conntrack table flushed and full, and the module loaded and
# unloaded while traffic flows. Each t_* function is one test, run in a subshell
# by run-in-guest.sh, which also fails it on any kernel complaint.

# A SYN flood through the proxy, each SYN with a TOA of a random client
# (recorded, as the rule trusts the proxy): the server's SYN queue fills
# and it answers with cookies, real clients' connections included; each
# real client is still seen with its own address and port.
t_abuse_syn_flood() {
	local sent0 recv0 i p got flood_pid n=${XT_FLOOD_REQUESTS:-20}
	server_rule && proxy_sends --syn 200 || return 1
	# The flood's SYN-ACKs come back to the proxy itself: drop them, or its
	# RSTs would empty the server's SYN queue.
	in_ns proxy iptables-nft -I INPUT -s "$SERVER" -p tcp --tcp-flags SYN,ACK SYN,ACK -j DROP || return 1
	trap 'pkill -f "$TOOLS/toa-flood"
		in_ns proxy iptables-nft -D INPUT -s "$SERVER" -p tcp --tcp-flags SYN,ACK SYN,ACK -j DROP' EXIT
	sent0=$(tcp_ext server SyncookiesSent) recv0=$(tcp_ext server SyncookiesRecv)
	in_ns proxy "$TOOLS/toa-flood" "$PROXY" "$SERVER" "$NGINX_RULED" >"$WORK/flood.count" &
	flood_pid=$!
	wait_for '(($(tcp_ext server SyncookiesSent) > sent0))' ||
		fail "no SYN cookies sent: the SYN queue never filled" || return 1
	for ((i = 0; i < n; i++)); do
		p=$(sport)
		got=$(curl_nginx "$p" "$VIP" "$NGINX_RULED") &&
			expect_eq "request $i during the flood" "$got" "$CLIENT:$p $NGINX_RULED" || return 1
	done
	pkill -f "$TOOLS/toa-flood" && wait "$flood_pid"
	note "$(<"$WORK/flood.count") SYNs flooded; SYN cookies sent $(($(tcp_ext server SyncookiesSent) - sent0)), validated $(($(tcp_ext server SyncookiesRecv) - recv0)); $n requests"
	# Most went through cookies; a request may find room in the queue.
	(($(tcp_ext server SyncookiesRecv) > recv0)) ||
		fail "no request went through SYN cookies" || return 1
	(($(counter options_recorded) > n)) ||
		fail "options_recorded $(counter options_recorded): the flood's options were not read"
}

# The server's conntrack entries flushed under a live TOA connection: the
# socket keeps its client (stored on the socket, not in the entry); the
# connection goes on. Then a full table (per namespace, against the global
# nf_conntrack_max) drops new connections: the held one still answers
# right, and once there is room again new connections see their client.
t_abuse_conntrack_flush_and_full() {
	local max i p got
	server_rule && proxy_sends --syn 200 || return 1
	held_peer 40030 || return 1
	in_ns server conntrack -F 2>/dev/null
	held_asks "$CLIENT:40030" || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP" "$NGINX_RULED") || return 1
	expect_eq "new connection after the flush" "$got" "$CLIENT:$p $NGINX_RULED" || return 1

	max=$(sysctl -n net.netfilter.nf_conntrack_max)
	sysctl -qw net.netfilter.nf_conntrack_max=2
	for ((i = 0; i < 5; i++)); do
		in_ns client curl -s --max-time 1 -o /dev/null "http://$VIP:$NGINX_RULED/"
	done
	held_asks "$CLIENT:40030"
	local rc=$?
	sysctl -qw net.netfilter.nf_conntrack_max="$max"
	((rc == 0)) || return 1
	# The table's own message, not ours; run-in-guest.sh only fails on
	# warnings, BUGs and the like.
	dmesg | grep -q 'table full, dropping packet' ||
		fail "the conntrack table never filled up" || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP" "$NGINX_RULED") || return 1
	expect_eq "new connection with room again" "$got" "$CLIENT:$p $NGINX_RULED" || return 1
	held_close
}

# XT_ABUSE_CYCLES (100) times: load, add the rule, let traffic through it,
# flush, unload, with a request through the proxy every 50 ms all along.
# Every connection nginx logged is the client's (the rule was in place) or
# the proxy's (it was not): never anything else; and afterwards the client
# is seen again.
t_abuse_load_unload_cycles() {
	local cycles=${XT_ABUSE_CYCLES:-100} i traffic_pid rc=0 before bad p got
	proxy_sends --syn 200 || return 1
	before=$(wc -l <"$WORK/nginx/access.log")
	(
		while :; do
			in_ns client curl -s --max-time 2 -o /dev/null "http://$VIP:$NGINX_RULED/"
			sleep 0.05
		done
	) &
	traffic_pid=$!
	for ((i = 1; i <= cycles; i++)); do
		modprobe xt_TOA && server_rule && sleep 0.2 &&
			in_ns server "$IPT" -t mangle -F && unload_module ||
			{ fail "cycle $i"; rc=1; break; }
	done
	kill "$traffic_pid"
	wait "$traffic_pid" 2>/dev/null
	((rc == 0)) || return 1
	note "$cycles cycles, $(($(wc -l <"$WORK/nginx/access.log") - before)) requests served meanwhile"
	bad=$(tail -n +$((before + 1)) "$WORK/nginx/access.log" |
		grep -v -e "^$CLIENT:[0-9]* $NGINX_RULED\$" -e "^$PROXY:[0-9]* $NGINX_RULED\$")
	[[ -z $bad ]] || fail "nginx logged neither the client nor the proxy: $(head -3 <<<"$bad")" || return 1
	tail -n +$((before + 1)) "$WORK/nginx/access.log" | grep -q "^$CLIENT:" ||
		fail "no request saw the client during the cycles" || return 1

	modprobe xt_TOA && mark_counters && server_rule || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP" "$NGINX_RULED") || return 1
	expect_eq "after the cycles" "$got" "$CLIENT:$p $NGINX_RULED"
}

# XT_CHURN_N (100,000) short TOA connections, one after the other, through
# the relay's --toa-insert: the server's application sees the client in
# every one; the module frees every socket's storage it allocated (its
# counters), and the kernel's unreclaimable slab has not grown once the
# connections' conntrack entries are gone.
t_abuse_many_connections() {
	local n=${XT_CHURN_N:-100000} port=9010 slab0 slab1 start=$SECONDS
	in_ns server "$IPT" -t mangle -A PREROUTING -s "$PROXY/32" -p tcp --dport "$port" -j TOA &&
		relay_insert iptables-nft POSTROUTING 200/8 || return 1
	slab0=$(awk '$1 == "SUnreclaim:" { print $2 }' /proc/meminfo)
	churn_serve "$port" "$n" || return 1
	in_ns client "$TOOLS/toa-churn" connect "$VIP" "$port" "$n" || fail "toa-churn connect failed" || return 1
	churn_verdict || return 1
	note "$n connections in $((SECONDS - start)) s"
	expect_eq sockets_attached "$(counter sockets_attached)" "$n" || return 1
	expect_eq sockets_released "$(counter sockets_released)" "$n" || return 1
	expect_eq "TOA sockets left" "$(in_ns server cat /proc/net/xt_TOA_sockets | wc -l)" 0 || return 1
	in_ns server conntrack -F 2>/dev/null
	in_ns proxy conntrack -F 2>/dev/null
	sleep 2	# conntrack entries and sockets are freed after RCU grace periods
	slab1=$(awk '$1 == "SUnreclaim:" { print $2 }' /proc/meminfo)
	note "unreclaimable slab: $slab0 kB before, $slab1 kB after"
	# A leak of one socket's storage per connection would be over 6 MB.
	# XT_SLAB_CHECK=0 under KASAN, whose quarantine holds freed objects
	# (kmemleak checks there).
	[[ ${XT_SLAB_CHECK:-1} == 0 ]] || ((slab1 - slab0 < 2048)) ||
		fail "unreclaimable slab grew by $((slab1 - slab0)) kB"
}
