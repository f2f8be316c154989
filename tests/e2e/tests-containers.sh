# shellcheck shell=bash
# End-to-end tests of containers (issue 17): the TOA rule in the host's
# namespace, the application in a container's.
#
# The suite's server namespace becomes a container host, Docker's way: a
# bridge docker0 (172.17.0.1/16, fd00:17::1/64), containers ctr1
# (172.17.0.2) and ctr2 (172.17.0.3) on veth pairs, each running toa-peer
# on port 80, and Docker's own publish rules: port 8081 to ctr1, 8082 to
# ctr2, and 8083 to ctr1 the kube-proxy way (NodePort, masqueraded). The
# proxy's connections reach them as VIP:808x -> proxy DNAT/SNAT -> host
# DNAT -> veth. A second host, host2 (a namespace of its own, no TOA
# rule), has a container ctrb with the same addresses as ctr1.

CTR1=172.17.0.2 CTR2=172.17.0.3 CTR1_6=fd00:17::2 CTR2_6=fd00:17::3
PUB_TOA=8081 PUB_PLAIN=8082 PUB_MASQ=8083

# docker_rules FAMILY-PREFIX CTR1 CTR2 SUBNET: Docker's nat table (as
# dockerd writes it) with two published ports, and a kube-proxy-style
# NodePort that also masquerades.
docker_rules() {
	cat <<-EOF2
		*nat
		:DOCKER - [0:0]
		-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
		-A OUTPUT ! -d $5 -m addrtype --dst-type LOCAL -j DOCKER
		-A POSTROUTING -s $4 ! -o docker0 -j MASQUERADE
		-A POSTROUTING -o docker0 -p tcp -m conntrack --ctorigdstport $PUB_MASQ -j MASQUERADE
		-A DOCKER -i docker0 -j RETURN
		-A DOCKER ! -i docker0 -p tcp -m tcp --dport $PUB_TOA -j DNAT --to-destination $1$2$3:80
		-A DOCKER ! -i docker0 -p tcp -m tcp --dport $PUB_MASQ -j DNAT --to-destination $1$2$3:80
		-A DOCKER ! -i docker0 -p tcp -m tcp --dport $PUB_PLAIN -j DNAT --to-destination $1$6$3:80
		COMMIT
	EOF2
}

# containers_up: once per run; the tests share the containers.
containers_up() {
	local i ns
	[[ -f $WORK/containers-up ]] && return 0
	in_ns server ip link add docker0 type bridge &&
		in_ns server ip addr add 172.17.0.1/16 dev docker0 &&
		in_ns server ip addr add fd00:17::1/64 dev docker0 nodad &&
		in_ns server ip link set docker0 up || return 1
	for i in 1 2; do
		ns=ctr$i
		ip netns add $ns &&
			ip -n server link add veth$i type veth peer name eth0 netns $ns &&
			ip -n server link set veth$i master docker0 up || return 1
		ip -n $ns -batch - <<-EOF2 || return 1
			link set lo up
			link set eth0 up
			addr add 172.17.0.$((i + 1))/16 dev eth0
			route add default via 172.17.0.1
			addr add fd00:17::$((i + 1))/64 dev eth0 nodad
			route add ::/0 via fd00:17::1
		EOF2
		nsenter --net="/run/netns/$ns" sleep infinity &
		echo $! >"$WORK/holder-$ns"
		in_ns $ns "$TOOLS/toa-peer" serve --dual 80 >"$WORK/peer-$ns.log" 2>&1 &
		wait_for 'grep -q "^listen=" "$WORK/peer-$ns.log"' ||
			fail "toa-peer in $ns did not start: $(cat "$WORK/peer-$ns.log")" || return 1
	done
	in_ns server sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
	docker_rules "" "$CTR1" "" 172.17.0.0/16 127.0.0.0/8 "$CTR2" | in_ns server iptables-nft-restore -n &&
		docker_rules "[" "$CTR1_6" "]" fd00:17::/64 ::1/128 "$CTR2_6" |
		in_ns server ip6tables-nft-restore -n || return 1
	touch "$WORK/containers-up"
	mark_counters
	return 0
}

# host_rule: the operator's rule on the host, for the ports
# the proxy's traffic is published on (both families).
host_rule() {
	in_ns server iptables-nft -t mangle -A PREROUTING -s "$PROXY" -p tcp \
		-m multiport --dports "$PUB_TOA,$PUB_MASQ" -j TOA &&
		in_ns server ip6tables-nft -t mangle -A PREROUTING -s "$PROXY6" -p tcp \
			-m multiport --dports "$PUB_TOA,$PUB_MASQ" -j TOA
}

