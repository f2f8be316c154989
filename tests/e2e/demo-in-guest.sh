#!/bin/bash
# The demo's guest side (see tests/demo.sh).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
install_stage || exit 1
topology_up >/dev/null 2>&1 || { echo "cannot build the topology"; exit 1; }
proxy_sends --syn 200 >/dev/null || exit 1

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
show() { printf '  $ %s\n' "$*"; eval "$@" 2>&1 | sed 's/^/  /'; }
req() {
	local p
	p=$(sport)
	printf '  client %s:%s -> curl http://%s/ -> nginx logs: ' "$CLIENT" "$p" "$VIP"
	curl_nginx "$p" "$VIP" 80 | awk '{ print "remote_addr:port = " $1 }'
}

say "A client ($CLIENT) reaches nginx through an L4 proxy that NATs both addresses"
echo "  client $CLIENT -> proxy $VIP | $PROXY -> server $SERVER (nginx :80)"
echo "  The proxy adds the client's address in a TCP option (kind 200) to each SYN."

say "Before: the server sees only the proxy"
req

say "The operator's two commands on the server:"
show "modprobe xt_TOA"
show "iptables -t mangle -A PREROUTING -s $PROXY/32 -p tcp --dport 80 -j TOA"
in_ns server modprobe xt_TOA
in_ns server iptables -t mangle -A PREROUTING -s "$PROXY/32" -p tcp --dport 80 -j TOA

say "After: the same unmodified nginx logs the real client"
req
req

say "What the module did in the server's namespace (/proc/net/xt_TOA):"
in_ns server cat /proc/net/xt_TOA | grep -Ev ' 0$' | sed 's/^/  /'
topology_down
