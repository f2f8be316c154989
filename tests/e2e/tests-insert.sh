# shellcheck shell=bash
# End-to-end tests of the sending side (issue 5): the proxy namespace
# becomes a plain iptables relay (DNAT, SNAT) that writes the TOA itself
# with "-j TOA --toa-insert"; the server runs the receiving rule. Captures are
# decoded by tests/e2e/toa-decode.py (scapy), not by the module's parser.
# Each t_* function is one test, run in a subshell by run-in-guest.sh.

# XT_DECODE=0 (the debug kernel's run): no captures, no decoding; the tests
# still check what nginx logged and the counters. Starting Python and
# scapy takes minutes under KASAN, and the packets' bytes do not depend on
# the kernel's debugging options.
decoding() { [[ ${XT_DECODE:-1} != 0 ]]; }

# capture_on NS DEV NAME: capture TCP on DEV in NS into $WORK/NAME.pcap,
# in the background; its pid is added to $WORK/capture.pids.
capture_on() {
	# Not through in_ns: a background subshell ignores SIGINT and would
	# not pass the signal on; timeout passes SIGTERM on to tcpdump.
	# --immediate-mode: otherwise the kernel hands packets over a block at
	# a time, and those of a block not yet handed over when tcpdump is
	# stopped are lost (seen on 6.12: a whole connection missing).
	timeout 300 nsenter --net="/run/netns/$1" tcpdump -Z root -i "$2" --immediate-mode -U -s 0 \
		-w "$WORK/$3.pcap" tcp 2>"$WORK/$3.err" &
	echo $! >>"$WORK/capture.pids"
}

# capture_start: capture TCP on the client's and the server's side, into
# $WORK/c.pcap and $WORK/s.pcap, until capture_stop.
capture_start() {
	decoding || return 0
	rm -f "$WORK/capture.pids"
	capture_on client c0 c && capture_on server s0 s
	wait_for 'grep -q listening "$WORK/c.err" && grep -q listening "$WORK/s.err"' ||
		fail "tcpdump did not start"
}

# capture_stop PORT...: stop the captures, decode the connections from
# these client ports in one run of toa-decode.py, into $WORK/wire.PORT.
capture_stop() {
	local pids port
	decoding || { note "packets not decoded (XT_DECODE=0)"; return 0; }
	sleep 0.5
	mapfile -t pids <"$WORK/capture.pids"
	kill "${pids[@]}"
	wait "${pids[@]}" 2>/dev/null
	/usr/bin/python3 "$TOP/tests/e2e/toa-decode.py" "$WORK/c.pcap" "$WORK/s.pcap" "$@" \
		>"$WORK/decoded" || fail "toa-decode.py failed" || return 1
	sed 's/^/# decoded: /' "$WORK/decoded"
	for port in "$@"; do
		sed -n "s/^$port //p" "$WORK/decoded" >"$WORK/wire.$port"
	done
}

# expect_packet PORT N WANT: the decoder's line for packet N (from 0) of
# the connection from client port PORT.
expect_packet() {
	decoding || return 0
	expect_eq "packet $2 from port $1" "$(sed -n "$(($2 + 1))p" "$WORK/wire.$1")" "$3"
}