# ctr1_sees_client WHAT PORT SENDER-SPEC...: ctr1's application sees the
# client of a connection to the host's published PORT.
ctr1_sees_client() {
	mapped_client_seen "$1" "$2" "$CTR1:80" "${@:3}"
}

# The published port with the host's rule gives the container the
# client, with the option in the SYN, in the ACK, in both; the port
# published without a rule keeps the proxy; counters on each side.
t_container_docker_publish() {
	local spec got
	containers_up && host_rule || return 1
	for spec in "--syn 200" "--ack 200" "--syn 254 --ack 254"; do
		# shellcheck disable=SC2086
		ctr1_sees_client "container, $spec" "$PUB_TOA" $spec || return 1
	done
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PUB_PLAIN") || return 1
	expect_match "unruled container" "$got" "^accept=\\[::ffff:$PROXY\\]:[0-9]+ peer=\\[::ffff:$PROXY\\]:" || return 1
	expect_eq "host: options_recorded" "$(counter options_recorded server)" 3 &&
		expect_eq "host: sockets_attached" "$(counter sockets_attached server)" 0 &&
		expect_eq "ctr1: sockets_attached" "$(counter sockets_attached ctr1)" 3 &&
		expect_eq "ctr1: addresses_rewritten" "$(counter addresses_rewritten ctr1)" 6 &&
		expect_eq "ctr2: sockets_attached" "$(counter sockets_attached ctr2)" 0
}

# IPv6: ip6tables DNAT into the container, the client IPv6.
t_container_ipv6() {
	local got p
	containers_up && host_rule && proxy_sends --syn 254v6 || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP6" "$PUB_TOA") || return 1
	expect_eq "IPv6 container" "$got" "accept=[$CLIENT6]:$p peer=[$CLIENT6]:$p local=[$CTR1_6]:80" || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP6" "$PUB_PLAIN") || return 1
	expect_match "unruled IPv6 container" "$got" "^accept=\\[$PROXY6\\]:"
}

# kube-proxy's NodePort with externalTrafficPolicy Cluster: the host
# masquerades too, so the container's peer is the bridge's address; the
# host's entry still holds the client.
t_container_masquerade() {
	local got
	containers_up && host_rule || return 1
	ctr1_sees_client "masqueraded container" "$PUB_MASQ" --syn 200 || return 1
	reset_test
	proxy_sends --syn 200 --ack 200 || return 1
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PUB_MASQ") || return 1
	expect_match "without the rule, the container sees the host" "$got" "^accept=\\[::ffff:172.17.0.1\\]:"
}

# SYN cookies in the container's namespace (it has no conntrack of its own).
t_container_syncookies() {
	local spec recv
	containers_up && host_rule || return 1
	in_ns ctr1 sysctl -qw net.ipv4.tcp_syncookies=2 || return 1
	trap 'in_ns ctr1 sysctl -qw net.ipv4.tcp_syncookies=1' EXIT
	recv=$(tcp_ext ctr1 SyncookiesRecv)
	for spec in "--syn 200" "--ack 200"; do
		# shellcheck disable=SC2086
		ctr1_sees_client "cookie, $spec" "$PUB_TOA" $spec || return 1
	done
	(($(tcp_ext ctr1 SyncookiesRecv) >= recv + 2)) || fail "SYN cookies were not used"
}

# A rule in the container's own namespace (a pod's) works as on a host,
# with conntrack there; toactl in each namespace shows only its sockets.
t_container_own_rule_and_toactl() {
	local got p out
	containers_up && proxy_sends --syn 200 || return 1
	trap 'in_ns ctr1 iptables-nft -t mangle -F' EXIT
	in_ns ctr1 iptables-nft -t mangle -A PREROUTING -s "$PROXY" -p tcp --dport 80 -j TOA || return 1
	p=$(sport)
	hold "$p" "$VIP" "$PUB_TOA" || return 1
	expect_eq "pod's own rule" "$held_line" \
		"accept=[::ffff:$CLIENT]:$p peer=[::ffff:$CLIENT]:$p local=[::ffff:$CTR1]:80" || return 1
	expect_eq "ctr1: options_recorded" "$(counter options_recorded ctr1)" 1 || return 1
	out=$(in_ns ctr1 /usr/sbin/toactl list) || return 1
	expect_match "toactl list in the container" "$out" "$CLIENT:$p" || return 1
	out=$(in_ns server /usr/sbin/toactl list) || return 1
	[[ $out != *"$CLIENT:$p"* ]] || fail "the host lists the container's socket: $out" || return 1
	held_close
}

