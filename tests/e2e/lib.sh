# shellcheck shell=bash
# Helpers for the end-to-end tests, run inside the test VM as root.
#
# Topology (documentation address ranges; the VM has no network device):
#
#   client 198.51.100.2/.3 --- 198.51.100.1 proxy 203.0.113.1 --- 203.0.113.2 server
#
# The proxy DNATs its address 198.51.100.1 to the server and SNATs the
# DNATed connections to 203.0.113.1, like an L4 anti-DDoS proxy; between the
# two, toa-sender (NFQUEUE, independent of xt_TOA) inserts the TOA option.
# Connections made straight to 203.0.113.2 are routed, not NATed: they reach
# the server from the client's own address, outside the proxy's range.

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TOOLS=$TOP/tests/tools
WORK=/tmp/xt-e2e
CLIENT=198.51.100.2
CLIENT2=198.51.100.3
VIP=198.51.100.1
PROXY=203.0.113.1
SERVER=203.0.113.2
IPT=${IPT:-iptables-nft}
# The same roles over IPv6 (proxy NATs IPv6 to IPv6).
CLIENT6=2001:db8:1::2
VIP6=2001:db8:1::1
PROXY6=2001:db8:2::1
SERVER6=2001:db8:2::2

# The address and port a client claims for itself in TOAs of its own.
FORGED=192.0.2.66 FORGED_PORT=6666

# Ports on the server: RULED get a TOA rule, the others do not.
NGINX_RULED=80 NGINX_PLAIN=8080 PEER_RULED=9000 PEER_PLAIN=9001 PEER_DUAL=9006
LOOKUP=9002	# examples/toa-lookup, AF_INET

fail() { echo "# FAIL: $*" >&2; return 1; }
note() { echo "# $*"; }

# in_ns NS CMD...: CMD in network namespace NS. nsenter rather than "ip
# netns exec", which also remounts /sys for each command: under TCG that
# doubles the cost of a short command, and the tests have thousands.
in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }

# wait_for COMMAND [TRIES]: poll COMMAND (eval'd) every 0.1 s, TRIES times
# (default 100: 10 s).
wait_for() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		eval "$1" && return 0
		sleep 0.1
	done
	return 1
}

# sport: a client source port not used before in this run, so that no
# connection ever meets the TIME_WAIT of an earlier test's one.
sport() {
	local n
	n=$(cat "$WORK/sport" 2>/dev/null || echo 41000)
	echo $((n + 1)) >"$WORK/sport"
	echo "$n"
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[[ "$2" == "$3" ]] || fail "$1: got '$2', want '$3'"
}

expect_match() {
	[[ "$2" =~ $3 ]] || fail "$1: got '$2', want a match of '$3'"
}