# expect_wire PORT CSUM TOA_SYN TOA_ACK: the SYN and the handshake ACK
# carry exactly these TOAs ("-": none) first in otherwise unchanged
# options; every packet has right lengths, checksum state CSUM, unchanged
# sequence numbers and payload; later packets carry no TOA.
expect_wire() {
	local lines line want_syn want_ack
	decoding || return 0
	mapfile -t lines <"$WORK/wire.$1"
	((${#lines[@]} >= 3)) || fail "port $1: ${#lines[@]} packets decoded" || return 1
	want_syn=$([[ $3 == - ]] && echo same || echo toa+same)
	want_ack=$([[ $4 == - ]] && echo same || echo toa+same)
	expect_packet "$1" 0 "S toa=$3 ip=ok tcplen=ok csum=$2 seq=same payload=same opts=$want_syn" &&
		expect_packet "$1" 1 "A toa=$4 ip=ok tcplen=ok csum=$2 seq=same payload=same opts=$want_ack" ||
		return 1
	for line in "${lines[@]:2}"; do
		expect_match "later packet from port $1" "$line" \
			"^[A-Z]+ toa=- ip=ok tcplen=ok csum=$2 seq=same payload=same opts=same\$" || return 1
	done
}

# relay_formats IPT CHAIN VIP CLIENT FMT...: one request through the relay
# for each "--toa-insert FMT" (rule in CHAIN), and one more with the last
# FMT once the client computes its checksums in full (offload off). Each
# time nginx logs CLIENT; on the wire the SYN and the handshake ACK carry
# it, first in the options, checksums right both as the client's stack
# leaves them (CHECKSUM_PARTIAL across veth) and fully computed.
relay_formats() {
	local ipt=$1 chain=$2 vip=$3 client=$4 wire fmt i p got ports=() fmts=() csums=()
	shift 4
	wire=$client
	[[ $client == *:* ]] && wire="[$client]"
	capture_start || return 1
	for fmt in "$@" "${@: -1}"; do
		csums+=(partial)
		if ((${#fmts[@]} == $#)); then
			in_ns client ethtool -K c0 tx off >/dev/null || fail "ethtool -K c0 tx off" || return 1
			csums[-1]=full
		fi
		relay_insert "$ipt" "$chain" "$fmt" || return 1
		p=$(sport)
		got=$(curl_nginx "$p" "$vip" "$NGINX_RULED") || return 1
		expect_eq "nginx, relay --toa-insert $fmt, checksum ${csums[-1]}" "$got" "$client:$p $NGINX_RULED" ||
			return 1
		ports+=("$p") fmts+=("$fmt")
	done
	capture_stop "${ports[@]}" || return 1
	for i in "${!ports[@]}"; do
		p=${ports[i]}
		expect_wire "$p" "${csums[i]}" "${fmts[i]}:$wire:$p" "${fmts[i]}:$wire:$p" || return 1
	done
	expect_eq inserted_syn "$(counter inserted_syn proxy)" "${#ports[@]}" &&
		expect_eq inserted_ack "$(counter inserted_ack proxy)" "${#ports[@]}"
}

# IPv4, each 8-byte format, in FORWARD.
t_insert_ipv4_formats() {
	server_rule --toa-kind 200,253,254 &&
		relay_formats iptables-nft FORWARD "$VIP" "$CLIENT" 200/8 253/8 254/8 || return 1
	expect_eq "server: options_conflicting" "$(counter options_conflicting)" 0 &&
		expect_eq "server: sockets_attached" "$(counter sockets_attached)" 4
}

# IPv6, both 20-byte formats, in POSTROUTING.
t_insert_ipv6_formats() {
	server_rule6 --toa-kind 253,254 &&
		relay_formats ip6tables-nft POSTROUTING "$VIP6" "$CLIENT6" 254/20 253/20
}


# A SYN whose options leave no room once the client's own TOA (claiming
# FORGED) is stripped (its 20 bytes, the TOA, 8 NOPs) reaches the server
# with NOPs where the TOA was and none of the relay's; the handshake ACK
# still carries the client, so nginx logs it.
t_insert_options_full() {
	local p got
	server_rule && relay_insert iptables-nft POSTROUTING 254/8 || return 1
	client_sends iptables-nft --addr "$FORGED" --port "$FORGED_PORT" \
		--syn 'raw:c808{port}{addr4}0101010101010101' || return 1
	capture_start || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP" "$NGINX_RULED") || return 1
	capture_stop "$p" || return 1
	expect_eq "nginx" "$got" "$CLIENT:$p $NGINX_RULED" || return 1
	# The client's SYN is re-injected by NFQUEUE fully checksummed.
	expect_packet "$p" 0 "S toa=- ip=ok tcplen=ok csum=full seq=same payload=same opts=stripped" &&
		expect_packet "$p" 1 \
			"A toa=254/8:$CLIENT:$p ip=ok tcplen=ok csum=partial seq=same payload=same opts=toa+same" ||
		return 1
	expect_eq insert_skipped_full "$(counter insert_skipped_full proxy)" 1 || return 1
	expect_eq insert_stripped "$(counter insert_stripped proxy)" 1 || return 1
	expect_eq inserted_syn "$(counter inserted_syn proxy)" 0 || return 1
	expect_eq inserted_ack "$(counter inserted_ack proxy)" 1 || return 1
	expect_eq "server: options_malformed" "$(counter options_malformed)" 0
}

# The client claims FORGED in its own SYN (kind 200) and handshake ACK
# (kind 254, the relay's own): the relay turns both into NOPs and writes
# the real client, so the server sees one TOA in each, the relay's.
t_insert_client_toa_stripped() {
	local p got want
	server_rule && relay_insert iptables-nft POSTROUTING 254/8 || return 1
	client_sends iptables-nft --handshake --addr "$FORGED" --port "$FORGED_PORT" --syn 200 --ack 254 ||
		return 1
	capture_start || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP" "$NGINX_RULED") || return 1
	capture_stop "$p" || return 1
	expect_eq "nginx" "$got" "$CLIENT:$p $NGINX_RULED" || return 1
	# Both re-injected by NFQUEUE fully checksummed, as the relay keeps them.
	want="toa=254/8:$CLIENT:$p ip=ok tcplen=ok csum=full seq=same payload=same opts=toa+stripped"
	expect_packet "$p" 0 "S $want" && expect_packet "$p" 1 "A $want" || return 1
	expect_eq insert_stripped "$(counter insert_stripped proxy)" 2 || return 1
	expect_eq inserted_syn "$(counter inserted_syn proxy)" 1 || return 1
	expect_eq inserted_ack "$(counter inserted_ack proxy)" 1 || return 1
	expect_eq "server: options_conflicting" "$(counter options_conflicting)" 0 &&
		expect_eq "server: options_malformed" "$(counter options_malformed)" 0
}
