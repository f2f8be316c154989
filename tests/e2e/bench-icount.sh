# shellcheck shell=bash
# Guest instructions instead of wall-clock (see tests/e2e/run-bench-in-guest.sh):
# under TCG, time varies 15-30 % between rounds; the number of guest
# instructions a piece of work executes, with one vCPU, varies under 1 %.
# tests/bench.sh runs these in a VM of their own, with -smp 1 and the plugin
# of tests/bench-icount, which appends the instruction count of each window
# between two markers (tests/tools/toa-mark.h) to the file XT_ICOUNT_OUT;
# without it they are skipped. The count is of the whole system (kernel,
# softirqs, every process), in the four server configurations of
# bench-server.sh. Fewer instructions is faster: the ratios printed are
# instr(no module) / instr(config), the relative rate at equal CPU.

# icount_windows CMD...: run CMD, which executes markers; print the counts
# of the windows it closed, one a line. The checkout is shared with
# cache=mmap, so reads of the plugin's file are not served stale.
icount_windows() {
	local before
	before=$(wc -l <"$XT_ICOUNT_OUT") || return 1
	"$@" >/dev/null || return 1
	tail -n +"$((before + 1))" "$XT_ICOUNT_OUT"
}

# icount CMD...: the instructions of running CMD between two markers, the
# whole system's while it runs, less those of the bracket itself (the
# shell's fork and exec of toa-mark and CMD: about 2 M, measured by
# icount_calibrate).
icount() {
	local n
	n=$(icount_windows icount_bracket "$@") || return 1
	echo $((n - ${ICOUNT_NULL:-0}))
}
icount_calibrate() {
	ICOUNT_NULL=$(icount_windows icount_bracket true)
}
icount_bracket() {
	"$TOOLS/toa-mark" && "$@" && "$TOOLS/toa-mark"
}

# icount_conns N: instructions per connection of N new connections to
# nginx through the proxy (ab, HTTP/1.0, 8 at a time).
icount_conns() {
	local count
	count=$(icount in_ns client ab -q -n "$1" -c 8 "http://$VIP:$NGINX_RULED/") ||
		fail "ab failed" || return 1
	awk -v c="$count" -v n="$1" 'BEGIN { print c / n }'
}

# icount_bulk MIB: instructions per MiB of downloading $WORK/nginx/bulk
# (MIB MiB) from nginx through the proxy.
icount_bulk() {
	local count
	count=$(icount in_ns client curl -sf -o /dev/null "http://$VIP:$NGINX_RULED/bulk") ||
		fail "download failed" || return 1
	awk -v c="$count" -v m="$1" 'BEGIN { print c / m }'
}

# icount_report WHAT: bench_report of the counts in rates[], with the
# ratios turned into relative rates.
icount_report() {
	BENCH_RATIO=rate bench_report "$1" "${SERVER_CONFIGS[@]}"
}

# Sanity: the empty window (two markers back to back, in one process: the
# blocks holding the markers), and a window around `true` run from the
# shell (the constant that icount adds to every count), three times each.
b_icount_sanity() {
	for _ in 1 2 3; do
		echo "icount: empty window: $(icount_windows "$TOOLS/toa-mark" 2) instructions," \
			"\`true\` from the shell: $(icount_windows icount_bracket true) instructions"
	done
}

# Instructions per getpeername() and per connect+accept(addr)+close on
# sockets without TOA (loopback in the server's namespace, as
# getname_bench): the probes' cost for every other socket on the host.
# One unmeasured run first warms up. Known noise: the count per connection
# sits on one of two levels 8 % apart, within a configuration and across
# rounds (not TIME_WAIT: it stays with tcp_max_tw_buckets=0); the count per
# getpeername() varies under 0.3 %.
b_icount_getname() {
	local round cfg order out calls=${XT_ICOUNT_CALLS:-20000} conns=${XT_ICOUNT_CONNS:-1000}
	local -A accepts=()
	icount_windows in_ns server "$TOOLS/toa-getname-bench" --icount "$calls" "$conns" >/dev/null ||
		return 1
	for ((round = 1; round <= ROUNDS; round++)); do
		mapfile -t order < <(round_configs "$round" "${SERVER_CONFIGS[@]}")
		for cfg in "${order[@]}"; do
			server_config "$cfg" || return 1
			out=$(icount_windows in_ns server "$TOOLS/toa-getname-bench" --icount "$calls" "$conns") ||
				return 1
			[[ $(wc -l <<<"$out") == 2 ]] || fail "expected 2 windows, got: $out" || return 1
			rates[$cfg]+="$(sed -n 1p <<<"$out" | awk -v n="$calls" '{ print $1 / n }') "
			accepts[$cfg]+="$(sed -n 2p <<<"$out" | awk -v n="$conns" '{ print $1 / n }') "
		done
	done
	icount_report "no TOA: instructions per getpeername()"
	for cfg in "${SERVER_CONFIGS[@]}"; do rates[$cfg]=${accepts[$cfg]}; done
	icount_report "no TOA: instr. per connect+accept+close"
}

