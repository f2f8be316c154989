#!/bin/bash
# Runs inside the test VM (tests/vm/run-vm.sh): loads xt_TOA as installed
# (or from XT_STAGE), then runs every t_* test of tests*.sh (or those named
# in XT_TESTS), printing TAP and a final "N passed, N failed" line.
# A test also fails if the kernel logs a warning, BUG, oops or leak.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
# shellcheck source=lib.sh
. tests/e2e/lib.sh
# XT_SKIP_FILES: test files not to run (e.g. "tests-guide.sh").
files=()
for f in tests/e2e/tests*.sh; do
	[[ " ${XT_SKIP_FILES:-} " == *" ${f##*/} "* ]] && continue
	files+=("$f")
	# shellcheck source=/dev/null
	. "$f"
done

BAD='WARNING:|BUG:|Oops|general protection|Call Trace|KASAN|UBSAN|kmemleak|unreferenced object|possible circular|inconsistent lock|lockdep|refcount_t|list_add corruption|list_del corruption'

echo "# kernel $(uname -r)"
# XT_STAGE: what "make install DESTDIR=..." put there on the host, with
# depmod already run (a full depmod over 9p takes minutes under TCG).
# Without it, the module, the plugins and toactl the host has installed
# (the packages, DKMS, "make install"), found where modprobe, iptables and
# the shell look.
xtlibdir=$(pkg-config --variable=xtlibdir xtables)
if [[ -n ${XT_STAGE:-} ]]; then
	install_stage || { echo "Bail out! cannot install from $XT_STAGE"; exit 1; }
fi
module=$(modinfo -n xt_TOA 2>/dev/null) ||
	{ echo "Bail out! no xt_TOA module for $(uname -r): install it on the host"; exit 1; }
[[ -f $xtlibdir/libxt_TOA.so ]] ||
	{ echo "Bail out! no libxt_TOA.so in $xtlibdir: install it on the host"; exit 1; }
[[ -x /usr/sbin/toactl ]] ||
	{ echo "Bail out! no /usr/sbin/toactl: install it on the host"; exit 1; }
echo "# module $module"
topology_up >/tmp/topology.log 2>&1 || {
	cat /tmp/topology.log
	echo "Bail out! cannot build the test topology"
	exit 1
}

kmemleak_scan() {
	[[ -w /sys/kernel/debug/kmemleak ]] || return 0
	echo scan >/sys/kernel/debug/kmemleak
	sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
}

# Leak suspects from boot are not ours: only report those found later.
if [[ -w /sys/kernel/debug/kmemleak ]]; then
	echo scan >/sys/kernel/debug/kmemleak
	echo clear >/sys/kernel/debug/kmemleak
fi

mapfile -t all < <(cat "${files[@]}" | grep -o '^t_[a-z0-9_]*')
selected=()
for t in "${all[@]}"; do
	[[ " ${XT_SKIP_TESTS:-} " == *" $t "* ]] || selected+=("$t")
done
# Names on one line or several (grep of core.list).
[[ -n ${XT_TESTS:-} ]] && read -r -d "" -a selected <<<"$XT_TESTS"

dmesg -C
passed=0 failed=0 n=0
echo "1..$((${#selected[@]} + 1))"
for t in "${selected[@]}"; do
	n=$((n + 1))
	start=$SECONDS
	reset_test >/dev/null 2>&1
	(set +e; "$t") >/tmp/test.log 2>&1
	rc=$?
	dmesg >>/tmp/kernel.log
	dmesg -C
	if grep -Eq "$BAD" /tmp/kernel.log; then
		echo "# FAIL: the kernel complained during $t:"
		rc=1
	fi
	sed 's/^/#   /' /tmp/test.log
	if grep -Eq "$BAD" /tmp/kernel.log; then sed 's/^/#   dmesg: /' /tmp/kernel.log; fi
	: >/tmp/kernel.log
	if ((rc == 0)); then
		passed=$((passed + 1))
		echo "ok $n - $t ($((SECONDS - start)) s)"
	else
		failed=$((failed + 1))
		echo "not ok $n - $t ($((SECONDS - start)) s)"
	fi
done

# Whatever is left hanging after all tests: leaks only show at unload.
# One kmemleak scan, here: a leaked object stays unreferenced until then,
# and a scan takes minutes on the debug kernel.
reset_test >/dev/null 2>&1
topology_down
# Namespaces (and their rules, which hold the module) go away asynchronously.
for ((i = 0; i < 50; i++)); do
	rmmod xt_TOA 2>/dev/null && break
	sleep 0.2
done
kmemleak_scan >/tmp/kernel.log
dmesg >>/tmp/kernel.log
if grep -Eq "$BAD" /tmp/kernel.log || lsmod | grep -q '^xt_TOA '; then
	sed 's/^/#   dmesg: /' /tmp/kernel.log
	echo "not ok $((n + 1)) - unload at the end, kernel log clean"
	failed=$((failed + 1))
else
	echo "ok $((n + 1)) - unload at the end, kernel log clean"
	passed=$((passed + 1))
fi
echo "e2e: $passed passed, $failed failed"
((failed == 0))
