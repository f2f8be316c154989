# shellcheck shell=bash
# What hooking getname costs every socket, by mechanism (issue 8): an empty
# hook on inet_getname() from tests/bench-hooks/toa_hookcost.ko (built by
# tests/bench.sh), beside no hook and xt_TOA's own rule. A mechanism whose
# empty hook already costs more than the target cannot meet it, whatever
# the handler does. A TOA rule also turns conntrack on in the server's
# namespace, which costs every new connection there: "conntrack only", a
# stateful rule without the module, separates the two.

HOOK_CONFIGS=("no hook" ftrace ftrace-regs kprobe kretprobe "conntrack only" "xt_TOA rule")

# hook_config CFG: only CFG's hook in place.
hook_config() {
	in_ns server "$IPT" -t mangle -F
	rmmod toa_hookcost 2>/dev/null
	unload_module || return 1
	case $1 in
	"no hook") ;;
	"conntrack only")
		in_ns server "$IPT" -t mangle -A PREROUTING -p tcp -m conntrack --ctstate INVALID -j DROP ;;
	"xt_TOA rule") server_rule ;;
	*) insmod "$XT_HOOKCOST" mode="$1" ;;
	esac
}

b_hook_cost() {
	local round cfg out i n=${#HOOK_CONFIGS[@]}
	local -A accepts=()
	[[ -f ${XT_HOOKCOST:-} ]] || fail "no toa_hookcost.ko (XT_HOOKCOST=${XT_HOOKCOST:-})" || return 1
	for ((round = 1; round <= ROUNDS; round++)); do
		for ((i = 0; i < n; i++)); do
			cfg=${HOOK_CONFIGS[(i + round) % n]}
			hook_config "$cfg" || return 1
			out=$(in_ns server "$TOOLS/toa-getname-bench" 200000 2000) || return 1
			rates[$cfg]+="$(awk '$1 == "getpeername" { print $2 }' <<<"$out") "
			accepts[$cfg]+="$(awk '$1 == "accept" { print $2 }' <<<"$out") "
		done
	done
	hook_config "no hook"
	bench_report "hooked getpeername(), ns per call" "${HOOK_CONFIGS[@]}"
	for cfg in "${HOOK_CONFIGS[@]}"; do rates[$cfg]=${accepts[$cfg]}; done
	bench_report "hooked connect+accept(addr)+close per s" "${HOOK_CONFIGS[@]}"
}