# Instructions per new connection through the proxy to nginx: ab, HTTP/1.0,
# 8 at a time, as b_server_conn_rate; the whole system's count / n.
b_icount_conn() {
	local round cfg order count n=${XT_BENCH_CONNS:-1000}
	proxy_sends --syn 200 --ack 200 && icount_calibrate || return 1
	icount in_ns client ab -q -n "$n" -c 8 "http://$VIP:$NGINX_RULED/" >/dev/null || return 1 # warm-up
	for ((round = 1; round <= ROUNDS; round++)); do
		mapfile -t order < <(round_configs "$round" "${SERVER_CONFIGS[@]}")
		for cfg in "${order[@]}"; do
			server_config "$cfg" && count=$(icount_conns "$n") || return 1
			rates[$cfg]+="$count "
		done
	done
	icount_report "server: instructions per connection (nginx)"
}

# Instructions per MiB of one long TOA connection's download from nginx
# through the proxy, as b_server_bulk (64 MiB: the count does not need
# the time to average out).
b_icount_bulk() {
	local round cfg order count mib=${XT_ICOUNT_BULK_MIB:-64}
	proxy_sends --syn 200 --ack 200 || return 1
	head -c "${mib}M" /dev/zero >"$WORK/nginx/bulk"
	icount_calibrate || return 1
	# A warm-up: the first download counted 20 % more than the others.
	icount in_ns client curl -sf -o /dev/null "http://$VIP:$NGINX_RULED/bulk" >/dev/null || return 1
	for ((round = 1; round <= ROUNDS; round++)); do
		mapfile -t order < <(round_configs "$round" "${SERVER_CONFIGS[@]}")
		for cfg in "${order[@]}"; do
			server_config "$cfg" && count=$(icount_bulk "$mib") || return 1
			rates[$cfg]+="$count "
		done
	done
	rm -f "$WORK/nginx/bulk"
	icount_report "server: instructions per MiB downloaded"
}

# Where a new nginx connection's kernel instructions go (issue 21): the
# plugin's profile of each window of b_icount_conn's traffic, folded into
# functions while the configuration's modules are loaded (their addresses
# change with each load), averaged over the rounds, and each configuration
# compared with its anchor: by group (the module, probes, conntrack, rule
# tables, allocation) and by function. User space is left out: the same in
# all configurations.
b_icount_profile() {
	local round cfg order pair n=${XT_BENCH_CONNS:-1000} dir=$WORK/profile
	[[ -n ${XT_ICOUNT_PROFILE:-} ]] ||
		fail "XT_ICOUNT_PROFILE unset: the plugin writes no profile" || return 1
	rm -rf "$dir" && mkdir -p "$dir" && proxy_sends --syn 200 --ack 200 || return 1
	icount in_ns client ab -q -n "$n" -c 8 "http://$VIP:$NGINX_RULED/" >/dev/null || return 1 # warm-up
	for ((round = 1; round <= ROUNDS; round++)); do
		mapfile -t order < <(round_configs "$round" "${SERVER_CONFIGS[@]}")
		for cfg in "${order[@]}"; do
			server_config "$cfg" &&
				icount_windows icount_bracket in_ns client ab -q -n "$n" -c 8 \
					"http://$VIP:$NGINX_RULED/" >/dev/null &&
				"$TOP/tests/e2e/icount-profile.py" fold /proc/kallsyms "$XT_ICOUNT_PROFILE" "$n" \
					>"$dir/${cfg//[ ,]/_}.$round" || fail "profile of $cfg failed" || return 1
		done
	done
	for pair in "no module/loaded, no rule" "no module/TOA rule, raw table" \
		"no module/conntrack only" "conntrack only/TOA rule"; do
		echo "profile: per connection (nginx), $ROUNDS rounds of $n"
		pair=${pair//[ ,]/_}
		"$TOP/tests/e2e/icount-profile.py" compare "${pair%%/*}" "${pair#*/}" "$dir"/* ||
			return 1
	done
}
