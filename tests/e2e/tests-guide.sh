# shellcheck shell=bash
# End-to-end tests of docs/operator-guide.md (issue 9): the guide's tagged
# blocks, extracted from the document by tests/guide-blocks.sh, run as
# written in the namespace of the machine they are meant for; the
# assertions (what the server logs, the counters) live here.
# tests/guide-check.sh fails if a tagged block is used by no test here.

GUIDE=$TOP/docs/operator-guide.md
GNGINX=$WORK/guide-nginx
GAPACHE=$WORK/guide-apache

# guide_block NAME: the block's text.
guide_block() {
	"$TOP/tests/guide-blocks.sh" "$GUIDE" "$1"
}

# guide_run NS NAME: run the block's commands in namespace NS, as a script
# that stops at the first failing command; its output on stdout.
guide_run() {
	local code
	code=$(guide_block "$2") || return 1
	printf '# [%s] %s\n' "$1" "${code//$'\n'/$'\n#   '}" >&2
	in_ns "$1" bash -e -o pipefail -c "$code"
}

# guide_nginx SERVER-BLOCK-BODY: replace the suite's nginx (on ports 80 and
# 8080 of the server) by one serving the given server block, logging
# "remote_addr realip_remote_addr remote_port". guide_restore undoes it;
# the tests call it from an EXIT trap (each test runs in a subshell).
guide_nginx() {
	guide_stop_nginx
	mkdir -p "$GNGINX"
	cat >"$GNGINX/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $GNGINX/nginx.pid;
error_log $GNGINX/error.log;
events { worker_connections 64; }
http {
	client_body_temp_path $GNGINX/body;
	proxy_temp_path $GNGINX/proxy;
	fastcgi_temp_path $GNGINX/fastcgi;
	uwsgi_temp_path $GNGINX/uwsgi;
	scgi_temp_path $GNGINX/scgi;
	log_format guide '\$remote_addr \$realip_remote_addr \$remote_port';
	access_log $GNGINX/access.log guide;
	server {
$1
		location / { return 200 "hello\n"; }
	}
}
CONF
	: >"$GNGINX/access.log"
	in_ns server nginx -c "$GNGINX/nginx.conf" || fail "nginx refused: $(cat "$GNGINX/nginx.conf")"
}

guide_stop_nginx() {
	local f
	for f in "$WORK/nginx/nginx.pid" "$GNGINX/nginx.pid" "$GAPACHE/httpd.pid"; do
		[[ -s $f ]] || continue
		kill "$(cat "$f")" 2>/dev/null
		wait_for "[[ ! -e $f ]]" || rm -f "$f"
	done
	return 0
}

guide_restore() {
	guide_stop_nginx
	start_nginx
}

# guide_last_log FILE COUNT-BEFORE: the line FILE gained since.
guide_new_line() {
	wait_for "(( \$(wc -l <$1) > $2 ))" || { fail "nothing logged in $1"; return 1; }
	tail -n 1 "$1"
}

# guide_get NS URL [curl options]: one request, the log line it made.
guide_get() {
	local ns=$1 url=$2 log=${LOG:-$GNGINX/access.log} n
	shift 2
	n=$(wc -l <"$log")
	in_ns "$ns" curl -s --max-time 10 "$@" "$url" >/dev/null || fail "curl $url from $ns failed" || return 1
	guide_new_line "$log" "$n"
}

# --- L7 ----------------------------------------------------------------------

