# shellcheck shell=bash
# End-to-end tests of the sending side (issue 5): the proxy namespace
# becomes a plain iptables relay (DNAT, SNAT) that writes the TOA itself
# with "-j TOA --toa-insert"; the server runs the receiving rule. Captures are
# decoded by tests/e2e/toa-decode.py (scapy), not by the module's parser.
# Each t_* function is one test, run in a subshell by run-in-guest.sh.

DECODE="/usr/bin/python3 $TOP/tests/e2e/toa-decode.py"

# client_sends IPT [toa-sender options]: the client's own SYNs go through
# toa-sender (crafted options), in the client namespace.
client_sends() {
	local ipt=$1
	shift
	in_ns client "$ipt" -t mangle -A OUTPUT -p tcp --syn --dport "$NGINX_RULED" \
		-j NFQUEUE --queue-num 0 || return 1
	rm -f "$WORK/client-sender.counts"
	in_ns client "$TOOLS/toa-sender" --queue 0 --count-file "$WORK/client-sender.counts" "$@" \
		>"$WORK/client-sender.log" 2>&1 &
	wait_for '[[ -s $WORK/client-sender.counts ]]' ||
		fail "client toa-sender did not start: $(cat "$WORK/client-sender.log")"
}

# captured_curl SPORT HOST: one request to nginx's ruled port, captured on
# the client's and the server's side; prints nginx's line, leaves
# $WORK/c.pcap and $WORK/s.pcap.
captured_curl() {
	local cpid spid got
	# Not through in_ns: a background subshell ignores SIGINT and would
	# not pass the signal on; timeout passes SIGTERM on to tcpdump.
	# --immediate-mode: otherwise the kernel hands packets over a block at
	# a time, and those of a block not yet handed over when tcpdump is
	# stopped are lost (seen on 6.12: a whole connection missing).
	timeout 60 ip netns exec client tcpdump -Z root -i c0 --immediate-mode -U -s 0 \
		-w "$WORK/c.pcap" "tcp port $1" 2>"$WORK/c.err" &
	cpid=$!
	timeout 60 ip netns exec server tcpdump -Z root -i s0 --immediate-mode -U -s 0 \
		-w "$WORK/s.pcap" "tcp port $1" 2>"$WORK/s.err" &
	spid=$!
	wait_for 'grep -q listening "$WORK/c.err" && grep -q listening "$WORK/s.err"' ||
		fail "tcpdump did not start" || return 1
	got=$(curl_nginx "$1" "$2" "$NGINX_RULED")
	sleep 0.5
	kill "$cpid" "$spid"
	wait "$cpid" "$spid" 2>/dev/null
	echo "$got"
}

# decoded PORT: toa-decode's lines for the connection from client port PORT.
decoded() {
	$DECODE "$WORK/c.pcap" "$WORK/s.pcap" "$1" | tee "$WORK/decoded" | sed 's/^/# decoded: /' >&2
	cat "$WORK/decoded"
}

