#!/usr/bin/env bash
# Every test of xt_TOA, from a fresh Debian 12 machine: installs what it
# needs, builds, runs the user-space unit tests, builds and installs the
# Debian packages (DKMS builds the module for Debian's 6.1 and 6.12
# kernels), boots each kernel under qemu and runs the end-to-end suite
# inside it against the installed module and plugin, then purges the
# packages and checks nothing is left. Nothing is loaded into the machine
# this runs on.
#
#   tests/run.sh            (what "make check" runs)
#   XT_TESTS="t_a t_b" tests/run.sh   only these end-to-end tests
#
# The last line is "N passed, N failed" over all suites; the exit status
# is non-zero if anything failed or could not run.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
OUT=$TOP/tests/out
mkdir -p "$OUT"
passed=0 failed=0

# suite NAME CMD...: run one suite, add its "N passed, N failed" line.
suite() {
	local name=$1 log=$OUT/$1.log line p f
	shift
	echo "== $name"
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
	else
		p=0 f=1
		echo "$name: FAILED to run (exit $rc, no result line)"
	fi
	((rc != 0 && f == 0)) && f=1 && echo "$name: exit status $rc"
	passed=$((passed + p)) failed=$((failed + f))
}

# shellcheck source=host-prepare.sh
. tests/host-prepare.sh
echo "== build"
host_prepare "$OUT" || { echo "0 passed, 1 failed"; exit 1; }

# The suite again under KASAN, lockdep and kmemleak (XT_DEBUG_KERNEL=0 skips
# it on a developer's machine; CI always runs it). Everything there is five
# to ten times slower than on a stock kernel, so it runs every module code
# path once rather than every test: it leaves out
#   - the operator's guide (tests-guide.sh), the rule files, save/restore
#     and iptables-translate: iptables and rule syntax, user space;
#   - tests that differ from a kept one only in data the parser and the
#     handshake rules walk (kind numbers, forged, bad or agreeing
#     options): both are the same source as the host's ASan/UBSan unit
#     tests (and the parser the fuzzer's);
#   - the legacy tools' copy of t_kind200_syn_nft (the same target);
#   - the match's firewall recipes (the same match function as
#     t_match_sport_and_families), and the relay's no-room case (its
#     stripping runs in t_insert_client_toa_stripped, kept);
# and it does not decode the relay's captures (XT_DECODE=0: the bytes do
# not depend on debugging options; starting scapy takes minutes there).
# Also left out: t_kind200_ack_only (t_match_before_recording_ack_only
# records from the ACK alone too), the probes' list in debugfs, which
# every test registers and unregisters anyway, and of the handshake tests
# those whose module path another one takes: the client's forgeries
# (t_syn_and_ack_disagree keeps the conflict, without the client's own
# NFQUEUE sender), a restart after a server's RST
# (t_entry_reused_after_silent_death keeps it). Of the nftables tests it
# runs the helper object's autoload and refused unload, and the zones;
# the others differ from them in data, families, helper names and
# translation only.
# Of the conntrack-free path's tests it runs the raw table's rule (the
# note, its socket, the close): the others take the same module path with
# other rules and data (SYN cookies reach the same note as t_syncookies's
# socket path; an unloaded socket is released as the tracked path's), or
# refuse rules before the module keeps anything.
# Real Docker (t_container_real_docker) does not run there: dockerd
# takes minutes to start under KASAN, and the module's paths are those of
# the container tests that write Docker's rules, which run. Nor does
# t_container_no_upward_trust_user_ns: that kernel has no user
# namespaces; its refusal is the one t_container_no_upward_trust_initial_ns
# takes. Of the container tests it runs those with a path of their own:
# Docker's rules, SYN cookies, unload, the same-address hosts and the
# refused upward trust (IPv6, masquerade and the pod's own rule differ
# from them in addresses and rules only).
# The netlink dump holds 400 connections there, not 10,000: still several
# pages of dump. The abuse tests make 2 load/unload cycles instead of 100,
# 500 short connections instead of 100,000 and 5 requests during the SYN
# flood: the code paths are the same each time, and kmemleak and the
# allocation counters see a single leak (KASAN's quarantine keeps freed
# objects in the slab, so its size is not compared there). It runs in the
# background, beside everything below, and its output is shown at the end.
DEBUG_SKIP=(t_match_rule_files t_match_translate_untranslatable t_save_restore_roundtrip
	t_module_autoloads_with_rule t_kind254_syn t_kind253_both_families t_kind_not_trusted_by_rule
	t_forged_outside_range_ignored t_ipv6_bad_lengths_ignored t_match_firewall_by_real_client
	t_match_not_present_catches_direct
	t_insert_options_full t_kind200_ack_only
	t_probes_with_module t_forged_syn_behind_ack_only_proxy t_forged_both_behind_ack_only_proxy
	t_entry_reused_after_server_rst t_nft_helper_ack_both_malformed
	t_nft_helper_syncookies t_nft_helper_ipv6_dual_stack t_nft_helper_forged_outside_source
	t_nft_helper_one_kind t_nft_translated_rules
	t_malformed_options_ignored t_kind254_syn_and_ack
	t_kind200_syn_legacy t_container_real_docker t_container_no_upward_trust_user_ns
	t_container_ipv6 t_container_masquerade t_container_own_rule_and_toactl
	t_untracked_notrack_mangle t_untracked_syn_only_and_forged t_untracked_rules_refused
	t_untracked_syncookies t_untracked_unload_with_socket)