# nginx realip: the header counts only from the proxy's range, and the
# client a proxy appended wins over a forged first entry.
t_guide_l7_nginx_realip() {
	local got
	trap guide_restore EXIT
	guide_nginx "listen 80;
$(guide_block l7-nginx)" || return 1
	proxy_sends || return 1	# the client's packets cross the proxy's queue
	# What a proxy sends after a client forged the header: the proxy's
	# entry (the client it saw) is last.
	got=$(guide_get proxy "http://$SERVER/" -H "X-Forwarded-For: 192.0.2.66, $CLIENT") || return 1
	expect_eq "forged entry, then the client" "${got% *}" "$CLIENT $PROXY" || return 1
	# Two proxy hops inside the trusted range: recursive skips both.
	got=$(guide_get proxy "http://$SERVER/" -H "X-Forwarded-For: $CLIENT, 203.0.113.5") || return 1
	expect_eq "client, second proxy hop" "${got% *}" "$CLIENT $PROXY" || return 1
	# The guide's check from outside the range: the header is ignored.
	local n
	n=$(wc -l <"$GNGINX/access.log")
	got=$(guide_run client l7-check-forged) || return 1
	expect_eq "curl output" "$got" "hello" || return 1
	got=$(guide_new_line "$GNGINX/access.log" "$n") || return 1
	expect_eq "forged header from outside" "${got% *}" "$CLIENT $CLIENT"
}

# Apache with mod_remoteip (apache2-bin): same outcomes.
t_guide_l7_apache_remoteip() {
	local got
	trap 'kill $(cat $GAPACHE/httpd.pid 2>/dev/null) 2>/dev/null; guide_restore' EXIT
	guide_stop_nginx
	mkdir -p "$GAPACHE/www"
	echo hello >"$GAPACHE/www/index.html"
	{
		cat <<CONF
ServerRoot $GAPACHE
ServerName server.test
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule remoteip_module /usr/lib/apache2/modules/mod_remoteip.so
Listen 80
PidFile $GAPACHE/httpd.pid
ErrorLog $GAPACHE/error.log
DefaultRuntimeDir $GAPACHE
User www-data
Group www-data
DocumentRoot $GAPACHE/www
<Directory $GAPACHE/www>
	Require all granted
</Directory>
CONF
		guide_block l7-apache
		echo "CustomLog $GAPACHE/access.log realclient"
		echo "LogFormat \"%a %{c}a %h\" probe"	# what %h shows
		echo "CustomLog $GAPACHE/probe.log probe"
	} >"$GAPACHE/httpd.conf"
	: >"$GAPACHE/access.log"
	proxy_sends || return 1
	in_ns server apache2 -f "$GAPACHE/httpd.conf" -k start ||
		fail "apache2 did not start: $(cat "$GAPACHE/error.log")" || return 1
	wait_for "[[ -s $GAPACHE/httpd.pid ]]" || return 1
	LOG=$GAPACHE/access.log
	got=$(LOG=$LOG guide_get proxy "http://$SERVER/index.html" -H "X-Forwarded-For: 192.0.2.66, $CLIENT") || return 1
	note "apache probe (%a %{c}a %h): $(tail -n 1 "$GAPACHE/probe.log")"
	expect_eq "apache, forged entry then the client" "$got" "$CLIENT $PROXY" || return 1
	got=$(LOG=$LOG guide_get client "http://$SERVER/index.html" -H "X-Forwarded-For: 192.0.2.66") || return 1
	note "apache probe (%a %{c}a %h): $(tail -n 1 "$GAPACHE/probe.log")"
	expect_eq "apache, forged header from outside" "$got" "$CLIENT $CLIENT"
}

# PROXY protocol: curl on the client writes the PROXY line itself, the L4
# proxy NATs the connection as usual.
t_guide_proxy_protocol() {
	local got
	trap guide_restore EXIT
	guide_nginx "$(guide_block l7-nginx-proxy-protocol)" || return 1
	proxy_sends || return 1
	got=$(guide_get client "http://$VIP/" --haproxy-protocol) || return 1
	expect_match "PROXY protocol" "$got" "^$CLIENT $PROXY [0-9]+\$" || return 1
	# Without the line, the connection is refused by nginx.
	in_ns client curl -s --max-time 10 "http://$VIP/" >/dev/null &&
		fail "a request without the PROXY line was served"
	return 0
}

# --- L4 ----------------------------------------------------------------------

