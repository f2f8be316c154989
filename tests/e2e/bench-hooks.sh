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
	"conntrack only") conntrack_rule ;;
	"xt_TOA rule") server_rule ;;
	*) insmod "$XT_HOOKCOST" mode="$1" ;;
	esac
}

b_hook_cost() {
	[[ -f ${XT_HOOKCOST:-} ]] || fail "no toa_hookcost.ko (XT_HOOKCOST=${XT_HOOKCOST:-})" || return 1
	getname_bench hook_config "hooked" "${HOOK_CONFIGS[@]}"
	local rc=$?
	hook_config "no hook"
	return $rc
}