# toactl in the container's namespace finds the socket the host's rule
# gave a client, the host's does not; unloading with container sockets
# open gives them the proxy's address back, as on the host.
t_container_unload_with_sockets() {
	local p out
	containers_up && host_rule && proxy_sends --syn 200 || return 1
	p=$(sport)
	hold "$p" "$VIP" "$PUB_TOA" || return 1
	expect_match "held" "$held_line" "^accept=\\[::ffff:$CLIENT\\]:$p " || return 1
	out=$(in_ns ctr1 /usr/sbin/toactl list) || return 1
	expect_match "toactl list in the container" "$out" "$CLIENT:$p" || return 1
	out=$(in_ns ctr1 /usr/sbin/toactl lookup "[::ffff:$CTR1]:80" "[::ffff:$PROXY]:$p") || return 1
	expect_match "toactl lookup in the container" "$out" "$CLIENT:$p" || return 1
	out=$(in_ns server /usr/sbin/toactl list) || return 1
	[[ $out != *"$CLIENT:$p"* ]] || fail "the host lists the container's socket: $out" || return 1
	reset_test
	unload_module || return 1
	held_asks "\\[::ffff:$PROXY\\]:[0-9]+" || return 1
	held_close
}

# host2_up: the second host: its own docker0 and a container ctrb at
# ctr1's address; host2 also owns the proxy's address (on lo), from which
# toa-handshake connects, its kernel's RSTs dropped.
host2_up() {
	[[ -f $WORK/host2-up ]] && return 0
	ip netns add host2 && ip netns add ctrb &&
		ip -n host2 link add docker0 type bridge &&
		ip -n host2 link add veth1 type veth peer name eth0 netns ctrb || return 1
	ip -n host2 -batch - <<-EOF2 || return 1
		link set lo up
		addr add $PROXY/32 dev lo
		addr add 172.17.0.1/16 dev docker0
		link set docker0 up
		link set veth1 master docker0 up
	EOF2
	ip -n ctrb -batch - <<-EOF2 || return 1
		link set lo up
		link set eth0 up
		addr add $CTR1/16 dev eth0
		route add default via 172.17.0.1
	EOF2
	in_ns host2 iptables-nft -A OUTPUT -p tcp --tcp-flags RST RST -j DROP || return 1
	for ns in host2 ctrb; do
		nsenter --net="/run/netns/$ns" sleep infinity &
		echo $! >"$WORK/holder-$ns"
	done
	in_ns ctrb "$TOOLS/toa-peer" serve --dual 80 >"$WORK/peer-ctrb.log" 2>&1 &
	wait_for 'grep -q "^listen=" "$WORK/peer-ctrb.log"' ||
		fail "toa-peer in ctrb did not start: $(cat "$WORK/peer-ctrb.log")" || return 1
	touch "$WORK/host2-up"
	mark_counters
	return 0
}

# Two hosts, the same container addresses: host2's container receives a
# connection with the very 4-tuple and ISN of one whose client the
# server's rule recorded (and which is still open), yet gets no client:
# it may only look in the namespace its packets came from, host2.
t_container_hosts_same_addresses() {
	local p isn got
	containers_up && host2_up && host_rule && proxy_sends --syn 200 || return 1
	in_ns server tcpdump -S -n -l -c 1 -i s0 "tcp dst port $PUB_TOA and tcp[tcpflags] & tcp-syn != 0" \
		>"$WORK/syn.txt" 2>"$WORK/tcpdump.err" &
	wait_for 'grep -q "listening on" "$WORK/tcpdump.err"' || fail "tcpdump did not start" || return 1
	p=$(sport)
	hold "$p" "$VIP" "$PUB_TOA" || return 1
	expect_match "ctr1, recorded by the server" "$held_line" "^accept=\\[::ffff:$CLIENT\\]:$p " || return 1
	wait_for '[[ -s $WORK/syn.txt ]]' || fail "no SYN captured" || return 1
	isn=$(sed -n 's/.* seq \([0-9]*\),.*/\1/p' "$WORK/syn.txt")
	[[ -n $isn ]] || fail "no sequence number in: $(cat "$WORK/syn.txt")" || return 1
	in_ns host2 "$TOOLS/toa-handshake.py" "$PROXY" "$p" "$CTR1" 80 "$isn" >"$WORK/handshake.out" 2>&1 &
	wait_for 'grep -q established "$WORK/handshake.out"' 300 ||
		fail "toa-handshake: $(cat "$WORK/handshake.out")" || return 1
	got=$(in_ns ctrb ss -Htn state established "( sport = :80 )")
	expect_match "ctrb's connection, same tuple" "$got" "$PROXY\\]?:$p" || return 1
	expect_eq "ctrb: sockets_attached" "$(counter sockets_attached ctrb)" 0 &&
		expect_eq "ctrb: toactl list" "$(in_ns ctrb /usr/sbin/toactl list | tail -n +2)" "" || return 1
	held_close
	pkill -f toa-handshake.py
}