t_guide_l4_rule_and_checks() {
	local got p out
	proxy_sends --syn 200 || return 1
	guide_run server l4-rule || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP" 80) || return 1
	expect_eq "nginx behind the rule" "$got" "$CLIENT:$p 80" || return 1
	out=$(guide_run server verify-counters) || return 1
	note "counters: $(tr '\n' ' ' <<<"$out")"
	expect_match "/proc/net/xt_TOA" "$out" "options_recorded [1-9]" || return 1
	expect_eq options_recorded "$(counter options_recorded)" 1 || return 1
	expect_eq sockets_attached "$(counter sockets_attached)" 1 || return 1
	out=$(guide_run server verify-conntrack 2>&1) || fail "no helper=toa entry: $out" || return 1
	note "conntrack: $out"
	expect_match "conntrack entry" "$out" "src=$PROXY dst=$SERVER sport=[0-9]+ dport=80 .*helper=toa" || return 1
	# The same for IPv6 transport (DPVS-style 254/20).
	proxy_sends --syn 254v6 || return 1
	guide_run server l4-rule6 || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP6" 80) || return 1
	expect_eq "nginx behind the IPv6 rule" "$got" "$CLIENT6:$p 80"
}

# nginx_sees_clients WHAT SENDER-SPEC6: nginx on port 80 logs the client
# of an IPv4 connection (the TOA in the SYN), then of an IPv6 one (the
# proxy inserting SENDER-SPEC6).
nginx_sees_clients() {
	local p got
	proxy_sends --syn 200 || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP" 80) || return 1
	expect_eq "$1" "$got" "$CLIENT:$p 80" || return 1
	# shellcheck disable=SC2086
	proxy_sends $2 || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP6" 80) || return 1
	expect_eq "$1, IPv6" "$got" "$CLIENT6:$p 80"
}

# The guide's nftables ruleset, loaded as it is, selects the proxy's
# connections with no iptables rule, for IPv4 and IPv6.
t_guide_nftables() {
	trap 'in_ns server nft delete table inet toa 2>/dev/null' EXIT
	guide_block l4-nft | in_ns server nft -f - || fail "nft -f refused the guide's ruleset" || return 1
	nginx_sees_clients "nginx behind the nftables ruleset" "--syn 254v6"
}

# tcpdump as the guide writes it, during one connection; kind 200 in the
# SYN, then kind 254 in the handshake's ACK.
t_guide_on_the_wire() {
	local spec out p
	guide_run server l4-rule || return 1
	for spec in "--syn 200" "--ack 254"; do
		# shellcheck disable=SC2086
		proxy_sends $spec || return 1
		guide_run server verify-wire >"$WORK/tcpdump.out" 2>"$WORK/tcpdump.err" &
		local pid=$!
		wait_for "grep -q listening $WORK/tcpdump.err" || fail "tcpdump did not start: $(cat "$WORK/tcpdump.err")" || return 1
		p=$(sport)
		curl_nginx "$p" "$VIP" 80 >/dev/null || return 1
		wait "$pid" || fail "tcpdump failed: $(cat "$WORK/tcpdump.err")" || return 1
		out=$(cat "$WORK/tcpdump.out")
		note "$spec: $out"
		case $spec in
		*200) expect_match "SYN with kind 200" "$out" \
			"Flags \\[S\\].*unknown-200 0x$(printf '%04x' "$p")c6336402\\]" || return 1 ;;
		*254) expect_match "ACK with kind 254" "$out" \
			"Flags \\[\\.\\].*exp-$(printf '%04x' "$p")\\]" || return 1 ;;
		esac
	done
}

# --- troubleshooting ------------------------------------------------------------

t_guide_rule_refused() {
	local out
	if out=$(guide_run server trouble-wrong-table 2>&1); then
		fail "the filter-table rule was accepted"
		return 1
	fi
	note "refused: $out"
	out=$(guide_run server trouble-wrong-table-dmesg) || return 1
	note "$out"
	expect_match "dmesg" "$out" "TOA target: used from hooks INPUT, but only usable from PREROUTING"
}