debug_suite() {
	passed=0 failed=0
	echo "== debug kernel (the first build takes about 25 minutes, then it is cached)"
	if debug_prepare "$OUT"; then
		# pci=noacpi: under KASAN and TCG, ACPI's _PRT method outlasts
		# the interpreter's 30 s loop timeout for each virtio device
		# (minutes of boot, then no routing anyway); virtio uses MSI-X.
		suite "e2e-$DKVER" tests/vm/run-vm.sh --kernel "$DKIMG" --builtin-drivers \
			--append pci=noacpi --mem 3072 --timeout 4800 --log "$OUT/vm-$DKVER.log" \
			--env XT_STAGE="$DSTAGE" --env XT_SKIP_FILES=tests-guide.sh \
			--env XT_SKIP_TESTS="${DEBUG_SKIP[*]}" \
			--env XT_NETLINK_N=400 --env XT_DECODE=0 --env XT_ABUSE_CYCLES=2 \
			--env XT_CHURN_N=500 --env XT_FLOOD_REQUESTS=5 --env XT_SLAB_CHECK=0 \
			-- tests/e2e/run-in-guest.sh
	else
		echo "debug kernel: FAILED to build"
		failed=$((failed + 1))
	fi
	echo "debug: $passed passed, $failed failed"
}
debug_pid=
if [[ ${XT_DEBUG_KERNEL:-1} != 0 || ${CI:-} == true ]]; then
	echo "== debug kernel: building or booting it in the background ($OUT/debug.out)"
	debug_suite >"$OUT/debug.out" 2>&1 &
	debug_pid=$!
fi

suite parser make -s -C tests/unit check
suite fuzz make -s -C tests/fuzz check
suite plugin make -s -C userspace check
suite toactl make -s -C tools/toactl check
suite tools make -s -C tests/tools check
suite guide tests/guide-check.sh

suite kernel-min tests/kernel-min.sh
suite kernel-newest tests/kernel-newest.sh

# The guest sees the host's root: the module and plugin the packages
# installed here are found where modprobe and iptables look.
suite package tests/package.sh install "$OUT/pkg" "${LTS_KVERS[@]}"
# The stock kernels' suites run beside the debug kernel's build and VM,
# where the abuse tests' process-heavy loops take three to four times as
# long as alone: they make 10 load/unload cycles and 10,000 connections
# (XT_ABUSE_CYCLES=100 XT_CHURN_N=100000 tests/run.sh: the issue's sizes).
# The operator's guide's tests run on Debian 12's own kernel, the first:
# they are the guide's commands, over module paths the main suite runs on
# both kernels.
# Real Docker too, on the first only: dockerd's start-up is the suite's
# heaviest process load, and the module's paths are the same on both.
for kver in "${LTS_KVERS[@]}"; do
	skip= skip_tests=
	[[ $kver != "${LTS_KVERS[0]}" ]] && skip=tests-guide.sh skip_tests=t_container_real_docker
	suite "e2e-$kver" tests/vm/run-vm.sh --kernel "/boot/vmlinuz-$kver" \
		--timeout 3600 --log "$OUT/vm-$kver.log" --env XT_ABUSE_CYCLES="${XT_ABUSE_CYCLES:-10}" \
		--env XT_CHURN_N="${XT_CHURN_N:-10000}" --env XT_SKIP_FILES="$skip" \
		--env XT_SKIP_TESTS="$skip_tests" -- tests/e2e/run-in-guest.sh
done
suite purge tests/package.sh purge "$OUT/pkg"

if [[ -n $debug_pid ]]; then
	wait "$debug_pid"
	cat "$OUT/debug.out"
	line=$(tail -n 1 "$OUT/debug.out")
	if [[ $line =~ ^debug:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		passed=$((passed + BASH_REMATCH[1])) failed=$((failed + BASH_REMATCH[2]))
	else
		echo "debug kernel: no result"
		failed=$((failed + 1))
	fi
fi

echo "all: $passed passed, $failed failed"
((failed == 0))