# expect_wire PORT CSUM TOA_SYN TOA_ACK: the SYN and the handshake ACK
# carry exactly these TOAs ("-": none) first in otherwise unchanged
# options; every packet has right lengths, checksum state CSUM, unchanged
# sequence numbers and payload; later packets carry no TOA.
expect_wire() {
	local lines line want_syn want_ack
	mapfile -t lines < <(decoded "$1")
	((${#lines[@]} >= 3)) || fail "${#lines[@]} packets decoded" || return 1
	want_syn=$([[ $3 == - ]] && echo same || echo toa+same)
	want_ack=$([[ $4 == - ]] && echo same || echo toa+same)
	expect_eq "SYN" "${lines[0]}" \
		"S toa=$3 ip=ok tcplen=ok csum=$2 seq=same payload=same opts=$want_syn" || return 1
	expect_eq "handshake ACK" "${lines[1]}" \
		"A toa=$4 ip=ok tcplen=ok csum=$2 seq=same payload=same opts=$want_ack" || return 1
	for line in "${lines[@]:2}"; do
		expect_match "later packet" "$line" \
			"^[A-Z]+ toa=- ip=ok tcplen=ok csum=$2 seq=same payload=same opts=same\$" || return 1
	done
}

# IPv4, each 8-byte format, in FORWARD: nginx behind the relay logs the
# client; on the wire the SYN and the handshake ACK carry it, first in the
# options, checksums right both as the client's stack leaves them
# (CHECKSUM_PARTIAL across veth) and fully computed (offload off).
t_insert_ipv4_formats() {
	local fmt p got
	server_rule --toa-kind 200,253,254 || return 1
	for fmt in 200/8 253/8 254/8; do
		relay_insert iptables-nft FORWARD "$fmt" || return 1
		p=$(sport)
		got=$(captured_curl "$p" "$VIP") || return 1
		expect_eq "nginx, relay --toa-insert $fmt" "$got" "$CLIENT:$p $NGINX_RULED" || return 1
		expect_wire "$p" partial "$fmt:$CLIENT:$p" "$fmt:$CLIENT:$p" || return 1
	done
	in_ns client ethtool -K c0 tx off >/dev/null || fail "ethtool -K c0 tx off" || return 1
	p=$(sport)
	got=$(captured_curl "$p" "$VIP") || return 1
	expect_eq "nginx, checksums computed by the client" "$got" "$CLIENT:$p $NGINX_RULED" || return 1
	expect_wire "$p" full "254/8:$CLIENT:$p" "254/8:$CLIENT:$p" || return 1
	expect_eq inserted_syn "$(counter inserted_syn proxy)" 4 || return 1
	expect_eq inserted_ack "$(counter inserted_ack proxy)" 4 || return 1
	expect_eq "server: options_conflicting" "$(counter options_conflicting)" 0 || return 1
	expect_eq "server: sockets_attached" "$(counter sockets_attached)" 4
}

# IPv6, both 20-byte formats, in POSTROUTING.
t_insert_ipv6_formats() {
	local fmt kind p got
	for fmt in 254/20 253/20; do
		kind=${fmt%/*}
		in_ns server ip6tables-nft -t mangle -F
		server_rule6 --toa-kind "$kind" || return 1
		relay_insert ip6tables-nft POSTROUTING "$fmt" || return 1
		p=$(sport)
		got=$(captured_curl "$p" "$VIP6") || return 1
		expect_eq "nginx, relay --toa-insert $fmt" "$got" "$CLIENT6:$p $NGINX_RULED" || return 1
		expect_wire "$p" partial "$fmt:[$CLIENT6]:$p" "$fmt:[$CLIENT6]:$p" || return 1
	done
	in_ns client ethtool -K c0 tx off >/dev/null || fail "ethtool -K c0 tx off" || return 1
	p=$(sport)
	got=$(captured_curl "$p" "$VIP6") || return 1
	expect_eq "nginx, checksums computed by the client" "$got" "$CLIENT6:$p $NGINX_RULED" || return 1
	expect_wire "$p" full "253/20:[$CLIENT6]:$p" "253/20:[$CLIENT6]:$p" || return 1
	expect_eq inserted_syn "$(counter inserted_syn proxy)" 3 || return 1
	expect_eq inserted_ack "$(counter inserted_ack proxy)" 3
}

# A SYN whose options leave no room (the client's 20 bytes, 16 NOPs more)
# passes unchanged and is counted; the handshake ACK still carries the
# client, so nginx logs it.
t_insert_options_full() {
	local p got lines
	server_rule && relay_insert iptables-nft POSTROUTING 254/8 || return 1
	client_sends iptables-nft --syn raw:01010101010101010101010101010101 || return 1
	p=$(sport)
	got=$(captured_curl "$p" "$VIP") || return 1
	expect_eq "nginx" "$got" "$CLIENT:$p $NGINX_RULED" || return 1
	# The client's SYN is re-injected by NFQUEUE fully checksummed.
	mapfile -t lines < <(decoded "$p")
	expect_eq "SYN" "${lines[0]}" \
		"S toa=- ip=ok tcplen=ok csum=full seq=same payload=same opts=same" || return 1
	expect_eq "handshake ACK" "${lines[1]}" \
		"A toa=254/8:$CLIENT:$p ip=ok tcplen=ok csum=partial seq=same payload=same opts=toa+same" || return 1
	expect_eq insert_skipped_full "$(counter insert_skipped_full proxy)" 1 || return 1
	expect_eq inserted_syn "$(counter inserted_syn proxy)" 0 || return 1
	expect_eq inserted_ack "$(counter inserted_ack proxy)" 1
}

# A SYN that carries a TOA already (here the client's own address, put by
# toa-sender) gets no second one, which would make receivers discard both;
# the handshake ACK gets the relay's.
t_insert_already_present() {
	local p got
	server_rule && relay_insert iptables-nft POSTROUTING 254/8 || return 1
	client_sends iptables-nft --syn 200 || return 1
	p=$(sport)
	got=$(captured_curl "$p" "$VIP") || return 1
	expect_eq "nginx" "$got" "$CLIENT:$p $NGINX_RULED" || return 1
	expect_eq "SYN" "$(decoded "$p" | head -n 1)" \
		"S toa=200/8:$CLIENT:$p ip=ok tcplen=ok csum=full seq=same payload=same opts=same" || return 1
	expect_eq insert_skipped_present "$(counter insert_skipped_present proxy)" 1 || return 1
	expect_eq inserted_ack "$(counter inserted_ack proxy)" 1 || return 1
	expect_eq "server: options_malformed" "$(counter options_malformed)" 0
}