topology_down() {
	pkill -f "$TOOLS/toa-" 2>/dev/null
	local f
	for f in "$WORK"/holder-*; do
		[[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null
	done
	pkill -f "$TOP/examples/toa-lookup" 2>/dev/null
	[[ -f $WORK/nginx/nginx.pid ]] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null
	for ns in client proxy server ctr1 ctr2 host2 ctrb; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$WORK"
	return 0
}

start_nginx() {
	mkdir -p "$WORK/nginx"
	cat >"$WORK/nginx/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	fastcgi_temp_path $WORK/nginx/fastcgi;
	uwsgi_temp_path $WORK/nginx/uwsgi;
	scgi_temp_path $WORK/nginx/scgi;
	log_format toa '\$remote_addr:\$remote_port \$server_port';
	access_log $WORK/nginx/access.log toa;
	server {
		# A short SYN queue: t_abuse_syn_flood keeps it full, so that
		# its requests get SYN cookies even at a debug kernel's flood rate.
		listen $NGINX_RULED backlog=64;
		listen $NGINX_PLAIN;
		listen [::]:$NGINX_RULED;
		listen [::]:$NGINX_PLAIN;
		location / { return 200 "hello\n"; }
		location /bulk { alias $WORK/nginx/bulk; }	# make bench
	}
}
CONF
	: >"$WORK/nginx/access.log"
	in_ns server nginx -c "$WORK/nginx/nginx.conf" 2>"$WORK/nginx/stderr"
}

# start_peer MODE PORT: toa-peer's server; returns once it listens.
start_peer() {
	local log=$WORK/peer-$2.log
	in_ns server "$TOOLS/toa-peer" serve "$1" "$2" >"$log" 2>&1 &
	wait_for 'grep -q "^listen=" "$log"' ||
		fail "toa-peer serve $1 $2 did not start: $(cat "$log")"
}

# proxy_rules VIP/LEN SERVER PROXY: the proxy's ruleset for one family.
proxy_rules() {
	cat <<-EOF2
		*nat
		-A PREROUTING -d $1 -p tcp -j DNAT --to-destination $2
		-A POSTROUTING -o p1 -m conntrack --ctstate DNAT -j SNAT --to-source $3
		COMMIT
		*mangle
		-A FORWARD -i p0 -p tcp -m connbytes --connbytes 1:8 --connbytes-dir original --connbytes-mode packets -j NFQUEUE --queue-num 0
		COMMIT
	EOF2
}

# Built once for the whole suite (process start-up is slow under TCG);
# tests reset what they change with reset_test.
topology_up() {
	topology_down
	mkdir -p "$WORK"
	for ns in client proxy server; do
		ip netns add "$ns"
		# A process that stays in NS: its /proc/PID/net/xt_TOA is the
		# namespace's, read without starting a process in NS.
		nsenter --net="/run/netns/$ns" sleep infinity &
		echo $! >"$WORK/holder-$ns"
	done
	ip -n client link add c0 type veth peer name p0 netns proxy
	ip -n proxy link add p1 type veth peer name s0 netns server
	ip -n client -batch - <<-EOF2
		link set lo up
		link set c0 up
		addr add $CLIENT/24 dev c0
		addr add $CLIENT2/24 dev c0
		route add default via $VIP
		addr add $CLIENT6/64 dev c0 nodad
		-6 route add default via $VIP6
	EOF2
	ip -n proxy -batch - <<-EOF2
		link set lo up
		link set p0 up
		link set p1 up
		addr add $VIP/24 dev p0
		addr add $PROXY/24 dev p1
		addr add $VIP6/64 dev p0 nodad
		addr add $PROXY6/64 dev p1 nodad
	EOF2
	ip -n server -batch - <<-EOF2
		link set lo up
		link set s0 up
		addr add $SERVER/24 dev s0
		route add default via $PROXY
		addr add $SERVER6/64 dev s0 nodad
		-6 route add default via $PROXY6
	EOF2
	in_ns proxy sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	# A veth queues a packet on the sending CPU's backlog. The client's
	# handshake ACK leaves from the softirq that took the SYN-ACK, its
	# first data from curl on another CPU, whose backlog may run first:
	# the data then reaches the proxy first and carries the handshake's
	# TOA (seen once in CI). Steering the proxy's receive to one CPU
	# keeps the order the client sent them in.
	if (($(nproc) > 1)); then
		ip netns exec proxy sh -c 'echo 1 >/sys/class/net/p0/queues/rx-0/rps_cpus' || return 1
	fi
	# Tests pick the client's source ports from 40000-49999 (sport, held
	# connections); its own connections (11,000 ports: t_netlink_dump_many
	# holds NETLINK_N) must not take one of them, or a request from that
	# port meets a TIME_WAIT socket and fails.
	in_ns client sysctl -qw net.ipv4.ip_local_port_range="50000 60999"

	# The proxy: DNAT, SNAT only what it DNATed, TOA in the SYN and the
	# handshake ACK of each forwarded connection (toa-sender tells them
	# apart, retransmitted SYNs too). The next few packets are queued as
	# well, and pass unchanged, so that data cannot overtake the handshake
	# ACK while it is in user space.
	proxy_rules "$VIP/32" "$SERVER" "$PROXY" | in_ns proxy iptables-nft-restore &&
		proxy_rules "$VIP6/128" "$SERVER6" "$PROXY6" | in_ns proxy ip6tables-nft-restore || return 1

	start_nginx || return 1
	start_peer --v4 "$PEER_RULED" && start_peer --v4 "$PEER_PLAIN" &&
		start_peer --dual "$PEER_DUAL" || return 1
	in_ns server "$TOP/examples/toa-lookup" "$LOOKUP" >"$WORK/lookup.log" 2>&1 &
	wait_for 'grep -q "^listen=" "$WORK/lookup.log"' ||
		fail "toa-lookup did not start: $(cat "$WORK/lookup.log")"
}

# Undo what a test may have changed on the server; zero the counters' view.
# One restore per tool empties its three tables (fewer processes: each
# costs a second under TCG).
reset_test() {
	in_ns server bash -c '
		for ipt in iptables-nft iptables-legacy ip6tables-nft ip6tables-legacy; do
			printf "*mangle\nCOMMIT\n*filter\nCOMMIT\n*raw\nCOMMIT\n" | $ipt-restore
		done
		echo 1 >/proc/sys/net/ipv4/tcp_syncookies' 2>/dev/null
	pkill -f "$TOOLS/toa-sender" 2>/dev/null
	pkill -x tcpdump 2>/dev/null
	mark_counters
	return 0
}

# proxy_sends [toa-sender options]: (re)start the proxy's TOA inserter.
proxy_sends() {
	pkill -f "$TOOLS/toa-sender" 2>/dev/null && sleep 0.2
	rm -f "$WORK/sender.counts"
	in_ns proxy "$TOOLS/toa-sender" --queue 0 --count-file "$WORK/sender.counts" "$@" \
		>"$WORK/sender.log" 2>"$WORK/sender.err" &
	wait_for '[[ -s $WORK/sender.counts ]]' ||
		fail "toa-sender did not bind queue 0: $(cat "$WORK/sender.err")"
}

# client_sends IPT [--handshake] [toa-sender options]: the client's own
# SYNs go through toa-sender (crafted options), in the client namespace;
# with --handshake its handshake ACKs too (toa-sender's --ack), and the
# next packets pass through it unchanged, so that none overtakes the ACK.
client_sends() {
	local ipt=$1 queue=(-p tcp --syn)
	shift
	if [[ ${1:-} == --handshake ]]; then
		shift
		queue=(-p tcp -m connbytes --connbytes 1:8 --connbytes-dir original --connbytes-mode packets)
	fi
	in_ns client "$ipt" -t mangle -A OUTPUT "${queue[@]}" --dport "$NGINX_RULED" \
		-j NFQUEUE --queue-num 0 || return 1
	rm -f "$WORK/client-sender.counts"
	in_ns client "$TOOLS/toa-sender" --queue 0 --count-file "$WORK/client-sender.counts" "$@" \
		>"$WORK/client-sender.log" 2>&1 &
	wait_for '[[ -s $WORK/client-sender.counts ]]' ||
		fail "client toa-sender did not start: $(cat "$WORK/client-sender.log")"
}

# rules_refused RULE...: each rule (iptables arguments in one string) is
# refused by iptables-nft and by iptables-legacy in the server's namespace.
rules_refused() {
	local args ipt out
	for args; do
		for ipt in iptables-nft iptables-legacy; do
			# shellcheck disable=SC2086
			if out=$(in_ns server "$ipt" $args 2>&1); then
				fail "$ipt $args was accepted" || return 1
			fi
			note "$ipt $args: $out"
		done
	done
}

# server_rule [iptables args after -j TOA]: the rule under test, trusting
# only the proxy's address, in the mangle table (RULE_TABLE=raw: the
# conntrack-free rule).
server_rule() {
	in_ns server "$IPT" -t "${RULE_TABLE:-mangle}" -A PREROUTING -s "$PROXY/32" -p tcp \
		-m multiport --dports "$NGINX_RULED,$PEER_RULED,$PEER_DUAL,$LOOKUP" -j TOA "$@"
}

# server_rule6 [args after -j TOA]: the IPv6 rule, trusting the proxy.
server_rule6() {
	in_ns server "${IPT/iptables/ip6tables}" -t "${RULE_TABLE:-mangle}" -A PREROUTING -s "$PROXY6/128" -p tcp \
		-m multiport --dports "$NGINX_RULED,$PEER_RULED,$PEER_DUAL" -j TOA "$@"
}

# unload_module: rmmod xt_TOA, retried while flushed nftables rules let go
# of it (nf_tables frees them after the transaction).
unload_module() {
	local i
	lsmod | grep -q '^xt_TOA ' || return 0
	for ((i = 0; i < 50; i++)); do
		rmmod xt_TOA 2>/dev/null && return 0
		sleep 0.1
	done
	fail "rmmod xt_TOA: $(rmmod xt_TOA 2>&1)"
}

# probed: the kernel functions probed now, from debugfs, one line.
probed() {
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug || return 1
	awk '{ sub(/\+.*/, "", $3); print $3 }' /sys/kernel/debug/kprobes/list | sort -u | xargs
}

# ask_peer [--sport P] HOST PORT: the line toa-peer's server sends first.
ask_peer() {
	in_ns client "$TOOLS/toa-peer" ask "$@"
}

# mapped_client_seen WHAT PORT LOCAL SENDER-SPEC...: with the proxy
# inserting SENDER-SPEC, a dual-stack toa-peer reached at VIP:PORT sees
# the IPv4 client as a v4-mapped address, its own address being LOCAL
# (IPV4:PORT).
mapped_client_seen() {
	local what=$1 port=$2 local=$3 got p
	shift 3
	proxy_sends "$@" || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP" "$port") || return 1
	expect_eq "$what" "$got" \
		"accept=[::ffff:$CLIENT]:$p peer=[::ffff:$CLIENT]:$p local=[::ffff:${local%:*}]:${local##*:}"
}

# hold SPORT HOST PORT: a connection to toa-peer's server held open on
# coproc HELD; held_line is what the server's application saw first.
hold() {
	coproc HELD { in_ns client "$TOOLS/toa-peer" hold --sport "$1" "$2" "$3"; }
	read -r -t 30 held_line <&"${HELD[0]}" || fail "held connection did not answer"
}

# held_peer SPORT: hold, through the proxy to the ruled port, seen with
# the client.
held_peer() {
	hold "$1" "$VIP" "$PEER_RULED" &&
		expect_eq "held connection" "$held_line" \
			"accept=$CLIENT:$1 peer=$CLIENT:$1 local=$SERVER:$PEER_RULED"
}

# held_asks WANT [CMD]: after toa-peer's command CMD (q: getpeername(); A:
# IPV6_ADDRFORM, then getpeername()), the held connection's peer against WANT.
held_asks() {
	local line
	echo "${2:-q}" >&"${HELD[1]}"
	read -r -t 30 line <&"${HELD[0]}" || fail "held connection died" || return 1
	expect_match "held connection, getpeername() after ${2:-q}" "$line" "^peer=$1\$"
}

held_close() {
	exec {HELD[1]}>&-
	wait "$HELD_PID" 2>/dev/null || true
}

# churn_serve PORT N: toa-churn's server in the server's namespace, for
# N connections that must all come from $CLIENT; returns once it listens.
churn_serve() {
	in_ns server "$TOOLS/toa-churn" serve "$1" "$2" "$CLIENT" >"$WORK/churn.out" 2>&1 &
	churn_pid=$!
	wait_for 'grep -q listening "$WORK/churn.out"' || fail "toa-churn serve did not start"
}

# churn_verdict: whether toa-churn's server saw $CLIENT in each of its N
# connections. Not waited for forever: connections that never came leave
# it in accept().
churn_verdict() {
	wait_for '! kill -0 "$churn_pid" 2>/dev/null' ||
		{ pkill -f "$TOOLS/toa-churn"; fail "the server did not accept them all"; return 1; }
	wait "$churn_pid" || fail "the server saw: $(tail -n 1 "$WORK/churn.out")"
}

# curl_nginx SPORT HOST PORT: what nginx logged for one request.
curl_nginx() {
	local before i err host=$2
	before=$(wc -l <"$WORK/nginx/access.log")
	[[ $host == *:* ]] && host="[$host]"
	err=$(in_ns client curl -sS --max-time 10 --local-port "$1" "http://$host:$3/" 2>&1 >/dev/null) ||
		fail "curl from port $1 to $2:$3 failed: $err; nginx's error log ends: $(tail -n 2 "$WORK/nginx/error.log")" ||
		return 1
	for ((i = 0; i < 50; i++)); do
		(($(wc -l <"$WORK/nginx/access.log") > before)) && break
		sleep 0.1
	done
	tail -n 1 "$WORK/nginx/access.log"
}

# rule_packets NS IPT CHAIN PATTERN: packets counted by the rule of CHAIN
# (filter table) whose saved form contains PATTERN.
rule_packets() {
	in_ns "$1" "$2-save" -c -t filter 2>/dev/null | grep -F -- "-A $3 " | grep -F -- "$4" |
		sed -n 's/^\[\([0-9]*\):.*/\1/p'
}

# curl_from SRC SPORT HOST PORT: one request from client address SRC;
# fails if it gets no answer within 2 s.
curl_from() {
	in_ns client curl -s --max-time 2 --interface "$1" --local-port "$2" "http://$3:$4/" >/dev/null
}

# mark_counters: remember each namespace's counters; counter NAME [NS]
# then reports the change since (module reloads reset them: mark again).
mark_counters() {
	local f ns
	for f in "$WORK"/holder-*; do
		ns=${f##*/holder-}
		{ echo "none 0"; ns_counters "$ns"; } >"$WORK/mark-$ns"
	done
}

# ns_counters NS: NS's /proc/net/xt_TOA, through its holder process.
ns_counters() {
	local pid
	pid=$(<"$WORK/holder-$1") && cat "/proc/$pid/net/xt_TOA" 2>/dev/null
}

counter() {
	local ns=${2:-server}
	ns_counters "$ns" |
		awk -v n="$1" 'NR == FNR { base[$1] = $2; next } $1 == n { print $2 - base[$1] }' \
			"$WORK/mark-$ns" -
}

# tcp_ext NS NAME: NS's TcpExt counter NAME (nstat's names).
tcp_ext() {
	awk -v n="$2" '$1 == "TcpExt:" { if (!h) { split($0, k); h = 1 } else for (i = 2; i <= NF; i++) if (k[i] == n) print $i }' \
		"/proc/$(<"$WORK/holder-$1")/net/netstat"
}

dump_counters() {
	ns_counters server | sed 's/^/#   /'
}

# install_stage: what "make install DESTDIR=$XT_STAGE" staged on the host
# (depmod already run there: a full depmod over 9p takes minutes under
# TCG), into the guest's root.
install_stage() {
	local xtlibdir
	xtlibdir=$(pkg-config --variable=xtlibdir xtables)
	cp -r "$XT_STAGE/lib/modules/$(uname -r)/." "/lib/modules/$(uname -r)/" &&
		cp "$XT_STAGE$xtlibdir"/libxt_*.so "$xtlibdir/" &&
		cp "$XT_STAGE/usr/sbin/toactl" /usr/sbin/
}

# relay_insert IPT CHAIN FORMAT: the proxy becomes a plain iptables relay,
# its NFQUEUE sender rules giving way to one --toa-insert rule; the whole setup
# is restored when the (sub)shell exits. For tests-insert.sh and
# bench-insert.sh.
relay_insert() {
	trap relay_restore EXIT
	in_ns proxy "$1" -t mangle -F &&
		in_ns proxy "$1" -t mangle -A "$2" -o p1 -p tcp -m conntrack --ctstate DNAT \
			-j TOA --toa-insert "$3"
}

relay_restore() {
	pkill -f "$TOOLS/toa-sender" 2>/dev/null
	in_ns client ethtool -K c0 tx on >/dev/null 2>&1
	in_ns client iptables-nft -t mangle -F
	in_ns client ip6tables-nft -t mangle -F
	proxy_rules "$VIP/32" "$SERVER" "$PROXY" | in_ns proxy iptables-nft-restore
	proxy_rules "$VIP6/128" "$SERVER6" "$PROXY6" | in_ns proxy ip6tables-nft-restore
}