# A rule for the wrong port: nothing counts, the rule's packet counter
# stays 0; a connection open before the rule keeps the proxy.
t_guide_rule_never_matches() {
	local got out p
	proxy_sends --syn 200 || return 1
	guide_run server l4-rule || return 1
	got=$(curl_nginx "$(sport)" "$VIP" 8080) || return 1
	expect_match "port without rule" "$got" "^$PROXY:" || return 1
	out=$(guide_run server trouble-rule-counters) || return 1
	note "$out"
	expect_match "rule counters" "$out" $'\n +0 +0 TOA +6 +-- +\\* +\\* +203.0.113.0/28 ' || return 1
	expect_eq options_recorded "$(counter options_recorded)" 0 || return 1
	expect_eq sockets_without_option "$(counter sockets_without_option)" 0 || return 1
	# Opened before a rule (for its port) exists: keeps the proxy.
	in_ns server "$IPT" -t mangle -F
	p=$(sport)
	hold "$p" "$VIP" "$PEER_RULED" || return 1
	in_ns server "$IPT" -t mangle -A PREROUTING -s 203.0.113.0/28 -p tcp --dport "$PEER_RULED" -j TOA
	held_asks "$PROXY:[0-9]+" || return 1
	held_close
	got=$(ask_peer --sport "$(sport)" "$VIP" "$PEER_RULED") || return 1
	expect_match "reconnected" "$got" "^accept=$CLIENT:"
}

t_guide_notrack() {
	local got out
	proxy_sends --syn 200 || return 1
	# What the operator may have from a tuning guide:
	in_ns server iptables -t raw -A PREROUTING -p tcp --dport 80 -j CT --notrack || return 1
	guide_run server l4-rule || return 1
	got=$(curl_nginx "$(sport)" "$VIP" 80) || return 1
	expect_match "NOTRACK" "$got" "^$PROXY:" || return 1
	expect_eq declined_no_conntrack "$(counter declined_no_conntrack)" 1 || return 1
	out=$(guide_run server trouble-raw-find) || return 1
	note "$out"
	expect_match "finds the rule" "$out" "--dport 80 -j CT --notrack" || return 1
	guide_run server trouble-raw-exempt || return 1
	got=$(curl_nginx "$(sport)" "$VIP" 80) || return 1
	expect_match "exempted" "$got" "^$CLIENT:"
}

t_guide_other_helper() {
	local got out
	proxy_sends --syn 200 || return 1
	in_ns server iptables -t raw -A PREROUTING -p tcp --dport 80 -j CT --helper ftp || return 1
	guide_run server l4-rule || return 1
	got=$(curl_nginx "$(sport)" "$VIP" 80) || return 1
	expect_match "ftp helper" "$got" "^$PROXY:" || return 1
	expect_eq declined_other_helper "$(counter declined_other_helper)" 1 || return 1
	out=$(guide_run server trouble-helper-count 2>/dev/null) || return 1
	note "$out"
	expect_match "helper count" "$out" "helper=ftp" || return 1
	out=$(guide_run server trouble-raw-find) || return 1
	expect_match "finds the rule" "$out" "--dport 80 -j CT --helper ftp" || return 1
	guide_run server trouble-raw-exempt || return 1
	got=$(curl_nginx "$(sport)" "$VIP" 80) || return 1
	expect_match "exempted" "$got" "^$CLIENT:"
}

# NAT64: an IPv6 client over IPv4 transport; nginx's "listen 80" is an
# AF_INET socket, the guide's listen line a dual-stack one.
t_guide_family_mismatch() {
	local got p
	trap guide_restore EXIT
	proxy_sends --syn 254v6 --addr 2001:db8:1::99 --port 4243 || return 1
	guide_run server l4-rule || return 1
	guide_nginx "listen 80;" || return 1
	got=$(guide_get client "http://$VIP/") || return 1
	expect_match "AF_INET socket" "$got" "^$PROXY " || return 1
	expect_eq declined_family_mismatch "$(counter declined_family_mismatch)" 1 || return 1
	guide_nginx "$(guide_block trouble-family-nginx)" || return 1
	got=$(guide_get client "http://$VIP/") || return 1
	expect_eq "dual-stack socket" "$got" "2001:db8:1::99 2001:db8:1::99 4243" || return 1
	proxy_sends --syn 200 || return 1
	p=$(sport)
	got=$(guide_get client "http://$VIP/" --local-port "$p") || return 1
	note "IPv4 client on the dual-stack socket: $got"
	expect_eq "IPv4 client, dual-stack socket" "$got" "::ffff:$CLIENT ::ffff:$CLIENT $p"
}