# upstream_attack HOST-NETNS-FILE RTR-NSENTER-ARGS...: a namespace "evil"
# behind a router namespace (a container that forwards, with a TOA rule
# of its own on what it forwards) connects to toa-peer in the host's
# namespace, its SYN carrying a forged TOA. Prints what the host's
# application saw; leaves the namespaces for the caller to delete.
upstream_attack() {
	local host=$1 p=40990
	shift
	ip netns add evil || return 1
	ip -n evil link add eth0 type veth peer name e0 netns "/proc/$RTR_PID/ns/net" &&
		ip link add up0 netns "$host" type veth peer name u0 netns "/proc/$RTR_PID/ns/net" || return 1
	ip -n evil -batch - <<-EOF2 || return 1
		link set lo up
		link set eth0 up
		addr add 10.99.0.2/24 dev eth0
		route add default via 10.99.0.1
	EOF2
	nsenter --net="$host" ip -batch - <<-EOF2 || return 1
		link set up0 up
		addr add 10.98.0.1/24 dev up0
		route add 10.99.0.0/24 via 10.98.0.2
	EOF2
	"$@" sh -e -c '
		ip link set lo up; ip link set e0 up; ip link set u0 up
		ip addr add 10.99.0.1/24 dev e0; ip addr add 10.98.0.2/24 dev u0
		echo 1 >/proc/sys/net/ipv4/ip_forward
		iptables-nft -t mangle -A PREROUTING -i e0 -p tcp -j TOA' || return 1
	nsenter --net="$host" "$TOOLS/toa-peer" serve --v4 9100 >"$WORK/peer-up.log" 2>&1 &
	wait_for 'grep -q "^listen=" "$WORK/peer-up.log"' || fail "toa-peer: $(cat "$WORK/peer-up.log")" || return 1
	in_ns evil iptables-nft -t mangle -A OUTPUT -p tcp --syn --dport 9100 -j NFQUEUE --queue-num 0 || return 1
	in_ns evil "$TOOLS/toa-sender" --queue 0 --syn 200 --addr "$FORGED" --port "$FORGED_PORT" \
		--count-file "$WORK/evil.counts" >"$WORK/evil-sender.log" 2>&1 &
	wait_for '[[ -s $WORK/evil.counts ]]' || fail "toa-sender in evil did not start" || return 1
	in_ns evil "$TOOLS/toa-peer" ask --sport "$p" 10.98.0.1 9100
}

# router_up UNSHARE-OPTIONS: RTR_PID, a process in namespaces of its own,
# once it is in them (a process that is still unsharing is in ours).
router_up() {
	rm -f "$WORK/router.ready"
	unshare "$@" sh -c "touch '$WORK/router.ready' && exec sleep 600" &
	RTR_PID=$!
	wait_for '[[ -e $WORK/router.ready ]]' || fail "unshare $* did not start"
}

# upstream_down: what upstream_attack made.
upstream_down() {
	pkill -f "toa-peer serve --v4 9100"
	in_ns evil pkill -f "$TOOLS/toa-sender" 2>/dev/null
	[[ -n ${RTR_PID:-} ]] && kill "$RTR_PID"
	ip netns del evil 2>/dev/null
	ip netns del uphost 2>/dev/null
	ip link del up0 2>/dev/null
}