# --- firewalling by the real client ---------------------------------------

# The guide's toa match rules: one client behind the proxy dropped, the
# other served; direct connections refused while a proxy that sends the
# option only in the handshake ACK still gets through.
t_guide_firewall_by_real_client() {
	local got p out
	proxy_sends --syn 200 || return 1
	guide_run server l4-rule && guide_run server match-drop || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP" 80) || return 1
	expect_eq "other client" "$got" "$CLIENT:$p 80" || return 1
	curl_from "$CLIENT2" "$(sport)" "$VIP" 80 && fail "$CLIENT2 was not dropped" && return 1
	out=$(guide_run server match-counters) || return 1
	note "$out"
	expect_match "iptables -L" "$out" "[[:space:]][1-9][0-9]* +[0-9]+ +DROP .*toa src $CLIENT2/32" || return 1

	in_ns server iptables -F INPUT
	guide_run server match-direct || return 1
	proxy_sends --ack 200 || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$VIP" 80) || return 1
	expect_eq "through the proxy, option in the ACK only" "$got" "$CLIENT:$p 80" || return 1
	curl_from "$CLIENT" "$(sport)" "$SERVER" 80 && fail "a direct connection was served" && return 1
	out=$(guide_run server match-counters) || return 1
	expect_match "iptables -L" "$out" "[[:space:]][1-9][0-9]* +[0-9]+ +DROP .*toa ! present"
}

# --- containers ----------------------------------------------------------------

# The guide's Docker rules on the host (tests-containers.sh's containers,
# published on 8081 Docker's way): the container sees the client, IPv4
# and IPv6.
t_guide_containers() {
	local got p
	containers_up && guide_run server containers-docker || return 1
	ctr1_sees_client "container" 8081 --syn 200 || return 1
	proxy_sends --syn 254v6 || return 1
	p=$(sport)
	got=$(ask_peer --sport "$p" "$VIP6" 8081) || return 1
	expect_eq "container, IPv6" "$got" "accept=[$CLIENT6]:$p peer=[$CLIENT6]:$p local=[$CTR1_6]:80"
}

# --- firewalld -----------------------------------------------------------------

# firewalld_up: Debian's firewalld (fetched by tests/host-prepare.sh,
# unpacked over the VM's throw-away root) on a system bus of its own, in
# the server's namespace.
firewalld_up() {
	local d
	rm -rf "$WORK/fw" /etc/firewalld
	for d in "$TOP"/tests/.cache/debs/{firewalld,python3-firewall,python3-nftables}_*.deb; do
		[[ -f $d ]] || fail "missing $d (tests/host-prepare.sh fetches it)" || return 1
		dpkg-deb -x "$d" "$WORK/fw" || return 1
	done
	# etc and usr only: the .debs' ./lib would replace the /lib link.
	cp -a "$WORK/fw/etc" "$WORK/fw/usr" / || return 1
	# What its postinst's update-alternatives does: polkit (activated by
	# the bus) authorises root with the server policy.
	ln -sf org.fedoraproject.FirewallD1.server.policy.choice \
		/usr/share/polkit-1/actions/org.fedoraproject.FirewallD1.policy || return 1
	mkdir -p /run/dbus && dbus-daemon --system --fork || return 1
	in_ns server firewalld --nofork --nopid >"$WORK/firewalld.out" 2>&1 &
	echo $! >"$WORK/firewalld.pid"
	# Its ruleset comes last in its start-up (a minute under TCG);
	# firewall-cmd costs seconds, nft a fraction of one.
	wait_for 'in_ns server nft list table inet firewalld >/dev/null 2>&1' 1800 &&
		firewall-cmd --state ||
		fail "firewalld did not start: $(cat "$WORK/firewalld.out" /var/log/firewalld 2>/dev/null)"
}

# firewalld_down: stop it (it removes its ruleset) and its bus.
firewalld_down() {
	local pid
	pid=$(cat "$WORK/firewalld.pid" 2>/dev/null) && kill "$pid" 2>/dev/null &&
		wait_for '! kill -0 $pid 2>/dev/null' 300
	in_ns server nft delete table inet firewalld 2>/dev/null
	pkill -x dbus-daemon
	pkill -x polkitd
	rm -f /run/dbus/system_bus_socket
}

# The guide's firewalld configuration, as written: firewalld's own
# ruleset loads the module, sets the helper on the proxy's connections
# (IPv4 and IPv6) and on no one else's.
t_guide_firewalld() {
	local got p
	trap firewalld_down EXIT
	unload_module && firewalld_up || return 1
	guide_block firewalld-helper >/etc/firewalld/helpers/toa.xml &&
		guide_block firewalld-service >/etc/firewalld/services/toa-http.xml &&
		guide_run server firewalld-zone || return 1
	lsmod | grep -q '^xt_TOA ' || fail "xt_TOA not loaded by firewalld's ruleset" || return 1
	note "$(in_ns server nft list ruleset | grep -E 'type "toa|ct helper set' | tr -s '\t\n' '  ')"
	mark_counters
	nginx_sees_clients "nginx behind firewalld" "--ack 254v6" || return 1
	# Outside the zone's sources (the test opens the port to everyone):
	# a forged TOA is not even read.
	firewall-cmd -q --zone=public --add-service=http || return 1
	proxy_sends --syn 200 --ack 200 --addr "$FORGED" --port "$FORGED_PORT" || return 1
	p=$(sport)
	got=$(curl_nginx "$p" "$SERVER" 80) || return 1
	expect_eq "direct connection, forged TOA" "$got" "$CLIENT:$p 80" || return 1
	expect_eq options_recorded "$(counter options_recorded)" 2 &&
		expect_eq sockets_attached "$(counter sockets_attached)" 2
}

# --- reboots -------------------------------------------------------------------

# netfilter-persistent's own scripts (fetched by tests/host-prepare.sh,
# unpacked into the VM's throw-away root), systemd-modules-load, and a
# "reboot": rules flushed, module unloaded, then what boot does.
t_guide_persist() {
	local d got
	# Unpacked aside, then only their scripts copied: the .debs' ./lib
	# would replace the /lib -> usr/lib link of a merged-/usr root.
	for d in "$TOP"/tests/.cache/debs/{netfilter,iptables}-persistent_*.deb; do
		[[ -f $d ]] || fail "missing $d (tests/host-prepare.sh fetches it)" || return 1
		dpkg-deb -x "$d" "$WORK/debs" || return 1
	done
	mkdir -p /etc/iptables /usr/share/netfilter-persistent &&
		cp "$WORK/debs/usr/sbin/netfilter-persistent" /usr/sbin/ &&
		cp -r "$WORK/debs/usr/share/netfilter-persistent/plugins.d" /usr/share/netfilter-persistent/ &&
		cp "$WORK/debs/etc/default/netfilter-persistent" /etc/default/ || return 1
	guide_run server l4-rule && guide_run server l4-rule6 || return 1
	guide_run server persist-save || return 1
	grep -q -- '-j TOA' /etc/iptables/rules.v4 && grep -q -- '-j TOA' /etc/iptables/rules.v6 ||
		fail "rules.v4/v6 lack the rules: $(cat /etc/iptables/rules.v4)" || return 1
	guide_run server persist-module || return 1
	# The reboot.
	reset_test
	rmmod xt_TOA || return 1
	/lib/systemd/systemd-modules-load || return 1
	lsmod | grep -q '^xt_TOA ' || fail "modules-load.d did not load xt_TOA" || return 1
	in_ns server netfilter-persistent start || return 1
	mark_counters
	proxy_sends --syn 200 || return 1
	got=$(curl_nginx "$(sport)" "$VIP" 80) || return 1
	expect_match "after the reboot" "$got" "^$CLIENT:" || return 1
	proxy_sends --syn 254v6 || return 1
	got=$(curl_nginx "$(sport)" "$VIP6" 80) || return 1
	expect_match "after the reboot, IPv6" "$got" "^$CLIENT6:"
}