# Trust never flows from a container up to its host: the machine's
# initial namespace does not take a client from a namespace behind it,
# even one whose rule recorded it for this very handshake.
t_container_no_upward_trust_initial_ns() {
	local got
	trap upstream_down EXIT
	router_up --net || return 1
	got=$(upstream_attack /proc/self/ns/net nsenter --net="/proc/$RTR_PID/ns/net") || return 1
	expect_eq "initial namespace's application" "$got" \
		"accept=10.99.0.2:40990 peer=10.99.0.2:40990 local=10.98.0.1:9100" || return 1
	expect_eq "recorded by the router" \
		"$(nsenter --net="/proc/$RTR_PID/ns/net" cat /proc/net/xt_TOA | awk '$1 == "options_recorded" { print $2 }')" 1
}

# Nor to a host namespace from a container in a user namespace of its own
# (rootless, or user-namespaced containers): its rules are not the host's.
t_container_no_upward_trust_user_ns() {
	local got
	trap upstream_down EXIT
	ip netns add uphost || return 1
	router_up --user --map-root-user --net || return 1
	got=$(upstream_attack /run/netns/uphost nsenter --user --net --target "$RTR_PID") || return 1
	expect_eq "host namespace's application" "$got" \
		"accept=10.99.0.2:40990 peer=10.99.0.2:40990 local=10.98.0.1:9100" || return 1
	expect_eq "recorded by the router" \
		"$(nsenter --net="/proc/$RTR_PID/ns/net" cat /proc/net/xt_TOA | awk '$1 == "options_recorded" { print $2 }')" 1
}

# Real Docker (Debian's docker.io, unpacked by tests/host-prepare.sh) in
# the server's namespace, with its own bridge beside the emulated one;
# the image is toa-peer with its two libraries. Docker rewrites the nat
# table when it starts: the emulated rules are put back afterwards.
PUB_DOCKER=8085
docker_down() {
	docker rm -f web >/dev/null 2>&1
	[[ -f $WORK/dockerd.pid ]] && kill "$(cat "$WORK/dockerd.pid")" &&
		wait_for '! kill -0 $(cat "$WORK/dockerd.pid") 2>/dev/null' 300
	rm -f "$WORK/dockerd.pid"
	in_ns server iptables-nft-restore -T nat <"$WORK/nat.saved"
}

t_container_real_docker() {
	local got p d=$TOP/tests/.cache/docker
	containers_up || return 1
	[[ -x $d/usr/sbin/dockerd ]] || fail "no $d/usr/sbin/dockerd (tests/host-prepare.sh unpacks it)" || return 1
	PATH=$d/usr/bin:$d/usr/sbin:$PATH
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup || return 1
	in_ns server iptables-nft-save -t nat >"$WORK/nat.saved" || return 1
	trap docker_down EXIT
	in_ns server ip link add br-real type bridge &&
		in_ns server ip addr add 172.19.0.1/16 dev br-real &&
		in_ns server ip link set br-real up || return 1
	in_ns server dockerd --bridge br-real --userland-proxy=false --storage-driver vfs \
		--data-root /var/lib/docker --exec-root /run/docker >"$WORK/dockerd.log" 2>&1 &
	echo $! >"$WORK/dockerd.pid"
	wait_for 'docker info >/dev/null 2>&1' 1800 || fail "dockerd: $(tail -n 5 "$WORK/dockerd.log")" || return 1
	tar -chf - -C / lib/x86_64-linux-gnu/libc.so.6 lib64/ld-linux-x86-64.so.2 -C "$TOOLS" toa-peer |
		docker import - local/toa-peer >/dev/null || return 1
	docker run -d --name web -p "$PUB_DOCKER:80" local/toa-peer /toa-peer serve --dual 80 >/dev/null || return 1
	wait_for 'docker logs web 2>&1 | grep -q "^listen="' 600 || fail "container: $(docker logs web 2>&1)" || return 1
	note "$(in_ns server iptables-nft-save -t nat | grep -- "--dport $PUB_DOCKER")"
	in_ns server iptables-nft -t mangle -A PREROUTING -s "$PROXY" -p tcp --dport "$PUB_DOCKER" -j TOA &&
		proxy_sends --syn 200 --ack 200 || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP" "$PUB_DOCKER") || return 1
	expect_eq "Docker container" "$got" \
		"accept=[::ffff:$CLIENT]:$p peer=[::ffff:$CLIENT]:$p local=[::ffff:172.19.0.2]:80"
}
